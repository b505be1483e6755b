/**
 * Structured replies: the `response_format: json_schema` request built from a zod schema, and for
 * servers without it, tolerant JSON extraction from free text (code fences, leading prose, trailing
 * commas, single quotes, Python literals), zod validation, and the text of the one corrective re-ask.
 */
import { jsonrepair } from 'jsonrepair';
import { z } from 'zod';

export type JsonSchema = Record<string, unknown>;

/**
 * JSON Schemas by zod schema object: converting is costly (tenths of a ms) and every request of
 * every call asks again for the same few schemas. Callers get a fresh copy each time.
 */
const schemaMemo = new WeakMap<z.ZodType, { js: JsonSchema; text: string; strict: boolean }>();

function memoOf(schema: z.ZodType) {
  let m = schemaMemo.get(schema);
  if (!m) {
    const js = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
    delete js.$schema;
    m = { js, text: JSON.stringify(js), strict: isStrictCompatible(js) };
    schemaMemo.set(schema, m);
  }
  return m;
}

/** The JSON Schema of what the model should write: the schema's *input* side (defaults optional). */
export function jsonSchemaOf(schema: z.ZodType): JsonSchema {
  return JSON.parse(memoOf(schema).text) as JsonSchema;
}

/** `JSON.stringify(jsonSchemaOf(schema))`, without the copy. */
export function jsonSchemaText(schema: z.ZodType): string {
  return memoOf(schema).text;
}

/**
 * True when OpenAI's strict mode accepts the schema's shape: an object root, and every object
 * closed (additionalProperties false) with all its properties required. Other schemas go with
 * strict: false rather than being rejected.
 */
export function isStrictCompatible(js: JsonSchema): boolean {
  if (js.type !== 'object') return false;
  const visit = (node: unknown): boolean => {
    if (Array.isArray(node)) return node.every(visit);
    if (!node || typeof node !== 'object') return true;
    const n = node as Record<string, unknown>;
    if (n.type === 'object' || n.properties) {
      const props = Object.keys((n.properties as object | undefined) ?? {});
      const required = new Set((n.required as string[] | undefined) ?? []);
      if (n.additionalProperties !== false) return false;
      if (!props.every((p) => required.has(p))) return false;
    }
    return Object.values(n).every(visit);
  };
  return visit(js);
}

export interface JsonSchemaResponseFormat {
  type: 'json_schema';
  json_schema: { name: string; strict: boolean; schema: JsonSchema };
}

/** `response_format` for a chat completion request; `name` is sanitised to OpenAI's [a-zA-Z0-9_-]{1,64}. */
export function jsonSchemaResponseFormat(schema: z.ZodType, name: string): JsonSchemaResponseFormat {
  const m = memoOf(schema);
  const safeName = name.replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, 64) || 'reply';
  return {
    type: 'json_schema',
    json_schema: { name: safeName, strict: m.strict, schema: JSON.parse(m.text) as JsonSchema },
  };
}

/** The instruction appended to the prompt when the server cannot enforce the schema itself. */
export function plainJsonInstruction(schema: z.ZodType): string {
  return (
    'Reply with only one JSON object, with no other text and no code fence, matching this JSON Schema:\n' +
    jsonSchemaText(schema)
  );
}

/** The corrective message of the one re-ask after an unusable reply. */
export function correctiveInstruction(problem: string, schema: z.ZodType): string {
  return (
    `Your previous reply could not be used: ${problem}\n` +
    'Reply again with only one JSON object, with no other text, matching this JSON Schema:\n' +
    jsonSchemaText(schema)
  );
}

// ---------------------------------------------------------------------------------------------
// Tolerant JSON extraction

/** Texts that may hold the JSON, most likely first: fenced blocks, the whole text, balanced spans. */
function jsonCandidates(text: string): string[] {
  const out: string[] = [];
  const push = (s: string) => {
    const t = s.trim();
    if (t && !out.includes(t)) out.push(t);
  };
  for (const m of text.matchAll(/```[a-zA-Z0-9_-]*[ \t]*\r?\n?([\s\S]*?)```/g)) push(m[1]);
  push(text);
  for (const span of balancedSpans(text)) push(span);
  return out;
}

/** Top-level {...} and [...] spans, skipping brackets inside quoted strings. */
function balancedSpans(text: string): string[] {
  const spans: string[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c !== '{' && c !== '[') {
      i++;
      continue;
    }
    const end = matchingClose(text, i);
    if (end < 0) {
      i++;
      continue;
    }
    spans.push(text.slice(i, end + 1));
    i = end + 1;
  }
  return spans;
}

function matchingClose(text: string, start: number): number {
  const stack: string[] = [];
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (c === '"' || (c === "'" && quotePositionOk(text, i))) {
      const close = stringEnd(text, i);
      if (close < 0) return -1;
      i = close;
    } else if (c === '{') stack.push('}');
    else if (c === '[') stack.push(']');
    else if (c === '}' || c === ']') {
      if (stack.pop() !== c) return -1;
      if (stack.length === 0) return i;
    }
  }
  return -1;
}

/** Index of the quote that closes the string opened at `start`, or -1. */
function stringEnd(text: string, start: number): number {
  const q = text[start];
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === '\\') {
      i++;
      continue;
    }
    if (text[i] === q) return i;
    if (text[i] === '\n' && q === "'") return -1;
  }
  return -1;
}

/** A single quote opens a string only where a JSON value or key may start (so "don't" stays prose). */
function quotePositionOk(text: string, i: number): boolean {
  let j = i - 1;
  while (j >= 0 && /\s/.test(text[j])) j--;
  return j < 0 || '{[,:'.includes(text[j]);
}

/**
 * Every JSON value found in the text, in candidate order: strict parse first, then jsonrepair
 * (trailing commas, comments, single quotes, unquoted keys, Python literals). Only a whole
 * bracketed span is repaired: a truncated reply is "no JSON", not a guess at its missing end.
 */
export function extractJsonValues(text: string): unknown[] {
  const values: unknown[] = [];
  for (const cand of jsonCandidates(text)) {
    const v = tryParse(cand) ?? (matchingClose(cand, 0) === cand.length - 1 ? tryRepair(cand) : undefined);
    if (v) values.push(v.value);
  }
  return values;
}

function tryRepair(s: string): { value: unknown } | undefined {
  try {
    return tryParse(jsonrepair(s));
  } catch {
    return undefined; // jsonrepair gives up on text that is no JSON at all
  }
}

function tryParse(s: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(s) };
  } catch {
    return undefined;
  }
}

export type StructuredParse<T> = { ok: true; value: T } | { ok: false; error: string };

/**
 * The first JSON value in `text` that the schema accepts. When none does, the error names what
 * was wrong (no JSON at all, or the schema's complaints about the first JSON value found), in a
 * form that can be shown to the model in the re-ask.
 */
export function parseStructured<T>(text: string, schema: z.ZodType<T>): StructuredParse<T> {
  if (!text.trim()) return { ok: false, error: 'the reply was empty.' };
  const values = extractJsonValues(text);
  if (values.length === 0) {
    const excerpt = text.length > 120 ? `${text.slice(0, 120)}…` : text;
    return { ok: false, error: `no JSON object was found in the reply (${JSON.stringify(excerpt)}).` };
  }
  let firstError: string | undefined;
  for (const v of values) {
    const r = schema.safeParse(v);
    if (r.success) return { ok: true, value: r.data };
    firstError ??= describeIssues(r.error);
  }
  return { ok: false, error: `the JSON did not match the schema: ${firstError}` };
}

function describeIssues(err: z.ZodError): string {
  return err.issues
    .slice(0, 8)
    .map((iss) => `${iss.path.length ? iss.path.join('.') : '(root)'}: ${iss.message}`)
    .join('; ');
}
