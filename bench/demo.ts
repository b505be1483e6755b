/**
 * Demo accuracy (builtin:perceiver through the whole loop) and the measurements behind the loop's
 * defaults: one fixed-round run of a larger procedural set, then every fusion × stop policy replayed
 * on the recorded rounds (the perceiver's poses and answers do not depend on fusion or stopping).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_DEFAULTS, runDemo } from '../src/commands/demo.js';
import { readRunTraces, replayStopPolicy, type PolicyVariant } from '../loop/eval/replay.js';
import type { Trace } from '../loop/types.js';
import { LOOP_DEFAULTS } from '../loop/config.js';
import type { FusionPolicy } from '../loop/types.js';

export interface BenchFigure {
  name: string;
  value: number;
  unit: string;
  note?: string;
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/** Policy variants compared when choosing the defaults. */
export function policyVariants(maxRounds: number): { label: string; v: PolicyVariant }[] {
  const out: { label: string; v: PolicyVariant }[] = [];
  for (const fusion of ['loglinear', 'vote', 'last'] as FusionPolicy[]) {
    for (let n = 0; n <= maxRounds; n++) {
      out.push({
        label: `${fusion}, fixed ${n}`,
        v: { fusion, maxRounds: n, stop: { policy: 'fixed', stableRounds: 1, marginTau: 0 } },
      });
    }
    for (const k of [1, 2, 3]) {
      for (const tau of [0, 0.1, 0.2, 0.3, 0.5]) {
        out.push({
          label: `${fusion}, adaptive k=${k} τ=${tau}, max ${maxRounds}`,
          v: { fusion, maxRounds, stop: { policy: 'adaptive', stableRounds: k, marginTau: tau } },
        });
      }
    }
  }
  return out;
}

/** The sweep as rows: label, accuracy, mean views. */
export function sweepPolicies(
  traces: { trace: Trace; answer: string }[],
  maxRounds: number,
): { label: string; accuracy: number; meanViews: number }[] {
  return policyVariants(maxRounds).map(({ label, v }) => ({ label, ...replayStopPolicy(traces, v) }));
}

export interface DemoBenchOptions {
  count?: number;
  rounds?: number;
  seed?: number;
  scanFrames?: number;
  render?: 'points' | 'gaussians';
}

export async function benchDemo(o: DemoBenchOptions = {}): Promise<{ figures: BenchFigure[]; markdown: string }> {
  const tmp = await mkdtemp(join(tmpdir(), 'vantage-bench-demo-'));
  try {
    // the demo exactly as `vantage demo` runs it (defaults)
    const demo = await runDemo({ out: join(tmp, 'demo'), traces: false });
    const figures: BenchFigure[] = demo.cell.byRound.map((a, k) => ({
      name: `demo accuracy after ${k} view round(s)`,
      value: Math.round(a.accuracy * 1000) / 10,
      unit: '%',
      note: `${demo.cell.items} questions, seed ${DEMO_DEFAULTS.seed}, ${DEMO_DEFAULTS.render} ${DEMO_DEFAULTS.width}×${DEMO_DEFAULTS.height}`,
    }));
    figures.push({ name: 'demo wall time', value: Math.round(demo.summary.seconds * 10) / 10, unit: 's' });

    // the larger set behind the defaults
    const rounds = o.rounds ?? 4;
    const big = await runDemo({
      out: join(tmp, 'big'),
      count: o.count ?? 40,
      rounds,
      seed: o.seed ?? 1234,
      scanFrames: o.scanFrames ?? DEMO_DEFAULTS.scanFrames,
      render: o.render ?? 'points',
    });
    const traces = await readRunTraces(big.out);
    const rows = sweepPolicies(traces, rounds);
    const cats = Object.entries(big.cell.byCategory);
    const md = [
      `Fixed-round run: ${big.cell.items} questions (seed ${o.seed ?? 1234}), ${rounds} view rounds, ${o.render ?? 'points'}.`,
      '',
      `| category | n | ${Array.from({ length: rounds + 1 }, (_, k) => `round ${k}`).join(' | ')} |`,
      `|---|---|${'---|'.repeat(rounds + 1)}`,
      `| all | ${big.cell.items} | ${big.cell.byRound.map((a) => pct(a.accuracy)).join(' | ')} |`,
      ...cats.map(([c, v]) => `| ${c} | ${v[0]?.n ?? 0} | ${v.map((a) => pct(a.accuracy)).join(' | ')} |`),
      '',
      'Fusion and stop policies replayed on those rounds:',
      '',
      '| policy | accuracy | mean views |',
      '|---|---|---|',
      ...rows.map((r) => `| ${r.label} | ${pct(r.accuracy)} | ${r.meanViews.toFixed(2)} |`),
      '',
      `Defaults: fusion ${LOOP_DEFAULTS.fusion}, max ${LOOP_DEFAULTS.maxRounds} rounds, adaptive k=${LOOP_DEFAULTS.stop.stableRounds} τ=${LOOP_DEFAULTS.stop.marginTau}.`,
    ].join('\n');
    for (const [k, a] of big.cell.byRound.entries()) {
      figures.push({
        name: `larger set: accuracy after ${k} view round(s)`,
        value: Math.round(a.accuracy * 1000) / 10,
        unit: '%',
        note: `${big.cell.items} questions`,
      });
    }
    const def = replayStopPolicy(traces, {
      fusion: LOOP_DEFAULTS.fusion,
      maxRounds: Math.min(rounds, LOOP_DEFAULTS.maxRounds),
      stop: LOOP_DEFAULTS.stop,
    });
    figures.push({
      name: 'larger set: accuracy with the default policy',
      value: Math.round(def.accuracy * 1000) / 10,
      unit: '%',
      note: `mean ${def.meanViews.toFixed(2)} views`,
    });
    return { figures, markdown: md };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
