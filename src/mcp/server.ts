/**
 * The Vantage MCP server: three tools (src/mcp/tools.ts) over one shared context — the root
 * directories files may come from, the LRU scene store, one renderer (renders queued one at a time:
 * the GPU device is shared), and the folder traces are written to. `createServer()` gives a fresh
 * McpServer bound to that context: one for stdio, one per request for stateless HTTP.
 *
 * Every failure comes back as a tool error (isError: true) whose text says what was wrong and how
 * to fix it; nothing an agent sends can crash the server or read outside the roots.
 */
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import type { z } from 'zod';
import pLimit from 'p-limit';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import {
  RootsListChangedNotificationSchema,
  type CallToolResult,
  type ServerNotification,
  type ServerRequest,
  type ToolAnnotations,
} from '@modelcontextprotocol/sdk/types.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { Renderer } from '../../core/types.js';
import { packageVersion } from '../../core/package.js';
import { VantageError, describeError, isVantageError } from '../../core/errors.js';
import { fitImage, type FittedImage } from './images.js';
import { MCP_LIMITS } from './config.js';
import { checkImageSize, isPnm, parsePnm } from '../../core/io/image.js';
import { formatBytes } from '../../core/io/files.js';
import { answer, liftScene, renderView, type LiftedScene, type LiftInput } from '../api.js';
import { createRenderer, type RendererChoice } from '../../synth/renderer.js';
import { knownDepthModel, looksLikePath } from '../../synth/depth/models.js';
import { modelNameFor } from '../model-name.js';
import { sourcesOf } from '../scene-source.js';
import type { CreateModelOptions } from '../../loop/models/create.js';
import { realRoots, resolveInRoots } from './paths.js';
import { SceneStore, type SceneStoreLimits, type StoredScene } from './scenes.js';
import {
  ANSWER_SPATIAL_QUESTION,
  LIFT_SCENE,
  RENDER_VIEW,
  dropNulls,
  type AnswerArgs,
  type SceneSourceArgs,
  type ToolDefinition,
} from './tools.js';

export type McpLimits = { [K in keyof typeof MCP_LIMITS]: number };

export interface VantageMcpOptions {
  /**
   * directories files may be read from; without any, the server asks each client for its roots (MCP
   * roots protocol) and reads no file when it offers none — never the working directory, which is `/`
   * when a host starts the server there
   */
  roots?: string[];
  /** where answer_spatial_question writes its traces (default ./vantage-out/mcp) */
  traceDir?: string;
  /** size limits (default MCP_LIMITS) */
  limits?: Partial<McpLimits>;
  /** scene store caps (default from MCP_LIMITS) */
  store?: Partial<SceneStoreLimits>;
  /** a renderer to use (the caller keeps ownership), or which kind to create on first use */
  renderer?: Renderer | RendererChoice;
  /** model answer_spatial_question uses when the call names none (default $VANTAGE_MODEL, else builtin:perceiver) */
  defaultModel?: string;
  /** MLLM client settings for named models (base URL, key, cache …) */
  modelOptions?: CreateModelOptions;
  /** log lines (default: stderr; never stdout, which is the stdio transport) */
  log?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

export interface VantageMcp {
  /** a new McpServer with the three tools, sharing this context */
  createServer(): McpServer;
  readonly scenes: SceneStore;
  readonly roots: string[];
  readonly traceDir: string;
  /** dispose of the renderer (when this context created it) */
  close(): Promise<void>;
}

const SERVER_INFO = { name: 'vantage', version: packageVersion() };

type Content = CallToolResult['content'][number];

/**
 * What a host may assume about each tool: only the answering loop writes (its trace, in the server's
 * trace folder) and reaches outside (the model endpoint).
 */
const TOOL_ANNOTATIONS: Record<ToolDefinition['name'], ToolAnnotations> = {
  lift_scene: { readOnlyHint: true, openWorldHint: false, idempotentHint: false },
  render_view: { readOnlyHint: true, openWorldHint: false, idempotentHint: true },
  answer_spatial_question: { readOnlyHint: false, openWorldHint: true, idempotentHint: false }, // writes its trace
};

/** A tool error result: the message, and the hint on its own line. */
function toolError(e: unknown): CallToolResult {
  const code = isVantageError(e) ? ` [${e.code}]` : '';
  return { isError: true, content: [{ type: 'text', text: `error${code}: ${describeError(e)}` }] };
}

/** Tool arguments parsed with the tool's contract (after dropping the nulls strict callers send). */
function parseArgs<S extends ToolDefinition['inputSchema']>(d: ToolDefinition<S>, args: unknown): z.output<S> {
  const r = d.inputSchema.safeParse(dropNulls(args ?? {}));
  if (!r.success) {
    const problems = r.error.issues.map((i) => `${i.path.join('.') || '(arguments)'}: ${i.message}`).join('; ');
    throw new VantageError(
      'bad-arguments',
      `invalid arguments for ${d.name}: ${problems}`,
      "see the tool's input schema (tools/list)",
    );
  }
  return r.data;
}

const jsonText = (v: unknown): Content => ({ type: 'text', text: JSON.stringify(v, null, 2) });
const imageContent = (img: FittedImage): Content => ({
  type: 'image',
  data: img.data.toString('base64'),
  mimeType: img.mimeType,
});
const round = (x: number, d = 4) => Number(x.toFixed(d));

// ---------------------------------------------------------------------------------------------
// Inputs: base64 or a root-confined path, within size limits

const DATA_URL = /^data:([\w.+-]+\/[\w.+-]+)?((?:;[\w.+-]+=[\w.+-]+)*);base64,/i;
const BASE64 = /^[A-Za-z0-9+/\r\n]+={0,2}\s*$/;

/** Decoded bytes of a data URL or bare base64 that decodes to a known file type; undefined for a path. */
export function bytesOfInline(ref: string, what: string, maxBytes: number): Buffer | undefined {
  const m = DATA_URL.exec(ref);
  const b64 = m ? ref.slice(m[0].length) : ref.length >= 64 && BASE64.test(ref) ? ref : undefined;
  if (b64 === undefined) return undefined;
  const approx = Math.floor((b64.replace(/\s/g, '').length * 3) / 4);
  if (approx > maxBytes) {
    throw new VantageError(
      'input-too-large',
      `${what} (base64) is ${formatBytes(approx)}, over the ${formatBytes(maxBytes)} limit`,
      'send a smaller or more compressed image (PNG/JPEG), or a path under a --root directory',
    );
  }
  const bytes = Buffer.from(b64, 'base64');
  if (!m && !knownMagic(bytes)) return undefined; // not an image after all: treat it as a path
  if (bytes.length === 0) throw new VantageError('bad-input', `${what} is empty after base64 decoding`);
  return bytes;
}

function knownMagic(b: Buffer): boolean {
  const s = b.subarray(0, 12).toString('latin1');
  return (
    s.startsWith('\x89PNG') ||
    s.startsWith('\xff\xd8\xff') ||
    (s.startsWith('RIFF') && s.slice(8, 12) === 'WEBP') ||
    s.startsWith('GIF8') ||
    /^P[56]\s/.test(s) ||
    s.startsWith('\x93NUMPY') ||
    /^P[fF]\s/.test(s) ||
    s.startsWith('II*') ||
    s.startsWith('MM\0*')
  );
}

/** Check an image's pixel count from its header (no full decode). */
async function checkPixels(src: Buffer | string, name: string, maxPixels: number): Promise<void> {
  let width: number;
  let height: number;
  try {
    const head = typeof src === 'string' ? undefined : src;
    if (head && isPnm(head)) ({ width, height } = parsePnm(head, name));
    else ({ width = 0, height = 0 } = await sharp(src).metadata());
  } catch {
    return; // not readable here: the image reader reports it with its own clear message
  }
  checkImageSize(width, height, name, maxPixels);
}

interface InputContext {
  roots: string[];
  limits: McpLimits;
}

async function fileWithin(ref: string, what: string, ctx: InputContext, maxBytes: number): Promise<string> {
  const path = await resolveInRoots(ref, ctx.roots, what);
  const st = await stat(path);
  if (!st.isFile()) throw new VantageError('not-a-file', `${what} "${ref}" is not a regular file`);
  if (st.size > maxBytes) {
    throw new VantageError(
      'input-too-large',
      `${what} "${ref}" is ${formatBytes(st.size)}, over the ${formatBytes(maxBytes)} limit`,
      'use a smaller file',
    );
  }
  return path;
}

/** An image or depth reference as bytes (inline) or a confined real path, size-checked. */
async function imageSource(
  ref: string,
  what: string,
  ctx: InputContext,
  kind: 'image' | 'depth',
): Promise<Buffer | string> {
  const inline = bytesOfInline(ref, what, ctx.limits.maxImageBytes);
  const src = inline ?? (await fileWithin(ref, what, ctx, ctx.limits.maxImageBytes));
  if (kind === 'image') await checkPixels(src, inline ? what : ref, ctx.limits.maxImagePixels);
  return src;
}

const FOV = /^\s*(h?fov|vfov)\s*[:=]/i;
const NUMBERS = /^[\s\d.eE+\-,]+$/;

/** The LiftInput for a tool call's scene source: every file confined to the roots and size-checked. */
async function liftInputOf(a: SceneSourceArgs, ctx: InputContext): Promise<LiftInput> {
  const given = sourcesOf(a);
  if (given.length !== 1) {
    throw new VantageError(
      'bad-input',
      given.length ? `give one scene source, not ${given.join(' and ')}` : 'no scene given',
      'pass images (with depths or depth_model), ply, or fixture ("tabletop", "room", "occluded")',
    );
  }
  if ((a.images?.length ?? 0) > ctx.limits.maxImages) {
    throw new VantageError('input-too-large', `${a.images!.length} images, over the limit of ${ctx.limits.maxImages}`);
  }
  const input: LiftInput = {
    ...(a.depth_format ? { depthFormat: a.depth_format } : {}),
    ...(a.depth_scale !== undefined ? { depthScale: a.depth_scale } : {}),
    ...(a.fixture ? { fixture: a.fixture } : {}),
    ...(a.register_method ? { registerMethod: a.register_method } : {}),
  };
  if (a.images?.length) {
    input.images = await Promise.all(a.images.map((r, i) => imageSource(r, `image ${i}`, ctx, 'image')));
  }
  if (a.depths?.length) {
    input.depths = await Promise.all(a.depths.map((r, i) => imageSource(r, `depth map ${i}`, ctx, 'depth')));
  }
  if (a.depth_model) {
    const spec = a.depth_model.trim();
    if (looksLikePath(spec)) input.depthModel = await fileWithin(spec, 'depth model', ctx, ctx.limits.maxPlyBytes);
    else if (knownDepthModel(spec)) input.depthModel = spec;
    else
      throw new VantageError(
        'unknown-depth-model',
        `unknown depth model "${spec}"`,
        'use a known name such as depth-anything-v2-small, or a .onnx file under a root',
      );
  }
  if (a.intrinsics) {
    const s = a.intrinsics.trim();
    input.intrinsics =
      FOV.test(s) || NUMBERS.test(s) || /^(auto|default)$/i.test(s)
        ? s
        : await fileWithin(s, 'intrinsics file', ctx, 1024 ** 2);
  }
  if (a.trajectory) input.trajectory = await fileWithin(a.trajectory, 'trajectory', ctx, 64 * 1024 ** 2);
  if (a.ply) input.ply = await fileWithin(a.ply, 'PLY scene', ctx, ctx.limits.maxPlyBytes);
  return input;
}

/** What lift_scene reports about a stored scene (no ground truth of fixtures: only what was lifted). */
function sceneSummary(rec: StoredScene, store: SceneStore): Record<string, unknown> {
  const { scene, info, originals } = rec.lifted;
  const k = scene.reference.intrinsics;
  return {
    scene_id: rec.id,
    source: rec.source,
    gaussians: scene.count,
    units: scene.units,
    memory_mb: round(rec.bytes / 1024 ** 2, 1),
    reference_camera: {
      width: k.width,
      height: k.height,
      fx: round(k.fx, 2),
      fy: round(k.fy, 2),
      cx: round(k.cx, 2),
      cy: round(k.cy, 2),
    },
    original_images: originals.map((o) => ({ name: o.name, width: o.width, height: o.height })),
    bounds: { min: scene.bounds.min.map((x) => round(x, 3)), max: scene.bounds.max.map((x) => round(x, 3)) },
    pivot: scene.pivot.map((x) => round(x, 3)),
    up: scene.up.map((x) => round(x, 4)),
    depth: info.depth ?? null,
    intrinsics: info.intrinsics,
    ...(info.registration
      ? {
          registration: {
            method: info.registration.method,
            photos: info.registration.photos.map((p) => ({
              name: p.name,
              registered: p.registered,
              inliers: p.inliers,
              c2w: p.c2w ?? null,
              note: p.note,
            })),
          },
        }
      : {}),
    notes: scene.notes.filter(Boolean),
    store: { scenes: store.size, memory_mb: round(store.bytes / 1024 ** 2, 1) },
    next: 'render_view with this scene_id and a pose, e.g. {"mode":"orbit","azimuth_deg":30,"elevation_deg":15,"distance_scale":1}',
  };
}

function describeSource(a: SceneSourceArgs): string {
  if (a.fixture) return `fixture ${a.fixture}`;
  if (a.ply) return `ply ${a.ply}`;
  const name = (r: string) => (bytesOfInline(r, 'image', Infinity) ? 'inline image' : r);
  return `${a.images!.map(name).join(', ')}${a.depths?.length ? ` + depth ${a.depths.map(name).join(', ')}` : a.depth_model ? ` + depth model ${a.depth_model}` : ''}`;
}

// ---------------------------------------------------------------------------------------------
// The server

/** What a tool call knows of its connection: the roots files may be read from. */
interface Session {
  roots(): Promise<string[]>;
}

/** The local directories of file:// root URIs, real and existing (others are skipped). */
async function realRootsOf(uris: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const uri of uris) {
    if (!uri.startsWith('file://')) continue;
    try {
      out.push(...(await realRoots([fileURLToPath(uri)])));
    } catch {
      /* a root that does not exist here: skipped */
    }
  }
  return [...new Set(out)];
}

/** Build the shared context of the Vantage tools; `createServer()` then gives McpServers over it. */
export async function createVantageMcpServer(opts: VantageMcpOptions = {}): Promise<VantageMcp> {
  const roots = opts.roots?.length ? await realRoots(opts.roots) : [];
  const limits: McpLimits = { ...MCP_LIMITS, ...opts.limits };
  const scenes = new SceneStore({
    maxBytes: limits.storeBytes,
    maxScenes: limits.storeScenes,
    maxSceneBytes: limits.maxSceneBytes,
    ...opts.store,
  });
  const traceDir = resolve(opts.traceDir ?? join('vantage-out', 'mcp'));
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const env = opts.env ?? process.env;

  // One renderer for every call, created on first use; renders run one at a time.
  const queue = pLimit(1);
  let renderer: Promise<Renderer> | undefined;
  const ownsRenderer = typeof opts.renderer !== 'object';
  const rendererOf = (): Promise<Renderer> => {
    renderer ??= (
      typeof opts.renderer === 'object'
        ? Promise.resolve(opts.renderer)
        : createRenderer({ prefer: opts.renderer, warn: log })
    ).then((r): Renderer => ({
      kind: r.kind,
      render: (...a) => queue(() => r.render(...a)),
      dispose: () => r.dispose(),
    }));
    renderer.catch(() => {
      renderer = undefined;
    });
    return renderer;
  };

  const lift = async (a: SceneSourceArgs, session: Session): Promise<StoredScene> => {
    const input = await liftInputOf(a, { roots: await session.roots(), limits });
    const lifted: LiftedScene = await liftScene({ ...input, log });
    return scenes.add(lifted, describeSource(a));
  };

  type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;
  /** Progress notifications, when the client asked for them (they also keep its request timeout from firing). */
  const progressOf = (extra: Extra | undefined) => {
    const token = extra?._meta?.progressToken;
    if (token === undefined || !extra) return undefined;
    return (progress: number, total: number, message: string) => {
      extra
        .sendNotification({
          method: 'notifications/progress',
          params: { progressToken: token, progress, total, message },
        })
        .catch(() => {});
    };
  };

  const handlers: Record<
    ToolDefinition['name'],
    (args: unknown, extra: Extra | undefined, session: Session) => Promise<CallToolResult>
  > = {
    async lift_scene(args, _extra, session) {
      const a = parseArgs(LIFT_SCENE, args);
      const rec = await lift(a, session);
      const summary = sceneSummary(rec, scenes);
      log(`lift_scene: ${rec.id} from ${rec.source} (${rec.lifted.scene.count} Gaussians)`);
      return { content: [jsonText(summary)], structuredContent: summary };
    },

    async render_view(args) {
      const a = parseArgs(RENDER_VIEW, args);
      const rec = scenes.get(a.scene_id);
      const view = await renderView(rec.lifted, a.pose, {
        width: a.width,
        height: a.height,
        mode: a.mode,
        holes: a.holes,
        clamp: a.clamp,
        renderer: await rendererOf(),
      });
      const result = {
        scene_id: rec.id,
        pose: view.pose,
        caption: view.caption,
        clamped: view.clamped,
        coverage: round(view.coverageRatio),
        width: view.width,
        height: view.height,
        mode: view.mode,
        holes: view.holes,
        renderer: view.renderer,
        c2w: Array.from(view.camera.c2w, (x) => round(x, 6)),
      };
      const img = await fitImage(view.png, a.image_format ?? 'png', a.max_image_bytes ?? limits.resultImageBytes);
      const withImage = { ...result, image: img.sent };
      return { content: [imageContent(img), jsonText(withImage)], structuredContent: withImage };
    },

    async answer_spatial_question(args, extra, session) {
      const a: AnswerArgs = parseArgs(ANSWER_SPATIAL_QUESTION, args);
      const hasSource = !!(a.images?.length || a.ply || a.fixture);
      if (a.scene_id && hasSource)
        throw new VantageError(
          'bad-input',
          'give either scene_id or a scene source (images / ply / fixture), not both',
        );
      for (const k of ['width', 'height'] as const) {
        const v = a.config?.[k];
        if (v !== undefined && v > limits.maxRenderSide) {
          throw new VantageError(
            'input-too-large',
            `config.${k} ${v} is over this server's limit of ${limits.maxRenderSide} pixels`,
          );
        }
      }
      const named = a.config?.model ?? opts.defaultModel;
      if (named?.trim() === 'human') {
        throw new VantageError(
          'bad-model',
          'the human model cannot run inside the MCP server (it reads the terminal, which carries the protocol)',
          'use builtin:perceiver or a served model name',
        );
      }
      const rec = a.scene_id ? scenes.get(a.scene_id) : await lift(a, session);
      const model = modelNameFor(named, rec.lifted, env);
      const progress = progressOf(extra);
      // the answer stands even when its trace cannot be written: the session says why instead of losing it
      const dir = join(
        traceDir,
        `answer-${new Date().toISOString().replace(/[:.]/g, '-')}-${randomBytes(3).toString('hex')}`,
      );
      const r = await answer(rec.lifted, a.question, {
        options: a.options,
        config: { ...a.config, model },
        renderer: await rendererOf(),
        // a call the client cancelled (notifications/cancelled, or its HTTP request closed) stops its
        // model calls and retries at once: nothing more is paid for an answer nobody will read
        modelOptions: {
          ...opts.modelOptions,
          mllm: { ...opts.modelOptions?.mllm, ...(extra?.signal ? { signal: extra.signal } : {}) },
        },
        traceDir: dir,
        log,
        onRound: (rr, trace) =>
          progress?.(
            rr.round + 1,
            trace.config.maxRounds + 1,
            `round ${rr.round}${rr.view ? ` (${rr.view.caption})` : ''}: ${rr.failed ? `failed: ${rr.failed}` : `answer ${rr.answer.choice || '—'}, fused ${rr.fusedChoice || '—'}`}`,
          ),
      });
      const trace = r.traceError
        ? { dir: null, error: r.traceError }
        : { dir: r.traceDir, json: r.traceJson, html: r.indexHtml };
      const rendered = r.trace.rounds.filter((x) => x.view);
      const result = {
        choice: r.choice,
        option: r.option ?? null,
        probability: round(r.probability),
        // numeric questions ("how many", "(in metres)"): the fused estimate in the question's unit
        value: r.value ?? null,
        unit: r.trace.question.numeric?.unit ?? null,
        posterior: Object.fromEntries(Object.entries(r.posterior).map(([k, v]) => [k, round(v)])),
        stop_reason: r.stopReason,
        rounds: r.rounds,
        model: r.model,
        error: r.trace.rounds.find((x) => x.failed)?.failed ?? null,
        views: rendered.map((x) => ({
          round: x.round,
          file: x.view!.file,
          caption: x.view!.caption,
          coverage: round(x.view!.coverage),
        })),
        scene_id: rec.id,
        trace,
      };
      const content: Content[] = [jsonText(result)];
      if (a.include_views ?? true) {
        const pngs = new Map(r.views.map((v) => [v.file, v.png]));
        // the views share the result's image budget
        const each = Math.floor(limits.resultImageBytes / Math.max(1, rendered.length));
        for (const x of rendered) {
          const png = pngs.get(x.view!.file);
          if (!png) continue;
          const img = await fitImage(png, 'png', each);
          const note = img.sent.note ? ` [${img.sent.note}]` : '';
          content.push({ type: 'text', text: `round ${x.round}: ${x.view!.caption}${note}` }, imageContent(img));
        }
      }
      log(
        `answer_spatial_question: ${r.choice || '—'} (p=${r.probability.toFixed(2)}, ${r.rounds} round(s)) → ${String(trace.html ?? trace.error)}`,
      );
      if (!r.choice) {
        // no answer is a failed call, with the reason first, not a success with an empty choice
        const why = extra?.signal?.aborted
          ? 'the call was cancelled'
          : (result.error ?? 'no reply named one of the options');
        return {
          isError: true,
          content: [{ type: 'text', text: `error [no-answer]: ${why}` }, ...content],
          structuredContent: result,
        };
      }
      return { content, structuredContent: result };
    },
  };

  const createServer = (): McpServer => {
    const server = new McpServer(SERVER_INFO, {
      capabilities: { tools: {} },
      instructions:
        "Vantage lifts a photo to 3D and renders it from new camera poses. lift_scene → scene_id; render_view shows the scene from a pose; answer_spatial_question runs the whole look-again loop. Files are read only below the server's root directories.",
    });
    // the client's roots, asked once and again after notifications/roots/list_changed
    let clientRoots: Promise<string[]> | undefined;
    const session: Session = {
      roots: () => {
        if (roots.length) return Promise.resolve(roots);
        if (!server.server.getClientCapabilities()?.roots) return Promise.resolve([]);
        clientRoots ??= server.server
          .listRoots()
          .then((r) => realRootsOf(r.roots.map((x) => x.uri)))
          .catch((e: unknown) => {
            clientRoots = undefined;
            log(`mcp: the client's roots could not be read: ${e instanceof Error ? e.message : String(e)}`);
            return [];
          });
        return clientRoots;
      },
    };
    for (const d of [LIFT_SCENE, RENDER_VIEW, ANSWER_SPATIAL_QUESTION] as ToolDefinition[]) {
      server.registerTool(
        d.name,
        {
          title: d.title,
          description: d.description,
          inputSchema: d.wireSchema,
          annotations: TOOL_ANNOTATIONS[d.name],
        },
        async (args: unknown, extra: Extra) => {
          try {
            return await handlers[d.name](args, extra, session);
          } catch (e) {
            if (!isVantageError(e)) log(`${d.name} failed: ${e instanceof Error ? e.stack : String(e)}`);
            return toolError(e);
          }
        },
      );
    }
    server.server.setNotificationHandler(RootsListChangedNotificationSchema, () => {
      clientRoots = undefined;
    });
    return server;
  };

  return {
    createServer,
    scenes,
    roots,
    traceDir,
    async close() {
      const r = renderer;
      renderer = undefined;
      if (r && ownsRenderer) (await r.catch(() => undefined))?.dispose();
    },
  };
}
