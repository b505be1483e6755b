/**
 * The loop's own time per round with a zero-latency local OpenAI-compatible endpoint: render +
 * PNG encode + request building (base64 images, JSON) + the HTTP round trip on 127.0.0.1 + fusion.
 * The endpoint's "brain" answers instantly, so what is left is the loop's cost. Targets: ≤ 300 ms
 * per round on the 2-core CI machine at 512², ≤ 30 ms on a GPU.
 */
import { generateScene } from '../fixtures/scenes.js';
import { liftFixture } from '../fixtures/scan.js';
import { encodePng, rgbaFromRgb } from '../core/io/image.js';
import { createRenderer } from '../synth/renderer.js';
import { createMllmClient, mllmConfigFromEnv } from '../core/mllm/index.js';
import { OpenAIVisionModel } from '../loop/models/openai.js';
import { runLoop } from '../loop/run.js';
import { loopConfigFrom } from '../loop/config.js';
import { startOpenAIServer, type BrainRequest } from '../test/support/openai-server.js';
import type { RenderMode } from '../core/types.js';

export interface BenchFigure {
  name: string;
  value: number;
  unit: string;
  note?: string;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};

/** A brain with no thinking: the next orbit for the controller, a fixed answer for the answerer. */
function instantBrain() {
  let k = 0;
  return (req: BrainRequest) => {
    const name = (req.responseFormat as { json_schema?: { name?: string } } | undefined)?.json_schema?.name ?? '';
    const controller = name === 'controller' || req.texts.some((t) => t.includes('"action"'));
    if (controller) {
      const az = [40, -40, 80, -80, 120, -120][k++ % 6];
      return {
        action: 'view',
        pose: { mode: 'orbit', azimuth_deg: az, elevation_deg: 15, distance_scale: 1 },
        reason: 'bench',
      };
    }
    return { choice: 'A', confidence: 0.6, rationale: 'bench' };
  };
}

export interface LoopBenchOptions {
  size?: number;
  rounds?: number;
  mode?: RenderMode;
  prefer?: 'webgpu' | 'reference';
}

/** Per-round loop time (median over view rounds), and its render share, at size². */
export async function measureLoopRound(
  o: LoopBenchOptions = {},
): Promise<{ roundMs: number; renderMs: number; overheadMs: number; renderer: string; rounds: number }> {
  const size = o.size ?? 512;
  const rounds = o.rounds ?? 4;
  const fixture = generateScene('tabletop', { width: size, height: size });
  const { frame, scene } = liftFixture(fixture, size, size, 0);
  const rgba = rgbaFromRgb(frame.rgb);
  const png = await encodePng(rgba, size, size, 4);
  const server = await startOpenAIServer({ brain: instantBrain() });
  const renderer = await createRenderer({ prefer: o.prefer, warn: () => {} });
  try {
    const client = createMllmClient(
      mllmConfigFromEnv({ baseURL: server.url, model: 'bench-model', apiKey: 'none', maxImageSide: size }, {}),
    );
    const model = new OpenAIVisionModel({ client });
    const config = loopConfigFrom({
      maxRounds: rounds,
      width: size,
      height: size,
      render: o.mode ?? 'gaussians',
      stop: { policy: 'fixed' },
      model: 'bench-model',
    });
    // one warm-up run (shader compilation, JIT), then the measured one
    const input = {
      question: { text: 'Which is nearer?', options: ['the red box', 'the blue box'] },
      scene,
      originals: [{ png, width: size, height: size, geometry: { rgba } }],
      inputInfo: { images: ['bench'], intrinsics: 'fixture', units: 'metres' as const, notes: [] },
    };
    await runLoop(input, model, renderer, { ...config, maxRounds: 1 });
    const { trace } = await runLoop(input, model, renderer, config);
    const views = trace.rounds.filter((r) => r.view && !r.failed);
    const roundMs = median(views.map((r) => r.ms));
    const renderMs = median(views.map((r) => r.view!.renderMs));
    return {
      roundMs,
      renderMs,
      overheadMs: median(views.map((r) => r.ms - r.view!.renderMs)),
      renderer: renderer.kind,
      rounds: views.length,
    };
  } finally {
    renderer.dispose();
    await server.close();
  }
}

/** The bench runner's entry: figures for the default render mode at 512². */
export async function benchLoop(): Promise<BenchFigure[]> {
  const m = await measureLoopRound({ size: 512, rounds: 4, mode: 'gaussians' });
  const p = await measureLoopRound({ size: 512, rounds: 4, mode: 'points' });
  const note = (x: typeof m, mode: string) =>
    `${x.renderer} renderer, ${mode}, median of ${x.rounds} view rounds, zero-latency local endpoint`;
  return [
    {
      name: 'loop time per round at 512² (gaussians)',
      value: Math.round(m.roundMs),
      unit: 'ms',
      note: note(m, 'gaussians'),
    },
    { name: '… of which rendering (gaussians)', value: Math.round(m.renderMs), unit: 'ms', note: note(m, 'gaussians') },
    {
      name: '… the rest: PNG encode, requests, HTTP, fusion',
      value: Math.round(m.overheadMs),
      unit: 'ms',
      note: note(m, 'gaussians'),
    },
    { name: 'loop time per round at 512² (points)', value: Math.round(p.roundMs), unit: 'ms', note: note(p, 'points') },
    { name: '… of which rendering (points)', value: Math.round(p.renderMs), unit: 'ms', note: note(p, 'points') },
  ];
}
