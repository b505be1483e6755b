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
    // 3 orbits + the held-out pose seen from 1 frame and from 2, per scene
    expect(novel.length).toBe(10);
    for (const g of novel) {
      const p = report.rows.find((r) => r.scene === g.scene && r.pose === g.pose && r.mode === 'points')!;
      expect(g.psnr, `${g.scene} ${g.pose}\n${md}`).toBeGreaterThan(p.psnr);
      expect(g.coverage).toBeGreaterThan(0.4);
      expect(g.coverage).toBeLessThan(1);
    }
    // disocclusions grow with the orbit angle
    const cov = (scene: string, pose: string) => novel.find((r) => r.scene === scene && r.pose === pose)!.coverage;
    expect(cov('room', 'orbit 15°')).toBeGreaterThan(cov('room', 'orbit 60°'));
    // a second input frame beyond the held-out pose fills what the first could not see, and sharpens
    for (const scene of ['tabletop', 'room']) {
      const one = novel.find((r) => r.scene === `${scene}, 1 frame`)!;
      const two = novel.find((r) => r.scene.startsWith(`${scene}, + orbit`))!;
      expect(two.pose).toBe(one.pose);
      expect(two.coverage).toBeGreaterThan(one.coverage + 0.05);
      expect(two.psnr, md).toBeGreaterThan(one.psnr + 2);
    }
    expect(report.skipped.join(' ')).toMatch(/skipped/);
  }, 180_000);
});

describeShared('nvs-eval on the real Open3D frames', () => {
  it('lift frame 0, then one frame more per row, render at frame 4: fusion adds PSNR and coverage (goals, with margin)', async () => {
    const report = await runNvsEval(renderer, { sharedData: SHARED });
    const md = nvsReportMarkdown(report);
    const row = (scene: string, mode: string) => report.rows.find((r) => r.scene === scene && r.mode === mode)!;
    const single = row('open3d frame 0', 'gaussians');
    const fused = row('open3d frames 0-3', 'gaussians');
    const stacked = row('open3d frames 0-3 stacked', 'gaussians');
    // the bench measures +1.0 dB (merge) and +2.9 to +3.3 dB (gaussians over points); tests keep a margin
    expect(fused.psnr - single.psnr, md).toBeGreaterThan(0.7);
    expect(fused.psnr, md).toBeGreaterThan(stacked.psnr + 0.7);
    expect(fused.coverage).toBeGreaterThanOrEqual(single.coverage);
    expect(single.psnr - row('open3d frame 0', 'points').psnr, md).toBeGreaterThan(2.5);
    // each frame added helps
    const steps = ['open3d frame 0', 'open3d frames 0-1', 'open3d frames 0-2', 'open3d frames 0-3'];
    for (let i = 1; i < steps.length; i++) {
      expect(row(steps[i], 'gaussians').psnr, md).toBeGreaterThan(row(steps[i - 1], 'gaussians').psnr);
    }
  }, 240_000);
});
