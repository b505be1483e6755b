/**
 * The library API as a consumer sees it: a separate project whose node_modules/vantage-nvs is this
 * repository, importing the built package by name — a plain .mjs that runs liftScene, renderView
 * and answer on a fixture, and a .ts that must type-check against the published declarations.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, ensureBuilt } from './support/built-dist.js';

function run(
  cmd: string,
  args: string[],
  cwd: string,
  timeout = 120_000,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(cmd, args, { cwd, timeout, maxBuffer: 16 * 1024 ** 2 }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

const CONSUMER_MJS = `
import { liftScene, renderView, answer, runEval, parsePose, VantageError, openAiTools } from 'vantage-nvs';
import { existsSync } from 'node:fs';

const lifted = await liftScene({ fixture: 'tabletop' });
const view = await renderView(lifted, parsePose('{"mode":"orbit","azimuth_deg":30,"elevation_deg":10,"distance_scale":1}'), { width: 96 });
const result = await answer(lifted, 'How many objects are there in the scene (not counting the floor and walls)?', {
  options: ['4', '5', '6', '7'], model: 'builtin:perceiver', traceDir: process.argv[2],
  config: { maxRounds: 1, width: 80, height: 60, render: 'points', stop: { policy: 'fixed' } },
});
let error;
try {
  await renderView(lifted, { mode: 'orbit', azimuth_deg: 500 });
} catch (e) {
  error = { isVantageError: e instanceof VantageError, code: e.code, message: e.message };
}
console.log(JSON.stringify({
  gaussians: lifted.scene.count, units: lifted.scene.units, originals: lifted.originals.length,
  view: { width: view.width, height: view.height, coverage: view.coverageRatio, png: view.png.subarray(1, 4).toString(), caption: view.caption, renderer: view.renderer },
  answer: {
    choice: result.choice, option: result.option, probability: result.probability, rounds: result.rounds, model: result.model,
    posteriorSum: Object.values(result.posterior).reduce((a, b) => a + b, 0), trace: existsSync(result.traceJson) && existsSync(result.indexHtml),
  },
  error, runEval: typeof runEval, tools: openAiTools().length,
}));
`;

const CONSUMER_TS = `
import { answer, liftScene, renderView, type AnswerResult, type LiftedScene, type PosedView, type Pose, type Scene } from 'vantage-nvs';

export async function main(): Promise<number> {
  const lifted: LiftedScene = await liftScene({ image: new Uint8Array(8), depth: 'depth.png', intrinsics: 'fov:60' });
  const scene: Scene = lifted.scene;
  const pose: Pose = { mode: 'orbit', azimuth_deg: 10, elevation_deg: 0, distance_scale: 1 };
  const view: PosedView = await renderView(scene, pose, { width: 64, mode: 'points' });
  await renderView(lifted, { mode: 'orbit', azimuth_deg: 10 }); // defaulted fields may be left out
  // @ts-expect-error an orbit needs azimuth_deg
  await renderView(lifted, { mode: 'orbit' });
  // @ts-expect-error no such render mode
  await renderView(lifted, pose, { mode: 'voxels' });
  const r: AnswerResult = await answer(lifted, 'q?', { options: ['a', 'b'], config: { maxRounds: 2 } });
  const letter: string = r.choice;
  // @ts-expect-error probability is a number
  const wrong: string = r.probability;
  return view.coverageRatio + letter.length + wrong.length;
}
`;

describe('the package as a consumer imports it', () => {
  let dir: string;

  beforeAll(async () => {
    await ensureBuilt(['src/index.ts', 'src/api.ts', 'src/mcp/server.ts', 'src/mcp/http.ts', 'src/mcp/tools.ts']);
    dir = await mkdtemp(join(tmpdir(), 'vantage-consumer-'));
    await mkdir(join(dir, 'node_modules'));
    await symlink(REPO_ROOT, join(dir, 'node_modules', 'vantage-nvs'), 'dir');
    await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', type: 'module', private: true }));
    await writeFile(join(dir, 'consumer.mjs'), CONSUMER_MJS);
    await writeFile(join(dir, 'consumer.ts'), CONSUMER_TS);
    await writeFile(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: ['node'],
          typeRoots: [join(REPO_ROOT, 'node_modules', '@types')],
        },
        files: ['consumer.ts'],
      }),
    );
    // the same, as a strict consumer that also checks every declaration file (skipLibCheck: false)
    await writeFile(
      join(dir, 'tsconfig.strict.json'),
      JSON.stringify({ extends: './tsconfig.json', compilerOptions: { skipLibCheck: false } }),
    );
  }, 400_000);

  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('runs liftScene, renderView and answer from `import … from "vantage-nvs"`, and exits by itself', async () => {
    const traceDir = join(dir, 'trace');
    const r = await run(process.execPath, ['consumer.mjs', traceDir], dir);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(out.gaussians).toBeGreaterThan(1000);
    expect(out.units).toBe('metres');
    expect(out.originals).toBe(1);
    expect(out.view).toMatchObject({ width: 96, height: 72, png: 'PNG' });
    expect(out.view.coverage).toBeGreaterThan(0);
    expect(out.view.coverage).toBeLessThanOrEqual(1);
    expect(out.view.caption).toContain('30° to the right');
    expect(['A', 'B', 'C', 'D']).toContain(out.answer.choice);
    expect(out.answer.rounds).toBe(2);
    expect(out.answer.model).toContain('builtin:perceiver');
    expect(out.answer.posteriorSum).toBeCloseTo(1, 6);
    expect(out.answer.trace).toBe(true);
    expect(existsSync(join(traceDir, 'round-01.png'))).toBe(true);
    expect(out.error).toMatchObject({ isVantageError: true, code: 'bad-pose' });
    expect(out.error.message).toMatch(/azimuth_deg=500 is outside/);
    expect(out.runEval).toBe('function');
    expect(out.tools).toBe(3);
  });

  it('type-checks a TypeScript consumer against the published declarations (and rejects misuse)', async () => {
    const r = await run(
      process.execPath,
      [join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir],
      dir,
    );
    expect(r.stdout + r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('the declarations compile under skipLibCheck: false (WebGPU types referenced, not assumed)', async () => {
    const tsc = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const r = await run(process.execPath, [tsc, '-p', join(dir, 'tsconfig.strict.json')], dir, 300_000);
    expect(r.stdout + r.stderr).toBe('');
    expect(r.code).toBe(0);
  }, 300_000); // checking every declaration file takes ~30 s alone, minutes on a loaded machine
});
