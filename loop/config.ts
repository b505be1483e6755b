/**
 * The reasoning loop's configuration: defaults, and validation of what a user (CLI flags, a JSON
 * file, the library API) supplies. The defaults were chosen by measurement on the procedural
 * question set (`vantage demo`, bench/demo.ts); the comment on LOOP_DEFAULTS gives the figures.
 */
import { z } from 'zod';
import { VantageError } from '../core/errors.js';
import { RENDER_DEFAULTS } from '../synth/config.js';
import { renderSide } from '../core/render-size.js';

/** The model used when none is named: $VANTAGE_MODEL, else the built-in pixel perceiver. */
export function defaultModelName(env: NodeJS.ProcessEnv = process.env): string {
  const m = env.VANTAGE_MODEL?.trim();
  return m ? m : 'builtin:perceiver';
}

/**
 * Defaults, chosen on the procedural question set (`vantage demo`, builtin:perceiver): one
 * fixed-round run of 40 questions × 4 views, every fusion × stop policy replayed on the recorded
 * rounds (bench/demo.ts). Accuracy went 47.5% → 100% after the first view and stayed there.
 * - fusion loglinear: never below the others; `vote` lost 15 pp after one view (the prior and the
 *   view tie) and `last` lost 5–7.5 pp at the fourth view (a late, hole-ridden view misled it).
 * - maxRounds 3: the gain came with view 1; more views only cost (and can add noise, as `last`
 *   showed); 3 leaves room for an MLLM controller whose first pose is worse than the perceiver's.
 * - adaptive, stable k = 1, τ = 0.2: the same accuracy as k = 2 or 3 with fewer views (1.15 vs
 *   1.25 mean views); τ ≥ 0.2 keeps a tie from passing as "stable" (vote with τ = 0: 85%).
 * - imageBudget 4: the original plus every view of a 3-round run.
 */
export const LOOP_DEFAULTS: LoopConfig = {
  model: 'builtin:perceiver',
  maxRounds: 3,
  poseFormat: 'orbit',
  render: RENDER_DEFAULTS.mode,
  holes: RENDER_DEFAULTS.holes,
  width: RENDER_DEFAULTS.width,
  height: RENDER_DEFAULTS.height,
  fusion: 'loglinear',
  stop: { policy: 'adaptive', stableRounds: 1, marginTau: 0.2, relativeTolerance: 0.05 },
  imageBudget: 4,
};

const side = renderSide();

const StopConfigSchema = z
  .object({
    policy: z.enum(['adaptive', 'fixed']),
    stableRounds: z.number().int().min(1).max(20),
    marginTau: z.number().min(0).max(1),
    /** numeric questions: stable when the fused estimate moved by at most this share (0.05 = 5 %) */
    relativeTolerance: z.number().min(0).max(10).optional(),
    tokenBudget: z.number().int().positive().optional(),
    secondsBudget: z.number().positive().optional(),
  })
  .strict();

/** A full loop configuration; unknown keys are an error so typos do not pass silently. */
export const LoopConfigSchema = z
  .object({
    model: z.string().min(1),
    maxRounds: z.number().int().min(0).max(20),
    poseFormat: z.enum(['orbit', 'ego', 'preset', 'language']),
    render: z.enum(['points', 'gaussians']),
    holes: z.enum(['mark', 'fill', 'none']),
    width: side,
    height: side,
    fusion: z.enum(['loglinear', 'vote', 'last']),
    stop: StopConfigSchema,
    /** images sent per request: the original plus the latest k views */
    imageBudget: z.number().int().min(1).max(16),
  })
  .strict();

export type LoopConfig = z.infer<typeof LoopConfigSchema>;
export type FusionPolicy = LoopConfig['fusion'];

/** A user's (partial) loop configuration: any key of LoopConfig may be left out, stop's keys too. */
export const LoopConfigInputSchema = LoopConfigSchema.extend({ stop: StopConfigSchema.partial() }).partial();

export type LoopConfigInput = z.infer<typeof LoopConfigInputSchema>;

/** A full LoopConfig: the defaults overlaid with the user's values, validated. */
export function loopConfigFrom(input: unknown = {}, base: LoopConfig = LOOP_DEFAULTS): LoopConfig {
  const r = LoopConfigInputSchema.safeParse(input ?? {});
  if (!r.success) {
    const problems = r.error.issues.map((i) => `${i.path.join('.') || '(config)'}: ${i.message}`).join('; ');
    throw new VantageError(
      'bad-config',
      `invalid loop configuration: ${problems}`,
      'keys: model, maxRounds, poseFormat (orbit|ego|preset|language), render (points|gaussians), holes (mark|fill|none), ' +
        'width, height, fusion (loglinear|vote|last), stop {policy, stableRounds, marginTau, relativeTolerance, tokenBudget, secondsBudget}, imageBudget',
    );
  }
  const u = r.data;
  const defined = <T extends object>(o: T) =>
    Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
  const { stop, ...rest } = u;
  return {
    ...base,
    ...defined(rest),
    stop: { ...base.stop, ...defined(stop ?? {}) },
  };
}

/** Evidence fusion (loop/fusion.ts). */
export const FUSION_DEFAULTS = {
  /** floor on every option probability before pooling: one confident round cannot veto an option */
  probabilityFloor: 1e-3,
  /** add-α smoothing of the vote policy, so an option nobody voted for keeps some mass */
  voteSmoothing: 0.5,
} as const;

/** What a trace keeps (loop/models/calls.ts). */
export const TRACE_LIMITS = {
  /** model text kept per call: a runaway 5 MB reply would otherwise fill trace.json and index.html */
  maxReplyChars: 20_000,
} as const;
