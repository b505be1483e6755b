/**
 * Root-confined file access for the MCP server: an agent names files relative to a root directory
 * (or absolute inside one), and nothing outside the roots can be read — not through "..", not
 * through an absolute path, not through a symbolic link that points out. Both the roots and the
 * target are resolved with realpath before they are compared, so a root that is itself a link works.
 */
import { realpath, stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { VantageError } from '../../core/errors.js';

/** The roots as real, absolute directories; a missing root or a file is an error. */
export async function realRoots(dirs: string[]): Promise<string[]> {
  if (!dirs.length) throw new VantageError('bad-root', 'no root directory given', 'pass --root DIR');
  const out: string[] = [];
  for (const d of dirs) {
    let real: string;
    try {
      real = await realpath(resolve(d));
    } catch {
      throw new VantageError('bad-root', `root directory ${d} does not exist`, 'create it or pass another --root');
    }
    if (!(await stat(real)).isDirectory()) throw new VantageError('bad-root', `root ${d} is not a directory`);
    if (!out.includes(real)) out.push(real);
  }
  return out;
}

/** Whether `path` is `root` or inside it (both absolute and normalised). */
function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!isAbsolute(rel) && rel !== '..' && !rel.startsWith(`..${sep}`));
}

/**
 * The real path of a file the agent named, confined to the roots.
 * A relative path is taken against each root in turn (the first where it exists wins); an
 * absolute one must lie inside a root. `what` names the file in errors ("image", "depth map" …).
 */
export async function resolveInRoots(input: string, roots: string[], what = 'file'): Promise<string> {
  if (typeof input !== 'string' || !input.trim()) throw new VantageError('bad-path', `${what} path is empty`);
  if (input.includes('\0')) throw new VantageError('bad-path', `${what} path contains a NUL byte`);
  if (!roots.length) {
    throw new VantageError(
      'no-roots',
      `${what} "${input}" cannot be read: this server reads files only under a root, and it has none (started without --root, and the client offers no roots)`,
      'start the server with --root DIR, let the client offer roots, or send the image as base64 (fixtures need no file)',
    );
  }
  const rootList = roots.join(', ');
  const outsideError = () =>
    new VantageError(
      'path-outside-root',
      `${what} path "${input}" is outside the allowed root directories`,
      `name a file inside ${rootList} (relative paths are taken from there; ".." may not leave it), or start the server with another --root`,
    );
  const candidates = isAbsolute(input) ? [resolve(input)] : roots.map((r) => resolve(r, input));
  // A relative path that climbs out with ".." is refused before the disk is asked anything.
  if (!isAbsolute(input) && !candidates.some((c) => roots.some((r) => isInside(r, c)))) throw outsideError();
  let found = false;
  for (const c of candidates) {
    let real: string;
    try {
      real = await realpath(c);
    } catch {
      continue; // not under this root: try the next
    }
    found = true;
    if (roots.some((r) => isInside(r, real))) return real;
    if (roots.some((r) => isInside(r, c))) {
      throw new VantageError(
        'path-outside-root',
        `${what} path "${input}" leads outside the allowed root directories (through a symbolic link)`,
        `copy the file into ${rootList} instead of linking to it`,
      );
    }
  }
  // Outside every root (an absolute path, possibly through a linked root that is not itself a root):
  // the same answer whether or not the file exists, so nothing is learnt about the disk outside.
  if (found || candidates.every((c) => !roots.some((r) => isInside(r, c)))) throw outsideError();
  throw new VantageError(
    'file-not-found',
    `${what} "${input}" was not found under ${rootList}`,
    'paths are relative to a --root directory of the server; check the name',
  );
}
