/**
 * View-synthesis fidelity targets (issue: Scene synthesis, "Fidelity, measured"): ≥ 30 dB at the
 * input pose, and gaussians beating points at every novel pose; real frames render at frame 4's pose.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Renderer } from '../core/types.js';
import { createRenderer } from '../synth/renderer.js';
import { coVisibleMask, runNvsEval, nvsReportMarkdown } from '../synth/nvs-eval.js';
import { generateScene } from '../fixtures/scenes.js';
import { fixtureFrame, raycast } from '../fixtures/raycast.js';
import { fixtureNvsCases } from '../fixtures/nvs-cases.js';
import { SHARED, describeShared } from './support/shared-data.js';

let renderer: Renderer;
beforeAll(async () => {
  renderer = await createRenderer({ warn: () => {} });
});
afterAll(() => renderer?.dispose());

describe('nvs-eval on procedural scenes', () => {
  it('co-visibility: at the input pose every pixel with depth is co-visible', () => {
    const f = generateScene('room');
    const frame = fixtureFrame(f);
    const gt = raycast(f, f.reference);
    const mask = coVisibleMask(gt.depth, f.reference, frame);
    const withDepth = frame.depth.reduce((n, z) => n + (z > 0 ? 1 : 0), 0);
    expect(mask.reduce((a, b) => a + b, 0)).toBe(withDepth);
  });

  it('≥ 30 dB at the input pose and gaussians beat points at every novel pose', async () => {
    const report = await runNvsEval(renderer, { cases: fixtureNvsCases(['tabletop', 'room']) });
    const md = nvsReportMarkdown(report);
    for (const row of report.rows.filter((r) => r.pose === 'input')) {
      expect(row.psnr, `${row.scene} ${row.mode} at the input pose\n${md}`).toBeGreaterThanOrEqual(30);
    }
    const novel = report.rows.filter((r) => r.pose !== 'input' && r.mode === 'gaussians');
    expect(novel.length).toBe(6);
    for (const g of novel) {
      const p = report.rows.find((r) => r.scene === g.scene && r.pose === g.pose && r.mode === 'points')!;
      expect(g.psnr, `${g.scene} ${g.pose}\n${md}`).toBeGreaterThan(p.psnr);
      expect(g.coverage).toBeGreaterThan(0.4);
      expect(g.coverage).toBeLessThan(1);
    }
    // disocclusions grow with the orbit angle
    const cov = (scene: string, pose: string) => novel.find((r) => r.scene === scene && r.pose === pose)!.coverage;
    expect(cov('room', 'orbit 15°')).toBeGreaterThan(cov('room', 'orbit 60°'));
    expect(report.skipped.join(' ')).toMatch(/skipped/);
  }, 180_000);
});

describeShared('nvs-eval on the real Open3D frames', () => {
  it('lift frame 0 (and 0–3 fused), render at frame 4: plausible PSNR, fusion adds coverage', async () => {
    const report = await runNvsEval(renderer, { modes: ['gaussians'], sharedData: SHARED });
    const single = report.rows.find((r) => r.scene === 'open3d frame 0')!;
    const fused = report.rows.find((r) => r.scene === 'open3d frames 0-3')!;
    expect(single.psnr).toBeGreaterThan(26);
    expect(fused.psnr).toBeGreaterThan(26);
    expect(single.coverage).toBeGreaterThan(0.8);
    expect(fused.coverage).toBeGreaterThan(single.coverage);
  }, 180_000);
});
