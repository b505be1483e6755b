/** An eval --out is held by one run: a second is told who holds it; a dead holder's lock is taken over. */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { LOCK_FILE_NAME, lockDir } from '../core/io/lock.js';
import { runEval } from '../loop/eval/run.js';
import { expectVantage } from './support/expect-vantage.js';

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));
const tmp = async () => {
  const d = await mkdtemp(join(tmpdir(), 'vantage-lock-'));
  dirs.push(d);
  return d;
};

it('a held folder refuses a second holder, naming the PID; released, it can be taken again', async () => {
  const out = join(await tmp(), 'run');
  const lock = await lockDir(out, 'eval output');
  expect((await readFile(join(out, LOCK_FILE_NAME), 'utf8')).trim()).toBe(String(process.pid));
  await expectVantage(lockDir(out, 'eval output'), 'dir-locked', /in use by another run \(PID \d+/);
  await lock.release();
  expect(existsSync(join(out, LOCK_FILE_NAME))).toBe(false);
  await (await lockDir(out)).release();
});

it('the lock of a process that is gone (kill -9) is taken over', async () => {
  const out = await tmp();
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
  await writeFile(join(out, LOCK_FILE_NAME), `${dead}\n`);
  const lock = await lockDir(out);
  expect((await readFile(join(out, LOCK_FILE_NAME), 'utf8')).trim()).toBe(String(process.pid));
  await lock.release();
});

it('a second eval into the same --out is refused before it does anything', async () => {
  const out = await tmp();
  const held = await lockDir(out, 'eval output');
  try {
    await expectVantage(
      runEval({ data: join(out, 'none.jsonl'), format: 'native', out, model: 'builtin:perceiver', log: () => {} }),
      'dir-locked',
      /eval output .* is in use by another run/,
    );
    expect(existsSync(join(out, 'results.jsonl'))).toBe(false);
  } finally {
    await held.release();
  }
});
