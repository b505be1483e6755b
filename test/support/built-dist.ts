/**
 * Tests that run the built package (a spawned `vantage mcp`, a consumer importing 'vantage') need
 * dist/. The lead's test script builds before the suite; when dist/ is missing or older than the
 * sources a test names, this builds it once (a lock directory keeps parallel test files from
 * building at the same time).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** dist/… path of a source file: src/mcp/server.ts → dist/src/mcp/server.js */
export const builtPathOf = (source: string): string => join(REPO_ROOT, 'dist', source.replace(/\.ts$/, '.js'));

function stale(sources: string[]): string[] {
  return sources.filter((s) => {
    const out = builtPathOf(s);
    return !existsSync(out) || statSync(out).mtimeMs < statSync(join(REPO_ROOT, s)).mtimeMs;
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Make sure the built files of these sources exist and are current; builds (tsc) when not. */
export async function ensureBuilt(sources: string[], log: (s: string) => void = () => {}): Promise<void> {
  if (!stale(sources).length) return;
  const lock = join(REPO_ROOT, 'dist', '.test-build-lock');
  mkdirSync(dirname(lock), { recursive: true });
  for (let waited = 0; ; waited += 500) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // another test file is building: wait for it (a lock older than 5 min is left over from a killed run)
      const st = statSync(lock, { throwIfNoEntry: false });
      if (st && Date.now() - st.mtimeMs > 300_000) rmSync(lock, { recursive: true, force: true });
      await sleep(500);
      if (!stale(sources).length) return;
      if (waited > 400_000) throw new Error('timed out waiting for another test file to build dist/');
    }
  }
  try {
    if (!stale(sources).length) return;
    log(`building dist/ (stale: ${stale(sources).join(', ')})…`);
    // tsc writes its output even when files that are not ours have type errors; what matters is the output
    await new Promise<void>((done) => {
      execFile('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: REPO_ROOT, maxBuffer: 64 * 1024 ** 2 }, () =>
        done(),
      );
    });
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
  const left = stale(sources);
  if (left.length) throw new Error(`building dist/ did not produce current ${left.map(builtPathOf).join(', ')}`);
}
