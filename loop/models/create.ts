/** A vision model by name: the built-in perceiver, a human at the terminal or in the browser, or a served MLLM. */
import { VantageError } from '../../core/errors.js';
import { createMllmClient, mllmConfigFromEnv, type MllmConfig } from '../../core/mllm/index.js';
import type { Limiter } from '../../core/mllm/limiter.js';
import type { ResponseStore } from '../../core/mllm/cache.js';
import type { VisionModel } from './contract.js';
import { OpenAIVisionModel } from './openai.js';
import { HumanModel, type HumanModelOptions } from './human.js';
import { HumanWebModel, type HumanWebOptions } from './human-web.js';
import { PerceiverModel } from '../perceiver/model.js';

export interface CreateModelOptions {
  /** MLLM client settings (base URL, key, timeouts …); the rest comes from the environment */
  mllm?: Partial<MllmConfig>;
  limiter?: Limiter;
  /** keep MLLM responses here instead of the file cache (a cache shared by the job queue's workers) */
  responseStore?: ResponseStore;
  human?: HumanModelOptions;
  /** the browser human model's server (host, port, where its URL goes) */
  humanWeb?: HumanWebOptions;
  env?: NodeJS.ProcessEnv;
  recordPrompts?: boolean;
}

/** 'builtin:perceiver', 'human', 'human-web', or the name of a model served at an OpenAI-compatible endpoint. */
export function createModel(name: string, opts: CreateModelOptions = {}): VisionModel {
  const n = name.trim();
  if (n === 'builtin:perceiver') return new PerceiverModel();
  if (n === 'human') return new HumanModel(opts.human);
  if (n === 'human-web') return new HumanWebModel(opts.humanWeb);
  if (n.startsWith('builtin:')) {
    throw new VantageError(
      'bad-model',
      `unknown built-in model "${n}"`,
      'built-in models: builtin:perceiver, human, human-web',
    );
  }
  if (!n)
    throw new VantageError(
      'bad-model',
      'no model named',
      'use --model builtin:perceiver, human, human-web, or a served model name',
    );
  const config = mllmConfigFromEnv({ ...opts.mllm, model: n }, opts.env);
  return new OpenAIVisionModel({
    client: createMllmClient(config, opts.limiter, opts.responseStore),
    recordPrompts: opts.recordPrompts,
  });
}
