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

/**
 * The process exit codes of every command (README "Exit codes"): scripts tell a bad input from a
 * failed endpoint from an interruption without reading the text.
 */
export const EXIT_CODES = {
  /** answered / done */
  ok: 0,
  /** a bug: anything that is not a VantageError */
  internal: 1,
  /** bad input or option: fix the command line or the files */
  badInput: 2,
  /** the model or its endpoint failed, so there is no answer */
  modelFailed: 3,
  /** interrupted (Ctrl-C, a deadline, a cancelled call) before finishing */
  interrupted: 4,
} as const;

/** Error codes that mean "the model/endpoint failed" (exit 3) or "stopped before finishing" (exit 4). */
const MODEL_FAILURE_CODES = new Set(['mllm-failed', 'model-failed', 'no-answer']);
const INTERRUPT_CODES = new Set(['interrupted', 'deadline']);

/** The exit code for an error that ends a command. */
export function exitCodeOf(e: unknown): number {
  if (!isVantageError(e)) return EXIT_CODES.internal;
  if (MODEL_FAILURE_CODES.has(e.code)) return EXIT_CODES.modelFailed;
  if (INTERRUPT_CODES.has(e.code)) return EXIT_CODES.interrupted;
  return EXIT_CODES.badInput;
}
