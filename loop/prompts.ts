/**
 * The prompts of the loop and the zod schemas of the replies they ask for.
 *
 * Two roles: the *answerer* answers the question from the original image(s) and the views so far;
 * the *controller* asks for the next camera pose (in the configured format) or says "stop". A third,
 * small prompt turns a `language` pose into numbers (the ablation against numeric poses).
 *
 * The prompts explain the frame and pose conventions in plain words with one worked example, and
 * say that marked (magenta) or filled pixels are unknown, not seen: a model that reads a hole as
 * "nothing there" is worse off than one that never saw the view.
 */
import { z } from 'zod';
import {
  EgoPoseSchema,
  LanguagePoseSchema,
  OrbitPoseSchema,
  PRESET_NAMES,
  PresetPoseSchema,
  type Pose,
} from '../core/pose.js';
import { POSE_LIMITS, HOLE_MARK_COLOR } from '../core/config.js';
import type { ChatContent, ChatMessage } from '../core/mllm/index.js';
import type { HoleMode } from '../core/types.js';
import type { LoopConfig } from './types.js';
import type { Question } from '../core/types.js';
import { letters } from '../core/options.js';

export type PoseFormat = LoopConfig['poseFormat'];

// ---------------------------------------------------------------------------------------------
// Reply schemas

/**
 * The answerer's reply. Confidence is accepted as 0..1 or as a percentage (models write both) and
 * normalised by `answerFromReply`; the choice is a letter, or free text for free-form questions.
 */
export const AnswerReplySchema = z
  .object({
    choice: z.string().describe('the option letter (A, B, …) or, without options, a short answer'),
    confidence: z.number().describe('how sure you are, 0 (guess) to 1 (certain)'),
    rationale: z.string().describe('one or two sentences: what in which image decided it'),
  })
  .strict();
export type AnswerReply = z.infer<typeof AnswerReplySchema>;

/** The pose schema a controller writes for a pose format. */
function poseSchemaFor(format: PoseFormat) {
  switch (format) {
    case 'orbit':
      return OrbitPoseSchema;
    case 'ego':
      return EgoPoseSchema;
    case 'preset':
      return PresetPoseSchema;
    case 'language':
      return LanguagePoseSchema;
  }
}

/** The controller's reply: a pose to render next, or stop. */
function buildControllerReplySchema(format: PoseFormat) {
  return z
    .object({
      action: z
        .enum(['view', 'stop'])
        .describe('"view" to see the scene from the pose below, "stop" when you have seen enough'),
      pose: poseSchemaFor(format).nullable().describe('the next camera pose (null when stopping)'),
      reason: z.string().describe('why this view (or why stop), in one sentence'),
    })
    .strict();
}

// One schema object per format: the MLLM client caches JSON Schemas per schema object.
const controllerReplySchemas = new Map<PoseFormat, ReturnType<typeof buildControllerReplySchema>>();

export function controllerReplySchema(format: PoseFormat) {
  let schema = controllerReplySchemas.get(format);
  if (!schema) {
    schema = buildControllerReplySchema(format);
    controllerReplySchemas.set(format, schema);
  }
  return schema;
}
export type ControllerReply = { action: 'view' | 'stop'; pose: Pose | null; reason: string };

/** The reply that turns a language pose into an orbit. */
export const LanguagePoseReplySchema = z.object({ pose: OrbitPoseSchema }).strict();

// ---------------------------------------------------------------------------------------------
// Conventions, in plain words

/** How the world, the original camera and "up" are defined, in words a model can use. */
const FRAME_CONVENTIONS = [
  'How the views are made: the original photo was lifted to 3D using its depth, and every other view is',
  'rendered from that 3D model with a virtual camera. The original camera is the reference: "left",',
  '"right", "in front" and "behind" are meant as seen in the original photo unless the question says',
  "otherwise. Up is the world's up (the original camera's up, levelled by the floor when one is found).",
  'The pivot is the point of the scene under the centre of the original photo: camera moves keep it in view.',
].join('\n');

const [azLo, azHi] = POSE_LIMITS.azimuthDeg;
const [elLo, elHi] = POSE_LIMITS.elevationDeg;
const [dsLo, dsHi] = POSE_LIMITS.distanceScale;

const ORBIT_TEXT = [
  'Pose format "orbit": the camera swings around the pivot and keeps looking at it.',
  `- azimuth_deg (${azLo}..${azHi}): positive moves the camera to its right around the scene, so you see the`,
  "  scene's right side; negative moves it left; 180 looks back from behind the scene.",
  `- elevation_deg (${elLo}..${elHi}): positive raises the camera so it looks down on the scene; ${elHi} is nearly`,
  '  straight down (top view); negative lowers it to look up.',
  `- distance_scale (${dsLo}..${dsHi}): 1 keeps the original distance to the pivot, 0.5 is twice as close, 2 twice as far.`,
  '- pivot (optional): "center", or {"u": x, "v": y}, a pixel of the original photo to swing around instead.',
  'azimuth 0, elevation 0, distance 1 is the original view.',
].join('\n');

const EGO_TEXT = [
  'Pose format "ego": first-person moves starting from where the original camera stood.',
  '- forward_m, right_m, up_m: move the camera along its own forward, right and up directions (metres,',
  '  or scene units when depth is relative; the scene centre is roughly one unit per metre of its distance).',
  `- yaw_deg (${POSE_LIMITS.yawDeg[0]}..${POSE_LIMITS.yawDeg[1]}): then turn; positive turns right, negative left.`,
  `- pitch_deg (${POSE_LIMITS.pitchDeg[0]}..${POSE_LIMITS.pitchDeg[1]}): positive looks up, negative looks down.`,
  'All zeros is the original view.',
].join('\n');

const PRESET_TEXT = [
  'Pose format "preset": pick one named move: ' + PRESET_NAMES.join(', ') + '.',
  'orbit_* swing around the scene centre (right = the camera goes to the right, showing the right side);',
  'turn_* rotate in place; step_* move the camera; behind looks back from the far side; top_down looks down from above.',
].join('\n');

const LANGUAGE_TEXT = [
  'Pose format "language": describe in words where the camera should go and where it should look,',
  'for example "swing around to the right of the table and look down at it from above".',
].join('\n');

/** The pose conventions of a format, in plain words. */
export function poseFormatText(format: PoseFormat): string {
  switch (format) {
    case 'orbit':
      return ORBIT_TEXT;
    case 'ego':
      return EGO_TEXT;
    case 'preset':
      return PRESET_TEXT;
    case 'language':
      return LANGUAGE_TEXT;
  }
}

/** One worked example per format: a question, a sensible next view, and what it shows. */
export function workedExample(format: PoseFormat): string {
  const pose: Record<PoseFormat, unknown> = {
    orbit: { mode: 'orbit', azimuth_deg: 60, elevation_deg: 20, distance_scale: 1 },
    ego: { mode: 'ego', yaw_deg: -40, pitch_deg: -10, forward_m: 0.5, right_m: 1, up_m: 0.3 },
    preset: { mode: 'preset', name: 'orbit_right_60' },
    language: {
      mode: 'language',
      text: 'swing 60 degrees around to the right of the scene and look slightly down at it',
    },
  };
  const reply = {
    action: 'view',
    pose: pose[format],
    reason: 'from the right the box no longer hides what is behind it',
  };
  return [
    'Worked example. Question: "Is there an object hidden behind the blue box?" In the original photo the',
    'box blocks the view. Going around to the right and a little up shows the space behind it, so the reply is',
    JSON.stringify(reply),
    'In the view that comes back, what was on the right of the photo is now nearer the camera, and the back of',
    'the box faces left. Magenta areas in it are parts the original photo never saw.',
  ].join('\n');
}

/** What marked or filled pixels mean: unknown, not seen. */
export function unknownPixelsText(holes: HoleMode): string {
  const [r, g, b] = HOLE_MARK_COLOR;
  const lines = [
    `Unknown pixels: in a rendered view, pixels painted bright magenta (RGB ${r},${g},${b}) are places the original`,
    'photo never saw. They are unknown, not magenta things and not empty space: an object may hide there.',
    'Blurry, smeared or flat filled-in patches are guesses of the same kind: treat them as unknown, not as seen.',
    'Only real surface in a view is evidence; the coverage figure in each caption says how much of it is real.',
  ];
  if (holes === 'fill')
    lines.push('In this run holes were filled from their surroundings rather than painted magenta.');
  if (holes === 'none')
    lines.push('In this run holes were left black: black gaps at the edges of objects are unknown too.');
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------
// Messages

/** An image as shown to a model: its pixels and its caption. */
export interface PromptImage {
  png: Buffer;
  caption: string;
  /** an original photo (kept whatever the model's image limit) */
  original?: boolean;
}

/** "A) red box" lines, or a note that the question is free-form. */
export function optionLines(question: Question): string {
  if (question.numeric)
    return question.numeric.unit
      ? `No options: answer with a number in ${question.numeric.unit}.`
      : 'No options: answer with a number.';
  if (!question.options.length) return 'No options: answer with a short phrase.';
  const ls = letters(question.options.length);
  return question.options.map((o, i) => `${ls[i]}) ${o}`).join('\n');
}

/** Caption of the original image (round 0's only picture). */
export function originalCaption(index: number, count: number): string {
  return count > 1
    ? `original photo ${index + 1} of ${count} (a real capture)`
    : 'original photo (the reference view, a real capture)';
}

/** Caption of a rendered view: its pose in words and numbers, and how much of it is real surface. */
export function viewCaption(round: number, poseWords: string, coverage: number): string {
  return `rendered view ${round}: ${poseWords}; coverage ${(coverage * 100).toFixed(0)}% real surface`;
}

function imageBlocks(images: PromptImage[]): ChatContent[] {
  const out: ChatContent[] = [];
  // the caption travels with its image (sent once, as the text before it)
  for (const im of images)
    out.push({ type: 'image', png: im.png, caption: im.caption, ...(im.original ? { pinned: true } : {}) });
  return out;
}

export interface AnswererPromptInput {
  question: Question;
  /** originals first, then the views in round order */
  images: PromptImage[];
  holes: HoleMode;
  /** views left out to keep within the image budget */
  omittedViews?: number;
}

/** The answerer's messages. */
export function answererMessages(p: AnswererPromptInput): ChatMessage[] {
  const multiple = p.question.options.length > 0;
  const system = [
    'You answer spatial questions about a scene from images of it: the original photo and, when given,',
    'views rendered from a 3D model lifted from that photo.',
    FRAME_CONVENTIONS,
    unknownPixelsText(p.holes),
    'Reply with one JSON object: {"choice": ..., "confidence": ..., "rationale": ...}.',
    p.question.numeric
      ? `"choice" is the number alone${p.question.numeric.unit ? ` in ${p.question.numeric.unit}` : ''} (e.g. "2.5"); "confidence" is 0..1, how close you think it is;`
      : multiple
        ? '"choice" is the letter of one option; "confidence" is 0..1, how likely that option is right;'
        : '"choice" is a short answer; "confidence" is 0..1, how likely it is right;',
    '"rationale" says briefly what you saw in which image. If the images cannot settle it, give your best',
    'guess with a low confidence.',
  ].join('\n');
  const text = [
    `Question: ${p.question.text}`,
    optionLines(p.question),
    p.omittedViews ? `(${p.omittedViews} earlier view(s) are not shown again.)` : '',
    p.images.length > 1 ? 'Images (each captioned):' : 'Image:',
  ]
    .filter(Boolean)
    .join('\n');
  return [
    { role: 'system', content: system },
    { role: 'user', content: [{ type: 'text', text }, ...imageBlocks(p.images)] },
  ];
}

export interface ControllerPromptInput {
  question: Question;
  images: PromptImage[];
  format: PoseFormat;
  holes: HoleMode;
  /** poses already rendered, as captions, in order */
  history: string[];
  round: number;
  maxRounds: number;
  /** the current best answer, when the loop shares it */
  current?: { choice: string; probability: number };
  /** problems with the previous pose reply, fed back once */
  feedback?: string[];
  omittedViews?: number;
}

/** The controller's messages. */
export function controllerMessages(p: ControllerPromptInput): ChatMessage[] {
  const system = [
    'You move a virtual camera to answer a spatial question about a scene. Each turn you either ask for one',
    'new view (a camera pose) or say "stop" when the images you have already settle the question.',
    FRAME_CONVENTIONS,
    poseFormatText(p.format),
    unknownPixelsText(p.holes),
    workedExample(p.format),
    'Pick views that would change your answer if it were wrong: look around, behind or above what hides the',
    'evidence. Do not repeat a view you already have. Reply with one JSON object:',
    `{"action": "view" | "stop", "pose": <a pose in the "${p.format}" format, or null to stop>, "reason": "..."}`,
  ].join('\n\n');
  const text = [
    `Question: ${p.question.text}`,
    optionLines(p.question),
    `This is view request ${p.round} of at most ${p.maxRounds}.`,
    p.current?.choice
      ? `Current best answer: ${p.current.choice} (probability ${p.current.probability.toFixed(2)}).`
      : '',
    p.history.length
      ? `Views already rendered:\n${p.history.map((h, i) => `${i + 1}. ${h}`).join('\n')}`
      : 'No views rendered yet.',
    p.omittedViews ? `(${p.omittedViews} earlier view(s) are not shown again.)` : '',
    p.feedback?.length
      ? `Your previous pose could not be used: ${p.feedback.join('; ')}. Give a pose within the ranges above.`
      : '',
    'Images (each captioned):',
  ]
    .filter(Boolean)
    .join('\n');
  return [
    { role: 'system', content: system },
    { role: 'user', content: [{ type: 'text', text }, ...imageBlocks(p.images)] },
  ];
}

/** Messages that turn a camera move described in words into an orbit pose. */
export function languagePoseMessages(text: string, feedback?: string[]): ChatMessage[] {
  const system = [
    'You turn a camera move described in words into numbers.',
    FRAME_CONVENTIONS,
    ORBIT_TEXT,
    'Example: "go around to the right and look down a little" →',
    JSON.stringify({ pose: { mode: 'orbit', azimuth_deg: 60, elevation_deg: 20, distance_scale: 1 } }),
    'Reply with one JSON object {"pose": {...}}.',
  ].join('\n\n');
  const user = [
    `Camera move: ${text}`,
    feedback?.length ? `Your previous numbers could not be used: ${feedback.join('; ')}.` : '',
  ]
    .filter(Boolean)
    .join('\n');
  return [
    { role: 'system', content: system },
    { role: 'user', content: user },
  ];
}
