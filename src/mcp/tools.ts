/**
 * The three agent tools — lift_scene, render_view, answer_spatial_question — as zod input schemas
 * with their descriptions, shared by the MCP server and `vantage tools --openai`.
 *
 * Each tool has two forms of one schema:
 * - `inputSchema`: the real contract (optional fields optional; pose and loop settings are the
 *   schemas of core/pose.ts and loop/config.ts);
 * - `wireSchema`: the same with every optional field also accepting null, because OpenAI strict
 *   function calling must send every field and sends null for "not given". The MCP server lists and
 *   accepts this form, drops the nulls, then parses with `inputSchema`, so a bridge can forward an
 *   OpenAI tool call verbatim.
 */
import { z } from 'zod';
import {
  C2wPoseSchema,
  EgoPoseSchema,
  LookAtPoseSchema,
  OrbitPoseSchema,
  PRESET_NAMES,
  PresetPoseSchema,
} from '../../core/pose.js';
import type { DepthFormat } from '../../core/io/depth.js';
import { mcpSceneSourceShape } from '../scene-source.js';
import { MCP_LIMITS } from './config.js';
import { POSE_LIMITS } from '../../core/config.js';
import { renderSide } from '../../core/render-size.js';
import { LoopConfigInputSchema } from '../../loop/config.js';

const range = (r: readonly [number, number]) => `${r[0]}..${r[1]}`;

const imageRef = z
  .string()
  .min(1)
  .describe(
    'a file path (relative to a --root directory of the server, or absolute inside one), or the file itself as base64 or a data URL (data:image/png;base64,…)',
  );

/**
 * Where a scene comes from: exactly one of images (+ depths or depth_model), ply, fixture — the fields
 * of src/scene-source.ts under their snake_case names; images and depths may also be sent inline.
 * Every file path must lie under one of the server's roots.
 */
const SceneSourceShape = mcpSceneSourceShape({
  images: z
    .array(imageRef)
    .min(1)
    .max(MCP_LIMITS.maxImages)
    .describe(
      `RGB image(s) (PNG, JPEG, WebP); several fuse into one scene: posed by a trajectory, else registered from the photos (register_method); at most ${MCP_LIMITS.maxImages}`,
    ),
  depths: z
    .array(imageRef)
    .min(1)
    .max(MCP_LIMITS.maxImages)
    .describe(
      'one depth map per image: 16-bit PNG (millimetres unless depth_scale says otherwise), .npy or .pfm (metres)',
    ),
}) as {
  images: z.ZodOptional<z.ZodArray<z.ZodString>>;
  depths: z.ZodOptional<z.ZodArray<z.ZodString>>;
  depth_format: z.ZodOptional<z.ZodEnum<{ [K in DepthFormat]: K }>>;
  depth_scale: z.ZodOptional<z.ZodNumber>;
  depth_model: z.ZodOptional<z.ZodString>;
  intrinsics: z.ZodOptional<z.ZodString>;
  trajectory: z.ZodOptional<z.ZodString>;
  register_method: z.ZodOptional<z.ZodString>;
  ply: z.ZodOptional<z.ZodString>;
  fixture: z.ZodOptional<z.ZodString>;
};

const LiftSceneInput = z.object(SceneSourceShape).strict();

/** The numeric poses an agent may ask for (a language pose needs a second model call: not here). */
const ToolPoseSchema = z
  .discriminatedUnion('mode', [OrbitPoseSchema, EgoPoseSchema, PresetPoseSchema, C2wPoseSchema, LookAtPoseSchema])
  .describe(
    [
      'Camera pose, in the frame of the original camera (OpenCV axes: +x right, +y down, +z forward; metres or depth units).',
      `orbit — swing around the scene centre (pivot "center", or {"u","v"}: the surface under that pixel of the original image): azimuth_deg ${range(POSE_LIMITS.azimuthDeg)} (positive moves the camera to its right, showing the scene's right side), elevation_deg ${range(POSE_LIMITS.elevationDeg)} (positive raises it to look down), distance_scale ${range(POSE_LIMITS.distanceScale)} (1 = the original distance). {"mode":"orbit","azimuth_deg":0,"elevation_deg":0,"distance_scale":1} is the original view.`,
      `ego — first-person from the original camera: yaw_deg ${range(POSE_LIMITS.yawDeg)} (positive turns right), pitch_deg ${range(POSE_LIMITS.pitchDeg)} (positive looks up), forward_m, right_m, up_m (scene units).`,
      `preset — a named move: ${PRESET_NAMES.join(', ')}.`,
      'c2w — matrix: 16 numbers, a rigid camera-to-world transform, column-major.',
      'lookat — eye and target: 3 numbers each, world coordinates; optional up.',
    ].join(' '),
  );

const side = renderSide(MCP_LIMITS.maxRenderSide);

const RenderViewInput = z
  .object({
    scene_id: z.string().min(1).describe('the scene_id lift_scene returned'),
    pose: ToolPoseSchema,
    width: side.optional().describe('output width in pixels (default 512)'),
    height: side.optional().describe("output height in pixels (default: the original image's aspect ratio)"),
    mode: z
      .enum(['gaussians', 'points'])
      .optional()
      .describe('gaussians (default: smooth splats) or points (one square per lifted point)'),
    holes: z
      .enum(['mark', 'fill', 'none'])
      .optional()
      .describe(
        'pixels no surface covers (never seen from the original camera): mark (magenta, default: honest), fill (inpainted from neighbours) or none (black)',
      ),
    clamp: z
      .boolean()
      .optional()
      .describe('clamp out-of-range pose values into range instead of failing (default false)'),
    image_format: z
      .enum(['png', 'jpeg', 'webp'])
      .optional()
      .describe('format of the returned image (default png; a PNG over max_image_bytes is sent as JPEG)'),
    max_image_bytes: z
      .number()
      .int()
      .min(8192)
      .optional()
      .describe(
        'largest image to return, in bytes before base64 (default 716800, so the result stays under 1 MiB); lower quality, then a smaller size, until it fits',
      ),
  })
  .strict();

const AnswerInput = z
  .object({
    ...SceneSourceShape,
    scene_id: z.string().min(1).optional().describe('a scene lifted before with lift_scene, instead of images/fixture'),
    question: z
      .string()
      .min(1)
      .max(4000)
      .describe('the spatial question, e.g. "Seen from the door, is the mug left of the vase?"'),
    options: z
      .array(z.string().min(1))
      .min(2)
      .max(26)
      .optional()
      .describe(
        'answer options (texts; letters A, B, … are given in order); none: a free-form answer, or a number (value, unit) when the question asks for one ("how many", "(in metres)")',
      ),
    config: LoopConfigInputSchema.optional().describe(
      "loop settings: model (default builtin:perceiver or the server's --model), maxRounds (views after the original, default 3), poseFormat, render, holes, width, height, fusion, stop, imageBudget",
    ),
    include_views: z.boolean().optional().describe('return the rendered views as images (default true)'),
  })
  .strict();

export type LiftSceneArgs = z.output<typeof LiftSceneInput>;
export type AnswerArgs = z.output<typeof AnswerInput>;
export type SceneSourceArgs = Pick<LiftSceneArgs, keyof typeof SceneSourceShape>;

// ---------------------------------------------------------------------------------------------
// Optional → nullable

type AnyZod = z.ZodType;

const withMetaOf = <T extends AnyZod>(from: AnyZod, to: T): T => {
  const meta = z.globalRegistry.get(from);
  return meta ? (to.meta(meta) as T) : to;
};

/** The schema with every optional (or defaulted) object field also accepting null, recursively. */
function nullableOptionals(s: AnyZod): AnyZod {
  const def = s.def as unknown as Record<string, unknown> & { type: string };
  let out: AnyZod = s;
  if (def.type === 'object') {
    const shape: Record<string, AnyZod> = {};
    for (const [k, f] of Object.entries((s as z.ZodObject).shape as Record<string, AnyZod>)) {
      const fd = f.def as unknown as { type: string; innerType?: AnyZod };
      shape[k] =
        fd.type === 'optional' || fd.type === 'default'
          ? withMetaOf(f, nullableOptionals(fd.innerType!).nullish())
          : nullableOptionals(f);
    }
    out = s.clone({ ...def, shape } as never);
  } else if (def.type === 'union') {
    out = s.clone({ ...def, options: (def.options as AnyZod[]).map(nullableOptionals) } as never);
  } else if (def.type === 'array') {
    out = s.clone({ ...def, element: nullableOptionals(def.element as AnyZod) } as never);
  }
  return withMetaOf(s, out);
}

/** A copy of a JSON value without null object fields (nulls inside arrays stay: they are data). */
export function dropNulls<T>(v: T): T {
  if (Array.isArray(v)) return v.map((x) => (x !== null && typeof x === 'object' ? dropNulls(x) : x)) as T;
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.entries(v)
        .filter(([, x]) => x !== null)
        .map(([k, x]) => [k, dropNulls(x)]),
    ) as T;
  }
  return v;
}

// ---------------------------------------------------------------------------------------------
// The tools

export interface ToolDefinition<S extends z.ZodObject = z.ZodObject> {
  name: 'lift_scene' | 'render_view' | 'answer_spatial_question';
  title: string;
  description: string;
  /** the contract: parse with this after dropping nulls */
  inputSchema: S;
  /** what is listed and accepted on the wire: optional fields are also nullable */
  wireSchema: z.ZodObject;
}

const tool = <S extends z.ZodObject>(d: Omit<ToolDefinition<S>, 'wireSchema'>): ToolDefinition<S> => ({
  ...d,
  wireSchema: nullableOptionals(d.inputSchema) as z.ZodObject,
});

export const LIFT_SCENE = tool({
  name: 'lift_scene',
  title: 'Lift an image to 3D',
  description: [
    'Lift a photo (with its depth map, or a monocular depth model) — or a 3DGS .ply, or a procedural test fixture — to a 3D scene of Gaussians kept by the server.',
    'Returns a scene_id for render_view and answer_spatial_question, and a summary: size, units (metres, or relative depth units), the original camera, the default orbit pivot, what was assumed.',
    'Give exactly one of images, ply, fixture. Scenes are evicted least-recently-used when the server runs out of room: lift again if an id is reported evicted.',
  ].join(' '),
  inputSchema: LiftSceneInput,
});

export const RENDER_VIEW = tool({
  name: 'render_view',
  title: 'Render a novel view',
  description: [
    'Render a lifted scene from a new camera pose, so you can look at it yourself from another viewpoint.',
    'Returns the view as a PNG image, the pose as rendered with a caption in words, and coverage (0..1: the share of pixels that are real surface; the rest are holes the original camera never saw, marked magenta by default — do not read them as objects).',
  ].join(' '),
  inputSchema: RenderViewInput,
});

export const ANSWER_SPATIAL_QUESTION = tool({
  name: 'answer_spatial_question',
  title: 'Answer a spatial question by moving the camera',
  description: [
    'Answer a spatial question about a photo the way Vantage does: round 0 answers from the original image, then a vision model asks for camera poses, sees the rendered novel views, and the answers are fused until they stop changing.',
    'Give a scene (images + depths/depth_model, a fixture, or scene_id) and the question with its options.',
    'Returns the answer (option letter and text), its posterior probability, the posterior over all options, why it stopped, the rendered views as images, and the path of the trace (trace.json, PNGs, index.html).',
  ].join(' '),
  inputSchema: AnswerInput,
});

export const TOOL_DEFINITIONS: readonly ToolDefinition[] = [LIFT_SCENE, RENDER_VIEW, ANSWER_SPATIAL_QUESTION];

// ---------------------------------------------------------------------------------------------
// OpenAI function calling (strict)

export type JsonSchema = Record<string, unknown>;

/** Chat Completions form (`tools` of chat.completions.create); `flat` gives the Responses API form. */
export type OpenAiTool =
  | { type: 'function'; function: { name: string; description: string; strict: true; parameters: JsonSchema } }
  | { type: 'function'; name: string; description: string; strict: true; parameters: JsonSchema };

/** Keywords outside the subset every strict-mode model accepts: moved into the description as words. */
const MOVED_TO_DESCRIPTION: Record<string, (v: unknown) => string> = {
  minimum: (v) => `minimum ${v}`,
  maximum: (v) => `maximum ${v}`,
  exclusiveMinimum: (v) => `more than ${v}`,
  exclusiveMaximum: (v) => `less than ${v}`,
  minItems: (v) => `at least ${v} items`,
  maxItems: (v) => `at most ${v} items`,
  minLength: (v) => `at least ${v} characters`,
  maxLength: (v) => `at most ${v} characters`,
  pattern: (v) => `pattern ${JSON.stringify(v)}`,
  format: (v) => `format ${v}`,
  multipleOf: (v) => `a multiple of ${v}`,
  default: (v) => `default ${JSON.stringify(v)}`,
};

const isNullable = (n: JsonSchema): boolean =>
  n.type === 'null' ||
  (Array.isArray(n.type) && n.type.includes('null')) ||
  (Array.isArray(n.anyOf) && (n.anyOf as JsonSchema[]).some(isNullable));

function nullable(n: JsonSchema): JsonSchema {
  if (isNullable(n)) return n;
  if (typeof n.type === 'string' && !n.enum && !n.anyOf) return { ...n, type: [n.type, 'null'] };
  if (Array.isArray(n.anyOf)) return { ...n, anyOf: [...n.anyOf, { type: 'null' }] };
  const { description, ...rest } = n;
  return { anyOf: [rest, { type: 'null' }], ...(description ? { description } : {}) };
}

/** One JSON Schema node made acceptable to OpenAI strict mode (recursively). */
export function strictNode(node: JsonSchema): JsonSchema {
  const n: JsonSchema = { ...node };
  delete n.$schema;
  if (n.oneOf) {
    n.anyOf = n.oneOf;
    delete n.oneOf;
  }
  if ('const' in n) {
    n.enum = [n.const];
    delete n.const;
  }
  const notes: string[] = [];
  if (Array.isArray(n.prefixItems)) {
    const items = (n.prefixItems as JsonSchema[]).map(strictNode);
    const same = items.every((x) => JSON.stringify(x) === JSON.stringify(items[0]));
    n.items = same ? items[0] : { anyOf: items };
    notes.push(`exactly ${items.length} items`);
    delete n.prefixItems;
    delete n.minItems;
    delete n.maxItems;
  } else if (n.items && typeof n.items === 'object') {
    n.items = strictNode(n.items as JsonSchema);
  }
  if (n.minItems !== undefined && n.minItems === n.maxItems) {
    notes.push(`exactly ${n.minItems} items`);
    delete n.minItems;
    delete n.maxItems;
  }
  if (n.minItems !== undefined && n.maxItems !== undefined) {
    notes.push(`${n.minItems}..${n.maxItems} items`);
    delete n.minItems;
    delete n.maxItems;
  }
  if (n.minLength === 1) {
    notes.push('non-empty');
    delete n.minLength;
  }
  if (n.minimum !== undefined && n.maximum !== undefined) {
    notes.push(`${n.minimum}..${n.maximum}`);
    delete n.minimum;
    delete n.maximum;
  }
  for (const [k, words] of Object.entries(MOVED_TO_DESCRIPTION)) {
    if (k in n) {
      notes.push(words(n[k]));
      delete n[k];
    }
  }
  if (notes.length) n.description = [n.description, `(${notes.join(', ')})`].filter(Boolean).join(' ');
  if (Array.isArray(n.anyOf)) n.anyOf = (n.anyOf as JsonSchema[]).map(strictNode);
  if (n.type === 'object' || n.properties) {
    const props = (n.properties ?? {}) as Record<string, JsonSchema>;
    const required = new Set((n.required as string[] | undefined) ?? []);
    n.properties = Object.fromEntries(
      Object.entries(props).map(([k, p]) => {
        const s = strictNode(p);
        return [k, required.has(k) ? s : nullable(s)];
      }),
    );
    n.required = Object.keys(props);
    n.additionalProperties = false;
  }
  return n;
}

/** A tool's parameters as an OpenAI strict-mode JSON Schema. */
function strictParameters(def: ToolDefinition): JsonSchema {
  return strictNode(z.toJSONSchema(def.wireSchema, { io: 'input', target: 'draft-2020-12' }) as JsonSchema);
}

/** The three tools as OpenAI function-calling definitions with strict: true. */
export function openAiTools(opts: { flat?: boolean } = {}): OpenAiTool[] {
  return TOOL_DEFINITIONS.map((d) => {
    const f = { name: d.name, description: d.description, strict: true as const, parameters: strictParameters(d) };
    return opts.flat ? { type: 'function' as const, ...f } : { type: 'function' as const, function: f };
  });
}

/** The three tools as MCP lists them (name, title, description, JSON Schema of the input). */
export function mcpToolList(): { name: string; title: string; description: string; inputSchema: JsonSchema }[] {
  return TOOL_DEFINITIONS.map((d) => ({
    name: d.name,
    title: d.title,
    description: d.description,
    // as the MCP SDK lists them (draft-07)
    inputSchema: z.toJSONSchema(d.wireSchema, { io: 'input', target: 'draft-7' }) as JsonSchema,
  }));
}
