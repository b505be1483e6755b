/** The MLLM client and its parts (see client.ts for the overview). */
export {
  MllmClient,
  MllmError,
  applyImageBudget,
  createMllmClient,
  describeMllmConfig,
  mllmConfigFromEnv,
  requestHash,
  retryAfterMs,
  validateMllmConfig,
  type CallRecord,
  type ChatContent,
  type ChatMessage,
  type MllmConfig,
  type MllmEnvOverrides,
  type StructuredOptions,
  type StructuredResult,
  type TextResult,
} from './client.js';
export { createLimiter, type Limiter } from './limiter.js';
export { openResponseCache, CACHE_FILE_NAME, type ResponseCache, type ResponseStore } from './cache.js';
export { imageDataUrl, pngFromRgba, bytesFromDataUrl, type DataUrlImage, type RgbaImage } from './images.js';
export { optionDistribution, letterOfToken, type TokenLogprob } from './logprobs.js';
export { jsonSchemaResponseFormat, parseStructured, extractJsonValues, repairJson } from './structured.js';
