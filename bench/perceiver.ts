/**
 * builtin:perceiver on the procedural question set with exact ray-cast views (the ceiling the loop
 * can reach when views are perfect; `vantage demo` measures it with rendered views): accuracy at
 * round 0 and after the 1–2 views it asks for, per pose format and per category.
 */
import { generateQuestions } from '../fixtures/questions.js';
import { runPerceiverWithRaycasts, summarizeRuns } from '../test/support/perceiver-eval.js';
import type { BenchFigure } from './run.js';

export async function benchPerceiver(count = 80, seed = 2024): Promise<BenchFigure[]> {
  const t0 = performance.now();
  const items = generateQuestions({ count, seed });
  const genMs = performance.now() - t0;
  const figures: BenchFigure[] = [
    {
      name: 'question generation',
      value: Math.round(genMs / count),
      unit: 'ms/question',
      note: `${count} questions, seed ${seed}`,
    },
  ];
  for (const format of ['orbit', 'ego', 'preset'] as const) {
    const t = performance.now();
    const runs = items.map(({ fixture, question }) =>
      runPerceiverWithRaycasts(fixture, question, { extraViews: 2, format }),
    );
    const ms = (performance.now() - t) / runs.length;
    const s = summarizeRuns(runs, 2);
    const note = `${s.n} questions, 256×192 ray-cast views, ${format} poses`;
    figures.push(
      {
        name: `accuracy round 0 (${format})`,
        value: s.byRound[0],
        unit: 'fraction',
        note: `${note}; cannot tell at round 0: ${(s.cannotTellRound0 * 100).toFixed(0)}%`,
      },
      { name: `accuracy after 1 view (${format})`, value: s.byRound[1], unit: 'fraction', note },
      { name: `accuracy after 2 views (${format})`, value: s.byRound[2], unit: 'fraction', note },
      {
        name: `perceiver time per question, 3 views (${format})`,
        value: Math.round(ms),
        unit: 'ms',
        note: 'ray casting + perception + pose search',
      },
    );
    if (format === 'orbit') {
      for (const [c, v] of Object.entries(s.byCategory)) {
        figures.push({
          name: `accuracy ${c}: round 0 → 2 views (orbit)`,
          value: v.byRound[2],
          unit: 'fraction',
          note: `${v.n} questions; round 0 ${v.byRound[0].toFixed(2)}, 1 view ${v.byRound[1].toFixed(2)}`,
        });
      }
    }
  }
  return figures;
}
