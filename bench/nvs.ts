/** nvs-eval figures for BENCHMARKS.md: PSNR and coverage of points vs gaussians. */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRenderer } from '../synth/renderer.js';
import { nvsReportMarkdown, runNvsEval } from '../synth/nvs-eval.js';
import { fixtureNvsCases } from '../fixtures/nvs-cases.js';
import type { BenchFigure } from './run.js';

export async function benchNvs(): Promise<{ figures: BenchFigure[]; markdown: string }> {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const shared = process.env.VANTAGE_SHARED_DATA ?? resolve(root, '..', 'shared', 'data');
  const renderer = await createRenderer({ warn: (s) => process.stderr.write(s + '\n') });
  try {
    const report = await runNvsEval(renderer, {
      cases: fixtureNvsCases(),
      sharedData: existsSync(join(shared, 'README.md')) ? shared : undefined,
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
    return {
      figures,
      markdown: `Renderer: ${report.renderer}; views rendered with holes filled (push-pull).\n\n${nvsReportMarkdown(report)}`,
    };
  } finally {
    renderer.dispose();
  }
}
