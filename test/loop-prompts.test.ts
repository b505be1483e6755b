/**
 * The prompts say the conventions in plain words with a worked example and warn about unknown
 * pixels; replies are parsed tolerantly; the loop configuration is validated; helpers behave.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  AnswerReplySchema,
  answererMessages,
  controllerMessages,
  controllerReplySchema,
  languagePoseMessages,
  poseFormatText,
  unknownPixelsText,
  workedExample,
} from '../loop/prompts.js';
import { answerFromReply, normalizeConfidence } from '../loop/models/reply.js';
import { parseHumanAnswer, parseHumanPose } from '../loop/models/human.js';
import { promptText } from '../loop/models/calls.js';
import { createModel } from '../loop/models/create.js';
import { PerceiverModel } from '../loop/perceiver/model.js';
import { letterOfReply } from '../core/options.js';
import { LOOP_DEFAULTS, defaultModelName, loopConfigFrom } from '../loop/config.js';
import { viewsWithinBudget } from '../loop/run.js';
import { fallbackPose } from '../loop/pose-choice.js';
import { optionTexts } from '../core/options.js';
import { parsePose, poseRangeErrors } from '../core/pose.js';
import type { ChatMessage } from '../core/mllm/index.js';
import type { Question } from '../core/types.js';

const question: Question = {
  text: 'Is the red box left of the blue box, seen from the door?',
  options: ['left', 'right'],
};
const png = Buffer.from('89504e470d0a1a0a', 'hex');
const images = [
  { png, caption: 'original photo (the reference view, a real capture)' },
  {
    png,
    caption:
      'rendered view 1: camera swung 60° to the right around the scene centre [orbit azimuth_deg=60 elevation_deg=20 distance_scale=1]; coverage 71% real surface',
  },
];

const textOf = (messages: ChatMessage[]) =>
  messages
    .map((m) =>
      typeof m.content === 'string'
        ? m.content
        : m.content.map((c) => (c.type === 'text' ? c.text : '[image]')).join('\n'),
    )
    .join('\n');

describe('prompts', () => {
  it('the controller prompt explains frames and the orbit convention in words, with one worked example and the ranges', () => {
    const t = textOf(
      controllerMessages({
        question,
        images,
        format: 'orbit',
        holes: 'mark',
        history: [images[1].caption],
        round: 2,
        maxRounds: 3,
      }),
    );
    expect(t).toMatch(/original camera is the reference/);
    expect(t).toMatch(/positive moves the camera to its right around the scene, so you see the\s+scene's right side/);
    expect(t).toMatch(/positive raises the camera so it looks down/);
    expect(t).toMatch(/azimuth 0, elevation 0, distance 1 is the original view/);
    expect(t).toMatch(/-180\.\.180/);
    expect(t).toMatch(/-85\.\.85/);
    expect(t).toMatch(/0\.25\.\.4/);
    expect(t).toMatch(/Worked example/);
    expect(t.match(/Worked example/g)).toHaveLength(1);
    expect(t).toContain(
      '{"action":"view","pose":{"mode":"orbit","azimuth_deg":60,"elevation_deg":20,"distance_scale":1}',
    );
    expect(t).toMatch(/say "stop"|"stop" when/);
    expect(t).toContain('Question: Is the red box left of the blue box');
    expect(t).toContain('A) left\nB) right');
    expect(t).toMatch(/Views already rendered:\n1\. rendered view 1/);
    expect(t).toMatch(/view request 2 of at most 3/);
  });

  it('every pose format has its own words and a worked example whose pose parses and is in range', () => {
    for (const f of ['orbit', 'ego', 'preset', 'language'] as const) {
      expect(poseFormatText(f)).toContain(`"${f}"`);
      const ex = workedExample(f);
      const json = ex.split('\n').find((l) => l.startsWith('{'))!;
      const reply = controllerReplySchema(f).parse(JSON.parse(json));
      expect(reply.action).toBe('view');
      expect(poseRangeErrors(parsePose(reply.pose))).toEqual([]);
    }
    expect(poseFormatText('ego')).toMatch(/positive turns right/);
    expect(poseFormatText('ego')).toMatch(/positive looks up/);
  });

  it('both prompts say that magenta or filled pixels are unknown, not seen', () => {
    for (const m of [
      answererMessages({ question, images, holes: 'mark' }),
      controllerMessages({ question, images, format: 'orbit', holes: 'mark', history: [], round: 1, maxRounds: 3 }),
    ]) {
      const t = textOf(m);
      expect(t).toMatch(/bright magenta \(RGB 255,0,255\)/);
      expect(t).toMatch(/unknown, not magenta things and not empty space/);
      expect(t).toMatch(/filled-in patches .* treat them as unknown, not as seen/);
    }
    expect(unknownPixelsText('fill')).toMatch(/holes were filled/);
  });

  it('the answerer asks for {choice, confidence, rationale} and shows every image with its caption', () => {
    const m = answererMessages({ question, images, holes: 'mark', omittedViews: 2 });
    const t = textOf(m);
    expect(t).toMatch(/\{"choice": \.\.\., "confidence": \.\.\., "rationale": \.\.\.\}/);
    expect(t).toMatch(/2 earlier view\(s\) are not shown again/);
    const user = m[1].content as Exclude<ChatMessage['content'], string>;
    expect(user.filter((c) => c.type === 'image')).toHaveLength(2);
    expect(user.filter((c) => c.type === 'image').map((c) => (c as { caption?: string }).caption)).toEqual(
      images.map((i) => i.caption),
    );
    expect(promptText(m, () => 'original-0.png')).toContain('[image: original-0.png]');
  });

  it('feedback about a bad pose goes into the next controller prompt', () => {
    const t = textOf(
      controllerMessages({
        question,
        images,
        format: 'orbit',
        holes: 'mark',
        history: [],
        round: 1,
        maxRounds: 3,
        feedback: ['elevation_deg=120 is outside -85..85'],
      }),
    );
    expect(t).toMatch(/Your previous pose could not be used: elevation_deg=120 is outside -85\.\.85/);
    expect(textOf(languagePoseMessages('go left', ['azimuth_deg=999 is outside -180..180']))).toMatch(
      /previous numbers could not be used/,
    );
  });

  it('reply schemas produce JSON Schemas the client can send', () => {
    const js = z.toJSONSchema(controllerReplySchema('orbit'), { io: 'input' }) as {
      properties: Record<string, unknown>;
    };
    expect(Object.keys(js.properties)).toEqual(['action', 'pose', 'reason']);
    expect(AnswerReplySchema.safeParse({ choice: 'A', confidence: 0.5, rationale: 'x' }).success).toBe(true);
  });
});

describe('answers from replies', () => {
  it('letters from many spellings, or from the option text', () => {
    const q: Question = { text: 'q', options: ['the red box', 'nothing', 'the blue box'] };
    expect(letterOfReply('B', q.options)).toBe('B');
    expect(letterOfReply('b', q.options)).toBe('B');
    expect(letterOfReply('(C)', q.options)).toBe('C');
    expect(letterOfReply('C) the blue box', q.options)).toBe('C');
    expect(letterOfReply('Option A', q.options)).toBe('A');
    expect(letterOfReply('nothing', q.options)).toBe('B');
    expect(letterOfReply('The red box', q.options)).toBe('A');
    expect(letterOfReply('D', q.options)).toBeUndefined();
    expect(letterOfReply('banana', q.options)).toBeUndefined();
  });

  it('self-report: the choice gets the confidence; percentages are rescaled; logprobs win when given', () => {
    const a = answerFromReply({ choice: 'B', confidence: 80, rationale: 'r' }, question);
    expect(a).toMatchObject({ choice: 'B', confidence: 0.8, distSource: 'self-report' });
    expect(a.dist.B).toBeCloseTo(0.8, 2);
    expect(a.dist.A + a.dist.B).toBeCloseTo(1, 9);
    const l = answerFromReply({ choice: 'B', confidence: 0.9, rationale: 'r' }, question, { A: 0.7, B: 0.3 });
    expect(l.distSource).toBe('logprobs');
    expect(l.dist.A).toBeCloseTo(0.7, 2);
    const bad = answerFromReply({ choice: 'purple', confidence: 1, rationale: 'r' }, question);
    expect(bad).toMatchObject({ choice: '', distSource: 'uniform-fallback', cannotTell: true });
    expect(normalizeConfidence('x')).toBe(0.5);
    expect(normalizeConfidence(-2)).toBe(0);
  });

  it('free-form answers become their own keys', () => {
    const a = answerFromReply({ choice: 'Three', confidence: 0.7, rationale: '' }, { text: 'how many?', options: [] });
    expect(a.dist).toEqual({ three: 1 });
  });

  it('human input: answers and poses typed in short forms', () => {
    expect(parseHumanAnswer('b 70%', true)).toMatchObject({ choice: 'B', confidence: 0.7 });
    expect(parseHumanAnswer('A', true)).toMatchObject({ choice: 'A', confidence: 1 });
    expect(parseHumanAnswer('two | 0.4', false)).toMatchObject({ choice: 'two', confidence: 0.4 });
    expect(parseHumanPose('stop', 'orbit')).toMatchObject({ action: 'stop' });
    expect(parseHumanPose('30 -10', 'orbit')).toMatchObject({
      pose: { mode: 'orbit', azimuth_deg: 30, elevation_deg: -10, distance_scale: 1 },
    });
    expect(parseHumanPose('orbit_left_60', 'preset')).toMatchObject({
      pose: { mode: 'preset', name: 'orbit_left_60' },
    });
    expect(parseHumanPose('{"mode":"ego","yaw_deg":20}', 'ego')).toMatchObject({ pose: { mode: 'ego', yaw_deg: 20 } });
    expect(parseHumanPose('walk to the window and look back', 'language')).toMatchObject({
      pose: { mode: 'language' },
    });
    expect(() => parseHumanPose('somewhere nice', 'orbit')).toThrow(/not a pose/);
  });
});

describe('loop configuration and helpers', () => {
  it('defaults, overrides and clear errors', () => {
    expect(loopConfigFrom({})).toEqual(LOOP_DEFAULTS);
    const c = loopConfigFrom({ maxRounds: 5, stop: { marginTau: 0.4 } });
    expect(c.maxRounds).toBe(5);
    expect(c.stop).toEqual({ ...LOOP_DEFAULTS.stop, marginTau: 0.4 });
    expect(() => loopConfigFrom({ maxRound: 3 })).toThrow(/invalid loop configuration/);
    expect(() => loopConfigFrom({ fusion: 'average' })).toThrow(/fusion/);
    expect(() => loopConfigFrom({ stop: { marginTau: 2 } })).toThrow(/stop\.marginTau/);
    expect(defaultModelName({ VANTAGE_MODEL: 'gpt-4.1' })).toBe('gpt-4.1');
    expect(defaultModelName({})).toBe('builtin:perceiver');
  });

  it('models by name', () => {
    expect(createModel('builtin:perceiver')).toBeInstanceOf(PerceiverModel);
    expect(() => createModel('builtin:oracle')).toThrow(/unknown built-in model/);
    expect(() => createModel('gpt-4.1', { env: {} })).toThrow(/No MLLM base URL/);
  });

  it('image budget keeps the latest views; fallback poses skip what was seen', () => {
    expect(viewsWithinBudget([1, 2, 3, 4], 1, 3)).toEqual({ shown: [3, 4], omitted: 2 });
    expect(viewsWithinBudget([1], 1, 4)).toEqual({ shown: [1], omitted: 0 });
    expect(viewsWithinBudget([1, 2], 3, 2)).toEqual({ shown: [2], omitted: 1 });
    // several originals (a 4-photo benchmark item) never take a view's place, nor lose theirs
    expect(viewsWithinBudget([1, 2, 3, 4], 4, 4)).toEqual({ shown: [2, 3, 4], omitted: 1 });
    const p1 = fallbackPose('orbit', []);
    expect(fallbackPose('orbit', [p1])).not.toEqual(p1);
    expect(fallbackPose('preset', [])).toMatchObject({ mode: 'preset' });
    expect(poseRangeErrors(fallbackPose('ego', []))).toEqual([]);
  });

  it('options typed with or without letters', () => {
    expect(optionTexts(['A) left', 'B) right'])).toEqual(['left', 'right']);
    expect(optionTexts(['(A) left', '(B) right'])).toEqual(['left', 'right']);
    expect(optionTexts(['left', 'right'])).toEqual(['left', 'right']);
    expect(optionTexts(['A) in front\nB) behind'])).toEqual(['in front', 'behind']);
    expect(optionTexts(['a plant', 'a lamp'])).toEqual(['a plant', 'a lamp']);
  });
});
