/**
 * The loop with builtin:perceiver on fixture questions: it completes, records every round, keeps
 * the posterior normalised, and views help where the original hides the answer.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReferenceRenderer } from '../synth/reference-renderer.js';
import type { Renderer } from '../core/types.js';
import { runLoop } from '../loop/run.js';
import { HumanModel } from '../loop/models/human.js';
import { PerceiverModel } from '../loop/perceiver/model.js';
import { createModel } from '../loop/models/create.js';
import { PERCEIVER_LABEL } from '../loop/perceiver/reason.js';
import { writeTrace, readTrace } from '../loop/trace.js';
import { DEMO_DEFAULTS, demoTable, runDemo } from '../src/commands/demo.js';
import { readRunTraces, replayStopPolicy } from '../loop/eval/replay.js';
import { readResults } from '../loop/eval/results.js';
import { runEval } from '../loop/eval/run.js';
import { writeQuestionSet } from '../fixtures/dataset.js';
import { generateQuestions } from '../fixtures/questions.js';
import { testConfig, testQuestions, total, H, W, type TestQuestion } from './loop-helpers.js';

let renderer: Renderer;
let tmp: string;
let hidden: TestQuestion;
let leftRight: TestQuestion;

beforeAll(async () => {
  renderer = createReferenceRenderer();
  tmp = await mkdtemp(join(tmpdir(), 'vantage-loop-'));
  [hidden] = await testQuestions({ count: 1, categories: ['hidden-behind'] });
  [leftRight] = await testQuestions({ count: 1, categories: ['left-right'], seed: 11 });
});
afterAll(async () => {
  renderer?.dispose();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('runLoop with builtin:perceiver', () => {
  it('completes a fixed-round run: every round recorded, posteriors sum to 1, labelled as the perceiver', async () => {
    const config = testConfig({ maxRounds: 2, stop: { policy: 'fixed' } });
    const { trace, views } = await runLoop(leftRight.input, new PerceiverModel(), renderer, config);
    expect(trace.final.stopReason).toBe('fixed-rounds');
    expect(trace.rounds.map((r) => r.round)).toEqual([0, 1, 2]);
    expect(trace.modelLabel).toBe(PERCEIVER_LABEL);
    expect(trace.modelLabel).toMatch(/not an LLM/);
    for (const r of trace.rounds) {
      expect(total(r.posterior)).toBeCloseTo(1, 9);
      expect(total(r.answer.dist)).toBeCloseTo(1, 9);
      expect(r.calls.length).toBeGreaterThan(0);
      expect(r.failed).toBeUndefined();
    }
    expect(trace.rounds[0].view).toBeUndefined();
    for (const r of trace.rounds.slice(1)) {
      const v = r.view!;
      expect(v.file).toBe(`round-0${r.round}.png`);
      expect(v.caption).toMatch(/coverage \d+% real surface/);
      expect(v.caption).toMatch(/\[orbit azimuth_deg=/);
      expect(v.coverage).toBeGreaterThan(0.05);
      expect(v.c2w).toHaveLength(16);
      expect(r.decision?.action).toBe('view');
      expect(r.calls.map((c) => c.role)).toEqual(['controller', 'answerer']);
    }
    // the original is part of the trace, then one PNG per view
    expect(views.map((v) => v.file)).toEqual(['original-0.png', 'round-01.png', 'round-02.png']);
    expect(total(trace.final.posterior)).toBeCloseTo(1, 9);
    expect(trace.final.rounds).toBe(3);

    const dir = join(tmp, 'left-right');
    const w = await writeTrace(dir, trace, views);
    expect((await readdir(dir)).sort()).toEqual([
      'index.html',
      'original-0.png',
      'round-01.png',
      'round-02.png',
      'trace.json',
    ]);
    const back = await readTrace(dir);
    expect(back.rounds).toHaveLength(3);
    expect(Array.isArray(back.rounds[1].view!.camera.c2w)).toBe(true);
    expect(await readFile(w.indexHtml, 'utf8')).toContain('round-01.png');
  });

  it('a hidden-object question: wrong or unsure from the original alone, right after the views', async () => {
    const config = testConfig({ maxRounds: 2, stop: { policy: 'fixed' } });
    const { trace } = await runLoop(hidden.input, new PerceiverModel(), renderer, config);
    const truth = hidden.question.answer;
    const p0 = trace.rounds[0].posterior[truth];
    const pEnd = trace.final.posterior[truth];
    expect(trace.rounds[0].answer.cannotTell).toBe(true);
    expect(trace.final.choice).toBe(truth);
    expect(pEnd).toBeGreaterThan(p0 + 0.2);
  });

  it('adaptive stop: the perceiver says stop once it has located what it needs, and the stop is recorded', async () => {
    const config = testConfig({ maxRounds: 4, stop: { policy: 'adaptive', stableRounds: 3, marginTau: 0.99 } });
    const { trace } = await runLoop(hidden.input, new PerceiverModel(), renderer, config);
    expect(['model-stop', 'stable']).toContain(trace.final.stopReason);
    expect(trace.rounds.length).toBeLessThan(5);
    const last = trace.rounds[trace.rounds.length - 1];
    if (trace.final.stopReason === 'model-stop') expect(last.calls.at(-1)!.role).toBe('controller');
  });

  it('every pose format reaches the renderer (the perceiver answers "language" with orbits, and says so)', async () => {
    for (const poseFormat of ['ego', 'preset', 'language'] as const) {
      const { trace } = await runLoop(
        hidden.input,
        new PerceiverModel(),
        renderer,
        testConfig({ maxRounds: 1, poseFormat, stop: { policy: 'fixed' } }),
      );
      const r = trace.rounds[1];
      expect(r.failed).toBeUndefined();
      expect(r.view!.pose.mode).toBe(poseFormat === 'language' ? 'orbit' : poseFormat);
      if (poseFormat === 'language') expect(r.decision!.reason).toMatch(/no words/);
    }
  });

  it('budgets end the loop: a zero-second budget stops after round 0', async () => {
    const { trace } = await runLoop(
      leftRight.input,
      new PerceiverModel(),
      renderer,
      testConfig({ maxRounds: 3, stop: { policy: 'adaptive', stableRounds: 5, marginTau: 1, secondsBudget: 1e-6 } }),
    );
    expect(trace.final.stopReason).toBe('time-budget');
    expect(trace.rounds).toHaveLength(1);
  });

  it('a renderer that fails mid-loop: stopReason error, earlier rounds kept, the failure recorded', async () => {
    let n = 0;
    const flaky: Renderer = {
      kind: 'reference',
      render: async (...args) => {
        if (++n === 2) throw new Error('device lost');
        return renderer.render(...args);
      },
      dispose: () => {},
    };
    const { trace, views } = await runLoop(
      leftRight.input,
      new PerceiverModel(),
      flaky,
      testConfig({ maxRounds: 3, stop: { policy: 'fixed' } }),
    );
    expect(trace.final.stopReason).toBe('error');
    expect(trace.rounds).toHaveLength(3);
    expect(trace.rounds[2].failed).toMatch(/device lost/);
    expect(trace.rounds[2].calls.map((c) => c.role)).toEqual(['controller']);
    expect(trace.final.posterior).toEqual(trace.rounds[1].posterior);
    expect(trace.final.choice).toBe(trace.rounds[1].fusedChoice);
    expect(views).toHaveLength(2);
  });

  it('the human model reads answers and poses typed at a terminal and prints each view path', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    let printed = '';
    output.on('data', (d) => {
      printed += d;
    });
    const model = createModel('human', { human: { input, output, viewDir: join(tmp, 'human') } });
    expect(model).toBeInstanceOf(HumanModel);
    input.write('A 0.6\n999 0 1\n60 20 1\nB\nstop\n');
    const { trace } = await runLoop(
      leftRight.input,
      model,
      renderer,
      testConfig({ maxRounds: 3, stop: { policy: 'adaptive', stableRounds: 3, marginTau: 1 } }),
    );
    model.close?.();
    expect(trace.modelLabel).toMatch(/^human/);
    expect(trace.rounds).toHaveLength(2);
    expect(trace.rounds[0].answer).toMatchObject({ choice: 'A', confidence: 0.6 });
    // azimuth 999 is out of range: fed back once, and the person's second pose is used
    expect(trace.rounds[1].view!.poseErrors.join(' ')).toMatch(/azimuth_deg=999/);
    expect(trace.rounds[1].view!.pose).toMatchObject({ mode: 'orbit', azimuth_deg: 60, elevation_deg: 20 });
    expect(trace.rounds[1].answer.choice).toBe('B');
    expect(trace.final.stopReason).toBe('model-stop');
    expect(printed).toContain(join(tmp, 'human', 'original-0.png'));
    expect(printed).toContain(join(tmp, 'human', 'round-01.png'));
    expect(printed).toMatch(/Magenta pixels/);
  });
});

describe('runDemo', () => {
  it('is the question set + an eval: accuracy by round 0..N and per category, a trace per question, the same numbers as questions + eval', async () => {
    const out = join(tmp, 'demo');
    const r = await runDemo({ count: 4, rounds: 1, out, size: `${W}x${H}`, renderer: 'reference' });
    expect(r.cell.byRound).toHaveLength(2);
    expect(Object.keys(r.cell.byCategory).sort()).toEqual(['count', 'front-behind', 'hidden-behind', 'left-right']);
    expect(r.cell.items).toBe(4);
    const { lines } = await readResults(r.summary.files.results);
    expect(lines).toHaveLength(4);
    for (const l of lines) {
      expect(l.stopReason).toBe('fixed-rounds');
      expect(await readFile(join(out, l.trace!, 'index.html'), 'utf8')).toContain('<html');
    }
    // the loop earns its keep on this set: clearly better after one view than from the photo alone
    expect(r.cell.byRound[1].accuracy).toBeGreaterThan(r.cell.byRound[0].accuracy);
    expect(demoTable(r.cell)).toMatch(/^category\s+n\s+round 0\s+round 1/);
    // replaying the fixed run with 1 round and loglinear fusion reproduces its final accuracy
    const traces = await readRunTraces(out);
    expect(traces).toHaveLength(4);
    const replay = replayStopPolicy(traces, {
      fusion: 'loglinear',
      maxRounds: 1,
      stop: { policy: 'fixed', stableRounds: 1, marginTau: 0 },
    });
    expect(replay.accuracy).toBeCloseTo(r.cell.byRound[1].accuracy, 9);
    expect(replay.meanViews).toBe(1);

    // `vantage questions` + `vantage eval` with the same settings give the same numbers
    const set = await writeQuestionSet(join(tmp, 'set'), generateQuestions({ count: 4, seed: DEMO_DEFAULTS.seed }), {
      scanFrames: DEMO_DEFAULTS.scanFrames,
      width: W,
      height: H,
    });
    const e = await runEval({
      data: set.jsonl,
      format: 'native',
      model: 'builtin:perceiver',
      out: join(tmp, 'eval'),
      rounds: 1,
      stop: 'fixed',
      size: `${W}x${H}`,
      render: 'points',
      renderer: 'reference',
      progress: 'none',
      log: () => {},
    });
    expect(e.cells[0].byRound.map((a) => a.correct)).toEqual(r.cell.byRound.map((a) => a.correct));
  });
});
