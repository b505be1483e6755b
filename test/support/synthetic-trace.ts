/**
 * A small but complete synthetic Trace (3 rounds: the prior and two orbit views, real c2w poses from
 * core/pose.ts) and matching PNGs made with sharp, for the trace and report tests.
 */
import sharp from 'sharp';
import { intrinsicsFromHfov, identity } from '../../core/camera.js';
import { c2wFromPose, poseCaption, poseContext, type Pose } from '../../core/pose.js';
import type { Camera, Vec3 } from '../../core/types.js';
import type { LoopConfig, RoundRecord, Trace } from '../../loop/types.js';

export async function solidPng(width: number, height: number, rgb: [number, number, number]): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } })
    .png()
    .toBuffer();
}

export const SYNTH_CONFIG: LoopConfig = {
  model: 'builtin:perceiver',
  maxRounds: 3,
  poseFormat: 'orbit',
  render: 'gaussians',
  holes: 'mark',
  width: 64,
  height: 48,
  fusion: 'loglinear',
  stop: { policy: 'adaptive', stableRounds: 1, marginTau: 0.3, tokenBudget: 20000, secondsBudget: 120 },
  imageBudget: 2,
};

export function syntheticTrace(): Trace {
  const reference: Camera = { intrinsics: intrinsicsFromHfov(64, 48), c2w: identity() };
  const up: Vec3 = [0, -1, 0];
  const pivot: Vec3 = [0, 0, 2];
  const ctx = poseContext(reference, pivot, up);
  const view = (round: number, pose: Pose, coverage: number): RoundRecord['view'] => {
    const c2w = Array.from(c2wFromPose(pose, ctx));
    return {
      file: `round-${String(round).padStart(2, '0')}.png`,
      pose,
      caption: poseCaption(pose),
      camera: { intrinsics: reference.intrinsics, c2w },
      c2w,
      coverage,
      mode: 'gaussians',
      holes: 'mark',
      renderer: 'reference',
      renderMs: 12 + round,
      poseErrors: round === 2 ? ['elevation_deg=95 is outside -85..85'] : [],
      clamped: round === 2 ? ['elevation_deg 95 → 85'] : [],
    };
  };
  const call = (role: 'controller' | 'answerer', p: number, c: number) => ({
    role,
    model: 'builtin:perceiver',
    cached: false,
    attempts: 1,
    latencyMs: 5 * p,
    promptTokens: p,
    completionTokens: c,
    errors: [],
    prompt: 'Which object is left of the mug? <script>alert(1)</script>',
    reply: '{"choice":"A"}',
  });
  const rounds: RoundRecord[] = [
    {
      round: 0,
      answer: {
        choice: 'B',
        confidence: 0.5,
        rationale: 'Only the front is visible & the mug hides <things>.',
        dist: { A: 0.4, B: 0.5, C: 0.1 },
        distSource: 'self-report',
      },
      posterior: { A: 0.4, B: 0.5, C: 0.1 },
      fusedChoice: 'B',
      margin: 0.1,
      calls: [call('answerer', 100, 20)],
      ms: 40,
    },
    {
      round: 1,
      view: view(1, { mode: 'orbit', azimuth_deg: 40, elevation_deg: 10, distance_scale: 1 }, 0.82),
      decision: {
        action: 'view',
        pose: { mode: 'orbit', azimuth_deg: 40, elevation_deg: 10, distance_scale: 1 },
        reason: 'look from the right side',
      },
      answer: {
        choice: 'A',
        confidence: 0.8,
        rationale: 'From the right the red box is left of the mug.',
        dist: { A: 0.8, B: 0.15, C: 0.05 },
        distSource: 'self-report',
      },
      posterior: { A: 0.62, B: 0.33, C: 0.05 },
      fusedChoice: 'A',
      margin: 0.29,
      fusionWeight: 0.82,
      calls: [call('controller', 80, 30), call('answerer', 150, 20)],
      ms: 75,
    },
    {
      round: 2,
      view: view(2, { mode: 'orbit', azimuth_deg: -60, elevation_deg: 85, distance_scale: 1.5 }, 0.64),
      decision: {
        action: 'view',
        pose: { mode: 'orbit', azimuth_deg: -60, elevation_deg: 85, distance_scale: 1.5 },
        reason: 'look from above',
      },
      answer: {
        choice: 'A',
        confidence: 0.9,
        rationale: 'From above: A.',
        dist: { A: 0.9, B: 0.05, C: 0.05 },
        distSource: 'self-report',
      },
      posterior: { A: 0.78, B: 0.17, C: 0.05 },
      fusedChoice: 'A',
      margin: 0.61,
      calls: [call('controller', 90, 30), call('answerer', 160, 20)],
      ms: 80,
    },
  ];
  return {
    version: 1,
    createdAt: '2025-01-02T03:04:05.000Z',
    question: {
      id: 'q1',
      text: 'Which object is left of the mug, seen from the door?',
      options: ['the red box', 'the blue vase', 'nothing'],
      answer: 'A',
      category: 'relative-position',
    },
    config: SYNTH_CONFIG,
    modelLabel: 'builtin:perceiver (deterministic pixel perceiver — not an LLM)',
    input: {
      images: ['input-0.png'],
      intrinsics: 'assumed: 60° hfov',
      units: 'metres',
      notes: ['intrinsics assumed: 60° hfov'],
    },
    reference,
    up,
    pivot,
    rounds,
    final: { choice: 'A', probability: 0.78, posterior: rounds[2].posterior, stopReason: 'stable', rounds: 3 },
    totals: { promptTokens: 580, completionTokens: 120, calls: 5, ms: 195 },
  };
}

/** The PNGs of syntheticTrace(): the original input copy and one per view, each a different colour. */
export async function syntheticViews(): Promise<{ file: string; png: Buffer }[]> {
  return [
    { file: 'input-0.png', png: await solidPng(64, 48, [200, 200, 200]) },
    { file: 'round-01.png', png: await solidPng(64, 48, [220, 40, 40]) },
    { file: 'round-02.png', png: await solidPng(64, 48, [40, 40, 220]) },
  ];
}
