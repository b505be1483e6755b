/**
 * Locates ../shared/data (real RGB-D frames and splats; never copied into the repo). Tests that
 * need it use `describeShared`, which skips with a message when it is absent.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe } from 'vitest';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function sharedDataDir(): string | undefined {
  const candidates = [process.env.VANTAGE_SHARED_DATA, join(repoRoot, '..', 'shared', 'data')];
  return candidates.find((p): p is string => !!p && existsSync(join(p, 'README.md')));
}

export const SHARED = sharedDataDir();

/** describe() that skips, with the reason in its title, when ../shared/data is absent. */
export const describeShared: typeof describe.skip = ((name: string, fn: () => void) =>
  SHARED
    ? describe(name, fn)
    : describe.skip(`${name} (skipped: ../shared/data not found beside the checkout)`, fn)) as typeof describe.skip;

export function sharedPath(...parts: string[]): string {
  if (!SHARED) throw new Error('../shared/data is absent');
  return join(SHARED, ...parts);
}
