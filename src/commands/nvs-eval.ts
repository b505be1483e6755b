/** `vantage nvs-eval`: view-synthesis fidelity on procedural scenes and the real Open3D frames. */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { RENDERER_CHOICE_HELP, createRenderer, parseRendererChoice } from '../../synth/renderer.js';
import { nvsReportMarkdown, runNvsEval } from '../../synth/nvs-eval.js';
import { DEFAULT_NVS_FIXTURES, fixtureNvsCases } from '../../fixtures/nvs-cases.js';
import type { RenderMode } from '../../core/types.js';
import { VantageError } from '../../core/errors.js';

function defaultSharedData(): string | undefined {
  const env = process.env.VANTAGE_SHARED_DATA;
  if (env) return env;
  const beside = resolve(process.cwd(), '..', 'shared', 'data');
  return existsSync(join(beside, 'README.md')) ? beside : undefined;
}

export function registerNvsEvalCommand(program: Command): void {
  program
    .command('nvs-eval')
    .description(
      'measure novel-view fidelity (PSNR, coverage) of points vs gaussians on procedural scenes and real RGB-D frames',
    )
    .option('--fixtures <list>', 'procedural scenes: names or seeds, comma-separated', DEFAULT_NVS_FIXTURES.join(','))
    .option('--modes <list>', 'render modes, comma-separated', 'points,gaussians')
    .option('--shared-data <dir>', 'folder holding rgbd/open3d (default: ../shared/data or $VANTAGE_SHARED_DATA)')
    .option('--renderer <which>', RENDERER_CHOICE_HELP, 'auto')
    .option(
      '--refine <n>',
      'also measure n steps of photometric refinement on the real frames (adds rows; default 0)',
      (v: string) => {
        const n = Number(v);
        if (!(Number.isInteger(n) && n >= 0 && n <= 50)) {
          throw new VantageError(
            'bad-option',
            `--refine must be an integer from 0 to 50, got "${v}"`,
            'e.g. --refine 3',
          );
        }
        return n;
      },
      0,
    )
    .option('--json', 'print JSON instead of a Markdown table')
    .action(async (opts) => {
      const renderer = await createRenderer({
        prefer: parseRendererChoice(opts.renderer),
        warn: (s) => process.stderr.write(s + '\n'),
      });
      try {
        const report = await runNvsEval(renderer, {
          cases: fixtureNvsCases(
            String(opts.fixtures)
              .split(',')
              .filter((s: string) => s.trim())
              .map((s: string) => (/^\d+$/.test(s.trim()) ? Number(s) : s.trim())),
          ),
          modes: String(opts.modes)
            .split(',')
            .map((s: string) => s.trim()) as RenderMode[],
          sharedData: opts.sharedData ?? defaultSharedData(),
          refine: opts.refine,
          log: (s) => process.stderr.write(s + '\n'),
        });
        if (opts.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
        else process.stdout.write(`renderer: ${report.renderer}\n\n${nvsReportMarkdown(report)}\n`);
      } finally {
        renderer.dispose();
      }
    });
}
