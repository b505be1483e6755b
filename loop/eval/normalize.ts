/**
 * Answer normalisation for scoring: benchmarks write their ground truth as "B", "(B)", "B. text"
 * or as the option's own text, and models answer in as many ways. Everything is turned into an
 * option letter before comparing; what cannot be read as one option is `undefined` (scored wrong,
 * and recorded as unparsed). Also splits questions that carry their options inline
 * ("… A. Left B. Right", "Options: A: x, B: y", "(A) x (B) y").
 */
import { letters } from '../fusion.js';

/** Text compared loosely: case, accents, quotes, punctuation and spacing do not matter. */
export function looseText(s: string): string {
  return s
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

/** Strip wrapping a model or a file may add: quotes, markdown emphasis, a trailing full stop. */
function unwrap(raw: string): string {
  let t = raw.trim();
  for (let i = 0; i < 3; i++) {
    const before = t;
    t = t
      .replace(/^\*\*(.*)\*\*$/s, '$1')
      .replace(/^["'`](.*)["'`]$/s, '$1')
      .trim();
    if (t === before) break;
  }
  return t.replace(/[\s.,;!]+$/, '').trim();
}

/**
 * The option letter an answer stands for, or undefined. Accepts "B", "b", "(B)", "[B]", "B)",
 * "B.", "b.", "B: text", "(B) text", "Option B", "Answer: B", "The answer is (B).", the option's
 * own text (loosely compared), or a sentence that contains exactly one option's text.
 */
export function letterOfAnswer(raw: unknown, options: readonly string[]): string | undefined {
  if (raw === null || raw === undefined) return undefined;
  if (typeof raw === 'number' && Number.isInteger(raw)) raw = String(raw);
  if (typeof raw !== 'string') return undefined;
  const keys = letters(options.length);
  if (!keys.length) return undefined;
  const t = unwrap(raw);
  if (!t) return undefined;
  const inRange = (l: string | undefined) => (l && keys.includes(l.toUpperCase()) ? l.toUpperCase() : undefined);

  // 1. the option's own text (checked first: an option may itself be a short word)
  const loose = looseText(t);
  const exact = options.findIndex((o) => looseText(o) === loose && loose !== '');
  if (exact >= 0) return keys[exact];

  // 2. a bare letter, possibly bracketed
  let m = /^[([{]?\s*([A-Za-z])\s*[)\]}]?$/.exec(t);
  if (m) return inRange(m[1]);

  // 3. a letter with a separator, then (optionally) text: "B) left", "b. left", "(B) left", "B: left"
  m = /^[([]?\s*([A-Za-z])\s*[)\].:]\s*(.*)$/s.exec(t);
  if (m) {
    const l = inRange(m[1]);
    if (l) return l;
  }
  m = /^\(\s*([A-Za-z])\s*\)\s*(.*)$/s.exec(t);
  if (m) return inRange(m[1]);

  // 4. "Option B", "Answer: B", "the correct answer is (B)", "choice: b."
  // keywords in any case; a bare letter after them only in capitals ("the answer is a box" is no letter)
  const k = t.replace(/\b(answer|option|choice)\b/gi, (w) => w.toLowerCase());
  m =
    /\b(?:answer|option|choice)\b(?:\s+is)?\s*[:=]?\s*[([]?\s*([A-Z])\b(?![-'])/.exec(k) ??
    /\b(?:answer|option|choice)\b(?:\s+is)?\s*[:=]?\s*[([]\s*([A-Za-z])\s*[)\]]/.exec(k) ??
    /\b(?:answer|option|choice)\b(?:\s+is)?\s*[:=]\s*([A-Za-z])(?:[\s.,;)]|$)/.exec(k);
  if (m) {
    const l = inRange(m[1]);
    if (l) return l;
  }

  // 5. a sentence containing exactly one option's text as whole words
  if (loose.length) {
    const hits = options
      .map((o, i) => ({ i, o: looseText(o) }))
      .filter(({ o }) => o.length > 0 && ` ${loose} `.includes(` ${o} `));
    // when one option's text contains another's ("left" in "left by 20 degrees"), keep the longest
    const maximal = hits.filter(
      (h) => !hits.some((g) => g !== h && g.o.length > h.o.length && ` ${g.o} `.includes(` ${h.o} `)),
    );
    if (maximal.length === 1) return keys[maximal[0].i];
  }
  return undefined;
}

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
      const l = String.fromCharCode(65 + k);
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

/** Option texts without letters a file may carry ("(A) left", "A. left" → "left"), when all carry them in order. */
export function stripOptionLetters(options: readonly string[]): string[] {
  const keys = letters(options.length);
  const lettered = options.every((o, i) => new RegExp(`^\\s*\\(?${keys[i]}[).:]\\s*\\S`, 'i').test(o));
  return lettered ? options.map((o) => o.replace(/^\s*\(?[A-Za-z][).:]\s*/, '').trim()) : options.map((o) => o.trim());
}
