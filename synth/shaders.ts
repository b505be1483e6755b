/**
 * Loads the WGSL stages from the package's `shaders/` folder. Sources run from `synth/` (vitest,
 * tsx) and the build runs from `dist/synth/`, so the folder is found by walking up from this module
 * to the first directory holding both `shaders/` and `package.json`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { VantageError } from '../core/errors.js';

/** The folder holding the package's WGSL files. */
export function shadersDir(from: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (;;) {
    if (existsSync(join(dir, 'shaders')) && existsSync(join(dir, 'package.json'))) return join(dir, 'shaders');
    const up = dirname(dir);
    if (up === dir) {
      throw new VantageError(
        'shaders-missing',
        `no shaders/ folder beside a package.json above ${from}`,
        'reinstall the package: its shaders/ folder ships next to dist/',
      );
    }
    dir = up;
  }
}

/**
 * WGSL source of a stage: `<name>.wgsl`, preceded by `common.wgsl` (struct Frame, its binding 0 and
 * helpers) for the stages that read the frame.
 */
export function shaderSource(name: string, dir: string = shadersDir(), withCommon = true): string {
  const stage = readFileSync(join(dir, `${name}.wgsl`), 'utf8');
  if (!withCommon) return stage;
  // WGSL directives (enable, diagnostic, requires) must precede every declaration: hoist them.
  const lines = stage.split('\n');
  const isDirective = (l: string) => /^\s*(enable|diagnostic|requires)\b/.test(l);
  return [
    ...lines.filter(isDirective),
    readFileSync(join(dir, 'common.wgsl'), 'utf8'),
    ...lines.filter((l) => !isDirective(l)),
  ].join('\n');
}
