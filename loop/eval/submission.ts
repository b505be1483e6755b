/**
 * The submission file of a predictions-only run (a split whose answers are hidden): what a
 * benchmark's leaderboard takes. BLINK: one JSON object {idx: "(A)"} (zeyofu/BLINK_Benchmark
 * eval/evaluate.py reads `{split}_predictions/{model}.json` of that shape); every other format:
 * predictions.jsonl, one {id, prediction (letter), option (its text)} a line. One file per grid cell
 * (the fused answer after the cell's last round); a single-cell run writes submission.json or
 * predictions.jsonl.
 */
import { join } from 'node:path';
import { letterIndex } from '../../core/options.js';
import { writeFileAtomic } from '../../core/io/files.js';
import type { EvalFormat, EvalItem, EvalLine, GridCell } from './types.js';

const safe = (s: string) => s.replace(/[^A-Za-z0-9._=-]+/g, '_').slice(0, 120);

/** Write the submission file(s); returns the first one's path. */
export async function writeSubmission(
  out: string,
  format: EvalFormat,
  items: EvalItem[],
  cells: GridCell[],
  lines: EvalLine[],
): Promise<string> {
  let first = '';
  for (const cell of cells) {
    const byItem = new Map(lines.filter((l) => l.cell === cell.key).map((l) => [l.item, l]));
    const suffix = cells.length > 1 ? `-${safe(cell.label)}` : '';
    let path: string;
    if (format === 'blink') {
      const obj: Record<string, string> = {};
      for (const it of items) {
        const f = byItem.get(it.id)?.final ?? '';
        obj[it.id] = f ? `(${f})` : '';
      }
      path = join(out, `submission${suffix}.json`);
      await writeFileAtomic(path, `${JSON.stringify(obj, null, 2)}\n`);
    } else {
      const text = items
        .map((it) => {
          const f = byItem.get(it.id)?.final ?? '';
          const i = letterIndex(f);
          return JSON.stringify({ id: it.id, prediction: f, option: i >= 0 ? (it.question.options[i] ?? '') : '' });
        })
        .join('\n');
      path = join(out, `predictions${suffix}.jsonl`);
      await writeFileAtomic(path, `${text}\n`);
    }
    first ||= path;
  }
  return first;
}
