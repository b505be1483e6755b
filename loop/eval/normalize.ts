/**
 * Answer normalisation for scoring: benchmarks write their ground truth as "B", "(B)", "B. text"
 * or as the option's own text, and models answer in as many ways. Everything is turned into an
 * option letter before comparing; what cannot be read as one option is `undefined` (scored wrong,
 * and recorded as unparsed). Also splits questions that carry their options inline
 * ("… A. Left B. Right", "Options: A: x, B: y", "(A) x (B) y").
 */
import { optionLetter } from '../../core/options.js';

type MarkerStyle = { name: string; re: (l: string) => RegExp };

/** Inline option markers, tried in turn; the style that yields the most options wins. */
const MARKER_STYLES: MarkerStyle[] = [
  { name: '(X)', re: (l) => new RegExp(`\\(${l}\\)\\s*`, 'g') },
  { name: 'X.', re: (l) => new RegExp(`(?<=^|[\\s(,;:])${l}\\.\\s+`, 'g') },
  { name: 'X:', re: (l) => new RegExp(`(?<=^|[\\s(,;])${l}:\\s*`, 'g') },
  { name: 'X)', re: (l) => new RegExp(`(?<=^|[\\s,;:])${l}\\)\\s+`, 'g') },
];

function cleanOption(s: string): string {
  return s
    .replace(/^\s+/, '')
    .replace(/[\s,;]+$/, '')
    .replace(/\.$/, '')
    .trim();
}

function splitWithStyle(text: string, style: MarkerStyle): { stem: string; options: string[] } | undefined {
  const positions = (l: string) =>
    [...text.matchAll(style.re(l))].map((m) => ({ at: m.index!, end: m.index! + m[0].length }));
  const aMarks = positions('A');
  let best: { stem: string; options: string[] } | undefined;
  // try each "A" marker from the last one back: the options block is usually at the end
  for (let ai = aMarks.length - 1; ai >= 0; ai--) {
    const marks = [aMarks[ai]];
    for (let k = 1; k < 26; k++) {
      const l = optionLetter(k);
      const next = positions(l).find((p) => p.at >= marks[marks.length - 1].end);
      if (!next) break;
      marks.push(next);
    }
    if (marks.length < 2) continue;
    const options = marks.map((mk, i) => {
      const end = i + 1 < marks.length ? marks[i + 1].at : text.length;
      let s = text.slice(mk.end, end);
      // the last option ends at a line break (instructions often follow the options)
      if (i === marks.length - 1) s = s.split(/\r?\n/)[0];
      return cleanOption(s);
    });
    if (options.some((o) => !o)) continue;
    const stem = text
      .slice(0, marks[0].at)
      .replace(/\b(?:options|choices)\s*:?\s*$/i, '')
      .trim();
    if (!best || options.length > best.options.length) best = { stem, options };
    break;
  }
  return best;
}

/**
 * A question whose options are written into its text, split into the stem and the option texts;
 * undefined when no run of at least two lettered options (A, B, …) is found.
 */
export function splitEmbeddedOptions(text: string): { stem: string; options: string[] } | undefined {
  let best: { stem: string; options: string[] } | undefined;
  for (const style of MARKER_STYLES) {
    const r = splitWithStyle(text, style);
    if (r && (!best || r.options.length > best.options.length)) best = r;
  }
  return best;
}
