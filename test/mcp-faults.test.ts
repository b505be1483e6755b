/**
 * The MCP server under faults, with the SDK's own client and a real local OpenAI-compatible server
 * as the model endpoint: a cancelled call stops paying the endpoint, a call without an answer is an
 * error with its reason, and the tools say what a host may assume (annotations).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { createVantageMcpServer, type VantageMcp } from '../src/mcp/server.js';
import { createRenderer } from '../synth/renderer.js';
import type { Renderer } from '../core/types.js';
import { ListRootsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { pathToFileURL } from 'node:url';
import { writeRgbdPair } from './support/rgbd-files.js';
import { startOpenAIServer, type Fault, type OpenAIServer } from './support/openai-server.js';

type ToolResult = { isError?: boolean; content: { type: string; text?: string; data?: string; mimeType?: string }[] };

const ARGS = {
  fixture: 'tabletop',
  question: 'Which object is nearest the camera?',
  options: ['the box', 'the ball'],
  config: { maxRounds: 1, model: 'test-model', width: 64, height: 48 },
};

let root = '';
let renderer: Renderer;
const open: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'vantage-mcp-faults-'));
  renderer = await createRenderer({ prefer: 'reference' });
});
afterAll(async () => {
  for (const x of open.reverse()) await x.close();
  renderer?.dispose();
  await rm(root, { recursive: true, force: true });
});

async function connect(
  faults: Fault[],
  o: { roots?: string[]; client?: Client } = {},
): Promise<{ client: Client; endpoint: OpenAIServer; mcp: VantageMcp }> {
  const endpoint = await startOpenAIServer({
    brain: () => ({ choice: 'A', confidence: 0.9, rationale: 'in front' }),
    faults,
  });
  const mcp = await createVantageMcpServer({
    roots: o.roots ?? [root],
    traceDir: join(root, 'traces'),
    renderer,
    log: () => {},
    modelOptions: { mllm: { baseURL: endpoint.url, apiKey: 'sk-local', maxRetries: 0 } },
  });
  const [a, b] = InMemoryTransport.createLinkedPair();
  const client = o.client ?? new Client({ name: 'faults', version: '1' });
  await Promise.all([mcp.createServer().connect(a), client.connect(b)]);
  open.push(endpoint, { close: () => mcp.close() }, client);
  return { client, endpoint, mcp };
}

describe('MCP under faults', () => {
  it('a cancelled call aborts its request to the endpoint and makes no further one', async () => {
    const { client, endpoint } = await connect([{ kind: 'slow', ms: 30_000 }]);
    const controller = new AbortController();
    const call = client.callTool({ name: 'answer_spatial_question', arguments: ARGS }, undefined, {
      signal: controller.signal,
    });
    const t0 = Date.now();
    while (endpoint.inFlight === 0 && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 20));
    expect(endpoint.inFlight).toBe(1);
    controller.abort('the user closed the chat');
    await expect(call).rejects.toThrow();
    // the server hears notifications/cancelled and aborts the HTTP request it had in flight
    const t1 = Date.now();
    while (endpoint.inFlight > 0 && Date.now() - t1 < 5000) await new Promise((r) => setTimeout(r, 20));
    expect(endpoint.inFlight).toBe(0);
    await new Promise((r) => setTimeout(r, 500));
    expect(endpoint.requests.filter((q) => q.path === '/v1/chat/completions')).toHaveLength(1);
  });

  it('a question with no answer is isError: true, with the reason first', async () => {
    const { client } = await connect(Array.from({ length: 8 }, () => ({ kind: '500' }) as Fault));
    const r = (await client.callTool({ name: 'answer_spatial_question', arguments: ARGS })) as ToolResult;
    expect(r.isError).toBe(true);
    expect(r.content[0].text).toMatch(/^error \[no-answer\]: .*HTTP 500/);
  });

  it('an image result is fitted to a byte cap (format and size recorded), so hosts do not reject it', async () => {
    const { client } = await connect([]);
    const lift = (await client.callTool({ name: 'lift_scene', arguments: { fixture: 'room' } })) as ToolResult;
    const sceneId = (JSON.parse(lift.content[0].text!) as { scene_id: string }).scene_id;
    const render = async (extra: Record<string, unknown>) => {
      const r = (await client.callTool({
        name: 'render_view',
        arguments: {
          scene_id: sceneId,
          pose: { mode: 'orbit', azimuth_deg: 30, elevation_deg: 10, distance_scale: 1 },
          width: 640,
          height: 480,
          mode: 'points',
          ...extra,
        },
      })) as ToolResult;
      expect(r.isError, JSON.stringify(r.content[0]).slice(0, 300)).toBeFalsy();
      const image = r.content.find((c) => c.type === 'image')!;
      const info = JSON.parse(r.content.find((c) => c.type === 'text')!.text!) as { image: Record<string, unknown> };
      return { bytes: Buffer.from(image.data!, 'base64').length, mimeType: image.mimeType, sent: info.image };
    };
    const png = await render({});
    expect(png.mimeType).toBe('image/png');
    expect(png.sent).toMatchObject({ format: 'png', width: 640, height: 480, bytes: png.bytes });
    const capped = await render({ max_image_bytes: 12_000 });
    expect(capped.bytes).toBeLessThanOrEqual(12_000);
    expect(capped.mimeType).toBe('image/jpeg');
    expect(capped.sent.note).toMatch(/over the 12000-byte limit: sent as jpeg/);
    const webp = await render({ image_format: 'webp' });
    expect(webp.mimeType).toBe('image/webp');
    expect(webp.sent).toMatchObject({ format: 'webp', width: 640, height: 480, bytes: webp.bytes });
  });

  it('without --root no file is read (not the working directory); a client that offers roots is asked', async () => {
    const pair = await writeRgbdPair(root, 'tabletop', 64, 48);
    const args = { images: [pair.rgbPath], depths: [pair.depthPath] };
    const bare = await connect([], { roots: [] });
    const refused = (await bare.client.callTool({ name: 'lift_scene', arguments: args })) as ToolResult;
    expect(refused.isError).toBe(true);
    expect(refused.content[0].text).toMatch(
      /\[no-roots\].*has none \(started without --root, and the client offers no roots\)/,
    );

    const offering = new Client(
      { name: 'with-roots', version: '1' },
      { capabilities: { roots: { listChanged: true } } },
    );
    offering.setRequestHandler(ListRootsRequestSchema, () => ({
      roots: [{ uri: pathToFileURL(root).href, name: 'photos' }],
    }));
    const withRoots = await connect([], { roots: [], client: offering });
    const lifted = (await withRoots.client.callTool({ name: 'lift_scene', arguments: args })) as ToolResult;
    expect(lifted.isError, lifted.content[0].text).toBeFalsy();
    const outside = (await withRoots.client.callTool({
      name: 'lift_scene',
      arguments: { images: ['/etc/hostname'], depths: [pair.depthPath] },
    })) as ToolResult;
    expect(outside.content[0].text).toMatch(/outside the allowed root/);
  });

  it('the tools carry annotations: what reads, what writes, what reaches outside', async () => {
    const { client } = await connect([]);
    const { tools } = await client.listTools();
    const byName = Object.fromEntries(tools.map((t) => [t.name, t.annotations]));
    expect(byName.render_view).toMatchObject({ readOnlyHint: true, openWorldHint: false });
    expect(byName.lift_scene).toMatchObject({ readOnlyHint: true, openWorldHint: false });
    expect(byName.answer_spatial_question).toMatchObject({ openWorldHint: true });
  });
});
