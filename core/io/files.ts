/**
 * File access for every input reader: one place that turns "no such file", "is a directory",
 * "too big" and "empty" into a VantageError naming the file and what was expected, instead of a
 * raw ENOENT with a stack trace.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { INPUT_LIMITS } from '../config.js';
import { VantageError, type ErrorCode } from '../errors.js';

export interface ReadFileOptions {
  /** how the file is named in errors (default: the path as given) */
  name?: string;
  /** what the file is for, in words: "image", "depth map", "PLY scene" … (default "input") */
  what?: string;
  /** refuse files larger than this (default INPUT_LIMITS.maxFileBytes) */
  maxBytes?: number;
  /** accept a 0-byte file (default false: an empty input is an error) */
  allowEmpty?: boolean;
}

/** "1.5 MB"-style size for messages. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = -1;
  do {
    v /= 1024;
    i++;
  } while (v >= 1024 && i < units.length - 1);
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

/** Lower-case extension with the dot (".png"), or "" when there is none. */
export function extensionOf(path: string): string {
  return extname(path).toLowerCase();
}

/** The bytes of a file, after checking it exists, is a regular file, is not empty and not over the cap. */
export async function readFileCapped(path: string, opts: ReadFileOptions = {}): Promise<Buffer> {
  const name = opts.name ?? path;
  const what = opts.what ?? 'input';
  const maxBytes = opts.maxBytes ?? INPUT_LIMITS.maxFileBytes;
  let size: number;
  try {
    const st = await stat(path);
    if (st.isDirectory()) {
      throw new VantageError(
        'not-a-file',
        `${what} "${name}" is a directory, not a file`,
        `pass the path of the ${what} file itself`,
      );
    }
    if (!st.isFile()) {
      throw new VantageError(
        'not-a-file',
        `${what} "${name}" is not a regular file`,
        `pass the path of the ${what} file itself`,
      );
    }
    size = st.size;
  } catch (e) {
    throw fileSystemError(e, path, name, what);
  }
  if (size > maxBytes) {
    throw new VantageError(
      'file-too-large',
      `${what} "${name}" is ${formatBytes(size)}, over the ${formatBytes(maxBytes)} limit`,
      'pass a smaller file (the limit guards memory; see INPUT_LIMITS in core/config.ts)',
    );
  }
  if (size === 0 && !opts.allowEmpty) {
    throw new VantageError(
      'file-empty',
      `${what} "${name}" is empty (0 bytes)`,
      `check that the ${what} was written completely`,
    );
  }
  try {
    return await readFile(path);
  } catch (e) {
    throw fileSystemError(e, path, name, what);
  }
}

export interface JsonFileOptions extends ReadFileOptions {
  /** the error code of a file that is not valid JSON (e.g. 'bad-config') */
  code: ErrorCode;
  /** how to fix it, shown under the error */
  hint?: string;
}

/** JSON text parsed; invalid JSON is a VantageError naming the file and the parser's complaint. */
export function parseJsonText(text: string, opts: JsonFileOptions & { name: string }): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new VantageError(
      opts.code,
      `${opts.what ?? 'input'} "${opts.name}" is not valid JSON (${(e as Error).message})`,
      opts.hint,
      { cause: e },
    );
  }
}

/** A JSON file read and parsed: the checks of readFileCapped, then parseJsonText. */
export async function readJsonFile(path: string, opts: JsonFileOptions): Promise<unknown> {
  const text = (await readFileCapped(path, opts)).toString('utf8');
  return parseJsonText(text, { ...opts, name: opts.name ?? path });
}

/** Write bytes, creating missing parent folders; file-system failures become a VantageError. */
export async function writeFileChecked(path: string, data: Uint8Array | string, what = 'output'): Promise<void> {
  await makeDir(dirname(path), what);
  try {
    await writeFile(path, data);
  } catch (e) {
    throw writeError(e, path, what);
  }
}

/**
 * Create a folder and its missing parents, one level at a time: Node's recursive mkdir never
 * returns for a path under /proc, and its errors name no path. Call it before work starts, so an
 * unusable output folder fails in a second, not after a paid run.
 */
export async function makeDir(dir: string, what = 'output'): Promise<void> {
  const missing: string[] = [];
  for (let d = resolve(dir); ; d = dirname(d)) {
    const st = await stat(d).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return undefined;
      throw writeError(e, dir, what);
    });
    if (st) {
      if (!st.isDirectory()) {
        throw new VantageError(
          'file-write-failed',
          `cannot write ${what} under "${dir}": "${d}" is a file, not a folder`,
          'choose another output path',
        );
      }
      break;
    }
    missing.unshift(d);
    if (dirname(d) === d) break;
  }
  for (const d of missing) {
    try {
      await mkdir(d);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST' && (await stat(d).catch(() => undefined))?.isDirectory())
        continue; // made by a concurrent writer
      throw writeError(e, dir, what);
    }
  }
}

/** A file-system failure while writing, as one line naming the path and what to do. */
export function writeError(e: unknown, path: string, what = 'output'): VantageError {
  if (e instanceof VantageError) return e;
  const code = (e as NodeJS.ErrnoException)?.code;
  const why =
    code === 'EISDIR'
      ? 'it is a directory'
      : code === 'EACCES' || code === 'EPERM'
        ? 'permission denied'
        : code === 'ENOSPC'
          ? 'the disk is full'
          : code === 'EDQUOT'
            ? 'the disk quota is used up'
            : code === 'EROFS'
              ? 'the file system is read-only'
              : code === 'EEXIST'
                ? 'something already exists there'
                : code === 'ENOTDIR'
                  ? 'a parent of it is a file, not a folder'
                  : code === 'ENOENT'
                    ? 'its folder cannot be created there'
                    : ((e as Error)?.message ?? String(e));
  return new VantageError('file-write-failed', `cannot write ${what} "${path}": ${why}`, 'choose another output path', {
    cause: e,
  });
}

/**
 * Write a file so that readers see either the old content or the whole new one, never a part: a
 * temporary file beside the target, fsync, rename, then fsync of the folder so the rename itself
 * survives a crash. The folder must exist. Errors are the file system's own (callers word them).
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await open(tmp, 'wx', 0o644);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (e) {
    await fh.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  await fh.close();
  try {
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  await syncDir(dir);
}

/** fsync a folder (best effort: some file systems refuse to open folders; the files are whole anyway). */
async function syncDir(dir: string): Promise<void> {
  try {
    const fh = await open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    /* not supported here */
  }
}

function fileSystemError(e: unknown, path: string, name: string, what: string): VantageError {
  if (e instanceof VantageError) return e;
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    return new VantageError(
      'file-not-found',
      `${what} file "${name}" not found`,
      `check the path (looked for ${path})`,
      { cause: e },
    );
  }
  if (code === 'EISDIR') {
    return new VantageError(
      'not-a-file',
      `${what} "${name}" is a directory, not a file`,
      `pass the path of the ${what} file itself`,
      { cause: e },
    );
  }
  if (code === 'EACCES' || code === 'EPERM') {
    return new VantageError(
      'file-unreadable',
      `${what} file "${name}" cannot be read: permission denied`,
      'check the file permissions',
      { cause: e },
    );
  }
  return new VantageError(
    'file-unreadable',
    `${what} file "${name}" cannot be read: ${(e as Error)?.message ?? String(e)}`,
    undefined,
    { cause: e },
  );
}
