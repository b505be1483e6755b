/**
 * Video: the procedural walk-through set (VSI-Bench's eight types, exact truth) evaluated with the
 * built-in perceiver — VSI-Bench overall, multiple-choice accuracy and numeric MRA after 0 rounds (the
 * sampled frames alone) and after 2 view rounds of the loop — the decode time of a 30 s clip sampled to
 * 16 frames, uniformly and by motion, and the registration of those 16 frames (with their depth, no
 * camera path) into one scene.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeVideo, sampleVideo, sampleVideoToFiles } from '../core/io/video.js';
import { writeDepth } from '../core/io/depth.js';
import { loadImageScene } from '../synth/scene-source.js';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { writeVideoQuestionSet } from '../fixtures/video-set.js';
import { walkthroughOf } from '../fixtures/walkthrough.js';
import { textureFrame } from '../fixtures/multiview.js';

/** World-space texture cell for the registration clip (metres; the rooms are metre-scale). */
const TEXTURE_CELL_M = 0.25;
import { runEval } from '../loop/eval/run.js';
import { scoredUnits, scoreOf } from '../loop/eval/protocol.js';
import { isVsiNumeric } from '../loop/eval/vsibench.js';
import type { EvalLine } from '../loop/eval/types.js';
import type { BenchFigure } from './run.js';

const log = (s: string) => process.stderr.write(`bench: ${s}\n`);
const ROUNDS = 2;

export async function benchVideo(): Promise<{ figures: BenchFigure[]; markdown: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'vantage-bench-video-'));
  try {
    const figures: BenchFigure[] = [];
    // decode: a 30 s walk-through at 10 fps, 320×240
    log('video: ray-casting a 30 s walk-through (300 frames)…');
    const w = walkthroughOf(11, { frames: 300, width: 320, height: 240 });
    const clip = join(dir, 'walk-30s.mp4');
    // a world-space texture on the flat colours, as real rooms have (registration needs features)
    const textured = w.frames.map((f, i) =>
      textureFrame(
        { ...f, intrinsics: w.cameras[i].intrinsics, c2w: w.cameras[i].c2w, units: 'metres' },
        TEXTURE_CELL_M,
      ),
    );
    await encodeVideo(textured, clip, { fps: 10 });
    for (const sampling of ['uniform', 'motion'] as const) {
      const times: number[] = [];
      for (let i = 0; i < 3; i++) {
        const t0 = performance.now();
        await sampleVideo(clip, { frames: 16, sampling });
        times.push(performance.now() - t0);
      }
      times.sort((a, b) => a - b);
      figures.push({
        name: `decode 16 frames of a 30 s 320×240 clip (${sampling})`,
        value: Math.round(times[1]),
        unit: 'ms',
        note: 'median of 3, ffmpeg',
      });
    }

    // registration: the 16 sampled frames with their depth maps, no camera path given
    const depthDir = join(dir, 'depth');
    await mkdir(depthDir, { recursive: true });
    const depths = await Promise.all(
      w.frames.map(async (f, i) => {
        const p = join(depthDir, `${String(i).padStart(4, '0')}.png`);
        await writeDepth(p, f.depth, f.width, f.height);
        return p;
      }),
    );
    const files = await sampleVideoToFiles(clip, { frames: 16, dir: join(dir, 'frames'), depths });
    const k = w.cameras[0].intrinsics;
    const t0 = performance.now();
    try {
      const loaded = await loadImageScene({
        images: files.images,
        depths: files.depths,
        intrinsics: `${k.fx},${k.fy},${k.cx},${k.cy}`,
      });
      const reg = loaded.info.registration;
      if (reg) {
        const ok = reg.photos.filter((p) => p.registered).length;
        figures.push({
          name: 'register 16 frames of the 30 s clip (with depth, no camera path)',
          value: Math.round(reg.seconds * 1000),
          unit: 'ms',
          note: `${ok} of 16 registered (${reg.method}); textured procedural walk-through, 320×240`,
        });
      }
    } catch (e) {
      // a clip that does not register is a result too: its time, and that nothing registered
      figures.push({
        name: 'register 16 frames of the 30 s clip (with depth, no camera path)',
        value: Math.round(performance.now() - t0),
        unit: 'ms',
        note: `failed: ${(e as Error).message.split(':')[0]}`,
      });
    }

    log('video: walk-through question set (6 scenes) with builtin:perceiver…');
    const set = await writeVideoQuestionSet(join(dir, 'set'), {
      scenes: 6,
      seed: 3,
      frames: 60,
      width: 256,
      height: 192,
    });
    const out = join(dir, 'run');
    const summary = await runEval({
      data: set.jsonl,
      format: 'native',
      model: 'builtin:perceiver',
      out,
      rounds: ROUNDS,
      stop: 'fixed',
      size: '256x192',
      render: 'points',
      videoFrames: 8,
      progress: 'none',
      logSamples: false,
    });
    const cell = summary.cells[0];
    const lines = (await readFile(join(out, 'results.jsonl'), 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as EvalLine);
    const units = scoredUnits(lines);
    const mean = (us: typeof units, k: number) =>
      us.length ? us.reduce((a, u) => a + scoreOf(u, k), 0) / us.length : 0;
    const mc = units.filter((u) => !isVsiNumeric(u.category));
    const num = units.filter((u) => isVsiNumeric(u.category));
    for (const k of [0, ROUNDS]) {
      const when = k === 0 ? 'frames alone (round 0)' : `after ${k} view rounds`;
      figures.push({
        name: `walk-through VSI-Bench overall, ${when}`,
        value: round3(cell.official.byRound[k] ?? 0),
        unit: 'score',
        note: `${units.length} questions, 8 frames`,
      });
      figures.push({
        name: `walk-through multiple-choice accuracy, ${when}`,
        value: round3(mean(mc, k)),
        unit: 'fraction',
        note: `${mc.length} questions`,
      });
      figures.push({
        name: `walk-through numeric MRA, ${when}`,
        value: round3(mean(num, k)),
        unit: 'MRA',
        note: `${num.length} questions`,
      });
    }
    const types = [...new Set(units.map((u) => u.category))].sort();
    const table = [
      '| question type | n | round 0 | after 2 rounds |',
      '|---|---:|---:|---:|',
      ...types.map((t) => {
        const us = units.filter((u) => u.category === t);
        return `| ${t} | ${us.length} | ${mean(us, 0).toFixed(2)} | ${mean(us, ROUNDS).toFixed(2)} |`;
      }),
    ].join('\n');
    return { figures, markdown: `Walk-through set by type (accuracy or MRA):\n\n${table}` };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;
