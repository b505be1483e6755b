/** Errors of the MLLM client: a failed call (MllmError, for callers) and a failed HTTP attempt (for the retry logic). */
import type { APIError } from 'openai';
import { VantageError } from '../errors.js';

export interface CallRecord {
  model: string;
  /** true when every request of the call was answered from the cache (then no tokens were paid) */
  cached: boolean;
  /** HTTP attempts made (0 when cached) */
  attempts: number;
  latencyMs: number;
  /** token counts as the server reported them, summed over the call's requests (re-ask included) */
  promptTokens: number;
  completionTokens: number;
  finishReason?: string;
  /** what went wrong on the way, in order (retries, fallbacks, unusable replies) */
  errors: string[];
  /** sha256 of the first request (model + messages + parameters) */
  requestHash: string;
  /** how structure was asked for: by the server's json_schema, or by prompt and tolerant parsing */
  structuredMode?: 'json_schema' | 'prompt';
  /** true when an unusable reply was followed by the one corrective re-ask */
  reasked?: boolean;
}

/** A failed MLLM call (after retries and the re-ask): the loop records `record` and goes on. */
export class MllmError extends VantageError {
  readonly record: CallRecord;
  /** the last reply text, when there was one */
  readonly raw?: string;
  constructor(
    message: string,
    record: CallRecord,
    hint?: string,
    raw?: string,
    code: 'mllm-failed' | 'interrupted' = 'mllm-failed',
  ) {
    super(code, message, hint);
    this.name = 'MllmError';
    this.record = record;
    this.raw = raw;
  }
}

export type AttemptKind = 'retryable' | 'fatal' | 'unsupported';

export class AttemptError extends Error {
  constructor(
    message: string,
    readonly kind: AttemptKind,
    readonly extra: { retryAfterMs?: number; hint?: string; param?: string } = {},
  ) {
    super(message);
  }
}

/** Milliseconds to wait from Retry-After / retry-after-ms (seconds or an HTTP date), capped. */
export function retryAfterMs(headers: Headers | undefined, capMs: number, now = Date.now()): number | undefined {
  if (!headers) return undefined;
  const ms = Number(headers.get('retry-after-ms'));
  if (headers.get('retry-after-ms') && Number.isFinite(ms) && ms >= 0) return Math.min(ms, capMs);
  const v = headers.get('retry-after');
  if (!v) return undefined;
  const s = Number(v);
  if (Number.isFinite(s) && s >= 0) return Math.min(s * 1000, capMs);
  const date = Date.parse(v);
  if (Number.isFinite(date)) return Math.min(Math.max(0, date - now), capMs);
  return undefined;
}

/** Parameters a server may refuse, in the order they are looked for in its 400 message. */
const DROPPABLE_PARAMS = [
  'response_format',
  'top_logprobs',
  'logprobs',
  'temperature',
  'top_p',
  'seed',
  'max_tokens',
] as const;

/** The server's error message, shortened. */
export function serverMessage(e: APIError): string {
  const body = e.error as { message?: unknown } | undefined;
  const m = typeof body?.message === 'string' ? body.message : e.message;
  return m.length > 500 ? `${m.slice(0, 500)}…` : m;
}

/** The parameter a 400 says the server does not support, if it is one we may drop. */
export function refusedParam(e: APIError, params: Record<string, unknown>): string | undefined {
  const text = `${e.param ?? ''} ${serverMessage(e)}`.toLowerCase();
  for (const p of DROPPABLE_PARAMS) {
    if (!(p in params)) continue;
    if (text.includes(p) || (p === 'response_format' && text.includes('json_schema'))) return p;
  }
  return undefined;
}
