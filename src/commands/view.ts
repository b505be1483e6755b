/**
 * `vantage view`: look around a lifted scene (or a trace's scene) in the browser. A local server on
 * 127.0.0.1 renders frames with the project's renderer as the camera moves (server-side, so any
 * browser works, no WebGPU needed there) and shows the pose as the JSON a model would write; for a
 * trace, each round's camera is drawn in the frame and on the top-down map, and a click jumps to it.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { VantageError } from '../../core/errors.js';
import type { HoleMode, RenderMode, Renderer } from '../../core/types.js';
import { RENDER_DEFAULTS } from '../../synth/config.js';
import { parseRenderSize } from '../../core/render-size.js';
import { createRenderer } from '../../synth/renderer.js';
import { readTrace } from '../../loop/trace.js';
import type { Trace } from '../../loop/types.js';
import { LiveView } from '../../loop/viewer/live.js';
import { startViewerApp } from '../../loop/viewer/app.js';
import { addSceneOptions, loadScene, sceneSourceFromCli, sourcesOf, type SceneSource } from '../scene-source.js';

export interface ViewOptions extends SceneSource {
  /** a trace folder: its cameras are drawn, its scene is shown (fixtures reload by name; else give the scene) */
  trace?: string;
  size?: string;
  render?: RenderMode;
  holes?: HoleMode;
  renderer?: 'auto' | 'webgpu' | 'reference';
  host?: string;
  port?: number;
}

export interface ViewHandle {
  url: string;
  close(): Promise<void>;
}

/** The scene source of a trace made from a fixture (fixture:NAME); other inputs must be given again. */
function sourceOfTrace(trace: Trace, dir: string): SceneSource {
  const first = trace.input?.images?.[0] ?? '';
  if (first.startsWith('fixture:')) return { fixture: first.slice('fixture:'.length) };
  throw new VantageError(
    'bad-input',
    `the trace in ${dir} was made from ${first || 'a scene it does not name'}: the viewer cannot reload it alone`,
    'give the same scene options the run used, e.g. vantage view TRACE --image IMG --depth DEPTH',
  );
}

/** Start the viewer; resolves once it listens (the caller prints the URL and closes it). */
export async function startView(o: ViewOptions, log: (line: string) => void = () => {}): Promise<ViewHandle> {
  if (o.render && !['points', 'gaussians'].includes(o.render))
    throw new VantageError('bad-option', `--render ${o.render} is not points or gaussians`);
  if (o.holes && !['mark', 'fill', 'none'].includes(o.holes))
    throw new VantageError('bad-option', `--holes ${o.holes} is not mark, fill or none`);
  if (!o.trace && !sourcesOf(o).length)
    throw new VantageError(
      'bad-input',
      'nothing to view',
      'give a trace folder (vantage view TRACE-DIR) or a scene: --fixture NAME, --ply FILE, --image RGB --depth D',
    );
  const trace = o.trace ? await readTrace(o.trace) : undefined;
  const source = sourcesOf(o).length || !trace ? o : { ...sourceOfTrace(trace, o.trace!), log: o.log };
  const loaded = await loadScene({ ...source, log });
  const ref = loaded.scene.reference.intrinsics;
  const size = o.size
    ? parseRenderSize(o.size)
    : trace
      ? { width: trace.config.width, height: trace.config.height }
      : { width: RENDER_DEFAULTS.width, height: Math.round((RENDER_DEFAULTS.width * ref.height) / ref.width) };
  let renderer: Renderer | undefined = await createRenderer({
    prefer: !o.renderer || o.renderer === 'auto' ? undefined : o.renderer,
    warn: log,
  });
  try {
    const view = new LiveView({
      scene: loaded.scene,
      renderer,
      width: size.width,
      height: size.height,
      mode: o.render ?? trace?.config.render ?? RENDER_DEFAULTS.mode,
      holes: o.holes ?? trace?.config.holes ?? RENDER_DEFAULTS.holes,
      ...(trace ? { trace } : {}),
    });
    const app = await startViewerApp({
      title: trace ? `Vantage — trace: ${trace.question.text}` : 'Vantage — scene viewer',
      view,
      ...(o.trace ? { fileRoot: resolve(o.trace) } : {}),
      host: o.host,
      port: o.port,
    });
    const r = renderer;
    renderer = undefined;
    return {
      url: app.url,
      close: async () => {
        await app.close();
        r.dispose();
      },
    };
  } finally {
    renderer?.dispose();
  }
}

const int = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new VantageError('bad-option', `${name} must be a port number 0..65535, got "${v}"`);
  return n;
};

export function registerViewCommand(program: Command): void {
  const cmd = program
    .command('view')
    .argument('[trace]', 'a trace folder (trace.json): its cameras are drawn and a click jumps to them')
    .description(
      'look around a lifted scene (or a trace) in your browser: a local server renders the views, the pose shows as JSON',
    );
  addSceneOptions(cmd, { ply: true })
    .option('--size <WxH>', `frame size (default ${RENDER_DEFAULTS.width} wide, or the trace's view size)`)
    .option('--render <mode>', `points | gaussians (default ${RENDER_DEFAULTS.mode}, or the trace's)`)
    .option('--holes <how>', `mark (magenta) | fill | none (default ${RENDER_DEFAULTS.holes}, or the trace's)`)
    .option('--renderer <which>', 'auto (WebGPU, else the reference renderer) | webgpu | reference', 'auto')
    .option('--host <addr>', 'address to listen on (only change it if you know why)', '127.0.0.1')
    .option('--port <n>', 'port (default 0: any free port)', int('--port'), 0)
    .addHelpText(
      'after',
      `
The page: drag to orbit (or turn, with ego controls), wheel or +/- for distance, arrow keys / WASD to step,
Q/E up/down (ego). The pose box is the JSON a model writes (--pose of \`vantage render\`); Copy copies it.
Frames are rendered here (WebGPU when this machine has it, else the reference renderer) and sent as JPEG,
so any browser works. The server listens on 127.0.0.1 only, every URL carries a random token, other
sites cannot call it, and it serves no file outside the trace folder. Ctrl-C stops it.
Examples:
  vantage view --fixture tabletop
  vantage view vantage-out/ask-2026-01-01T00-00-00-000Z        (a trace made from a fixture)
  vantage view runs/x/traces/cell/item --image room.jpg --depth room.png`,
    )
    .action(async (trace: string | undefined, opts) => {
      const log = (line: string) => process.stderr.write(`${line}\n`);
      const h = await startView(
        {
          ...sceneSourceFromCli(opts),
          ...(trace ? { trace } : {}),
          size: opts.size,
          render: opts.render,
          holes: opts.holes,
          renderer: opts.renderer,
          host: opts.host,
          port: opts.port,
        },
        log,
      );
      process.stdout.write(`${h.url}\n`);
      log('vantage view: open the URL above in a browser; Ctrl-C stops the server');
      await new Promise<void>((done) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          void h.close().then(done);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });
}
