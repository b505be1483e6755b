/** CallLogs: what the trace records of every model call (no keys, no headers, no image bytes). */
import type { CallRecord, ChatMessage } from '../../core/mllm/index.js';
import type { CallLog } from '../types.js';
import { TRACE_LIMITS } from '../config.js';

/** Model text as the trace keeps it: capped, with the cut said in the text itself. */
export function cappedReply(text: string, max: number = TRACE_LIMITS.maxReplyChars): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max)}\n[… ${text.length - max} more characters cut from the trace (${text.length} in all)]`;
}

/** The prompt as text, each image replaced by its caption line and "[image: file]". */
export function promptText(messages: readonly ChatMessage[], fileOf: (png: Buffer) => string | undefined): string {
  return messages
    .map((m) => {
      const body =
        typeof m.content === 'string'
          ? m.content
          : m.content
              .map((c) =>
                c.type === 'text'
                  ? c.text
                  : `${c.caption ? `${c.caption}\n` : ''}[image: ${fileOf(c.png) ?? c.caption ?? 'image'}]`,
              )
              .join('\n');
      return `### ${m.role}\n${body}`;
    })
    .join('\n\n');
}

/** A CallLog from the MLLM client's CallRecord. */
export function callLogOf(role: CallLog['role'], record: CallRecord, prompt?: string, reply?: string): CallLog {
  return {
    role,
    model: record.model,
    cached: record.cached,
    attempts: record.attempts,
    latencyMs: Math.round(record.latencyMs),
    promptTokens: record.promptTokens,
    completionTokens: record.completionTokens,
    errors: [...record.errors],
    ...(prompt !== undefined ? { prompt } : {}),
    ...(reply !== undefined ? { reply: cappedReply(reply) } : {}),
    ...(record.requestHash ? { requestHash: record.requestHash } : {}),
  };
}

export /** The CallLog of a call answered in process (perceiver, human): no tokens, one attempt. */
function localCall(
  role: CallLog['role'],
  model: string,
  t0: number,
  reply: unknown,
  errors: string[] = [],
  prompt?: string,
): CallLog {
  return {
    role,
    model,
    cached: false,
    attempts: 1,
    latencyMs: Math.round(performance.now() - t0),
    promptTokens: 0,
    completionTokens: 0,
    errors,
    ...(prompt !== undefined ? { prompt } : {}),
    reply: cappedReply(typeof reply === 'string' ? reply : JSON.stringify(reply)),
  };
}
