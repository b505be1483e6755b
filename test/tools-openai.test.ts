import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Command } from 'commander';
import {
  ANSWER_SPATIAL_QUESTION,
  RENDER_VIEW,
  TOOL_DEFINITIONS,
  dropNulls,
  mcpToolList,
  openAiTools,
  strictNode,
  type JsonSchema,
} from '../src/mcp/tools.js';
import { registerToolsCommand, toolsJson } from '../src/commands/tools.js';

/** Every problem that would make OpenAI reject a strict schema, with where it is. */
function strictProblems(node: unknown, path = '$'): string[] {
  if (!node || typeof node !== 'object') return [];
  const n = node as JsonSchema;
  const out: string[] = [];
  for (const bad of [
    'oneOf',
    'const',
    '$schema',
    'prefixItems',
    'allOf',
    'not',
    'minimum',
    'maximum',
    'minItems',
    'maxItems',
    'minLength',
    'maxLength',
    'default',
  ]) {
    if (bad in n) out.push(`${path}: has ${bad}`);
  }
  if (n.type === 'object' || n.properties) {
    if (n.additionalProperties !== false) out.push(`${path}: additionalProperties is not false`);
    const keys = Object.keys((n.properties ?? {}) as object).sort();
    const req = [...((n.required ?? []) as string[])].sort();
    if (JSON.stringify(keys) !== JSON.stringify(req)) out.push(`${path}: required ${req} != properties ${keys}`);
    for (const [k, v] of Object.entries((n.properties ?? {}) as object)) out.push(...strictProblems(v, `${path}.${k}`));
  }
  if (!n.type && !n.anyOf && !n.enum) out.push(`${path}: no type`);
  if (Array.isArray(n.anyOf))
    (n.anyOf as unknown[]).forEach((x, i) => out.push(...strictProblems(x, `${path}.anyOf[${i}]`)));
  if (n.items) out.push(...strictProblems(n.items, `${path}.items`));
  return out;
}

const acceptsNull = (n: JsonSchema): boolean =>
  n.type === 'null' ||
  (Array.isArray(n.type) && n.type.includes('null')) ||
  (Array.isArray(n.anyOf) && (n.anyOf as JsonSchema[]).some(acceptsNull));

describe('vantage tools --openai', () => {
  const tools = openAiTools();

  it('lists the three tools, each strict, with parameters every strict-mode model accepts', () => {
    expect(tools.map((t) => ('function' in t ? t.function.name : t.name))).toEqual([
      'lift_scene',
      'render_view',
      'answer_spatial_question',
    ]);
    for (const t of tools) {
      if (!('function' in t)) throw new Error('expected the Chat Completions shape');
      expect(t.type).toBe('function');
      expect(t.function.strict).toBe(true);
      expect(t.function.description.length).toBeGreaterThan(40);
      expect(t.function.parameters.type).toBe('object');
      expect(t.function.parameters.additionalProperties).toBe(false);
      expect(strictProblems(t.function.parameters)).toEqual([]);
    }
  });

  it('makes optional fields nullable and keeps required ones non-null', () => {
    const render = tools[1] as Extract<(typeof tools)[number], { function: unknown }>;
    const props = render.function.parameters.properties as Record<string, JsonSchema>;
    expect(acceptsNull(props.scene_id)).toBe(false);
    expect(acceptsNull(props.pose)).toBe(false);
    for (const k of ['width', 'height', 'mode', 'holes', 'clamp']) expect(acceptsNull(props[k]), k).toBe(true);
    // the orbit pose: azimuth required, the rest (defaulted or optional) nullable; ranges moved into words
    const orbit = (props.pose.anyOf as JsonSchema[]).find(
      (o) => JSON.stringify((o.properties as Record<string, JsonSchema>).mode.enum) === '["orbit"]',
    )!;
    const op = orbit.properties as Record<string, JsonSchema>;
    expect(acceptsNull(op.azimuth_deg)).toBe(false);
    expect(acceptsNull(op.elevation_deg)).toBe(true);
    expect(acceptsNull(op.pivot)).toBe(true);
    const width = JSON.stringify(props.width);
    expect(width).toContain('8..2048');
    // lookat's 3-vectors: tuples become arrays with the count in words
    const lookat = (props.pose.anyOf as JsonSchema[]).find(
      (o) => JSON.stringify((o.properties as Record<string, JsonSchema>).mode.enum) === '["lookat"]',
    )!;
    const eye = (lookat.properties as Record<string, JsonSchema>).eye;
    expect(eye.type).toBe('array');
    expect(String(eye.description)).toContain('exactly 3 items');
  });

  it('a strict call (nulls for everything not given) is accepted by the MCP wire schema and means the same call', () => {
    const call = {
      scene_id: 'scn_1',
      width: null,
      height: 96,
      mode: null,
      holes: null,
      clamp: null,
      pose: { mode: 'orbit', azimuth_deg: 30, elevation_deg: null, distance_scale: null, pivot: null },
    };
    expect(RENDER_VIEW.wireSchema.safeParse(call).success).toBe(true);
    const parsed = RENDER_VIEW.inputSchema.parse(dropNulls(call));
    expect(parsed).toEqual({
      scene_id: 'scn_1',
      height: 96,
      pose: { mode: 'orbit', azimuth_deg: 30, elevation_deg: 0, distance_scale: 1 },
    });
    // the contract itself refuses null and unknown fields
    expect(RENDER_VIEW.inputSchema.safeParse(call).success).toBe(false);
    expect(RENDER_VIEW.wireSchema.safeParse({ ...call, extra: 1 }).success).toBe(false);
    const ask = {
      question: 'q?',
      options: ['a', 'b'],
      fixture: 'tabletop',
      config: { maxRounds: 1, stop: { policy: 'fixed', marginTau: null } },
    };
    expect(ANSWER_SPATIAL_QUESTION.wireSchema.safeParse(ask).success).toBe(true);
    expect(ANSWER_SPATIAL_QUESTION.inputSchema.parse(dropNulls(ask)).config).toEqual({
      maxRounds: 1,
      stop: { policy: 'fixed' },
    });
  });

  it('prints the Responses API shape with --flat, and the MCP listing without --openai', () => {
    const flat = toolsJson({ flat: true }) as { name: string; strict: boolean; parameters: JsonSchema }[];
    expect(flat.map((t) => t.name)).toEqual(['lift_scene', 'render_view', 'answer_spatial_question']);
    expect(flat.every((t) => t.strict === true && t.parameters.additionalProperties === false)).toBe(true);
    const mcp = toolsJson({}) as ReturnType<typeof mcpToolList>;
    expect(mcp.map((t) => t.name)).toEqual(TOOL_DEFINITIONS.map((d) => d.name));
    expect(mcp[1].inputSchema.required).toEqual(['scene_id', 'pose']);
  });

  it('the command prints the same JSON on stdout', async () => {
    const program = new Command().exitOverride();
    registerToolsCommand(program);
    let out = '';
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((s: string) => {
      out += s;
      return true;
    }) as typeof process.stdout.write;
    try {
      await program.parseAsync(['node', 'vantage', 'tools', '--openai']);
    } finally {
      process.stdout.write = write;
    }
    expect(JSON.parse(out)).toEqual(JSON.parse(JSON.stringify(openAiTools())));
  });

  it('strictNode turns oneOf/const into anyOf/enum and nullable optionals', () => {
    const s = strictNode(
      z.toJSONSchema(z.object({ a: z.literal('x'), b: z.number().min(0).max(1).optional() })) as JsonSchema,
    );
    expect(s).toMatchObject({
      type: 'object',
      required: ['a', 'b'],
      additionalProperties: false,
      properties: { a: { enum: ['x'] }, b: { type: ['number', 'null'], description: '(0..1)' } },
    });
  });
});
