/** createRenderer: WebGPU when there is an adapter, else the reference renderer with one warning. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { NoGpuError } from '../core/errors.js';
import { createRenderer, parseRendererChoice } from '../synth/renderer.js';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { shadersDir } from '../synth/shaders.js';
import { camera, sceneOf } from './render-scenes.js';

const noAdapter = async (): Promise<never> => {
  throw new NoGpuError(
    'no-gpu-adapter',
    'WebGPU found no GPU adapter',
    'install Mesa >= 23 lavapipe (mesa-vulkan-drivers)',
  );
};

afterEach(() => vi.restoreAllMocks());

describe('createRenderer', () => {
  it('falls back to the reference renderer with exactly one warning when there is no adapter', async () => {
    const warnings: string[] = [];
    const r = await createRenderer({ openDevice: noAdapter, warn: (l) => warnings.push(l) });
    expect(r.kind).toBe('reference');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/reference renderer/);
    expect(warnings[0]).toMatch(/no GPU adapter/);
    expect(warnings[0]).toMatch(/lavapipe/);
    expect(warnings[0]).not.toMatch(/\n/);
    const view = await r.render(sceneOf([{ pos: [0, 0, 2], color: [1, 0, 0], scale: 0.05 }]), camera(32, 24), {
      mode: 'gaussians',
      width: 32,
      height: 24,
      holes: 'mark',
    });
    expect(view.renderer).toBe('reference');
    expect(warnings).toHaveLength(1);
    r.dispose();
  });

  it('also falls back when the WebGPU binding cannot load', async () => {
    const warnings: string[] = [];
    const r = await createRenderer({
      openDevice: async () => {
        throw new NoGpuError('webgpu-unavailable', 'the WebGPU binding did not load');
      },
      warn: (l) => warnings.push(l),
    });
    expect(r.kind).toBe('reference');
    expect(warnings).toHaveLength(1);
  });

  it('writes the warning to stderr by default', async () => {
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    await createRenderer({ openDevice: noAdapter });
    expect(write).toHaveBeenCalledTimes(1);
    expect(String(write.mock.calls[0][0])).toMatch(/reference renderer.*\n$/);
  });

  it("uses the reference renderer silently when asked to (prefer: 'reference')", async () => {
    const warn = vi.fn();
    const openDevice = vi.fn(noAdapter);
    const r = await createRenderer({ prefer: 'reference', warn, openDevice });
    expect(r.kind).toBe('reference');
    expect(warn).not.toHaveBeenCalled();
    expect(openDevice).not.toHaveBeenCalled();
  });

  it("fails instead of falling back when WebGPU is required ('webgpu')", async () => {
    const warn = vi.fn();
    await expect(createRenderer({ prefer: 'webgpu', openDevice: noAdapter, warn })).rejects.toMatchObject({
      code: 'no-gpu-adapter',
    });
    expect(warn).not.toHaveBeenCalled();
  });

  it('reads a renderer choice or names the choices', () => {
    expect(parseRendererChoice(undefined)).toBe('auto');
    expect(parseRendererChoice('reference')).toBe('reference');
    expect(() => parseRendererChoice('gpu')).toThrow(/auto, webgpu, reference.*"gpu"/);
  });

  it('does not hide other failures behind the fallback', async () => {
    const warn = vi.fn();
    await expect(
      createRenderer({
        openDevice: async () => {
          throw new Error('bug');
        },
        warn,
      }),
    ).rejects.toThrow('bug');
    expect(warn).not.toHaveBeenCalled();
  });
});

describe('shadersDir', () => {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  it('finds shaders/ beside package.json from the sources and from the built dist/synth', () => {
    expect(shadersDir()).toBe(join(root, 'shaders'));
    expect(shadersDir(join(root, 'dist', 'synth'))).toBe(join(root, 'shaders'));
    expect(existsSync(join(shadersDir(), 'rasterize.wgsl'))).toBe(true);
  });

  it('says where it looked when there is none', () => {
    expect(() => shadersDir('/')).toThrow(/no shaders\/ folder/);
  });
});
