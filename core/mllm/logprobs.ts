/**
 * The option distribution from the logprobs of the answer token (docs/design.md, "Conventions" → answers): more
 * faithful than the model's self-reported confidence. The answer token is the letter after a
 * `"choice"` (or `"answer"`, `"option"`) key in a JSON reply, or else the first token that is an
 * option letter on its own; its top_logprobs are mapped to letters ("A", " A", "(A", "\"A" … → A),
 * summed per letter and renormalised over the options.
 */

export interface TopLogprob {
  token: string;
  logprob: number;
}

export interface TokenLogprob extends TopLogprob {
  top_logprobs?: TopLogprob[] | null;
}

export interface OptionDistributionOptions {
  /** JSON keys whose string value is the answer letter; default choice, answer, option */
  answerKeys?: string[];
}

/** Probability floor for options absent from top_logprobs: log-linear pooling must never see 0. */
const MIN_PROB = 1e-6;

/** The option letter a token stands for ("A", " A", "(A", "A)", "\"A"), or undefined. */
export function letterOfToken(token: string, letters: readonly string[]): string | undefined {
  const core = token.replace(/^[\s"'`([{*:.,]+|[\s"'`)\]}*:.,]+$/g, '');
  if (!core) return undefined;
  if (letters.includes(core)) return core;
  const upper = core.toUpperCase();
  return core.length === 1 ? letters.find((l) => l.toUpperCase() === upper) : undefined;
}

/** Index of the token that carries the answer letter, or -1. */
function answerTokenIndex(
  content: readonly TokenLogprob[],
  letters: readonly string[],
  opts: OptionDistributionOptions = {},
): number {
  const keys = (opts.answerKeys ?? ['choice', 'answer', 'option']).map(escapeRegExp).join('|');
  const starts: number[] = [];
  let text = '';
  for (const t of content) {
    starts.push(text.length);
    text += t.token;
  }
  const m = new RegExp(`["']?(?:${keys})["']?\\s*:\\s*["']?\\s*\\(?`, 'i').exec(text);
  if (m) {
    const at = m.index + m[0].length;
    // the token whose span covers the first character of the value
    for (let i = content.length - 1; i >= 0; i--) {
      if (starts[i] <= at && at < starts[i] + content[i].token.length) {
        if (letterOfToken(content[i].token, letters)) return i;
        break;
      }
    }
  }
  return content.findIndex((t) => letterOfToken(t.token, letters) !== undefined);
}

/**
 * Probabilities over `letters` (summing to 1) from the answer token's top_logprobs, or undefined
 * when there are no logprobs or no answer token among them.
 */
export function optionDistribution(
  content: readonly TokenLogprob[] | null | undefined,
  letters: readonly string[],
  opts: OptionDistributionOptions = {},
): Record<string, number> | undefined {
  if (!content?.length || !letters.length) return undefined;
  const idx = answerTokenIndex(content, letters, opts);
  if (idx < 0) return undefined;
  const tok = content[idx];
  const entries: TopLogprob[] = [...(tok.top_logprobs ?? [])];
  if (!entries.some((e) => e.token === tok.token)) entries.push({ token: tok.token, logprob: tok.logprob });

  const mass = new Map<string, number>();
  let seen = 0;
  for (const e of entries) {
    if (!Number.isFinite(e.logprob)) continue;
    const p = Math.exp(e.logprob);
    seen += p;
    const letter = letterOfToken(e.token, letters);
    if (letter) mass.set(letter, (mass.get(letter) ?? 0) + p);
  }
  if (mass.size === 0) return undefined;

  // Options outside the top-k share what is left, but none may look likelier than the least seen.
  const missing = letters.filter((l) => !mass.has(l));
  if (missing.length) {
    const leftover = Math.max(0, 1 - seen) / missing.length;
    const floor = Math.max(MIN_PROB, Math.min(leftover, ...mass.values()));
    for (const l of missing) mass.set(l, floor);
  }
  let total = 0;
  for (const v of mass.values()) total += v;
  const out: Record<string, number> = {};
  for (const l of letters) out[l] = (mass.get(l) ?? MIN_PROB) / total;
  return out;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
