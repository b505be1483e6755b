/**
 * What run.json records beyond the settings that must match to continue a run: the package version,
 * the git commit of the code when it runs from a checkout, and a SHA-256 of every data file — so a
 * number can be traced to the code and the exact data that produced it.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { packageRoot } from '../../core/package.js';

let commit: string | null | undefined;

/** The commit the code runs from (null outside a git checkout, or without git); asked once per process. */
export function gitCommit(): string | null {
  if (commit === undefined) commit = readGitCommit();
  return commit;
}

function readGitCommit(): string | null {
  const root = packageRoot();
  if (!root) return null;
  try {
    const out = execFileSync('git', ['rev-parse', 'HEAD'], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 5000,
    });
    const sha = out.toString().trim();
    return /^[0-9a-f]{40}$/.test(sha) ? sha : null;
  } catch {
    return null;
  }
}

export interface FileChecksum {
  path: string;
  bytes: number;
  sha256: string;
}

/** SHA-256 of each file, streamed (benchmark files with images run to gigabytes). */
export async function fileChecksums(files: readonly string[]): Promise<FileChecksum[]> {
  const out: FileChecksum[] = [];
  for (const path of files) {
    const h = createHash('sha256');
    for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
    out.push({ path, bytes: (await stat(path)).size, sha256: h.digest('hex') });
  }
  return out;
}
