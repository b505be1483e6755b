/**
 * What `npm publish` would ship: a name that is ours, exports any resolver understands, runtime
 * dependencies only, a licence, and a tarball of what runs (no tests, benches or source maps that
 * point at sources it does not ship).
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './support/built-dist.js';

const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
  name: string;
  bin: Record<string, string>;
  exports: Record<string, Record<string, string>>;
  dependencies: Record<string, string>;
  license: string;
};

describe('the published package', () => {
  it('has its own npm name, keeps the `vantage` command, and exports types/import/default', () => {
    expect(pkg.name).toBe('vantage-nvs'); // `vantage` on npm is an unrelated package
    expect(Object.keys(pkg.bin)).toEqual(['vantage']);
    expect(Object.keys(pkg.exports['.'])).toEqual(['types', 'import', 'default']);
    expect(pkg.exports['.'].default).toBe(pkg.exports['.'].import);
  });

  it('has no test-only runtime dependency and a licence file', () => {
    expect(pkg.dependencies).not.toHaveProperty('playwright-core');
    expect(pkg.dependencies).not.toHaveProperty('vitest');
    expect(pkg.license).toBe('MIT');
    expect(readFileSync(join(REPO_ROOT, 'LICENSE'), 'utf8')).toMatch(/^MIT License/);
  });

  it('packs only what runs: no tests, benches or source maps', async () => {
    const out = await new Promise<string>((resolve, reject) =>
      execFile('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: REPO_ROOT }, (err, stdout) =>
        err ? reject(err) : resolve(stdout),
      ),
    );
    const files = (JSON.parse(out) as { files: { path: string }[] }[])[0].files.map((f) => f.path);
    expect(files).toContain('LICENSE');
    expect(files).toContain('package.json');
    expect(files.some((f) => f.startsWith('shaders/'))).toBe(true);
    if (existsSync(join(REPO_ROOT, 'dist', 'src', 'cli.js'))) expect(files).toContain('dist/src/cli.js');
    expect(files.filter((f) => /^dist\/(test|bench)\/|\.map$|^test\/|^bench\//.test(f))).toEqual([]);
  }, 60_000);

  it('no project .npmrc (npm warns "Unknown project config" on every command for a package-specific key)', () => {
    expect(existsSync(join(REPO_ROOT, '.npmrc'))).toBe(false);
  });
});
