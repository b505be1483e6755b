/**
 * The pure parts of `vantage eval`: answer normalisation, inline options, Wilson intervals, the grid,
 * the summary tables, the plot and the progress display.
 */
import { describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import sharp from 'sharp';
import { letterOfReply, stripOptionLetters } from '../core/options.js';
import { splitEmbeddedOptions } from '../loop/eval/normalize.js';
import { cellsCsv, summarizeCell, summaryCsv, summaryMarkdown, wilsonInterval } from '../loop/eval/summary.js';
import { cellsOf, parseGrid } from '../loop/eval/grid.js';
import { accuracyPlotPng, accuracyPlotSvg } from '../loop/eval/plot.js';
import { createProgress, formatDuration, rateAndEta } from '../loop/eval/progress.js';
import { LOOP_DEFAULTS } from '../loop/config.js';
import type { EvalLine } from '../loop/eval/types.js';

describe('letterOfReply', () => {
  const opts = ['left', 'right', 'in front', 'behind'];
  it.each([
    ['B', 'B'],
    ['b', 'B'],
    ['(B)', 'B'],
    ['[C]', 'C'],
    ['B)', 'B'],
    ['b.', 'B'],
    ['B. right', 'B'],
    ['(D) behind', 'D'],
    ['C: in front', 'C'],
    ['Option B', 'B'],
    ['Answer: c', 'C'],
    ['The answer is (A).', 'A'],
    ['**B**', 'B'],
    ['"A"', 'A'],
    ['right', 'B'],
    ['Right.', 'B'],
    ['In front', 'C'],
    ['I think it is behind the box', 'D'],
  ])('%s → %s', (raw, want) => {
    expect(letterOfReply(raw, opts)).toBe(want);
  });

  it.each([['E'], ['(F)'], [''], ['maybe'], ['left or right'], ['Z) nothing']])(
    '%s → undefined (unparseable)',
    (raw) => {
      expect(letterOfReply(raw, opts)).toBeUndefined();
    },
  );

  it('prefers the longest option text and reads option text in any case', () => {
    const sat = ['left by 24 degrees', 'look straight'];
    expect(letterOfReply('Turn LEFT by 24 degrees', sat)).toBe('A');
    expect(letterOfReply('look straight', sat)).toBe('B');
    expect(letterOfReply('left', ['left', 'left by 20 degrees'])).toBe('A');
    expect(letterOfReply('go left by 20 degrees', ['left', 'left by 20 degrees'])).toBe('B');
  });

  it('treats a one-letter option text as text before a letter', () => {
    // an option literally named "B" would otherwise be misread
    expect(letterOfReply('b', ['A', 'B'])).toBe('B');
    expect(letterOfReply(3, ['1', '2', '3'])).toBe('C');
    expect(letterOfReply(null, opts)).toBeUndefined();
  });
});

describe('splitEmbeddedOptions', () => {
  it('splits MindCube-style "A. … B. …" options off the stem', () => {
    const q =
      'Based on these four images (image 1, 2, 3, and 4) showing the black sofa from different viewpoints: ' +
      'If I turn left, will the white table be on the left or right of me? A. Left B. Right';
    const r = splitEmbeddedOptions(q)!;
    expect(r.options).toEqual(['Left', 'Right']);
    expect(r.stem.endsWith('left or right of me?')).toBe(true);
  });

  it('splits MMSI-Bench "Options: A: …, B: …" and keeps commas inside options', () => {
    const r = splitEmbeddedOptions(
      'Where is the lamp relative to the sofa? Options: A: left, behind, B: right, C: above, D: below',
    )!;
    expect(r.stem).toBe('Where is the lamp relative to the sofa?');
    expect(r.options).toEqual(['left, behind', 'right', 'above', 'below']);
  });

  it('splits "(A) … (B) …" and stops the last option at a line break', () => {
    const r = splitEmbeddedOptions(
      'Which point is closer?\nSelect from the following choices.\n(A) point A\n(B) point B\nAnswer with the letter.',
    )!;
    expect(r.options).toEqual(['point A', 'point B']);
  });

  it('ignores a lone "A." in the text and needs two options', () => {
    expect(splitEmbeddedOptions('Is the object near Mr. A. Smith?')).toBeUndefined();
    expect(splitEmbeddedOptions('no options here')).toBeUndefined();
  });

  it('strips letters from option lists only when all carry them in order', () => {
    expect(stripOptionLetters(['(A) left', '(B) right'])).toEqual(['left', 'right']);
    expect(stripOptionLetters(['A. yes', 'B. no'])).toEqual(['yes', 'no']);
    expect(stripOptionLetters(['a. m. session', 'evening'])).toEqual(['a. m. session', 'evening']);
  });
});

describe('wilsonInterval', () => {
  it('matches the textbook values', () => {
    const w = wilsonInterval(8, 10);
    expect(w.accuracy).toBeCloseTo(0.8, 10);
    expect(w.low).toBeCloseTo(0.4902, 3);
    expect(w.high).toBeCloseTo(0.9433, 3);
    const all = wilsonInterval(10, 10);
    expect(all.high).toBe(1);
    expect(all.low).toBeCloseTo(0.7225, 3);
    expect(wilsonInterval(0, 0)).toEqual({ n: 0, correct: 0, accuracy: 0, low: 0, high: 1 });
  });
});

describe('grid', () => {
  it('expands every combination, with a key naming all settings and a label naming the varied ones', () => {
    const cells = cellsOf(LOOP_DEFAULTS, parseGrid('rounds=0,1,2 pose=orbit,ego stop=fixed'));
    expect(cells).toHaveLength(6);
    expect(new Set(cells.map((c) => c.key)).size).toBe(6);
    expect(cells[0].label).toBe('rounds=0 pose=orbit');
    expect(cells[0].key).toBe('rounds=0 pose=orbit render=gaussians fusion=loglinear stop=fixed holes=mark images=4');
    expect(cells.every((c) => c.config.stop.policy === 'fixed')).toBe(true);
    expect(cells[5].config).toMatchObject({ maxRounds: 2, poseFormat: 'ego' });
  });

  it('without a grid is one cell of the base config', () => {
    const cells = cellsOf({ ...LOOP_DEFAULTS, maxRounds: 2 }, parseGrid(undefined));
    expect(cells).toHaveLength(1);
    expect(cells[0].label).toBe('rounds=2 pose=orbit stop=adaptive');
  });

  it('rejects unknown keys and bad values with clear errors', () => {
    expect(() => parseGrid('colour=red')).toThrow(/unknown grid key "colour"/);
    expect(() => parseGrid('rounds=one')).toThrow(/not a whole number/);
    expect(() => parseGrid('rounds')).toThrow(/KEY=V1,V2/);
    expect(() => cellsOf(LOOP_DEFAULTS, parseGrid('pose=sideways'))).toThrow(/grid cell .*pose=sideways/);
    expect(() => cellsOf(LOOP_DEFAULTS, parseGrid('rounds=99'))).toThrow(/maxRounds/);
  });
});

function line(item: string, category: string, correctAfter: boolean[], extra: Partial<EvalLine> = {}): EvalLine {
  const stopRound = correctAfter.length - 1;
  return {
    v: 1,
    cell: 'c',
    item,
    category,
    truth: 'A',
    options: 2,
    status: 'ok',
    stopRound,
    stopReason: 'fixed-rounds',
    maxRounds: stopRound,
    rounds: [],
    correctAfter,
    final: correctAfter[stopRound] ? 'A' : 'B',
    correct: correctAfter[stopRound],
    unparsed: 0,
    tokens: { prompt: 100, completion: 10 },
    calls: 3,
    cachedCalls: 1,
    views: stopRound,
    seconds: 0.5,
    model: 'm',
    at: '',
    ...extra,
  };
}

describe('summary', () => {
  const cell = cellsOf({ ...LOOP_DEFAULTS, maxRounds: 2 }, parseGrid('stop=fixed'))[0];
  const lines = [
    line('a', 'left-right', [false, true, true]),
    line('b', 'left-right', [true, true, true]),
    line('c', 'count', [false, false, true]),
    line('d', 'count', [false, false, false], { status: 'error', unparsed: 2 }),
    // an adaptive item that stopped after round 0 keeps its answer at every later k
    line('e', 'count', [true], { stopRound: 0 }),
  ];
  const s = summarizeCell(cell, lines);

  it('counts accuracy after every round, by category, from the lines alone', () => {
    expect(s.byRound.map((a) => a.correct)).toEqual([2, 3, 4]);
    expect(s.byRound.every((a) => a.n === 5)).toBe(true);
    expect(s.byCategory['left-right'].map((a) => a.correct)).toEqual([1, 2, 2]);
    expect(s.byCategory.count.map((a) => a.correct)).toEqual([1, 1, 2]);
    expect(s.stopRounds).toEqual([1, 0, 4]);
    expect(s).toMatchObject({
      items: 5,
      errors: 1,
      unparsed: 2,
      calls: 15,
      cachedCalls: 5,
      views: 8,
      tokens: { prompt: 500, completion: 50 },
    });
  });

  it('writes Markdown and CSV tables', () => {
    const md = summaryMarkdown([s], {
      data: 'd.jsonl',
      format: 'native',
      model: 'm',
      items: 5,
      skipped: 1,
      pending: 0,
    });
    expect(md).toContain('| **all** (micro) | 5 | 40.0 [');
    expect(md).toContain('| count | 3 |');
    expect(md).toContain('1 record(s) skipped');
    const csv = summaryCsv([s]).trim().split('\n');
    expect(csv[0]).toBe('cell,label,round,category,n,correct,accuracy,ci_low,ci_high');
    expect(csv).toHaveLength(1 + 3 * 3);
    expect(csv[3]).toMatch(/,2,all,5,4,0\.8000,/);
    const costs = cellsCsv([s]).trim().split('\n');
    expect(costs).toHaveLength(2);
    expect(costs[1]).toContain(',0.8000,');
  });

  it('plots one line per cell as SVG, and the PNG decodes', async () => {
    const other = summarizeCell({ ...cell, key: 'k2', label: 'second' }, lines.slice(0, 2));
    const svg = accuracyPlotSvg([s, other], { title: 'test <plot>' });
    expect(svg.startsWith('<svg')).toBe(true);
    expect((svg.match(/<polyline /g) ?? []).length).toBe(2);
    expect(svg).toContain('test &lt;plot&gt;');
    expect(svg).toContain('second — 100.0% after 2 (n=2)');
    const png = await accuracyPlotPng(svg);
    const meta = await sharp(png).metadata();
    expect(meta.format).toBe('png');
    expect(meta.width).toBeGreaterThan(500);
  });
});

class Capture extends Writable {
  text = '';
  isTTY?: boolean;
  columns = 100;
  override _write(chunk: Buffer, _enc: string, cb: () => void) {
    this.text += chunk.toString();
    cb();
  }
}

describe('progress', () => {
  it('formats durations, rates and ETAs', () => {
    expect(formatDuration(42)).toBe('42s');
    expect(formatDuration(189)).toBe('3:09');
    expect(formatDuration(3907)).toBe('1:05:07');
    expect(formatDuration(Infinity)).toBe('?');
    expect(rateAndEta(10, 40, 5000)).toEqual({ rate: 2, eta: 15 });
  });

  it('redraws one bar in place on a terminal, with rate and ETA', () => {
    const s = new Capture();
    s.isTTY = true;
    let t = 0;
    const p = createProgress({ total: 4, stream: s, now: () => t });
    t = 1000;
    p.tick({ correct: true });
    t = 2000;
    p.tick({ correct: false });
    p.note('a warning');
    p.done();
    expect(s.text).toContain('\r\x1b[2K');
    expect(s.text).toContain('2/4');
    expect(s.text).toContain('1.00 items/s ETA 2s');
    expect(s.text).toContain('acc 50.0%');
    expect(s.text).toContain('a warning\n');
    expect(s.text.endsWith('\n')).toBe(true);
  });

  it('writes plain lines (at most one per interval, and the last) when not a terminal', () => {
    const s = new Capture();
    let t = 0;
    const p = createProgress({ total: 3, stream: s, now: () => t, intervalMs: 10_000, resumed: 5 });
    t = 1000;
    p.tick();
    t = 2000;
    p.tick();
    t = 3000;
    p.tick({ error: true });
    p.done();
    const lines = s.text.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(s.text).not.toContain('\r');
    expect(lines[1]).toMatch(/^eval: 3\/3 done, 5 resumed, 1\.00 items\/s ETA 0s acc 0\.0% 1 error\(s\)$/);
  });
});
