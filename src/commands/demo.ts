/**
 * `vantage demo`: no key, no GPU, no download. Generates the procedural question set, runs the loop
 * with the built-in pixel perceiver for a fixed number of rounds, prints accuracy by round (0..N) and
 * per category, and writes every trace with its index.html (plus an overview page).
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { VantageError } from '../../core/errors.js';
import { parseSize } from '../scene-input.js';
import { createRenderer } from '../../synth/renderer.js';
import { DEMO_DEFAULTS, SCAN_ORBITS, demoTable, runDemo, type DemoResult } from '../../loop/demo.js';
import { SPATIAL_CATEGORIES, type SpatialCategory } from '../../loop/perceiver-templates.js';
import type { LoopConfigInput } from '../../loop/config.js';

export interface DemoCommandOptions {
  count: number;
  seed: number;
  rounds: number;
  out: string;
  size?: string;
  render?: string;
  holes?: string;
  fusion?: string;
  poseFormat?: string;
  scanFrames: number;
  categories?: string[];
  renderer: 'auto' | 'webgpu' | 'reference';
  json?: boolean;
}

/** Run the demo as the CLI does; returns the result and the text it printed. */
export async function runDemoCommand(
  o: DemoCommandOptions,
  print: (s: string) => void,
  log: (s: string) => void,
): Promise<DemoResult> {
  const size = o.size ? parseSize(o.size) : { width: DEMO_DEFAULTS.width, height: DEMO_DEFAULTS.height };
  const bad = (o.categories ?? []).filter((c) => !(SPATIAL_CATEGORIES as readonly string[]).includes(c));
  if (bad.length)
    throw new VantageError(
      'bad-option',
      `unknown categories: ${bad.join(', ')}`,
      `use ${SPATIAL_CATEGORIES.join(', ')}`,
    );
  const loop: LoopConfigInput = Object.fromEntries(
    Object.entries({
      render: o.render,
      holes: o.holes,
      fusion: o.fusion,
      poseFormat: o.poseFormat,
    }).filter(([, v]) => v !== undefined),
  ) as LoopConfigInput;
  const renderer = await createRenderer({ prefer: o.renderer === 'auto' ? undefined : o.renderer, warn: log });
  const out = resolve(o.out);
  log(
    `vantage demo: ${o.count} questions (seed ${o.seed}), ${o.rounds} fixed view round(s), builtin:perceiver, ${renderer.kind} renderer, ${size.width}×${size.height}, ${o.scanFrames} scan frame(s)`,
  );
  let r: DemoResult;
  try {
    r = await runDemo({
      count: o.count,
      seed: o.seed,
      rounds: o.rounds,
      out,
      renderer,
      width: size.width,
      height: size.height,
      scanFrames: o.scanFrames,
      loop,
      log,
      ...(o.categories?.length ? { categories: o.categories as SpatialCategory[] } : {}),
    });
  } finally {
    renderer.dispose();
  }
  if (o.json) {
    print(
      JSON.stringify(
        {
          model: r.modelLabel,
          renderer: r.renderer,
          accuracyByRound: r.accuracyByRound,
          byCategory: r.byCategory,
          questions: r.traces.map((t) => ({
            id: t.id,
            category: t.category,
            answer: t.answer,
            choices: t.choices,
            trace: t.indexHtml,
          })),
          index: r.indexHtml,
          ms: r.ms,
        },
        null,
        2,
      ),
    );
  } else {
    print(
      [
        `model: ${r.modelLabel}`,
        `accuracy after k view rounds (0 = the original image alone):`,
        demoTable(r),
        `traces: ${out}`,
        `index: ${r.indexHtml}`,
        `time: ${(r.ms / 1000).toFixed(1)} s (${r.renderer} renderer)`,
      ].join('\n'),
    );
  }
  return r;
}

const int = (v: string) => Number.parseInt(v, 10);

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description(
      'answer a procedural spatial question set with the built-in pixel perceiver (no key, GPU or download) and print accuracy by round',
    )
    .option('--count <n>', 'questions (categories balanced)', int, DEMO_DEFAULTS.count)
    .option('--seed <n>', 'question set seed (same seed, same questions)', int, DEMO_DEFAULTS.seed)
    .option(
      '--rounds <n>',
      'view rounds after round 0 (fixed, so accuracy after every k is exact)',
      int,
      DEMO_DEFAULTS.rounds,
    )
    .option('--out <dir>', 'where the traces and the overview index.html go', 'vantage-out/demo')
    .option(
      '--size <WxH>',
      `size of the photos and the rendered views (default ${DEMO_DEFAULTS.width}x${DEMO_DEFAULTS.height})`,
    )
    .option('--render <mode>', `points | gaussians (default ${DEMO_DEFAULTS.render})`)
    .option('--holes <how>', 'mark (magenta) | fill | none (default mark)')
    .option('--fusion <policy>', 'loglinear | vote | last (default loglinear)')
    .option('--pose-format <fmt>', 'orbit | ego | preset | language (the perceiver answers language with orbits)')
    .option(
      '--scan-frames <n>',
      `RGB-D scan frames lifted with the photo, 0..${SCAN_ORBITS.length} (0: the photo alone, so nothing hidden in it can appear)`,
      int,
      DEMO_DEFAULTS.scanFrames,
    )
    .option('--categories <names...>', `only these: ${SPATIAL_CATEGORIES.join(', ')}`)
    .option('--renderer <which>', 'auto (WebGPU, else the reference renderer) | webgpu | reference', 'auto')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
The model is builtin:perceiver, a deterministic pixel perceiver (not an LLM): it sees only the pixels
and rendered depth of the views it is given, never the scenes' ground truth.`,
    )
    .action(async (opts) => {
      await runDemoCommand(
        {
          count: opts.count,
          seed: opts.seed,
          rounds: opts.rounds,
          out: opts.out,
          size: opts.size,
          render: opts.render,
          holes: opts.holes,
          fusion: opts.fusion,
          poseFormat: opts.poseFormat,
          scanFrames: opts.scanFrames,
          categories: opts.categories,
          renderer: opts.renderer,
          json: opts.json,
        },
        (s) => process.stdout.write(`${s}\n`),
        (s) => process.stderr.write(`${s}\n`),
      );
    });
}
