/**
 * `vantage eval` with real views: the procedural question set at 512×384 (each picture lifted to
 * ≈197k surfels), Gaussians rendered by WebGPU at 512×384, against a local endpoint answering in
 * 200 ms, at concurrency 1, 4, 8 and 16. The figure is the MLLM call rate as a share of what the
 * endpoint allows (concurrency / latency): the rest is time the eval's own work (lifting,
 * rendering, encoding) kept requests from being in flight.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { runEval } from '../loop/eval/run.js';
import { RENDER_PARALLEL } from '../synth/config.js';
import { questionSet, startServer } from './eval.js';
import type { BenchFigure } from './run.js';

const LATENCY_MS = 200;

export async function benchEvalGpu(): Promise<BenchFigure[]> {
  const dir = await mkdtemp(join(tmpdir(), 'vantage-bench-eval-gpu-'));
  const server = await startServer(LATENCY_MS);
  const figures: BenchFigure[] = [];
  try {
    const data = await questionSet(dir, 64, { size: [512, 384] });
    for (const c of [1, 4, 8, 16]) {
      const n = Math.max(8, 3 * c);
      const before = server.requests;
      const t0 = performance.now();
      let tLast = t0;
      const load = loadavg()[0];
      const s = await runEval({
        data,
        format: 'native',
        model: 'bench-model',
        out: join(dir, `c${c}`),
        baseUrl: server.url,
        env: {},
        limit: n,
        rounds: 1,
        stop: 'fixed',
        size: '512x384',
        render: 'gaussians',
        concurrency: c,
        renderer: 'webgpu',
        progress: 'none',
        png: false,
        log: () => {},
        onLine: () => {
          tLast = performance.now();
        },
      });
      if (s.cells[0].errors) throw new Error(`${s.cells[0].errors} item(s) failed at concurrency ${c}`);
      const calls = server.requests - before;
      const rate = calls / ((tLast - t0) / 1000);
      const bound = c / (LATENCY_MS / 1000);
      figures.push({
        name: `eval call rate, WebGPU gaussians 512×384, concurrency ${c}, endpoint ${LATENCY_MS} ms`,
        value: (100 * rate) / bound,
        unit: '% of endpoint-bound',
        note: `${rate.toFixed(1)} calls/s of ${bound.toFixed(0)}; ${n} items, 1 view each, ${RENDER_PARALLEL} render(s) in parallel; load average ${load.toFixed(1)}`,
      });
    }
  } finally {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
  return figures;
}
