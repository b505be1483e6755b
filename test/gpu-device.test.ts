/**
 * The GPU device owner (synth/device.ts): a device a caller lends to renderers stays theirs, the
 * library renders every call on the process's one device, and waiting for the GPU does not spin
 * the event loop (synth/gpu-wait.ts). Skipped where WebGPU has no adapter.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { openGpu, sharedGpu } from '../synth/device.js';
import { createRenderer, defaultRenderer } from '../synth/renderer.js';
import { renderView } from '../src/api.js';
import { camera, randomScene, sceneOf } from './render-scenes.js';

const gpu = await openGpu().catch(() => undefined);
afterAll(() => gpu?.destroy());
const options = { mode: 'gaussians', width: 64, height: 48, holes: 'none' } as const;
const dot = sceneOf([{ pos: [0, 0, 2], color: [1, 0, 0], scale: 0.2 }]);

describe.skipIf(!gpu && !process.env.VANTAGE_REQUIRE_GPU)('a lent GPU device', () => {
  it('is borrowed: disposing a renderer leaves the device to its owner', async () => {
    const a = await createRenderer({ gpu: gpu! });
    const b = await createRenderer({ gpu: gpu! });
    expect(a.kind).toBe('webgpu');
    const before = await a.render(dot, camera(64, 48), options);
    a.dispose();
    const after = await b.render(dot, camera(64, 48), options);
    expect(Buffer.from(after.rgba).equals(Buffer.from(before.rgba))).toBe(true);
    expect(gpu!.lost).toBe(false);
    b.dispose();
    // still the owner's: usable after both renderers are gone
    await expect(gpu!.runChecked('a no-op', () => gpu!.device.queue.onSubmittedWorkDone())).resolves.toBeUndefined();
  });

  it('renders in parallel on one device with the same pixels', async () => {
    const one = await createRenderer({ gpu: gpu! });
    const pool = await createRenderer({ gpu: gpu!, parallel: 3 });
    const scene = randomScene(2000);
    const cams = [0, 1, 2, 3].map(() => camera(64, 48));
    const alone = await one.render(scene, cams[0], options);
    const together = await Promise.all(cams.map((c) => pool.render(scene, c, options)));
    for (const v of together) expect(Buffer.from(v.rgba).equals(Buffer.from(alone.rgba))).toBe(true);
    await pool.prepare!(randomScene(10));
    pool.dispose();
    one.dispose();
    expect(gpu!.lost).toBe(false);
  });

  it('the library renders every call on one device and one set of pipelines', async () => {
    const first = await sharedGpu();
    expect(await sharedGpu()).toBe(first);
    expect(await defaultRenderer()).toBe(await defaultRenderer());
    const views = await Promise.all([0, 20, 40].map((az) => renderView(dot, { mode: 'orbit', azimuth_deg: az })));
    expect(views.map((v) => v.renderer)).toEqual(['webgpu', 'webgpu', 'webgpu']);
    expect(await sharedGpu()).toBe(first);
  });

  it('waits for a frame without re-arming setImmediate continuously', async () => {
    const r = await createRenderer({ gpu: gpu! });
    const scene = randomScene(100_000);
    await r.render(scene, camera(256, 256), { ...options, width: 256, height: 256 }); // warm-up
    // Count Dawn's polls (native callbacks) passing through the global setImmediate during frames.
    const patched = globalThis.setImmediate;
    let polls = 0;
    globalThis.setImmediate = ((fn: () => void, ...a: unknown[]) => {
      if (Function.prototype.toString.call(fn).endsWith('{ [native code] }')) polls++;
      return (patched as (...x: unknown[]) => NodeJS.Immediate)(fn, ...a);
    }) as typeof setImmediate;
    const t0 = performance.now();
    try {
      for (let i = 0; i < 3; i++) await r.render(scene, camera(256, 256), { ...options, width: 256, height: 256 });
    } finally {
      globalThis.setImmediate = patched;
    }
    const ms = performance.now() - t0;
    r.dispose();
    // Spinning re-arms ~50 times a millisecond on lavapipe; a timer poll about once.
    expect(polls / ms).toBeLessThan(10);
  });
});
