/**
 * The demo: a procedural question set with ground truth, answered by the built-in pixel perceiver
 * through the full loop (lift → pose → render → answer → fuse). It needs no key, no GPU and no
 * download. The loop runs a FIXED number of rounds so that the accuracy after k rounds is exact for
 * every k (0 = the original image alone); adaptive stop policies can be replayed on the recorded
 * rounds afterwards (replayStopPolicy).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { RgbdFrame, Renderer, Scene } from '../core/types.js';
import { scaleIntrinsics, transformPoint, unprojectPixel } from '../core/camera.js';
import { c2wFromPose, poseContext } from '../core/pose.js';
import { VantageError } from '../core/errors.js';
import { encodePng, rgbaFromRgb } from '../core/io/image.js';
import { generateQuestions, type SpatialQuestion } from '../fixtures/questions.js';
import { fixtureFrame, raycast } from '../fixtures/raycast.js';
import type { FixtureScene } from '../fixtures/scenes.js';
import { liftToScene } from '../synth/lift.js';
import { createReferenceRenderer } from '../synth/reference-renderer.js';
import type { FusionPolicy, LoopConfig, OptionDist, RoundRecord, StopReason, Trace } from './types.js';
import { loopConfigFrom, type LoopConfigInput } from './config.js';
import { PerceiverModel } from './models.js';
import { runLoop } from './run.js';
import { writeTrace } from './trace.js';
import { fusePosterior, letters, roundWeight, topChoice } from './fusion.js';
import { stopDecision } from './stop.js';
import { escapeHtml } from './report.js';

/** The demo's defaults: small renders keep the whole set well under a minute on 2 CPU cores. */
export const DEMO_DEFAULTS = {
  count: 12,
  seed: 7,
  rounds: 3,
  width: 256,
  height: 192,
  render: 'points',
  scanFrames: 2,
} as const;

/**
 * Where the scan frames were taken (orbits about the pivot, like walking round the scene with an
 * RGB-D camera). Deliberately not the poses the perceiver asks for, so its views are novel views
 * with holes, not copies of a scan frame.
 */
export const SCAN_ORBITS: readonly [number, number][] = [
  [120, 25],
  [-120, 25],
  [180, 35],
  [0, 70],
  [60, 45],
  [-60, 45],
];

export interface DemoOptions {
  count?: number;
  seed?: number;
  /** view rounds after round 0 (fixed) */
  rounds?: number;
  /** where the traces go (one folder per question, plus index.html); none = not written */
  out?: string;
  renderer?: Renderer;
  /** size of the original images and of the rendered views */
  width?: number;
  height?: number;
  /**
   * RGB-D scan frames lifted together with the reference photo (0..6, SCAN_ORBITS): the scene then
   * holds what the photo does not show. The model still sees only the reference photo at round 0.
   * 0 = lift the reference photo alone, where nothing hidden in it can ever appear in a view.
   */
  scanFrames?: number;
  /** loop settings besides the fixed stop policy (fusion, pose format, render mode, holes …) */
  loop?: LoopConfigInput;
  categories?: SpatialQuestion['category'][];
  /** progress lines (stderr in the CLI) */
  log?: (line: string) => void;
}

export interface DemoTrace {
  id: string;
  category: string;
  answer: string;
  /** fused choice after each round 0..N (the last one repeated when the loop ended early) */
  choices: string[];
  correctByRound: boolean[];
  stopReason: StopReason;
  dir?: string;
  indexHtml?: string;
  trace: Trace;
}

export interface DemoResult {
  /** share correct after k rounds, k = 0..rounds */
  accuracyByRound: number[];
  byCategory: Record<string, { count: number; accuracyByRound: number[] }>;
  traces: DemoTrace[];
  /** where the overview index.html was written, when `out` was given */
  indexHtml?: string;
  config: LoopConfig;
  modelLabel: string;
  renderer: Renderer['kind'];
  ms: number;
}

/** The fused choice after each round 0..n, the last repeated if the loop ended early. */
export function choicesByRound(trace: Trace, n: number): string[] {
  const out: string[] = [];
  for (let k = 0; k <= n; k++) {
    const r = trace.rounds[Math.min(k, trace.rounds.length - 1)];
    out.push(r?.fusedChoice ?? '');
  }
  return out;
}

const mean = (xs: boolean[]) => (xs.length ? xs.filter(Boolean).length / xs.length : 0);

/** Accuracy per round over a set of traces' per-round correctness. */
export function accuracyByRoundOf(correct: boolean[][], n: number): number[] {
  return Array.from({ length: n + 1 }, (_, k) => mean(correct.map((c) => c[k])));
}

/**
 * The RGB-D scan frames of a fixture: `scanFrames` ray casts from SCAN_ORBITS about the point at the
 * centre of `frame` (the fixture's reference frame at the wanted size), at that size, with c2w in the
 * fixture's world (like the reference frame's).
 */
export function scanFramesOf(fixture: FixtureScene, frame: RgbdFrame, scanFrames: number): RgbdFrame[] {
  const frames: RgbdFrame[] = [];
  if (scanFrames <= 0) return frames;
  const { width, height } = frame;
  const intrinsics = scaleIntrinsics(fixture.reference.intrinsics, width, height);
  const u = Math.floor(width / 2),
    v = Math.floor(height / 2);
  const z = frame.depth[v * width + u] || 2;
  const ctx = poseContext(
    fixture.reference,
    transformPoint(fixture.reference.c2w, unprojectPixel(intrinsics, u, v, z)),
    fixture.up,
  );
  for (const [az, el] of SCAN_ORBITS.slice(0, scanFrames)) {
    const c2w = c2wFromPose({ mode: 'orbit', azimuth_deg: az, elevation_deg: el, distance_scale: 1.2 }, ctx);
    const r = raycast(fixture, { intrinsics, c2w }, width, height);
    frames.push({
      width,
      height,
      rgb: r.rgb,
      depth: r.depth,
      intrinsics,
      c2w,
      units: 'metres',
      source: `scan orbit ${az}°/${el}°`,
    });
  }
  return frames;
}

/** The scene note of a scene lifted from the reference photo plus `scanFrames` scan frames. */
export function scanNoteOf(scanFrames: number): string {
  return `scene lifted from the reference photo and ${scanFrames} RGB-D scan frame(s) (orbits ${SCAN_ORBITS.slice(
    0,
    scanFrames,
  )
    .map(([a, e]) => `${a}°/${e}°`)
    .join(', ')}); the model is shown the reference photo only`;
}

/**
 * A question's fixture as the demo captures it: the reference photo (RGB-D, exact ray cast) and
 * `scanFrames` more RGB-D frames from SCAN_ORBITS, all lifted into one scene in the reference frame.
 */
export function liftFixture(fixture: FixtureScene, width: number, height: number, scanFrames = 0) {
  const frame = fixtureFrame(fixture, width, height);
  const frames: RgbdFrame[] = [frame, ...scanFramesOf(fixture, frame, scanFrames)];
  const scene: Scene = liftToScene(frames);
  if (scanFrames > 0) scene.notes.push(scanNoteOf(scanFrames));
  return { frame, scene };
}

/** Run the demo set through the loop with builtin:perceiver. */
export async function runDemo(opts: DemoOptions = {}): Promise<DemoResult> {
  const t0 = performance.now();
  const count = opts.count ?? DEMO_DEFAULTS.count;
  const seed = opts.seed ?? DEMO_DEFAULTS.seed;
  const rounds = opts.rounds ?? DEMO_DEFAULTS.rounds;
  const width = opts.width ?? DEMO_DEFAULTS.width;
  const height = opts.height ?? DEMO_DEFAULTS.height;
  const log = opts.log ?? (() => {});
  const scanFrames = opts.scanFrames ?? DEMO_DEFAULTS.scanFrames;
  if (!(Number.isInteger(scanFrames) && scanFrames >= 0 && scanFrames <= SCAN_ORBITS.length)) {
    throw new VantageError(
      'bad-option',
      `demo scan frames must be a whole number 0..${SCAN_ORBITS.length}, got ${scanFrames}`,
    );
  }
  if (!(Number.isInteger(rounds) && rounds >= 0 && rounds <= 20)) {
    throw new VantageError('bad-option', `demo rounds must be a whole number 0..20, got ${rounds}`);
  }
  const config = loopConfigFrom({
    render: DEMO_DEFAULTS.render,
    ...opts.loop,
    model: 'builtin:perceiver',
    maxRounds: rounds,
    width,
    height,
    stop: { ...opts.loop?.stop, policy: 'fixed' },
  });
  const items = generateQuestions({ count, seed, ...(opts.categories ? { categories: opts.categories } : {}) });
  const renderer = opts.renderer ?? createReferenceRenderer();
  const model = new PerceiverModel();
  const traces: DemoTrace[] = [];
  const out = opts.out ? resolve(opts.out) : undefined;
  try {
    for (let i = 0; i < items.length; i++) {
      const { fixture, question } = items[i];
      const { frame, scene } = liftFixture(fixture, width, height, scanFrames);
      const rgba = rgbaFromRgb(frame.rgb);
      const png = await encodePng(rgba, frame.width, frame.height, 4);
      const { trace, views } = await runLoop(
        {
          question: {
            id: question.id,
            text: question.text,
            options: question.options,
            answer: question.answer,
            category: question.category,
          },
          scene,
          originals: [
            { png, width: frame.width, height: frame.height, rgba, depth: frame.depth, camera: scene.reference },
          ],
          inputInfo: {
            images: [`fixture:${fixture.name}`],
            depth: scanFrames ? `ray-cast (exact), + ${scanFrames} scan frame(s)` : 'ray-cast (exact)',
            intrinsics: 'fixture camera (60° hfov)',
            units: 'metres',
            notes: [...scene.notes],
          },
        },
        model,
        renderer,
        config,
      );
      const choices = choicesByRound(trace, rounds);
      const correctByRound = choices.map((c) => c === question.answer);
      const item: DemoTrace = {
        id: question.id,
        category: question.category,
        answer: question.answer,
        choices,
        correctByRound,
        stopReason: trace.final.stopReason,
        trace,
      };
      if (out) {
        const dir = join(out, safeName(`${String(i + 1).padStart(2, '0')}-${question.id}`));
        const w = await writeTrace(dir, trace, views);
        item.dir = dir;
        item.indexHtml = w.indexHtml;
      }
      traces.push(item);
      log(
        `[${i + 1}/${items.length}] ${question.category}: truth ${question.answer}, by round ${choices.join(' ')} ${correctByRound[rounds] ? '✓' : '✗'}${trace.final.stopReason === 'error' ? ` (error: ${trace.rounds.find((r) => r.failed)?.failed})` : ''}`,
      );
    }
  } finally {
    if (!opts.renderer) renderer.dispose();
  }
  const accuracyByRound = accuracyByRoundOf(
    traces.map((t) => t.correctByRound),
    rounds,
  );
  const byCategory: DemoResult['byCategory'] = {};
  for (const cat of [...new Set(traces.map((t) => t.category))].sort()) {
    const ts = traces.filter((t) => t.category === cat);
    byCategory[cat] = {
      count: ts.length,
      accuracyByRound: accuracyByRoundOf(
        ts.map((t) => t.correctByRound),
        rounds,
      ),
    };
  }
  const result: DemoResult = {
    accuracyByRound,
    byCategory,
    traces,
    config,
    modelLabel: model.label,
    renderer: renderer.kind,
    ms: Math.round(performance.now() - t0),
  };
  if (out) result.indexHtml = await writeDemoIndex(out, result);
  return result;
}

function safeName(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, '_');
}

const pct = (x: number) => `${(x * 100).toFixed(0)}%`;

/** The accuracy table as text: one row for all questions, one per category. */
export function demoTable(r: Pick<DemoResult, 'accuracyByRound' | 'byCategory' | 'traces'>): string {
  const n = r.accuracyByRound.length - 1;
  const head = ['category', 'n', ...Array.from({ length: n + 1 }, (_, k) => `round ${k}`)];
  const rows = [
    ['all', String(r.traces.length), ...r.accuracyByRound.map(pct)],
    ...Object.entries(r.byCategory).map(([c, v]) => [c, String(v.count), ...v.accuracyByRound.map(pct)]),
  ];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** An overview page linking every question's report. */
async function writeDemoIndex(out: string, r: DemoResult): Promise<string> {
  const n = r.accuracyByRound.length - 1;
  const cell = (ok: boolean) => `<td class="${ok ? 'ok' : 'no'}">${ok ? '✓' : '✗'}</td>`;
  const rows = r.traces
    .map((t) => {
      const link = t.dir
        ? `<a href="${escapeHtml(`${t.dir.slice(out.length + 1)}/index.html`)}">${escapeHtml(t.id)}</a>`
        : escapeHtml(t.id);
      return `<tr><td>${link}</td><td>${escapeHtml(t.category)}</td><td>${escapeHtml(t.answer)}</td><td>${escapeHtml(t.choices.join(' '))}</td>${t.correctByRound.map(cell).join('')}</tr>`;
    })
    .join('\n');
  const acc = (xs: number[]) => xs.map((x) => `<td>${pct(x)}</td>`).join('');
  const cats = Object.entries(r.byCategory)
    .map(([c, v]) => `<tr><td>${escapeHtml(c)}</td><td>${v.count}</td>${acc(v.accuracyByRound)}</tr>`)
    .join('\n');
  const roundHeads = Array.from({ length: n + 1 }, (_, k) => `<th>round ${k}</th>`).join('');
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Vantage demo</title>
<style>body{font:14px system-ui,sans-serif;margin:24px;max-width:1100px}table{border-collapse:collapse;margin:12px 0}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}.ok{background:#e3f5e1}.no{background:#fde7e6}</style></head><body>
<h1>Vantage demo</h1>
<p>Model: ${escapeHtml(r.modelLabel)}. Renderer: ${escapeHtml(r.renderer)}. ${r.traces.length} questions, ${n} fixed view round(s) each,
fusion ${escapeHtml(r.config.fusion)}, pose format ${escapeHtml(r.config.poseFormat)}, ${r.config.width}×${r.config.height} ${escapeHtml(r.config.render)}.</p>
<h2>Accuracy after k rounds</h2>
<table><tr><th>category</th><th>n</th>${roundHeads}</tr>
<tr><td><b>all</b></td><td>${r.traces.length}</td>${acc(r.accuracyByRound)}</tr>
${cats}</table>
<h2>Questions</h2>
<table><tr><th>question</th><th>category</th><th>truth</th><th>fused choice by round</th>${roundHeads}</tr>
${rows}</table></body></html>
`;
  await mkdir(out, { recursive: true });
  const path = join(out, 'index.html');
  await writeFile(path, html);
  return path;
}

// ---------------------------------------------------------------------------------------------
// Replaying policies on recorded rounds (choosing the defaults)

export interface PolicyVariant {
  fusion: FusionPolicy;
  stop: LoopConfig['stop'];
  maxRounds: number;
}

export interface PolicyOutcome {
  accuracy: number;
  /** mean number of view rounds used */
  meanViews: number;
}

/**
 * Accuracy and mean views of a fusion + stop policy, replayed on fixed-round demo traces: the same
 * answers and views (the perceiver's poses and answers do not depend on the fusion), re-fused, and
 * stopped where the policy would have stopped. The controller's own "stop" is taken where it said
 * so (fixed runs record it in the decision reason).
 */
export function replayStopPolicy(traces: DemoTrace[], v: PolicyVariant): PolicyOutcome {
  let correct = 0;
  let views = 0;
  for (const t of traces) {
    const keys = letters(t.trace.question.options.length);
    const rs: RoundRecord[] = t.trace.rounds;
    const fused: string[] = [];
    const margins: number[] = [];
    let final = '';
    for (let r = 0; r < rs.length; r++) {
      const posterior: OptionDist = fusePosterior(
        v.fusion,
        rs.slice(0, r + 1).map((x) => ({ dist: x.answer.dist, weight: roundWeight(x) })),
        keys,
      );
      const top = topChoice(posterior);
      fused.push(top.choice);
      margins.push(top.margin);
      final = top.choice;
      const modelSaidStop = /^the model said stop/.test(rs[r + 1]?.decision?.reason ?? '');
      const reason = stopDecision(v.stop, {
        round: r,
        maxRounds: v.maxRounds,
        fusedChoices: fused,
        margins,
        modelSaidStop,
        tokensUsed: 0,
        msUsed: 0,
      });
      if (reason || r === rs.length - 1) {
        views += r;
        break;
      }
    }
    if (final === t.answer) correct++;
  }
  return {
    accuracy: traces.length ? correct / traces.length : 0,
    meanViews: traces.length ? views / traces.length : 0,
  };
}
