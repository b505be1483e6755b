/**
 * Option letters: one definition of how the options of a multiple-choice question are lettered
 * (A, B, …), how option texts are cleaned of letters a user or a file wrote in, and how a reply or a
 * benchmark's ground truth is read back as a letter. The loop (answers), the scorer (eval) and the
 * prompts all use these, so a reply is read the same way everywhere.
 */
import { VantageError } from './errors.js';

/** Option letters for n options: A, B, …, Z, then AA, AB, … (spreadsheet style). */
export function letters(n: number): string[] {
  if (!Number.isInteger(n) || n < 0) {
    throw new VantageError('bad-options', `number of options must be a whole number ≥ 0, got ${n}`);
  }
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    let s = '';
    for (let k = i + 1; k > 0; k = Math.floor((k - 1) / 26)) s = String.fromCharCode(65 + ((k - 1) % 26)) + s;
    out.push(s);
  }
  return out;
}

/** The letter of option i (0-based): 0 → "A". */
export const optionLetter = (i: number): string => letters(i + 1)[i];

/** The 0-based index of an option letter ("A" → 0, "AA" → 26), or -1 when it is not a letter. */
export function letterIndex(letter: string): number {
  if (!/^[A-Z]+$/.test(letter)) return -1;
  let n = 0;
  for (const ch of letter) n = n * 26 + (ch.charCodeAt(0) - 64);
  return n - 1;
}

/** Text compared loosely: case, accents, quotes, punctuation and spacing do not matter. */
function looseText(s: string): string {
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
export function letterOfReply(raw: unknown, options: readonly string[]): string | undefined {
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

/**
 * Option texts as a user gives them: lines split, blanks dropped, and the letters they may have
 * written ("A) left", "(B) right", "C. up", "D: down") stripped when every option carries its own
 * letter in order (so "a. m. session" stays as it is).
 */
export function optionTexts(raw: readonly string[] | undefined): string[] {
  return stripOptionLetters(
    (raw ?? [])
      .flatMap((s) => s.split(/\r?\n/))
      .map((s) => s.trim())
      .filter(Boolean),
  );
}

/** Option texts without their letters ("(A) left", "A. left" → "left"), when all carry them in order. */
export function stripOptionLetters(options: readonly string[]): string[] {
  const keys = letters(options.length);
  const lettered = options.every((o, i) => new RegExp(`^\\s*\\(?${keys[i]}[).:]\\s*\\S`, 'i').test(o));
  return lettered
    ? options.map((o) => o.replace(/^\s*\(?[A-Za-z]{1,2}[).:]\s*/, '').trim())
    : options.map((o) => o.trim());
}
