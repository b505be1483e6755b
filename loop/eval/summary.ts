/**
 * The summary of an evaluation, computed from results.jsonl lines alone: accuracy after every
 * round k (overall and per category) with Wilson 95% intervals, stop rounds, tokens, calls, views,
 * seconds and errors per grid cell; written as Markdown and CSV.
 */
import { officialScore, PROTOCOLS, scoredUnits, scoreOf, type ScoredUnit } from './protocol.js';
import type { AccuracyCell, CellSummary, EvalFormat, EvalLine, GridCell, OfficialScore } from './types.js';

/** z of a two-sided 95% interval */
const Z95 = 1.959963984540054;

/** Wilson score interval for `correct` of `n` (95%); n = 0 gives accuracy 0 and [0, 1]. */
export function wilsonInterval(correct: number, n: number, z: number = Z95): AccuracyCell {
  if (n <= 0) return { n: 0, correct: 0, accuracy: 0, low: 0, high: 1 };
  const p = correct / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denom;
  // exact ends: all right (or all wrong) reaches 1 (or 0), not 1 − ε from rounding
  return {
    n,
    correct,
    accuracy: p,
    low: correct === 0 ? 0 : Math.max(0, centre - half),
    high: correct === n ? 1 : Math.min(1, centre + half),
  };
}

/**
 * One cell's summary from its lines (one per presentation; the caller passes only this cell's
 * lines). Accuracy is over scored items: the presentations of one record (rotations) fold into one.
 */
export function summarizeCell(
  cell: Pick<GridCell, 'key' | 'label' | 'settings'>,
  lines: EvalLine[],
  format: EvalFormat = 'native',
): CellSummary {
  const maxK = cell.settings.rounds;
  const units = scoredUnits(lines);
  const acc = (group: ScoredUnit[]) =>
    Array.from({ length: maxK + 1 }, (_, k) =>
      // numeric items add their score (0..1), others 1 or 0: an accuracy cell is a mean score
      wilsonInterval(
        group.reduce((a, u) => a + scoreOf(u, k), 0),
        group.length,
      ),
    );
  const categories = [...new Set(units.map((u) => u.category))].sort();
  const stopRounds = new Array<number>(maxK + 1).fill(0);
  for (const l of lines) stopRounds[Math.min(maxK, Math.max(0, l.stopRound))]++;
  const sum = (f: (l: EvalLine) => number) => lines.reduce((a, l) => a + f(l), 0);
  return {
    key: cell.key,
    label: cell.label,
    settings: cell.settings,
    items: units.length,
    presentations: lines.length,
    official: officialScore(format, units, maxK),
    errors: lines.filter((l) => l.status === 'error').length,
    unparsed: sum((l) => l.unparsed),
    byRound: acc(units),
    byCategory: Object.fromEntries(categories.map((c) => [c, acc(units.filter((u) => u.category === c))])),
    stopRounds,
    meanStopRound: lines.length ? sum((l) => l.stopRound) / lines.length : 0,
    tokens: { prompt: sum((l) => l.tokens.prompt), completion: sum((l) => l.tokens.completion) },
    calls: sum((l) => l.calls),
    cachedCalls: sum((l) => l.cachedCalls),
    views: sum((l) => l.views),
    seconds: sum((l) => l.seconds),
    itemsCut: lines.filter((l) => (l.imagesCut ?? 0) > 0).length,
  };
}

const pct = (x: number) => `${(100 * x).toFixed(1)}`;
const ci = (a: AccuracyCell) => (a.n ? `${pct(a.accuracy)} [${pct(a.low)}, ${pct(a.high)}]` : '—');

/** The official number after the last round, as text ("—" when the run lacks what it needs). */
export function officialText(o: OfficialScore, k = o.byRound.length - 1): string {
  const v = o.byRound[k];
  return v === null || v === undefined ? '—' : pct(v);
}

export interface MarkdownContext {
  data: string;
  format: EvalFormat;
  model: string;
  items: number;
  skipped: number;
  pending: number;
  optionOrder?: string;
  seed?: number;
  limited?: { items: number; of?: number };
  predictOnly?: boolean;
}

/** The summary as Markdown: a cost table, then accuracy by round × category per cell. */
export function summaryMarkdown(cells: CellSummary[], ctx: MarkdownContext): string {
  const p = PROTOCOLS[ctx.format];
  const out: string[] = [
    '# Evaluation summary',
    '',
    `- Data: \`${ctx.data}\` (${ctx.format}: ${p.title}), ${ctx.items} item(s)${ctx.skipped ? `, ${ctx.skipped} record(s) skipped by the loader` : ''}`,
    `- Model: ${ctx.model}`,
    `- Protocol: options ${ctx.optionOrder ?? 'given'}${ctx.optionOrder === 'shuffle' ? ` (seed ${ctx.seed})` : ''}${ctx.optionOrder === 'circular' ? ' (every rotation; an item counts only if all are right)' : ''}; categories: ${p.categories}; official metric: ${p.headline.label} (${p.headline.reference})`,
    ...(ctx.limited
      ? [
          `- **Limited run**: ${ctx.limited.items} of ${ctx.limited.of} item(s) — these numbers are not the benchmark's metric, which needs the whole set`,
        ]
      : []),
    ...(ctx.predictOnly
      ? [
          '- **Predictions only**: the answers are hidden in this split; accuracy below is not meaningful (see the submission file)',
        ]
      : []),
    ...(ctx.pending
      ? [`- **Incomplete**: ${ctx.pending} (cell, item) pair(s) not run yet; rerun the same command to continue`]
      : []),
    '- Accuracy in %, with Wilson 95% intervals. "After k rounds" is the fused answer after round k (round 0: the original image alone); ' +
      'an item whose loop stopped earlier keeps its answer. Unparsed replies and errors count as wrong.',
    '',
    '## Cells',
    '',
    `| cell | items | official: ${p.headline.label} | micro accuracy | mean stop round | errors | unparsed replies | calls (cached) | views | prompt tokens | completion tokens | seconds |`,
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...cells.map(
      (c) =>
        `| ${c.label} | ${c.items} | ${officialText(c.official)} | ${ci(c.byRound[c.byRound.length - 1])} | ${c.meanStopRound.toFixed(2)} | ${c.errors} | ${c.unparsed} | ${c.calls} (${c.cachedCalls}) | ${c.views} | ${c.tokens.prompt} | ${c.tokens.completion} | ${c.seconds.toFixed(1)} |`,
    ),
    '',
    ...cells
      .filter((c) => c.itemsCut)
      .map(
        (c) =>
          `- **${c.label}**: the model's own image limit cut images from ${c.itemsCut} item(s) (originals are kept first; see \`imagesCut\` in results.jsonl)`,
      ),
  ];
  const missing = cells.find((c) => c.official.byRound[c.official.byRound.length - 1] === null && c.items);
  if (missing)
    out.push(`Official metric not computed ("—"): ${missing.official.note ?? 'the run lacks what it needs'}.`, '');
  for (const c of cells) {
    const ks = c.byRound.map((_, k) => k);
    out.push(
      `## ${c.label}`,
      '',
      `\`${c.key}\``,
      '',
      `| category | n | ${ks.map((k) => `after ${k}`).join(' | ')} |`,
      `|---|---:|${ks.map(() => '---:').join('|')}|`,
      `| **official: ${c.official.label}** | ${c.items} | ${c.official.byRound.map((_, k) => officialText(c.official, k)).join(' | ')} |`,
      `| **all** (micro) | ${c.items} | ${c.byRound.map(ci).join(' | ')} |`,
      ...Object.entries(c.byCategory).map(([cat, a]) => `| ${cat} | ${a[0]?.n ?? 0} | ${a.map(ci).join(' | ')} |`),
      '',
      `Stopped after round: ${c.stopRounds.map((n, r) => `${r}: ${n}`).join(', ')}`,
      '',
    );
  }
  return out.join('\n');
}

function csvField(v: string | number): string {
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Accuracy rows: cell, round, category ("all" first), n, correct, accuracy, ci_low, ci_high. */
export function summaryCsv(cells: CellSummary[]): string {
  const rows: (string | number)[][] = [
    ['cell', 'label', 'round', 'category', 'n', 'correct', 'accuracy', 'ci_low', 'ci_high'],
  ];
  for (const c of cells) {
    const groups: [string, typeof c.byRound][] = [['all', c.byRound], ...Object.entries(c.byCategory)];
    for (const [cat, acc] of groups) {
      acc.forEach((a, k) =>
        rows.push([c.key, c.label, k, cat, a.n, a.correct, a.accuracy.toFixed(4), a.low.toFixed(4), a.high.toFixed(4)]),
      );
    }
  }
  return `${rows.map((r) => r.map(csvField).join(',')).join('\n')}\n`;
}

/** Cost rows, one per cell. */
export function cellsCsv(cells: CellSummary[]): string {
  const head = [
    'cell',
    'label',
    'rounds',
    'pose',
    'render',
    'fusion',
    'stop',
    'holes',
    'images',
    'items',
    'presentations',
    'official',
    'final_accuracy',
    'ci_low',
    'ci_high',
    'mean_stop_round',
    'errors',
    'unparsed',
    'calls',
    'cached_calls',
    'views',
    'prompt_tokens',
    'completion_tokens',
    'seconds',
  ];
  const rows = cells.map((c) => {
    const f = c.byRound[c.byRound.length - 1];
    const s = c.settings;
    return [
      c.key,
      c.label,
      s.rounds,
      s.pose,
      s.render,
      s.fusion,
      s.stop,
      s.holes,
      s.images,
      c.items,
      c.presentations,
      c.official.byRound[c.official.byRound.length - 1]?.toFixed(4) ?? '',
      f.accuracy.toFixed(4),
      f.low.toFixed(4),
      f.high.toFixed(4),
      c.meanStopRound.toFixed(3),
      c.errors,
      c.unparsed,
      c.calls,
      c.cachedCalls,
      c.views,
      c.tokens.prompt,
      c.tokens.completion,
      c.seconds.toFixed(2),
    ];
  });
  return `${[head, ...rows].map((r) => r.map(csvField).join(',')).join('\n')}\n`;
}
