/**
 * `npm run bench`: every speed, memory and quality figure the project states, measured here and
 * written to BENCHMARKS.md with the machine, the command and the date. A section whose module is
 * missing or fails is reported as such, never filled with a guess.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface BenchFigure {
  name: string;
  value: number;
  unit: string;
  note?: string;
}

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const log = (s: string) => process.stderr.write(`bench: ${s}\n`);

function sharedData(): string | undefined {
  const p = process.env.VANTAGE_SHARED_DATA ?? resolve(root, '..', 'shared', 'data');
  return existsSync(join(p, 'README.md')) ? p : undefined;
}

async function adapterDescription(): Promise<string> {
  try {
    const { create } = (await import('webgpu')) as unknown as {
      create: (o: string[]) => {
        requestAdapter(): Promise<{ info: { description?: string; vendor?: string } } | null>;
      };
    };
    const gpu = create([]);
    const a = await gpu.requestAdapter();
    return a ? a.info.description || a.info.vendor || 'unknown adapter' : 'no WebGPU adapter (reference renderer)';
  } catch (e) {
    return `webgpu unavailable: ${(e as Error).message}`;
  }
}

/** Run a bench module's exported function, if the module exists; figures or the reason for none. */
async function section(
  title: string,
  modulePath: string,
  fn: string,
): Promise<{ title: string; figures: BenchFigure[]; error?: string; extra?: string }> {
  log(`${title}…`);
  try {
    const mod = (await import(modulePath)) as Record<
      string,
      () => Promise<BenchFigure[] | { figures: BenchFigure[]; markdown?: string }>
    >;
    if (typeof mod[fn] !== 'function') return { title, figures: [], error: `${modulePath} has no ${fn}()` };
    const out = await mod[fn]();
    return Array.isArray(out) ? { title, figures: out } : { title, figures: out.figures, extra: out.markdown };
  } catch (e) {
    return { title, figures: [], error: (e as Error).message.split('\n')[0] };
  }
}

/** Whole-process `vantage render` of biker.ply at 512²: wall time and peak RSS of the child. */
async function wholeProcessRender(): Promise<BenchFigure[]> {
  const data = sharedData();
  if (!data) throw new Error('../shared/data not found: skipped');
  const ply = join(data, 'splats', 'biker.ply');
  const out = join(root, 'dist', 'bench-biker.png');
  const runs: { ms: number; rssMb: number }[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const rssKb = await new Promise<number>((res, rej) => {
      const child = spawn(
        '/usr/bin/time',
        [
          '-f',
          '%M',
          process.execPath,
          join(root, 'dist', 'src', 'cli.js'),
          'render',
          '--ply',
          ply,
          '--pose',
          'orbit_right_30',
          '--size',
          '512x512',
          '--out',
          out,
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      let err = '';
      child.stderr.on('data', (d) => (err += d));
      child.on('close', (code) =>
        code === 0
          ? res(Number(err.trim().split('\n').pop()))
          : rej(new Error(`render exited ${code}: ${err.slice(-300)}`)),
      );
    });
    runs.push({ ms: performance.now() - t0, rssMb: rssKb / 1024 });
  }
  runs.sort((a, b) => a.ms - b.ms);
  const med = runs[1];
  return [
    {
      name: 'vantage render biker.ply (152,746 splats) at 512², whole process',
      value: med.ms,
      unit: 'ms',
      note: 'median of 3, includes Node start-up, PLY parse, device set-up, render, PNG encode',
    },
    { name: 'vantage render biker.ply, peak resident memory', value: med.rssMb, unit: 'MiB' },
  ];
}

function fmt(f: BenchFigure): string {
  const v =
    f.unit === 'ms' && f.value < 10 ? f.value.toFixed(2) : f.value >= 100 ? f.value.toFixed(0) : f.value.toFixed(1);
  return `| ${f.name} | ${v} ${f.unit} | ${f.note ?? ''} |`;
}

async function main(): Promise<void> {
  const started = new Date();
  const sections = [
    await section('Input decoding', './io.js', 'benchIo'),
    await section('Lifting', './lift.js', 'benchLift'),
    await section('Rendering (WebGPU)', './render.js', 'benchRender'),
    {
      title: 'Whole-process render',
      ...(await wholeProcessRender().then(
        (figures) => ({ figures }),
        (e: Error) => ({ figures: [], error: e.message }),
      )),
    },
    await section('View-synthesis fidelity (nvs-eval)', './nvs.js', 'benchNvs'),
    await section('Monocular depth (tiny ONNX model)', './depth.js', 'benchDepth'),
    await section('MLLM client', './mllm.js', 'benchMllm'),
    await section('Reasoning loop', './loop.js', 'benchLoop'),
    await section('Perceiver on ray-cast views', './perceiver.js', 'benchPerceiver'),
    await section('Demo accuracy (builtin:perceiver)', './demo.js', 'benchDemo'),
    await section('Evaluation throughput', './eval.js', 'benchEval'),
  ];
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const adapter = await adapterDescription();
  let git = '';
  try {
    git = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root }).toString().trim();
  } catch {
    /* not a checkout */
  }
  const md = [
    '# Benchmarks',
    '',
    'Every figure below was measured by `npm run bench` (bench/run.ts) and written here by it; nothing is',
    'estimated. Re-run it to refresh this file.',
    '',
    `- Date: ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC${git ? `, commit ${git}` : ''}`,
    `- Machine: ${cpus().length} × ${cpu}, ${(totalmem() / 1024 ** 3).toFixed(0)} GiB RAM, Node ${process.version}`,
    `- WebGPU adapter: ${adapter}`,
    '- Command: `npm run bench`',
    '',
    ...sections.flatMap((s) => [
      `## ${s.title}`,
      '',
      ...(s.figures.length ? ['| measure | value | note |', '|---|---:|---|', ...s.figures.map(fmt)] : []),
      ...(s.error ? [`Not measured: ${s.error}`] : []),
      ...('extra' in s && s.extra ? ['', s.extra] : []),
      '',
    ]),
  ];
  const notesFile = join(root, 'bench', 'NOTES.md');
  if (existsSync(notesFile)) md.push(readFileSync(notesFile, 'utf8'));
  writeFileSync(join(root, 'BENCHMARKS.md'), md.join('\n'));
  log(`wrote BENCHMARKS.md (${sections.reduce((n, s) => n + s.figures.length, 0)} figures)`);
  process.stdout.write(md.join('\n') + '\n');
}

main().catch((e) => {
  process.stderr.write(`bench failed: ${(e as Error).message}\n`);
  process.exit(1);
});
