/**
 * The stage table (synth/gpu-stages.ts) against shaders/ on the CPU, no GPU needed: every `@binding`
 * a shader declares has the name and number the table gives it, every shader file is a stage, and
 * the block sizes the host code assumes (GPU_KERNELS) are the ones the shaders compute with.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { STAGES, bindingEntries, type StageSpec } from '../synth/gpu-stages.js';
import { GPU_KERNELS } from '../synth/config.js';
import { shaderSource, shadersDir } from '../synth/shaders.js';

const dir = shadersDir();
const stages: [string, StageSpec][] = Object.entries(STAGES);

/** binding number → variable name of every `@group(0) @binding(n) var<…> name` in a WGSL source. */
function declaredBindings(wgsl: string): Map<number, string> {
  const out = new Map<number, string>();
  const code = wgsl.replace(/\/\/.*$/gm, '');
  for (const m of code.matchAll(/@group\((\d+)\)\s*@binding\((\d+)\)\s*var(?:<[^>]*>)?\s+(\w+)/g)) {
    expect(m[1], `${m[3]}: only bind group 0 is used`).toBe('0');
    const n = Number(m[2]);
    expect(out.has(n), `binding ${n} declared twice`).toBe(false);
    out.set(n, m[3]);
  }
  return out;
}

/** A `const NAME: u32 = Nu;` of a WGSL source. */
function wgslConst(file: string, name: string): number {
  const m = readFileSync(join(dir, `${file}.wgsl`), 'utf8').match(new RegExp(`const ${name}: u32 = (\\d+)u;`));
  if (!m) throw new Error(`shaders/${file}.wgsl has no const ${name}`);
  return Number(m[1]);
}

describe('the WGSL stage table', () => {
  it('names every @binding of every stage as its shader declares it', () => {
    for (const [name, stage] of stages) {
      for (const file of [stage.file, ...(stage.subgroupFile ? [stage.subgroupFile] : [])]) {
        const declared = declaredBindings(shaderSource(file, dir, stage.common));
        // a stage may bind a prefix of what its file declares (points.wgsl: depthPass leaves out ibuf)
        stage.bindings.forEach((b, i) => expect(declared.get(i), `${name} binding ${i} in ${file}.wgsl`).toBe(b));
        const used = stages.filter(([, s]) => s.file === file || s.subgroupFile === file);
        const widest = Math.max(...used.map(([, s]) => s.bindings.length));
        expect(declared.size, `${file}.wgsl declares bindings no stage binds`).toBe(widest);
      }
    }
  });

  it('has a stage for every shader file (common.wgsl is prepended, not a stage)', () => {
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('.wgsl'))
      .map((f) => f.slice(0, -5));
    const staged = new Set(stages.flatMap(([, s]) => [s.file, s.subgroupFile].filter(Boolean)));
    expect(files.filter((f) => f !== 'common' && !staged.has(f))).toEqual([]);
    expect(declaredBindings(readFileSync(join(dir, 'common.wgsl'), 'utf8'))).toEqual(new Map([[0, 'frame']]));
  });

  it('sets only override constants the shader declares', () => {
    for (const [name, stage] of stages) {
      const src = shaderSource(stage.file, dir, stage.common);
      for (const c of Object.keys(stage.constants)) expect(src, `${name}: override ${c}`).toMatch(`override ${c}:`);
    }
  });

  it('uses the block sizes of the scan and sort shaders', () => {
    for (const f of ['scan_blocks', 'scan_add'])
      expect(wgslConst(f, 'WG') * wgslConst(f, 'ITEMS')).toBe(GPU_KERNELS.scanBlock);
    for (const f of ['radix_histogram', 'radix_scatter']) {
      expect(wgslConst(f, 'WG') * wgslConst(f, 'ITEMS')).toBe(GPU_KERNELS.sortBlock);
      expect(wgslConst(f, 'RADIX')).toBe(2 ** GPU_KERNELS.radixBits);
    }
  });

  it('binds resources by name in binding order', () => {
    expect(bindingEntries('scanAdd', { sums: 's', params: 'p', data: 'd' })).toEqual([
      [0, 'p'],
      [1, 'd'],
      [2, 's'],
    ]);
  });
});
