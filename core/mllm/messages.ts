/**
 * Chat messages as the loop builds them, and their wire form for the OpenAI SDK: images become
 * downscaled data URLs, an image budget keeps the original and the latest views.
 */
import type OpenAI from 'openai';
import { VantageError } from '../errors.js';
import { imageDataUrl } from './images.js';

export type ChatContent =
  | { type: 'text'; text: string }
  /** `pinned`: an original photo, kept before any other image when a request has too many */
  | { type: 'image'; png: Buffer; caption?: string; pinned?: boolean };

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string | ChatContent[];
}

/**
 * The messages with at most `maxImages` images: the pinned ones (original photos; else the first
 * image) in order, then the latest others. A dropped image leaves its caption behind as a note, so
 * the conversation still says that it existed.
 */
export function applyImageBudget(messages: readonly ChatMessage[], maxImages: number): ChatMessage[] {
  const positions: [number, number][] = [];
  const pinned: [number, number][] = [];
  messages.forEach((m, i) => {
    if (typeof m.content !== 'string')
      m.content.forEach((c, j) => {
        if (c.type === 'image') (c.pinned ? pinned : positions).push([i, j]);
      });
  });
  if (positions.length + pinned.length <= maxImages) return messages.map((m) => ({ ...m }));
  if (!pinned.length) pinned.push(positions.shift()!);
  const room = Math.max(0, maxImages - pinned.length);
  const kept = [...pinned.slice(0, maxImages), ...(room ? positions.slice(positions.length - room) : [])];
  const keep = new Set(kept.map(([i, j]) => `${i}:${j}`));
  return messages.map((m, i) => {
    if (typeof m.content === 'string') return { ...m };
    return {
      ...m,
      content: m.content.map((c, j): ChatContent => {
        if (c.type !== 'image' || keep.has(`${i}:${j}`)) return c;
        return {
          type: 'text',
          text: `[image omitted to stay within ${maxImages} images per request${c.caption ? `: ${c.caption}` : ''}]`,
        };
      }),
    };
  });
}

export type WireMessage = OpenAI.Chat.Completions.ChatCompletionMessageParam;
type WirePart = OpenAI.Chat.Completions.ChatCompletionContentPart;

/** Data URLs already made from a PNG (by identity): a re-ask resends the same images. */
export type DataUrlMemo = WeakMap<Buffer, Promise<string>>;

export async function wireMessages(
  messages: readonly ChatMessage[],
  maxSide: number,
  memo: DataUrlMemo,
): Promise<WireMessage[]> {
  return Promise.all(
    messages.map(async (m, i): Promise<WireMessage> => {
      if (typeof m.content === 'string') return { role: m.role, content: m.content } as WireMessage;
      if (m.role !== 'user') {
        if (m.content.some((c) => c.type === 'image')) {
          throw new VantageError(
            'mllm-request',
            `Message ${i} (${m.role}) holds an image; only user messages may carry images.`,
          );
        }
        return { role: m.role, content: m.content.map((c) => (c as { text: string }).text).join('\n') } as WireMessage;
      }
      const parts: WirePart[] = [];
      for (const c of m.content) {
        if (c.type === 'text') parts.push({ type: 'text', text: c.text });
        else {
          if (c.caption) parts.push({ type: 'text', text: c.caption });
          let url = memo.get(c.png);
          if (!url) {
            url = imageDataUrl(c.png, maxSide).then((img) => img.url);
            memo.set(c.png, url);
          }
          parts.push({ type: 'image_url', image_url: { url: await url } });
        }
      }
      return { role: 'user', content: parts };
    }),
  );
}

/** The text of the last user message. */
export function lastUserText(messages: readonly ChatMessage[]): string {
  const m = [...messages].reverse().find((x) => x.role === 'user');
  if (!m) return '';
  return typeof m.content === 'string' ? m.content : m.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
}

/** Appends text to the last user message (servers with strict chat templates want roles to alternate). */
export function withInstruction(messages: readonly ChatMessage[], text: string): ChatMessage[] {
  const out = messages.map((m) => ({ ...m }));
  for (let i = out.length - 1; i >= 0; i--) {
    if (out[i].role !== 'user') continue;
    const c = out[i].content;
    out[i].content = typeof c === 'string' ? `${c}\n\n${text}` : [...c, { type: 'text', text }];
    return out;
  }
  out.push({ role: 'user', content: text });
  return out;
}
