/**
 * A folder held by one run at a time: a lock file with the holder's PID. A second run is told who
 * holds it; a lock whose process is gone (kill -9, a power cut) is taken over.
 */
import { open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { VantageError } from '../errors.js';
import { makeDir, writeError } from './files.js';

export const LOCK_FILE_NAME = '.vantage.lock';

export interface DirLock {
  readonly path: string;
  release(): Promise<void>;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

/** Create the folder if needed and hold it; throws 'dir-locked' naming the PID that holds it. */
export async function lockDir(dir: string, what = 'output'): Promise<DirLock> {
  await makeDir(dir, what);
  const path = join(dir, LOCK_FILE_NAME);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fh = await open(path, 'wx');
      try {
        await fh.writeFile(`${process.pid}\n`);
      } finally {
        await fh.close();
      }
      return { path, release: () => unlink(path).catch(() => undefined) };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw writeError(e, path, what);
    }
    const pid = Number((await readFile(path, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(pid) && pid > 0 && alive(pid)) {
      throw new VantageError(
        'dir-locked',
        `${what} "${dir}" is in use by another run (PID ${pid}${pid === process.pid ? ', this process' : ''})`,
        `wait for it to finish, or pass another --out (a stale lock is ${path}: delete it if PID ${pid} is not a Vantage run)`,
      );
    }
    await unlink(path).catch(() => undefined); // its holder is gone: take it over
  }
  throw new VantageError('dir-locked', `cannot take the lock ${path}`, 'another run keeps taking it; try again');
}
