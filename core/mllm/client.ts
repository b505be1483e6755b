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
import { createHash } from 'node:crypto';
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import pRetry from 'p-retry';
import type { z } from 'zod';
import { MLLM_DEFAULTS } from '../config.js';
import { VantageError } from '../errors.js';
import { openResponseCache, type ResponseStore } from './cache.js';
import { imageDataUrl } from './images.js';
import { createLimiter, type Limiter } from './limiter.js';
import { optionDistribution, type TokenLogprob } from './logprobs.js';
import {
  correctiveInstruction,
  jsonSchemaResponseFormat,
  jsonSchemaText,
  parseStructured,
  plainJsonInstruction,
} from './structured.js';

export interface MllmConfig {
  /** e.g. http://localhost:8000/v1 (vLLM), https://api.openai.com/v1 */
  baseURL: string;
  apiKey?: string;
  model: string;
  /** per HTTP attempt */
  timeoutMs: number;
  /** retries after the first attempt (429, 5xx, timeouts, connection resets) */
  maxRetries: number;
  /** images are downscaled so that their longest side is at most this */
  maxImageSide: number;
  /** directory of the response cache; no cache when absent */
  cacheDir?: string;
  /** requests in flight at once (for a limiter the client creates itself) */
  concurrency: number;
  temperature?: number;
  /** nucleus sampling (sent as top_p) */
  topP?: number;
  seed?: number;
  /** ask for token logprobs (for the option distribution) */
  logprobs?: boolean;
  /** alternatives per token when logprobs is on; default MLLM_DEFAULTS.topLogprobs */
  topLogprobs?: number;
  maxTokens?: number;
  /** images per request: the first (original) plus the latest ones; older views become a text note */
  maxImages?: number;
  /** back-off: first delay and cap (exponential, with jitter) */
  retryMinDelayMs?: number;
  retryMaxDelayMs?: number;
  /** a server's Retry-After is honoured up to this */
  maxRetryAfterMs?: number;
}

export type ChatContent =
  | { type: 'text'; text: string }
  /** `pinned`: an original photo, kept before any other image when a request has too many */
  | { type: 'image'; png: Buffer; caption?: string; pinned?: boolean };

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string | ChatContent[];
}

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

/** A failed MLLM call (after retries and the re-ask): the loop records `record` and goes on. */
export class MllmError extends VantageError {
  readonly record: CallRecord;
  /** the last reply text, when there was one */
  readonly raw?: string;
  constructor(message: string, record: CallRecord, hint?: string, raw?: string) {
    super('mllm-failed', message, hint);
    this.name = 'MllmError';
    this.record = record;
    this.raw = raw;
  }
}

// ---------------------------------------------------------------------------------------------
// Configuration

export type MllmEnvOverrides = Partial<MllmConfig>;

/**
 * The client configuration: explicit values (CLI flags) first, then the environment
 * (OPENAI_BASE_URL or its alias OPENAI_API_BASE, OPENAI_API_KEY, VANTAGE_MODEL), then MLLM_DEFAULTS.
 */
export function mllmConfigFromEnv(overrides: MllmEnvOverrides = {}, env: NodeJS.ProcessEnv = process.env): MllmConfig {
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)) as MllmEnvOverrides;
  const config: MllmConfig = {
    timeoutMs: MLLM_DEFAULTS.timeoutMs,
    maxRetries: MLLM_DEFAULTS.maxRetries,
    maxImageSide: MLLM_DEFAULTS.maxImageSide,
    concurrency: MLLM_DEFAULTS.concurrency,
    temperature: MLLM_DEFAULTS.temperature,
    maxImages: MLLM_DEFAULTS.maxImages,
    ...defined,
    // OPENAI_API_BASE: the older name (openai-python < 1, lmms-eval, VLMEvalKit) read as an alias
    baseURL: defined.baseURL ?? (env.OPENAI_BASE_URL || env.OPENAI_API_BASE) ?? '',
    model: defined.model ?? env.VANTAGE_MODEL ?? '',
    apiKey: defined.apiKey ?? (env.OPENAI_API_KEY || undefined),
  };
  validateMllmConfig(config);
  return config;
}

/** Throws a VantageError naming the first unusable setting. */
export function validateMllmConfig(config: MllmConfig): void {
  const howTo =
    'Set --base-url or OPENAI_BASE_URL (e.g. http://localhost:8000/v1 for vLLM, https://api.openai.com/v1 for OpenAI) ' +
    'and --model or VANTAGE_MODEL (plus OPENAI_API_KEY if the server needs one), ' +
    'or run without an endpoint with --model builtin:perceiver.';
  if (config.model.startsWith('builtin:')) {
    throw new VantageError(
      'mllm-config',
      `Model "${config.model}" is a built-in model, not an OpenAI-compatible endpoint.`,
      'Built-in models are run by the loop directly; use a served model name for the MLLM client.',
    );
  }
  if (!config.baseURL || !config.model) {
    const missing = [!config.baseURL && 'base URL', !config.model && 'model'].filter(Boolean).join(' and ');
    throw new VantageError('mllm-config', `No MLLM ${missing} given.`, howTo);
  }
  let url: URL;
  try {
    url = new URL(config.baseURL);
  } catch {
    throw new VantageError('mllm-config', `MLLM base URL "${redactUrl(config.baseURL)}" is not a URL.`, howTo);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new VantageError('mllm-config', `MLLM base URL must be http(s), got "${url.protocol}".`, howTo);
  }
  const numbers: [string, number | undefined, number, boolean][] = [
    // name, value, minimum, required
    ['timeoutMs', config.timeoutMs, 1, true],
    ['maxRetries', config.maxRetries, 0, true],
    ['maxImageSide', config.maxImageSide, 16, true],
    ['concurrency', config.concurrency, 1, true],
    ['maxImages', config.maxImages, 1, false],
    ['topLogprobs', config.topLogprobs, 1, false],
    ['maxTokens', config.maxTokens, 1, false],
    ['temperature', config.temperature, 0, false],
    ['topP', config.topP, 0, false],
    ['retryMinDelayMs', config.retryMinDelayMs, 0, false],
    ['retryMaxDelayMs', config.retryMaxDelayMs, 0, false],
    ['maxRetryAfterMs', config.maxRetryAfterMs, 0, false],
  ];
  for (const [name, v, min, required] of numbers) {
    if (v === undefined && !required) continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min) {
      throw new VantageError('mllm-config', `MLLM setting ${name} must be a number ≥ ${min}, got ${v}.`);
    }
  }
  if (config.topP !== undefined && config.topP > 1)
    throw new VantageError('mllm-config', `MLLM setting topP must be at most 1, got ${config.topP}.`);
}

/** The configuration as it may be shown or traced: no API key, no credentials in the URL. */
export function describeMllmConfig(config: MllmConfig): Omit<MllmConfig, 'apiKey'> & { apiKey: 'set' | 'none' } {
  const { apiKey, ...rest } = config;
  return { ...rest, baseURL: redactUrl(config.baseURL), apiKey: apiKey ? 'set' : 'none' };
}

function redactUrl(u: string): string {
  return u.replace(/\/\/[^/@]*@/, '//[redacted]@');
}

// ---------------------------------------------------------------------------------------------
// Messages

/**
 * The messages with at most `maxImages` images: the pinned ones (original photos; else the first
 * image) in order, then the latest others. A dropped image leaves its caption behind as a note, so
 * the conversation still says that it existed.
 */
export function applyImageBudget(messages: readonly ChatMessage[], maxImages: number): ChatMessage[] {
  const positions: [number, number][] = [];
  const pinned: [number, number][] = [];
  messages.forEach((m, i) => {
    if (typeof m.content !== 'string')
      m.content.forEach((c, j) => {
        if (c.type === 'image') (c.pinned ? pinned : positions).push([i, j]);
      });
  });
  if (positions.length + pinned.length <= maxImages) return messages.map((m) => ({ ...m }));
  if (!pinned.length) pinned.push(positions.shift()!);
  const room = Math.max(0, maxImages - pinned.length);
  const kept = [...pinned.slice(0, maxImages), ...(room ? positions.slice(positions.length - room) : [])];
  const keep = new Set(kept.map(([i, j]) => `${i}:${j}`));
  return messages.map((m, i) => {
    if (typeof m.content === 'string') return { ...m };
    return {
      ...m,
      content: m.content.map((c, j): ChatContent => {
        if (c.type !== 'image' || keep.has(`${i}:${j}`)) return c;
        return {
          type: 'text',
          text: `[image omitted to stay within ${maxImages} images per request${c.caption ? `: ${c.caption}` : ''}]`,
        };
      }),
    };
  });
}

type WireMessage = OpenAI.Chat.Completions.ChatCompletionMessageParam;
type WirePart = OpenAI.Chat.Completions.ChatCompletionContentPart;

/** Data URLs already made from a PNG (by identity): a re-ask resends the same images. */
type DataUrlMemo = WeakMap<Buffer, Promise<string>>;

async function wireMessages(
  messages: readonly ChatMessage[],
  maxSide: number,
  memo: DataUrlMemo,
): Promise<WireMessage[]> {
  return Promise.all(
    messages.map(async (m, i): Promise<WireMessage> => {
      if (typeof m.content === 'string') return { role: m.role, content: m.content } as WireMessage;
      if (m.role !== 'user') {
        if (m.content.some((c) => c.type === 'image')) {
          throw new VantageError(
            'mllm-request',
            `Message ${i} (${m.role}) holds an image; only user messages may carry images.`,
          );
        }
        return { role: m.role, content: m.content.map((c) => (c as { text: string }).text).join('\n') } as WireMessage;
      }
      const parts: WirePart[] = [];
      for (const c of m.content) {
        if (c.type === 'text') parts.push({ type: 'text', text: c.text });
        else {
          if (c.caption) parts.push({ type: 'text', text: c.caption });
          let url = memo.get(c.png);
          if (!url) {
            url = imageDataUrl(c.png, maxSide).then((img) => img.url);
            memo.set(c.png, url);
          }
          parts.push({ type: 'image_url', image_url: { url: await url } });
        }
      }
      return { role: 'user', content: parts };
    }),
  );
}

function lastUserText(messages: readonly ChatMessage[]): string {
  const m = [...messages].reverse().find((x) => x.role === 'user');
  if (!m) return '';
  return typeof m.content === 'string' ? m.content : m.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
}

/** Appends text to the last user message (servers with strict chat templates want roles to alternate). */
function withInstruction(messages: readonly ChatMessage[], text: string): ChatMessage[] {
  const out = messages.map((m) => ({ ...m }));
  for (let i = out.length - 1; i >= 0; i--) {
    if (out[i].role !== 'user') continue;
    const c = out[i].content;
    out[i].content = typeof c === 'string' ? `${c}\n\n${text}` : [...c, { type: 'text', text }];
    return out;
  }
  out.push({ role: 'user', content: text });
  return out;
}

// ---------------------------------------------------------------------------------------------
// Request hashing

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Image hashes by Buffer identity: a conversation resends the same original (and earlier views)
 * in every request, so each image is hashed once, however large. Image buffers are not mutated
 * once handed to the client.
 */
const bufferHashes = new WeakMap<Buffer, string>();

function bufferHash(b: Buffer): string {
  let h = bufferHashes.get(b);
  if (h === undefined) {
    h = sha256(b);
    bufferHashes.set(b, h);
  }
  return h;
}

/** JSON with object keys sorted, so that equal requests hash equally. */
function canonicalJson(v: unknown): string {
  if (Buffer.isBuffer(v)) return JSON.stringify(`sha256:${bufferHash(v)}`);
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/** The cache key: sha256 of model + messages (images by their hash) + parameters. */
export function requestHash(model: string, messages: readonly ChatMessage[], params: Record<string, unknown>): string {
  return sha256(canonicalJson({ v: 1, model, messages, params }));
}

// ---------------------------------------------------------------------------------------------
// Errors of one HTTP attempt

type AttemptKind = 'retryable' | 'fatal' | 'unsupported';

class AttemptError extends Error {
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

// ---------------------------------------------------------------------------------------------
// The client

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
    this.cfg = { ...config };
    this.limiter = limiter ?? createLimiter(config.concurrency);
    if (store) this.cache = Promise.resolve(store);
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
        const c = redactStrings(await this.send(req.messages, req.params, record), (x) => this.redact(x));
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
    const key = requestHash(cfg.model, msgs, { ...params, maxImageSide: cfg.maxImageSide });
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
            const res = await this.openai.chat.completions.create(body, { timeout: cfg.timeoutMs });
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
        onFailedAttempt: ({ error, attemptNumber }) => {
          record.errors.push(`attempt ${attemptNumber}: ${error.message}`);
        },
        shouldRetry: async ({ error }) => {
          if (!(error instanceof AttemptError) || error.kind !== 'retryable') return false;
          // Retry-After is the least wait the server asked for; p-retry's back-off comes on top.
          if (error.extra.retryAfterMs) await new Promise((r) => setTimeout(r, error.extra.retryAfterMs));
          return true;
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
    if (e instanceof APIUserAbortError) return new AttemptError('request aborted', 'fatal');
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
    // A 200 whose body is not a chat completion: treat as transient (proxies do this under load).
    const m = e instanceof Error ? e.message : String(e);
    return new AttemptError(this.redact(`unexpected response: ${m}`), e instanceof SyntaxError ? 'retryable' : 'fatal');
  }

  /** The text with the API key and any bearer token removed. */
  private redact(s: string): string {
    let out = s.replace(/Bearer\s+[^\s"'`,;\\]+/gi, 'Bearer [redacted]');
    const key = this.cfg.apiKey;
    if (key && key.length >= 4) out = out.split(key).join('[redacted]');
    return out;
  }
}

/** A copy of a plain-data value with every string passed through `f`. */
function redactStrings<T>(v: T, f: (s: string) => string): T {
  if (typeof v === 'string') return f(v) as T;
  if (Array.isArray(v)) return v.map((x) => redactStrings(x, f)) as T;
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, redactStrings(x, f)])) as T;
  }
  return v;
}

function distributionFields(dist: Record<string, number> | undefined) {
  if (!dist) return {};
  return {
    optionProbs: dist,
    optionLogprobs: Object.fromEntries(Object.entries(dist).map(([k, p]) => [k, Math.log(p)])),
  };
}

function serverMessage(e: APIError): string {
  const body = e.error as { message?: unknown } | undefined;
  const m = typeof body?.message === 'string' ? body.message : e.message;
  return m.length > 500 ? `${m.slice(0, 500)}…` : m;
}

/** The parameter a 400 says the server does not support, if it is one we may drop. */
function refusedParam(e: APIError, params: Record<string, unknown>): string | undefined {
  const text = `${e.param ?? ''} ${serverMessage(e)}`.toLowerCase();
  for (const p of DROPPABLE_PARAMS) {
    if (!(p in params)) continue;
    if (text.includes(p) || (p === 'response_format' && text.includes('json_schema'))) return p;
  }
  return undefined;
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
