/**
 * Fusing frames with known poses (synth/fuse.ts) and photometric refinement (synth/refine.ts).
 * Figures are compared with tolerances, never byte for byte.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Intrinsics, Renderer, RgbdFrame } from '../core/types.js';
import { translation } from '../core/camera.js';
import { liftFrame, liftToScene } from '../synth/lift.js';
import { fuseFrames } from '../synth/fuse.js';
import { refineColours } from '../synth/refine.js';
import { createRenderer } from '../synth/renderer.js';
import { generateScene } from '../fixtures/scenes.js';
import { fixtureFrame } from '../fixtures/raycast.js';
import { isVantageError } from '../core/errors.js';

const W = 48,
  H = 36;
const K: Intrinsics = { fx: 60, fy: 60, cx: W / 2, cy: H / 2, width: W, height: H };

/** A textured wall at z = 2 in world, seen by a camera at x = dx (colour from the world x, so views agree). */
function wall(dx: number, gain = 1): RgbdFrame {
  const rgb = new Uint8Array(W * H * 3);
  const depth = new Float32Array(W * H).fill(2);
  for (let v = 0; v < H; v++) {
    for (let u = 0; u < W; u++) {
      const x = ((u + 0.5 - K.cx) / K.fx) * 2 + dx;
      const i = v * W + u;
      rgb[3 * i] = Math.round((100 + 60 * Math.sin(x * 3)) * gain);
      rgb[3 * i + 1] = Math.round(120 * gain);
      rgb[3 * i + 2] = Math.round((90 + 40 * Math.cos(v / 5)) * gain);
    }
  }
  return { width: W, height: H, rgb, depth, intrinsics: K, c2w: translation([dx, 0, 0]), units: 'metres' };
}

describe('fusing frames with known poses', () => {
  it('merge keeps one surfel per surface seen again; stack keeps every frame’s; new surface is added', () => {
    const frames = [wall(0), wall(0.2)];
    const lifted = frames.map((f) => liftFrame(f, { depth: 'measured' }));
    const stacked = fuseFrames(frames, lifted, { policy: 'stack' });
    const merged = fuseFrames(frames, lifted, { policy: 'merge' });
    expect(stacked.count).toBe(2 * W * H);
    // frame 1 sees 0.2 m more wall on the right: at z = 2, fx = 60, that is 6 columns it alone has
    expect(merged.stats.perFrame[0]).toBe(W * H);
    expect(merged.stats.perFrame[1]).toBeGreaterThanOrEqual(5 * H);
    expect(merged.stats.perFrame[1]).toBeLessThanOrEqual(7 * H);
    expect(merged.count).toBe(merged.stats.perFrame[0] + merged.stats.perFrame[1]);
    expect(merged.stats.merged).toBe(2 * W * H - merged.count);
    // blended colours stay those of the wall (same texture in world space): mean abs error < 3/255
    let err = 0;
    for (let i = 0; i < W * H * 3; i++) err += Math.abs(merged.colors[i] - lifted[0].colors[i]);
    expect(err / (W * H * 3)).toBeLessThan(3 / 255);
  });

  it('exposure alignment divides out a frame’s gain against frame 0', () => {
    const frames = [wall(0), wall(0, 0.8)];
    const lifted = frames.map((f) => liftFrame(f, { depth: 'measured' }));
    const plain = fuseFrames(frames, lifted, {});
    const aligned = fuseFrames(frames, lifted, { exposure: true });
    for (const g of aligned.stats.gains[1]) expect(g).toBeCloseTo(0.8, 1);
    const mean = (c: Float32Array) => c.reduce((a, b) => a + b, 0) / c.length;
    const ref = mean(lifted[0].colors);
    expect(Math.abs(mean(aligned.colors) - ref)).toBeLessThan(0.01);
    expect(Math.abs(mean(plain.colors) - ref)).toBeGreaterThan(0.03);
  });

  it('liftToScene records the fusion in the scene notes (and so the trace)', () => {
    const scene = liftToScene([wall(0), wall(0.2)], { depth: 'measured' });
    expect(scene.notes.join('\n')).toMatch(/fusion: merge \(surfels per frame \d+ \+ \d+; \d+ seen again merged/);
    const stacked = liftToScene([wall(0), wall(0.2)], { fusion: 'stack' });
    expect(stacked.notes.join('\n')).toMatch(/fusion: stack/);
    expect(liftToScene([wall(0)]).notes.join('\n')).not.toMatch(/fusion:/);
  });
});

describe('photometric refinement', () => {
  let renderer: Renderer;
  beforeAll(async () => {
    renderer = await createRenderer({ warn: () => {} });
  });
  afterAll(() => renderer?.dispose());

  it('fits the colours to the input photo: its PSNR rises; the scene is a new object with a note', async () => {
    const frame = fixtureFrame(generateScene('tabletop'), 160, 120);
    const scene = liftToScene([frame], { depth: 'measured' });
    const res = await refineColours(scene, [frame], renderer, { iterations: 2 });
    expect(res.iterations).toBe(2);
    expect(res.psnrAfter).toBeGreaterThan(res.psnrBefore + 0.2);
    expect(res.scene).not.toBe(scene);
    expect(res.scene.positions).toBe(scene.positions);
    expect(res.scene.notes.at(-1)).toMatch(/photometric refinement: 2 steps/);
  }, 60_000);

  it('rejects a bad step count with a VantageError; 0 steps leaves the scene as lifted', async () => {
    const frame = fixtureFrame(generateScene('tabletop'), 64, 48);
    const scene = liftToScene([frame], { depth: 'measured' });
    await expect(refineColours(scene, [frame], renderer, { iterations: -1 })).rejects.toSatisfy(isVantageError);
    await expect(refineColours(scene, [frame], renderer, { iterations: 1.5 })).rejects.toThrow(/integer/);
    const res = await refineColours(scene, [frame], renderer, { iterations: 0 });
    expect(res.iterations).toBe(0);
    expect(Array.from(res.scene.colors)).toEqual(Array.from(scene.colors));
  });
});
