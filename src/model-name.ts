/**
 * Which model answers when a caller names none: $VANTAGE_MODEL, else the built-in perceiver — but
 * only for the procedural scenes it understands. For a real photo the perceiver would answer at
 * random, so asking without a model is an error that says so.
 */
import { VantageError } from '../core/errors.js';

export function modelNameFor(
  named: string | undefined,
  loaded: { fixture?: unknown },
  env: NodeJS.ProcessEnv = process.env,
): string {
  const m = named?.trim() || env.VANTAGE_MODEL?.trim();
  if (m) return m;
  if (loaded.fixture) return 'builtin:perceiver';
  throw new VantageError(
    'no-model',
    'no model named: the built-in perceiver only understands the procedural scenes (--fixture), not photos',
    'name an MLLM served at OPENAI_BASE_URL with --model NAME (or config.model, or $VANTAGE_MODEL); builtin:perceiver can still be named explicitly',
  );
}
