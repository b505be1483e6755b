/** The MLLM client's configuration: defaults from flags and the environment, validation, a traceable view. */
import { MLLM_DEFAULTS } from '../config.js';
import { VantageError } from '../errors.js';
import { redactUrl } from '../secrets.js';

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
  /**
   * Aborts every request of this client, retries included: Ctrl-C, a per-question deadline, an MCP
   * call the client cancelled. An aborted call fails with code 'interrupted'.
   */
  signal?: AbortSignal;
}

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
  // fetch errors quote the URL: a key written into it would reach the terminal and every retry
  if (url.username || url.password) {
    throw new VantageError(
      'mllm-config',
      `MLLM base URL "${redactUrl(config.baseURL)}" holds credentials (user:password@); they are not sent from there.`,
      'Put the key in OPENAI_API_KEY and give the URL without it, e.g. https://host/v1.',
    );
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
