/** Renders in parallel: pooledRenderer sends each render to the least busy renderer, the same scene where it can. */
import { describe, expect, it } from 'vitest';
import type { RenderedView, Renderer, Scene } from '../core/types.js';
import { createRenderer, pooledRenderer } from '../synth/renderer.js';
import { camera, sceneOf } from './render-scenes.js';

/** A renderer that records which scenes it was given and answers when released. */
function gated(name: string, log: string[]): Renderer & { release(): void } {
  const waiting: (() => void)[] = [];
  return {
    kind: 'reference',
    render: (scene) =>
      new Promise<RenderedView>((res) => {
        log.push(`${name}:${scene.notes[0]}`);
        waiting.push(() => res({ renderer: 'reference' } as RenderedView));
      }),
    prepare: async (scene) => void log.push(`${name} prepares ${scene.notes[0]}`),
    dispose: () => log.push(`${name} disposed`),
    release: () => waiting.splice(0).forEach((f) => f()),
  };
}

const named = (n: string): Scene => ({ ...sceneOf([]), notes: [n] });

describe('pooledRenderer', () => {
  it('keeps renders in flight on every renderer, least busy first, and the scene where it was', async () => {
    const log: string[] = [];
    const [a, b] = [gated('a', log), gated('b', log)];
    const pool = pooledRenderer([a, b]);
    const cam = camera(8, 8);
    const opts = { mode: 'gaussians', width: 8, height: 8, holes: 'none' } as const;
    const s1 = named('s1');
    const s2 = named('s2');
    const r1 = pool.render(s1, cam, opts);
    const r2 = pool.render(s2, cam, opts);
    expect(log).toEqual(['a:s1', 'b:s2']); // both in flight at once
    a.release();
    b.release();
    await Promise.all([r1, r2]);
    const r3 = pool.render(s2, cam, opts); // both idle: b holds s2
    expect(log[2]).toBe('b:s2');
    b.release();
    await r3;
    await pool.prepare!(s1);
    expect(log[3]).toBe('a prepares s1');
    pool.dispose();
    expect(log.slice(-2)).toEqual(['a disposed', 'b disposed']);
  });

  it('refuses a nonsensical number of parallel renders', async () => {
    await expect(
      createRenderer({ parallel: 0, openDevice: async () => Promise.reject(new Error('unused')) }),
    ).rejects.toThrow(/1\.\.64/);
  });
});
