/** The response cache's key: sha256 of model + messages (images by their hash) + parameters. */
import { createHash } from 'node:crypto';
import type { ChatMessage } from './messages.js';

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Image hashes by Buffer identity: a conversation resends the same original (and earlier views)
 * in every request, so each image is hashed once, however large. Image buffers are not mutated
 * once handed to the client.
 */
const bufferHashes = new WeakMap<Buffer, string>();

function bufferHash(b: Buffer): string {
  let h = bufferHashes.get(b);
  if (h === undefined) {
    h = sha256(b);
    bufferHashes.set(b, h);
  }
  return h;
}

/** JSON with object keys sorted, so that equal requests hash equally. */
function canonicalJson(v: unknown): string {
  if (Buffer.isBuffer(v)) return JSON.stringify(`sha256:${bufferHash(v)}`);
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/**
 * The cache key: sha256 of the endpoint (origin and path: another server's answers are not replayed),
 * model, messages (images by their hash) and every request parameter.
 */
export function requestHash(
  endpoint: string,
  model: string,
  messages: readonly ChatMessage[],
  params: Record<string, unknown>,
): string {
  return sha256(canonicalJson({ v: 2, endpoint: endpointOf(endpoint), model, messages, params }));
}

/** The endpoint as a cache key part: origin and path, no credentials, no trailing slash. */
export function endpointOf(baseURL: string): string {
  try {
    const u = new URL(baseURL);
    return `${u.origin}${u.pathname.replace(/\/+$/, '')}`;
  } catch {
    return baseURL;
  }
}
