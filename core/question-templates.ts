/**
 * The question templates of the procedural spatial question set, in one place: the generator
 * (fixtures/questions.ts) writes questions with these functions, and the built-in perceiver parses
 * them back. Object names are "{colour} {shape}" ("red box"); the perceiver identifies objects by
 * their colour only.
 */
import { OBJECT_PALETTE } from './palette.js';

export type SpatialCategory = 'hidden-behind' | 'left-right' | 'front-behind' | 'count';
export const SPATIAL_CATEGORIES: readonly SpatialCategory[] = ['hidden-behind', 'left-right', 'front-behind', 'count'];

/** Option texts (the generator uses these words; the perceiver matches them). */
export const OPTION_WORDS = {
  left: 'left',
  right: 'right',
  inFront: 'in front',
  behind: 'behind',
  nothing: 'nothing',
} as const;

export const questionTemplates = {
  hiddenBehind: (occluder: string) => `From the camera's viewpoint, which object is hidden behind the ${occluder}?`,
  leftRight: (a: string, b: string, c: string) =>
    `Imagine standing at the ${a} and facing the ${b}. Is the ${c} to your left or to your right?`,
  frontBehind: (a: string, b: string) =>
    `Seen from the opposite side of the table, is the ${a} in front of or behind the ${b}?`,
  count: () => 'How many objects are there in the scene (not counting the floor and walls)?',
};

/**
 * VSI-Bench's measurement questions in the benchmark's own wording (fixtures/walkthrough.ts writes
 * them; the perceiver parses distance and size back). Answers: metres, centimetres, a count, m².
 */
export const measureTemplates = {
  distance: (a: string, b: string) =>
    `Measuring from the closest point of each object, what is the direct distance between the ${a} and the ${b} (in meters)?`,
  size: (a: string) =>
    `What is the length of the longest dimension (length, width, or height) of the ${a}, measured in centimeters?`,
  countOf: (plural: string) => `How many ${plural} are in this room?`,
  roomSize: () =>
    'What is the size of this room (in square meters)? If multiple rooms are shown, estimate the size of the combined space.',
};

/** Share of a frame an object must cover to count as having appeared in it (appearance-order truth and the perceiver). */
export const APPEAR_SHARE = 0.004;

/** VSI-Bench's multiple-choice questions in the benchmark's wording (walk-through sets; the perceiver parses them). */
export const videoTemplates = {
  closest: (names: string[], x: string) =>
    `Measuring from the closest point of each object, which of these objects (${names.join(', ')}) is the closest to the ${x}?`,
  directionEasy: (a: string, b: string, c: string) =>
    `If I am standing by the ${a} and facing the ${b}, is the ${c} to the left or the right of the ${b}?`,
  directionMedium: (a: string, b: string, c: string) =>
    `If I am standing by the ${a} and facing the ${b}, is the ${c} to my left, right, or back? An object is to my back if I would have to turn at least 90 degrees in order to face it.`,
  directionHard: (a: string, b: string, c: string) =>
    `If I am standing by the ${a} and facing the ${b}, is the ${c} to my front-left, front-right, back-left, or back-right? The directions refer to the quadrants of a Cartesian plane (if I am standing at the origin and facing along the positive y-axis).`,
  route: (a: string, b: string, c: string) =>
    `You are a robot beginning at the ${a} facing the ${b}. You want to navigate to the ${c}. You will perform the following actions (Note: for each [please fill in], choose either 'turn back,' 'turn left,' or 'turn right.'): 1. [please fill in] 2. Go forward until the ${c}. You have reached the final destination.`,
  appearanceOrder: (names: string[]) =>
    `What will be the first-time appearance order of the following categories in the video: ${names.join(', ')}?`,
};

/** A question as the perceiver understands it: the objects it names, by palette colour. */
export type ParsedQuestion =
  | { kind: 'hidden-behind'; occluder: string }
  | { kind: 'left-right'; a: string; b: string; c: string }
  | { kind: 'front-behind'; a: string; b: string }
  | { kind: 'count' }
  | { kind: 'distance'; a: string; b: string }
  | { kind: 'size'; a: string }
  | { kind: 'closest'; x: string; among: string[] }
  | { kind: 'direction'; a: string; b: string; c: string }
  | { kind: 'route'; a: string; b: string; c: string }
  | { kind: 'appearance'; names: string[] }
  | { kind: 'unknown' };

const COLOR_WORDS = OBJECT_PALETTE.map((c) => c.name);

/** The palette colour named in an object phrase ("the red box" → "red"), or undefined. */
export function colorOfPhrase(phrase: string): string | undefined {
  const words = phrase.toLowerCase().match(/[a-z]+/g) ?? [];
  return words.find((w) => COLOR_WORDS.includes(w));
}

const OBJ = '(?:the\\s+)?([a-z]+(?:\\s+[a-z]+)?)';

/** Parse a question written with `questionTemplates` (tolerant of case and surrounding text). */
export function parseQuestionText(text: string): ParsedQuestion {
  const t = text.toLowerCase().replace(/\s+/g, ' ');
  let m = t.match(new RegExp(`which object is hidden behind ${OBJ}\\s*\\?`));
  if (m) {
    const occluder = colorOfPhrase(m[1]);
    if (occluder) return { kind: 'hidden-behind', occluder };
  }
  m = t.match(new RegExp(`standing at ${OBJ} and facing ${OBJ}\\. is ${OBJ} to your left or to your right`));
  if (m) {
    const [a, b, c] = [colorOfPhrase(m[1]), colorOfPhrase(m[2]), colorOfPhrase(m[3])];
    if (a && b && c) return { kind: 'left-right', a, b, c };
  }
  m = t.match(new RegExp(`opposite side of the table, is ${OBJ} in front of or behind ${OBJ}\\s*\\?`));
  if (m) {
    const [a, b] = [colorOfPhrase(m[1]), colorOfPhrase(m[2])];
    if (a && b) return { kind: 'front-behind', a, b };
  }
  if (/how many objects are there/.test(t)) return { kind: 'count' };
  m =
    t.match(new RegExp(`distance between ${OBJ} and ${OBJ}\\s*(?:\\(|\\?|,|in\\b)`)) ??
    t.match(new RegExp(`how far (?:away )?(?:is|are) ${OBJ} from ${OBJ}\\s*(?:\\(|\\?|,|in\\b)`));
  if (m) {
    const [a, b] = [colorOfPhrase(m[1]), colorOfPhrase(m[2])];
    if (a && b) return { kind: 'distance', a, b };
  }
  m = t.match(new RegExp(`which of these objects \\(([^)]*)\\) is the closest to ${OBJ}\\s*\\?`));
  if (m) {
    const among = m[1].split(',').map((p) => colorOfPhrase(p));
    const x = colorOfPhrase(m[2]);
    if (x && among.every(Boolean)) return { kind: 'closest', x, among: among as string[] };
  }
  m = t.match(new RegExp(`standing by ${OBJ} and facing ${OBJ}, is ${OBJ} to`));
  if (m) {
    const [a, b, c] = [colorOfPhrase(m[1]), colorOfPhrase(m[2]), colorOfPhrase(m[3])];
    if (a && b && c) return { kind: 'direction', a, b, c };
  }
  m = t.match(new RegExp(`beginning at ${OBJ} facing ${OBJ}\\. you want to navigate to ${OBJ}\\.`));
  if (m) {
    const [a, b, c] = [colorOfPhrase(m[1]), colorOfPhrase(m[2]), colorOfPhrase(m[3])];
    if (a && b && c) return { kind: 'route', a, b, c };
  }
  m = t.match(/first-time appearance order of the following categories in the video: ([^?]*)\?/);
  if (m) {
    const names = m[1].split(',').map((p) => colorOfPhrase(p));
    if (names.every(Boolean)) return { kind: 'appearance', names: names as string[] };
  }
  m = t.match(new RegExp(`longest dimension \\(length, width, or height\\) of ${OBJ},`));
  if (m) {
    const a = colorOfPhrase(m[1]);
    if (a) return { kind: 'size', a };
  }
  return { kind: 'unknown' };
}

/** What an option text stands for: a palette colour (an object), "nothing", a side, a number. */
export type ParsedOption =
  | { kind: 'object'; color: string }
  | { kind: 'nothing' }
  | { kind: 'left' }
  | { kind: 'right' }
  | { kind: 'in-front' }
  | { kind: 'behind' }
  | { kind: 'number'; value: number }
  | { kind: 'other' };

export function parseOptionText(text: string): ParsedOption {
  const t = text.toLowerCase().trim();
  if (/^\d+$/.test(t)) return { kind: 'number', value: Number(t) };
  if (/\bnothing\b/.test(t)) return { kind: 'nothing' };
  if (/\bin front\b/.test(t)) return { kind: 'in-front' };
  if (/\bbehind\b/.test(t)) return { kind: 'behind' };
  if (/\bleft\b/.test(t)) return { kind: 'left' };
  if (/\bright\b/.test(t)) return { kind: 'right' };
  const color = colorOfPhrase(t);
  if (color) return { kind: 'object', color };
  return { kind: 'other' };
}
