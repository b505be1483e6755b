/**
 * The MLLM client: any OpenAI-compatible chat-completions endpoint through the official `openai`
 * SDK. It sends images as downscaled base64 data URLs, asks for structured output with
 * `response_format: json_schema` (falling back to prompting + tolerant parsing where the server
 * lacks it), re-asks once after an unusable reply, retries transient failures with p-retry,
 * caches responses on disk, and reports tokens and latency of every call in a CallRecord.
 *
 * The client does not build prompts: the loop does. The API key is used for the Authorization
 * header only and never appears in a CallRecord, an error message or a cache line.
 */
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import pRetry from 'p-retry';
import type { z } from 'zod';
import { MLLM_DEFAULTS } from '../config.js';
import { VantageError } from '../errors.js';
import { mapStrings, redactKey, redactUrl } from '../secrets.js';
import { openResponseCache, type ResponseStore } from './cache.js';
import { describeMllmConfig, validateMllmConfig, type MllmConfig } from './config.js';
import { AttemptError, MllmError, refusedParam, retryAfterMs, serverMessage, type CallRecord } from './errors.js';
import { createLimiter, type Limiter } from './limiter.js';
import { optionDistribution, type TokenLogprob } from './logprobs.js';
import {
  applyImageBudget,
  lastUserText,
  wireMessages,
  withInstruction,
  type ChatMessage,
  type DataUrlMemo,
} from './messages.js';
import { requestHash } from './request-hash.js';
import {
  correctiveInstruction,
  jsonSchemaResponseFormat,
  jsonSchemaText,
  parseStructured,
  plainJsonInstruction,
} from './structured.js';

export interface StructuredOptions {
  /** names the schema for the server (json_schema.name) */
  name: string;
  /** option letters: with logprobs on, the answer token's distribution over them is returned */
  optionLetters?: string[];
  /** JSON keys whose value is the answer letter (default: choice, answer, option) */
  answerKeys?: string[];
}

export interface StructuredResult<T> {
  value: T;
  record: CallRecord;
  /** natural-log probabilities over optionLetters, renormalised (when the server gave logprobs) */
  optionLogprobs?: Record<string, number>;
  /** the same distribution as probabilities summing to 1 */
  optionProbs?: Record<string, number>;
  /** the text of the reply that was used */
  raw: string;
}

export interface TextResult {
  text: string;
  record: CallRecord;
  optionLogprobs?: Record<string, number>;
  optionProbs?: Record<string, number>;
}

interface Completion {
  /** the messages as sent (with the JSON instruction in prompt mode); not stored in the cache */
  sent?: ChatMessage[];
  content: string | null;
  refusal: string | null;
  finishReason?: string;
  logprobs?: TokenLogprob[];
  promptTokens: number;
  completionTokens: number;
}

interface CallState {
  record: CallRecord;
  hits: number;
  misses: number;
}

export class MllmClient {
  /** holds the API key: never exposed; `config` is the traceable view */
  private readonly cfg: MllmConfig;
  readonly limiter: Limiter;
  private readonly openai: OpenAI;
  /** opened on first use; resolves to undefined (and cacheError) when the directory is unusable */
  private cache?: Promise<ResponseStore | undefined>;
  private cacheError?: string;
  /** undefined until the server has accepted or refused a json_schema request */
  private jsonSchemaSupported?: boolean;
  /** parameters this server refused with a 400; sent without them from then on */
  private readonly droppedParams = new Set<string>();
  private readonly dataUrls: DataUrlMemo = new WeakMap();

  /** `store` replaces the file cache of `config.cacheDir` (a cache shared by many processes) */
  constructor(config: MllmConfig, limiter?: Limiter, store?: ResponseStore) {
    validateMllmConfig(config);
    if (store) this.cache = Promise.resolve(store);
    this.cfg = { ...config };
    this.limiter = limiter ?? createLimiter(config.concurrency);
    this.openai = new OpenAI({
      baseURL: config.baseURL,
      // Local servers often need no key, but the SDK insists on one.
      apiKey: config.apiKey || 'no-key',
      maxRetries: 0, // p-retry is the one retry layer
      timeout: config.timeoutMs,
    });
  }

  get model(): string {
    return this.cfg.model;
  }

  /** The configuration without the API key or URL credentials (safe for traces and logs). */
  get config(): ReturnType<typeof describeMllmConfig> {
    return describeMllmConfig(this.cfg);
  }

  /** Whether the server took `response_format: json_schema` (undefined: not yet known). */
  get supportsJsonSchema(): boolean | undefined {
    return this.jsonSchemaSupported;
  }

  /**
   * Asks for a reply matching `schema`. Throws MllmError (code 'mllm-failed', with the CallRecord)
   * after retries and the one corrective re-ask, on a refusal, or on a request the server refuses.
   */
  async structured<T>(
    messages: readonly ChatMessage[],
    schema: z.ZodType<T>,
    opts: StructuredOptions,
  ): Promise<StructuredResult<T>> {
    const t0 = performance.now();
    const state = this.newCall();
    const { record } = state;
    let conversation = applyImageBudget(messages, this.cfg.maxImages ?? MLLM_DEFAULTS.maxImages);
    let lastRaw: string | undefined;
    try {
      for (let round = 0; round < 2; round++) {
        const c = await this.complete(conversation, state, { schema, name: opts.name });
        const raw = this.checkAnswered(c, record);
        lastRaw = raw;
        const parsed = parseStructured(raw, schema);
        if (parsed.ok) {
          const dist = opts.optionLetters?.length
            ? optionDistribution(c.logprobs, opts.optionLetters, { answerKeys: opts.answerKeys })
            : undefined;
          this.finish(state, t0);
          return { value: parsed.value, record, raw, ...distributionFields(dist) };
        }
        record.errors.push(this.redact(`unusable reply: ${parsed.error}`));
        if (round === 0) {
          record.reasked = true;
          // the history as the model saw it, so a rerun replays the same requests
          conversation = [
            ...(c.sent ?? conversation),
            { role: 'assistant', content: raw },
            { role: 'user', content: correctiveInstruction(parsed.error, schema) },
          ];
        }
      }
      throw new MllmError(
        `The MLLM (${this.cfg.model}) gave no usable "${opts.name}" reply, even after one corrective re-ask: ${record.errors[record.errors.length - 1]}`,
        this.finish(state, t0),
        'Models that cannot follow a JSON schema do better with servers that support response_format json_schema (vLLM, SGLang, OpenAI).',
        lastRaw === undefined ? undefined : this.redact(lastRaw),
      );
    } catch (e) {
      throw this.asMllmError(e, state, t0);
    }
  }

  /** A free-text reply (no schema); same retries, cache and failure rules as structured(). */
  async text(
    messages: readonly ChatMessage[],
    opts: { optionLetters?: string[]; answerKeys?: string[] } = {},
  ): Promise<TextResult> {
    const t0 = performance.now();
    const state = this.newCall();
    try {
      const conversation = applyImageBudget(messages, this.cfg.maxImages ?? MLLM_DEFAULTS.maxImages);
      const c = await this.complete(conversation, state, {});
      const text = this.checkAnswered(c, state.record);
      const dist = opts.optionLetters?.length
        ? optionDistribution(c.logprobs, opts.optionLetters, { answerKeys: opts.answerKeys })
        : undefined;
      this.finish(state, t0);
      return { text, record: state.record, ...distributionFields(dist) };
    } catch (e) {
      throw this.asMllmError(e, state, t0);
    }
  }

  private newCall(): CallState {
    return {
      record: {
        model: this.cfg.model,
        cached: false,
        attempts: 0,
        latencyMs: 0,
        promptTokens: 0,
        completionTokens: 0,
        errors: [],
        requestHash: '',
      },
      hits: 0,
      misses: 0,
    };
  }

  private finish(state: CallState, t0: number): CallRecord {
    state.record.latencyMs = performance.now() - t0;
    state.record.cached = state.hits > 0 && state.misses === 0;
    return state.record;
  }

  private asMllmError(e: unknown, state: CallState, t0: number): MllmError {
    this.finish(state, t0);
    if (e instanceof MllmError) return e;
    if (this.cfg.signal?.aborted) {
      const why = abortReason(this.cfg.signal);
      if (!state.record.errors.includes(why)) state.record.errors.push(why);
      return new MllmError(
        `The MLLM call to ${this.cfg.model} was stopped: ${why}`,
        state.record,
        undefined,
        undefined,
        'interrupted',
      );
    }
    if (e instanceof AttemptError) {
      return new MllmError(
        `The MLLM call to ${this.cfg.model} failed after ${state.record.attempts} attempt(s): ${e.message}`,
        state.record,
        e.extra.hint,
      );
    }
    if (e instanceof VantageError) return new MllmError(e.message, state.record, e.hint);
    const msg = this.redact(e instanceof Error ? e.message : String(e));
    state.record.errors.push(msg);
    return new MllmError(`The MLLM call to ${this.cfg.model} failed: ${msg}`, state.record);
  }

  /** The reply text, or an MllmError for a refusal or a filtered reply (recorded, not retried). */
  private checkAnswered(c: Completion, record: CallRecord): string {
    if (c.refusal || c.finishReason === 'content_filter') {
      const why = c.refusal ? `refused: ${c.refusal}` : 'reply withheld by the content filter';
      record.errors.push(this.redact(why));
      throw new MllmError(
        `The MLLM (${this.cfg.model}) ${this.redact(why)}`,
        record,
        'Rephrase the question, or try another model.',
      );
    }
    return c.content ?? '';
  }

  /** One completion: from the cache, or from the server with retries and parameter fallbacks. */
  private async complete(
    messages: ChatMessage[],
    state: CallState,
    want: { schema?: z.ZodType; name?: string },
  ): Promise<Completion> {
    const { record } = state;
    for (;;) {
      const useSchema =
        !!want.schema && this.jsonSchemaSupported !== false && !this.droppedParams.has('response_format');
      const req = this.request(messages, want, useSchema);
      if (want.schema) record.structuredMode ??= useSchema ? 'json_schema' : 'prompt';
      if (!record.requestHash) record.requestHash = req.key;
      const cache = await this.openCache(record);

      let hit = (await cache?.get(req.key)) as Completion | undefined;
      // Before the server is asked, a cached fallback answer (an earlier run found json_schema
      // unsupported) makes a rerun free as well.
      if (!hit && cache && useSchema && this.jsonSchemaSupported === undefined) {
        const alt = this.request(messages, want, false);
        hit = (await cache.get(alt.key)) as Completion | undefined;
        if (hit) {
          record.structuredMode = 'prompt';
          state.hits++;
          this.account(record, hit);
          return { ...hit, sent: alt.messages };
        }
      }
      if (hit) {
        state.hits++;
        this.account(record, hit);
        return { ...hit, sent: req.messages };
      }

      try {
        state.misses++;
        // a reply that echoes the credentials (hostile or broken server) is scrubbed before any use
        const c = mapStrings(await this.send(req.messages, req.params, record), (x) => this.redact(x));
        if (useSchema) this.jsonSchemaSupported = true;
        this.account(record, c);
        if (cache) {
          await cache.put(req.key, c).catch((e: Error) => {
            record.errors.push(this.redact(`cache write failed: ${e.message}`));
          });
        }
        return { ...c, sent: req.messages };
      } catch (e) {
        if (!(e instanceof AttemptError) || e.kind !== 'unsupported' || !e.extra.param) throw e;
        const param = e.extra.param;
        if (param === 'response_format') {
          this.jsonSchemaSupported = false;
          record.structuredMode = 'prompt';
        }
        this.droppedParams.add(param);
        if (param === 'logprobs' || param === 'top_logprobs') {
          this.droppedParams.add('logprobs');
          this.droppedParams.add('top_logprobs');
        }
        record.errors.push(`server refused ${param}; sent without it from now on (${e.message})`);
      }
    }
  }

  private account(record: CallRecord, c: Completion): void {
    record.promptTokens += c.promptTokens;
    record.completionTokens += c.completionTokens;
    record.finishReason = c.finishReason;
  }

  private async openCache(record: CallRecord): Promise<ResponseStore | undefined> {
    const dir = this.cfg.cacheDir;
    if (!dir && !this.cache) return undefined;
    // an unusable cache costs money, not correctness: say so in every record and go on without it
    this.cache ??= openResponseCache(dir!).then(
      (c): ResponseStore => ({ get: async (k) => c.get(k), put: (k, v) => c.put(k, v) }),
      (e: Error) => {
        this.cacheError = this.redact(`cache unavailable: ${e.message}`);
        return undefined;
      },
    );
    const cache = await this.cache;
    if (!cache && this.cacheError && !record.errors.includes(this.cacheError)) record.errors.push(this.cacheError);
    return cache;
  }

  /** The messages and parameters of one request, and its cache key. */
  private request(messages: ChatMessage[], want: { schema?: z.ZodType; name?: string }, useSchema: boolean) {
    const cfg = this.cfg;
    const drop = this.droppedParams;
    const params: Record<string, unknown> = {};
    if (cfg.temperature !== undefined && !drop.has('temperature')) params.temperature = cfg.temperature;
    if (cfg.topP !== undefined && !drop.has('top_p')) params.top_p = cfg.topP;
    if (cfg.seed !== undefined && !drop.has('seed')) params.seed = cfg.seed;
    if (cfg.maxTokens !== undefined && !drop.has('max_tokens')) params.max_tokens = cfg.maxTokens;
    if (cfg.logprobs && !drop.has('logprobs')) {
      params.logprobs = true;
      params.top_logprobs = cfg.topLogprobs ?? MLLM_DEFAULTS.topLogprobs;
    }
    let msgs = messages;
    if (want.schema) {
      if (useSchema) params.response_format = jsonSchemaResponseFormat(want.schema, want.name ?? 'reply');
      // (a corrective re-ask already spells the schema out)
      else if (!lastUserText(messages).includes(jsonSchemaText(want.schema))) {
        msgs = withInstruction(messages, plainJsonInstruction(want.schema));
      }
    }
    // the messages are hashed after the image budget was applied: the budget itself is not a key part
    const key = requestHash(cfg.baseURL, cfg.model, msgs, { ...params, maxImageSide: cfg.maxImageSide });
    return { messages: msgs, params, key };
  }

  /** One request to the server, retried on transient failures; each attempt holds a limiter slot. */
  private async send(
    messages: ChatMessage[],
    params: Record<string, unknown>,
    record: CallRecord,
  ): Promise<Completion> {
    const wire = await wireMessages(messages, this.cfg.maxImageSide, this.dataUrls);
    const body = {
      model: this.cfg.model,
      messages: wire,
      ...params,
      stream: false,
    } as OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming;
    const cfg = this.cfg;
    return pRetry(
      () =>
        this.limiter.run(async () => {
          record.attempts++;
          try {
            const res = await this.openai.chat.completions.create(body, {
              timeout: cfg.timeoutMs,
              ...(cfg.signal ? { signal: cfg.signal } : {}),
            });
            return completionOf(res);
          } catch (e) {
            throw this.attemptError(e, params);
          }
        }),
      {
        retries: cfg.maxRetries,
        factor: 2,
        minTimeout: cfg.retryMinDelayMs ?? MLLM_DEFAULTS.retryMinDelayMs,
        maxTimeout: cfg.retryMaxDelayMs ?? MLLM_DEFAULTS.retryMaxDelayMs,
        randomize: true,
        ...(cfg.signal ? { signal: cfg.signal } : {}),
        onFailedAttempt: ({ error, attemptNumber }) => {
          record.errors.push(`attempt ${attemptNumber}: ${error.message}`);
        },
        shouldRetry: async ({ error }) => {
          if (!(error instanceof AttemptError) || error.kind !== 'retryable') return false;
          // Retry-After is the least wait the server asked for; p-retry's back-off comes on top.
          if (error.extra.retryAfterMs) await abortableSleep(error.extra.retryAfterMs, cfg.signal);
          return !cfg.signal?.aborted;
        },
      },
    );
  }

  /** Classifies an SDK error: retryable, fatal (with a hint), or a parameter the server refuses. */
  private attemptError(e: unknown, params: Record<string, unknown>): AttemptError {
    const cfg = this.cfg;
    if (e instanceof AttemptError) return e;
    if (e instanceof APIConnectionTimeoutError) {
      return new AttemptError(`no reply within the ${cfg.timeoutMs} ms timeout`, 'retryable', {
        hint: 'The server is slow or overloaded: raise --timeout, or lower --concurrency.',
      });
    }
    if (e instanceof APIUserAbortError || cfg.signal?.aborted)
      return new AttemptError(abortReason(cfg.signal), 'fatal');
    if (e instanceof APIConnectionError) {
      const cause = (e as { cause?: { message?: string; code?: string } }).cause;
      const detail = cause?.code ?? cause?.message ?? e.message;
      return new AttemptError(this.redact(`connection to ${redactUrl(cfg.baseURL)} failed (${detail})`), 'retryable', {
        hint: 'Is the server running, and does --base-url / OPENAI_BASE_URL point at it?',
      });
    }
    if (e instanceof APIError) {
      const status = e.status ?? 0;
      const msg = this.redact(`HTTP ${status}: ${serverMessage(e)}`);
      if (status === 429) {
        return new AttemptError(msg, 'retryable', {
          retryAfterMs: retryAfterMs(e.headers, cfg.maxRetryAfterMs ?? MLLM_DEFAULTS.maxRetryAfterMs),
          hint: 'The server keeps rate-limiting: lower --concurrency or try later.',
        });
      }
      if (status >= 500 || status === 408 || status === 409) {
        return new AttemptError(msg, 'retryable', { hint: 'The server keeps failing; check its logs.' });
      }
      if (status === 400) {
        const param = refusedParam(e, params);
        if (param) return new AttemptError(msg, 'unsupported', { param });
        return new AttemptError(msg, 'fatal', {
          hint: 'The server rejected the request; does the model accept images?',
        });
      }
      if (status === 401) {
        return new AttemptError(`${msg} (check OPENAI_API_KEY)`, 'fatal', {
          hint: 'The server did not accept the API key: check OPENAI_API_KEY.',
        });
      }
      if (status === 403)
        return new AttemptError(msg, 'fatal', {
          hint: 'The API key may not use this model: check OPENAI_API_KEY and --model.',
        });
      if (status === 404) {
        return new AttemptError(msg, 'fatal', {
          hint: `Check --base-url (usually ends in /v1; now ${redactUrl(cfg.baseURL)}) and --model (now ${cfg.model}).`,
        });
      }
      return new AttemptError(msg, 'fatal');
    }
    // A 200 whose body is not a chat completion, or a socket closed mid-body: transient (proxies
    // and restarting servers do this), so retried like a refused connection.
    const m = e instanceof Error ? e.message : String(e);
    const transient = e instanceof SyntaxError || isNetworkError(e);
    return new AttemptError(this.redact(`unexpected response: ${m}`), transient ? 'retryable' : 'fatal');
  }

  /** The text with the API key and any bearer token removed. */
  private redact(s: string): string {
    return redactKey(s, this.cfg.apiKey);
  }
}

function distributionFields(dist: Record<string, number> | undefined) {
  if (!dist) return {};
  return {
    optionProbs: dist,
    optionLogprobs: Object.fromEntries(Object.entries(dist).map(([k, p]) => [k, Math.log(p)])),
  };
}

function completionOf(res: OpenAI.Chat.Completions.ChatCompletion): Completion {
  const choice = res.choices?.[0];
  if (!choice) throw new AttemptError('the server returned no choices', 'retryable');
  const msg = choice.message ?? ({} as OpenAI.Chat.Completions.ChatCompletionMessage);
  const lp = choice.logprobs?.content;
  return {
    content: typeof msg.content === 'string' ? msg.content : null,
    refusal: msg.refusal ?? null,
    finishReason: choice.finish_reason ?? undefined,
    logprobs: lp
      ? lp.map((t) => ({
          token: t.token,
          logprob: t.logprob,
          top_logprobs: (t.top_logprobs ?? []).map((x) => ({ token: x.token, logprob: x.logprob })),
        }))
      : undefined,
    promptTokens: res.usage?.prompt_tokens ?? 0,
    completionTokens: res.usage?.completion_tokens ?? 0,
  };
}

/**
 * A client for the configuration; pass one limiter to every client that should share a limit, and a
 * store to keep responses somewhere other than the file cache of `config.cacheDir`.
 */
export function createMllmClient(config: MllmConfig, limiter?: Limiter, store?: ResponseStore): MllmClient {
  return new MllmClient(config, limiter, store);
}

/** Node's codes for a connection that broke (undici puts them on the cause; 'terminated' is a body cut off). */
const NETWORK_CODES =
  /ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT|EAI_AGAIN|UND_ERR_SOCKET|UND_ERR_CLOSED|other side closed|terminated|socket hang up/i;

function isNetworkError(e: unknown): boolean {
  for (let x = e, depth = 0; x && depth < 4; x = (x as { cause?: unknown }).cause, depth++) {
    const o = x as { code?: unknown; message?: unknown };
    if (NETWORK_CODES.test(String(o.code ?? '')) || NETWORK_CODES.test(String(o.message ?? ''))) return true;
  }
  return false;
}

/** Why a signal aborted, in words ("deadline reached", "cancelled by the client", …). */
export function abortReason(signal: AbortSignal | undefined): string {
  const r: unknown = signal?.reason;
  if (r instanceof Error && r.name === 'TimeoutError') return 'deadline reached';
  if (r instanceof Error && r.message) return r.message;
  if (typeof r === 'string' && r) return r;
  return 'interrupted';
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
