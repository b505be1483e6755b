/**
 * `npm run bench`: every speed, memory and quality figure the project states, measured here and
 * written to BENCHMARKS.md with the machine, the command and the date. A section whose module is
 * missing or fails is reported as such, never filled with a guess.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
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
async function section(title: string, modulePath: string, fn: string): Promise<Section> {
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

type Section = { title: string; figures: BenchFigure[]; error?: string; extra?: string };

/** Every section: its `--only` name, and how it runs. */
const SECTIONS: [string, () => Promise<Section>][] = [
  ['io', () => section('Input decoding', './io.js', 'benchIo')],
  ['lift', () => section('Lifting', './lift.js', 'benchLift')],
  ['render', () => section('Rendering (WebGPU)', './render.js', 'benchRender')],
  [
    'process',
    async () => ({
      title: 'Whole-process render',
      ...(await wholeProcessRender().then(
        (figures) => ({ figures }),
        (e: Error) => ({ figures: [], error: e.message }),
      )),
    }),
  ],
  ['peer', () => section('Side by side with splat-transform', './peer.js', 'benchPeer')],
  ['nvs', () => section('View-synthesis fidelity (nvs-eval)', './nvs.js', 'benchNvs')],
  ['register', () => section('Registration of photos without poses', './register.js', 'benchRegister')],
  ['depth', () => section('Monocular depth (tiny ONNX model)', './depth.js', 'benchDepth')],
  ['mllm', () => section('MLLM client', './mllm.js', 'benchMllm')],
  ['loop', () => section('Reasoning loop', './loop.js', 'benchLoop')],
  ['viewer', () => section('Browser viewer', './viewer.js', 'benchViewer')],
  ['perceiver', () => section('Perceiver on ray-cast views', './perceiver.js', 'benchPerceiver')],
  ['demo', () => section('Demo accuracy (builtin:perceiver)', './demo.js', 'benchDemo')],
  ['eval', () => section('Evaluation throughput', './eval.js', 'benchEval')],
  ['eval-gpu', () => section('Evaluation throughput with WebGPU views', './eval-gpu.js', 'benchEvalGpu')],
  ['video', () => section('Video: walk-throughs and decoding', './video.js', 'benchVideo')],
  ['queue', () => section('Evaluation across worker processes (job queue)', './queue.js', 'benchQueue')],
];

/** `--only a,b`: the sections to run (all when absent); an unknown name is an error naming the known ones. */
function onlySections(argv: string[]): Set<string> | undefined {
  const i = argv.indexOf('--only');
  if (i < 0) return undefined;
  const names = (argv[i + 1] ?? '').split(',').filter(Boolean);
  const known = SECTIONS.map(([n]) => n);
  const bad = names.filter((n) => !known.includes(n));
  if (!names.length || bad.length) {
    process.stderr.write(`bench: --only takes section names, comma-separated: ${known.join(', ')}\n`);
    process.exit(2);
  }
  return new Set(names);
}

async function main(): Promise<void> {
  const started = new Date();
  const only = onlySections(process.argv.slice(2));
  const load0 = loadavg()[0];
  const sections: Section[] = [];
  for (const [name, runSection] of SECTIONS) if (!only || only.has(name)) sections.push(await runSection());
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
    `- Command: \`npm run bench${only ? ` -- --only ${[...only].join(',')}` : ''}\``,
    `- Load average at the start: ${load0.toFixed(1)} (1 min, ${cpus().length} cores)`,
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
  // a partial run prints its sections and leaves BENCHMARKS.md (the whole run's record) alone
  if (!only) {
    writeFileSync(join(root, 'BENCHMARKS.md'), md.join('\n'));
    log(`wrote BENCHMARKS.md (${sections.reduce((n, s) => n + s.figures.length, 0)} figures)`);
  }
  process.stdout.write(md.join('\n') + '\n');
}

main().catch((e) => {
  process.stderr.write(`bench failed: ${(e as Error).message}\n`);
  process.exit(1);
});
