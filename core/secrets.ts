/**
 * Secret redaction, in one place: what must never reach an error message, a cache line or a trace.
 * The MLLM client blanks its own key and bearer tokens (`redactKey`); a trace goes through the
 * broader `scrubSecrets` (credential-named keys, token shapes, key-holding environment variables).
 */

const REDACTED = '[redacted]';

/** Keys whose values are secrets, whatever they hold. */
const SECRET_KEY =
  /api[-_]?key|authorization|bearer|secret|password|passwd|cookie|access[-_]?token|refresh[-_]?token|private[-_]?key/i;

/** Secret-looking substrings inside any string value (error messages, prompts, URLs, headers). */
const SECRET_VALUE_PATTERNS: [RegExp, string][] = [
  // OpenAI-style keys (sk-…, sk-proj-…, sk-ant-…)
  [/(?<![A-Za-z0-9])sk-[A-Za-z0-9_-]{6,}/g, REDACTED],
  // "Bearer <token>" in a header echoed into a message
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{6,}/gi, `$1 ${REDACTED}`],
  // well-known token shapes: Hugging Face, GitHub, Google, xAI, Groq
  [
    /(?<![A-Za-z0-9])(hf_[A-Za-z0-9]{20,}|gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|AIza[0-9A-Za-z_-]{30,}|xai-[A-Za-z0-9]{20,}|gsk_[A-Za-z0-9]{20,})/g,
    REDACTED,
  ],
  // key=value in query strings and config dumps
  [/\b(api[-_]?key|access[-_]?token|auth|token|key)=([^&\s"'<>]+)/gi, `$1=${REDACTED}`],
  // credentials in URLs: scheme://user:password@host
  [/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/:@]+:[^\s/@]+@/gi, `$1${REDACTED}@`],
];

/** Values of environment variables that hold keys, to redact verbatim wherever they appear. */
function secretEnvValues(): string[] {
  return (
    Object.entries(process.env)
      // long, space-free values only: a short or wordy value could blank ordinary text
      .filter(
        ([k, v]) =>
          /api[-_]?key|token|secret|password/i.test(k) && typeof v === 'string' && v.length >= 12 && !/\s/.test(v),
      )
      .map(([, v]) => v as string)
  );
}

function scrubString(s: string, envSecrets: string[]): string {
  let out = s;
  for (const v of envSecrets) if (out.includes(v)) out = out.split(v).join(REDACTED);
  for (const [re, rep] of SECRET_VALUE_PATTERNS) out = out.replace(re, rep);
  return out;
}

/**
 * A deep copy of `value` with secrets removed: any property whose key looks like a credential
 * (api key, authorization, bearer, secret, password, cookie, access token) becomes "[redacted]", and
 * secret-looking substrings of every string (sk-… keys, "Bearer …", key=… query parameters, URL
 * credentials, values of key-holding environment variables) are replaced. Typed arrays are copied;
 * cycles are preserved (JSON serialisation then refuses them).
 */
export function scrubSecrets<T>(value: T): T {
  const env = secretEnvValues();
  const seen = new WeakMap<object, unknown>();
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return scrubString(v, env);
    if (v === null || typeof v !== 'object') return v;
    if (seen.has(v)) return seen.get(v);
    if (ArrayBuffer.isView(v))
      return v instanceof DataView ? new DataView(v.buffer.slice(0)) : (v as unknown as Uint8Array).slice();
    if (v instanceof Date) return new Date(v.getTime());
    if (Array.isArray(v)) {
      const out: unknown[] = [];
      seen.set(v, out);
      for (const x of v) out.push(walk(x));
      return out;
    }
    const out: Record<string, unknown> = {};
    seen.set(v, out);
    if (v instanceof Error) {
      out.name = v.name;
      out.message = walk(v.message);
    }
    for (const [k, x] of Object.entries(v))
      out[k] = SECRET_KEY.test(k) && x !== undefined && x !== null ? REDACTED : walk(x);
    return out;
  };
  return walk(value) as T;
}

/** A URL with any credentials (user:password@) blanked. */
export function redactUrl(u: string): string {
  return u.replace(/\/\/[^/@]*@/, `//${REDACTED}@`);
}

/** The text with a known key and any bearer token removed (what the MLLM client applies to its messages). */
export function redactKey(s: string, key: string | undefined): string {
  let out = s.replace(/Bearer\s+[^\s"'`,;\\]+/gi, `Bearer ${REDACTED}`);
  if (key && key.length >= 4) out = out.split(key).join(REDACTED);
  return out;
}

/** A copy of a plain-data value with every string passed through `f`. */
export function mapStrings<T>(v: T, f: (s: string) => string): T {
  if (typeof v === 'string') return f(v) as T;
  if (Array.isArray(v)) return v.map((x) => mapStrings(x, f)) as T;
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, mapStrings(x, f)])) as T;
  }
  return v;
}
