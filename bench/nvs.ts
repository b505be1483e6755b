/** nvs-eval figures for BENCHMARKS.md: PSNR and coverage of points vs gaussians. */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRenderer } from '../synth/renderer.js';
import { nvsReportMarkdown, runNvsEval, type NvsRow } from '../synth/nvs-eval.js';
import { fixtureNvsCases } from '../fixtures/nvs-cases.js';
import type { BenchFigure } from './run.js';

/** Refinement steps measured on the Open3D lifts (adds rows; off in the loop by default). */
const BENCH_REFINE = 3;

/** The figures issue 16's goals are judged by (fusion, gaussians vs points, refinement). */
function goalFigures(rows: NvsRow[]): BenchFigure[] {
  const out: BenchFigure[] = [];
  const at = (scene: string, mode: string, pose?: string) =>
    rows.find((r) => r.scene === scene && r.mode === mode && (pose === undefined || r.pose === pose));
  const one = at('open3d frame 0', 'gaussians');
  const onePts = at('open3d frame 0', 'points');
  const fused = at('open3d frames 0-3', 'gaussians');
  const stacked = at('open3d frames 0-3 stacked', 'gaussians');
  if (one && onePts)
    out.push({
      name: 'Open3D frame 0 → frame 4: gaussians − points',
      value: one.psnr - onePts.psnr,
      unit: 'dB',
      note: `target ≥ 3 dB; ${one.psnr.toFixed(2)} vs ${onePts.psnr.toFixed(2)} dB`,
    });
  if (one && fused && stacked)
    out.push({
      name: 'Open3D frames 0–3 (merge) − frame 0 alone, at frame 4 (gaussians)',
      value: fused.psnr - one.psnr,
      unit: 'dB',
      note: `target ≥ 1 dB at ≥ coverage; coverage ${(one.coverage * 100).toFixed(1)}% → ${(fused.coverage * 100).toFixed(1)}%; stacked (before fusion): ${(stacked.psnr - one.psnr).toFixed(2)} dB`,
    });
  const orbit = rows.filter((r) => r.pose === 'orbit 30°' && r.mode === 'gaussians');
  const gaps = orbit.map((g) => ({ scene: g.scene, gap: g.psnr - (at(g.scene, 'points', g.pose)?.psnr ?? NaN) }));
  if (gaps.length)
    out.push({
      name: 'orbit 30°: gaussians − points, worst procedural scene',
      value: Math.min(...gaps.map((g) => g.gap)),
      unit: 'dB',
      note: `target ≥ 1.5 dB on every scene; ${gaps.map((g) => `${g.scene} ${g.gap.toFixed(2)}`).join(', ')}`,
    });
  for (const r of rows.filter((x) => x.mode === 'gaussians' && /refine/.test(x.scene))) {
    const base = at(r.scene.replace(/, refine.*$/, ''), 'gaussians');
    const ms = /\((\d+) ms\)/.exec(r.scene)?.[1];
    if (base)
      out.push({
        name: `${r.scene.replace(/ \(\d+ ms\)/, '')}: gain at frame 4 (gaussians)`,
        value: r.psnr - base.psnr,
        unit: 'dB',
        note: `refinement took ${ms} ms on this renderer`,
      });
  }
  return out;
}

export async function benchNvs(): Promise<{ figures: BenchFigure[]; markdown: string }> {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const shared = process.env.VANTAGE_SHARED_DATA ?? resolve(root, '..', 'shared', 'data');
  const renderer = await createRenderer({ warn: (s) => process.stderr.write(s + '\n') });
  try {
    const report = await runNvsEval(renderer, {
      cases: fixtureNvsCases(),
      sharedData: existsSync(join(shared, 'README.md')) ? shared : undefined,
      refine: BENCH_REFINE,
    });
    const figures: BenchFigure[] = [];
    const inputRows = report.rows.filter((r) => r.pose === 'input');
    for (const mode of ['points', 'gaussians'] as const) {
      const rows = inputRows.filter((r) => r.mode === mode);
      if (rows.length)
        figures.push({
          name: `${mode}: worst PSNR at the input pose (procedural)`,
          value: Math.min(...rows.map((r) => r.psnr)),
          unit: 'dB',
          note: 'target ≥ 30 dB',
        });
    }
    const novel = report.rows.filter((r) => r.pose !== 'input');
    const keys = [...new Set(novel.map((r) => `${r.scene}|${r.pose}`))];
    const wins = keys.filter((k) => {
      const g = novel.find((r) => `${r.scene}|${r.pose}` === k && r.mode === 'gaussians');
      const p = novel.find((r) => `${r.scene}|${r.pose}` === k && r.mode === 'points');
      return g && p && g.psnr > p.psnr;
    }).length;
    figures.push({
      name: 'novel poses where gaussians beat points (PSNR)',
      value: wins,
      unit: `of ${keys.length}`,
      note: 'target: all',
    });
    figures.push(...goalFigures(report.rows));
    return {
      figures,
      markdown: `Renderer: ${report.renderer}; views rendered with holes filled (push-pull).\n\n${nvsReportMarkdown(report)}`,
    };
  } finally {
    renderer.dispose();
  }
}
