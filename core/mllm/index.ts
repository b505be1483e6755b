/** The MLLM client and its parts (see client.ts for the overview). */
export {
  MllmClient,
  createMllmClient,
  type StructuredOptions,
  type StructuredResult,
  type TextResult,
} from './client.js';
export {
  describeMllmConfig,
  mllmConfigFromEnv,
  validateMllmConfig,
  type MllmConfig,
  type MllmEnvOverrides,
} from './config.js';
export { MllmError, retryAfterMs, type CallRecord } from './errors.js';
export { applyImageBudget, type ChatContent, type ChatMessage } from './messages.js';
export { requestHash } from './request-hash.js';
export { createLimiter, type Limiter } from './limiter.js';
export { openResponseCache, CACHE_FILE_NAME, type ResponseCache, type ResponseStore } from './cache.js';
export { imageDataUrl, pngFromRgba, bytesFromDataUrl, type DataUrlImage, type RgbaImage } from './images.js';
export { optionDistribution, letterOfToken, type TokenLogprob } from './logprobs.js';
export { jsonSchemaResponseFormat, parseStructured, extractJsonValues } from './structured.js';
