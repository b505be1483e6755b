/**
 * A user-facing failure: what was wrong, with which input, and how to fix it.
 * The CLI prints `message` (and `hint`) without a stack trace; anything that is not a
 * VantageError is a bug and keeps its stack.
 */
export class VantageError extends Error {
  readonly code: string;
  readonly hint?: string;
  constructor(code: string, message: string, hint?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'VantageError';
    this.code = code;
    this.hint = hint;
  }
}

export function isVantageError(e: unknown): e is VantageError {
  return e instanceof VantageError;
}

/** The one-line (or two-line, with hint) text the CLI shows for an error. */
export function describeError(e: unknown): string {
  if (isVantageError(e)) return e.hint ? `${e.message}\n  hint: ${e.hint}` : e.message;
  if (e instanceof Error) return e.message;
  return String(e);
}
