/**
 * The MCP server over streamable HTTP, in process on 127.0.0.1 (port 0), driven by the SDK's own
 * client: the tools on an RGB-D pair, size limits, LRU eviction, strict-mode nulls, and the HTTP
 * guards (method, Host header, body size).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import sharp from 'sharp';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { startMcpHttpServer, type McpHttpServer } from '../src/mcp/http.js';
import { createVantageMcpServer } from '../src/mcp/server.js';
import { mcpToolList } from '../src/mcp/tools.js';
import { createRenderer } from '../synth/renderer.js';
import type { Renderer } from '../core/types.js';
import { writeRgbdPair } from './support/rgbd-files.js';

type ToolResult = { isError?: boolean; content: { type: string; text?: string; data?: string; mimeType?: string }[] };
const textOf = (r: ToolResult) =>
  r.content
    .filter((c) => c.type === 'text')
    .map((c) => c.text)
    .join('\n');
const jsonOf = (r: ToolResult) =>
  JSON.parse(r.content.find((c) => c.type === 'text')!.text!) as Record<string, unknown>;

/** A raw HTTP request (to set headers fetch would not let us set, such as Host). */
function rawRequest(
  url: string,
  opts: { method: string; headers?: Record<string, string>; body?: string },
): Promise<{ status: number; body: string }> {
  return new Promise((ok, fail) => {
    const req = request(url, { method: opts.method, headers: opts.headers }, (res) => {
      let body = '';
      res.on('data', (d) => {
        body += d;
      });
      res.on('end', () => ok({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', fail);
    req.end(opts.body);
  });
}

describe('vantage mcp --http', () => {
  let root: string;
  let server: McpHttpServer;
  let client: Client;
  let renderer: Renderer;
  const logs: string[] = [];

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'vantage-mcp-http-'));
    await writeRgbdPair(root, 'room', 160, 120);
    await writeRgbdPair(root, 'room', 400, 300, 'big');
    // the reference renderer: this suite is about the MCP layer, not the GPU (mcp-stdio runs the default renderer)
    renderer = await createRenderer({ prefer: 'reference' });
    server = await startMcpHttpServer({
      port: 0,
      roots: [root],
      traceDir: join(root, 'traces'),
      renderer,
      log: (l) => logs.push(l),
      // big.png (400×300) is over these limits, photo.png (160×120) is not
      limits: { maxImagePixels: 200 * 200, maxImageBytes: 1024 ** 2, maxRequestBytes: 4 * 1024 ** 2 },
      store: { maxScenes: 2 },
    });
    client = new Client({ name: 'vantage-http-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(server.url)));
  });

  afterAll(async () => {
    await client?.close();
    await server?.close();
    renderer?.dispose();
    await rm(root, { recursive: true, force: true });
  });

  const call = (name: string, args: Record<string, unknown>) =>
    client.callTool({ name, arguments: args }) as Promise<ToolResult>;

  it('listens on 127.0.0.1 and lists the tools', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(['lift_scene', 'render_view', 'answer_spatial_question']);
    // what the server lists is what `vantage tools` prints
    expect(tools.map((t) => t.inputSchema)).toEqual(mcpToolList().map((t) => t.inputSchema));
    expect((await client.getServerVersion())?.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('lifts an RGB-D pair, renders it (strict-mode nulls accepted) and answers on its scene_id', async () => {
    const lifted = await call('lift_scene', {
      images: ['photo.png'],
      depths: ['photo-depth.png'],
      intrinsics: null,
      fixture: null,
      ply: null,
    });
    expect(lifted.isError, textOf(lifted)).toBeFalsy();
    const id = jsonOf(lifted).scene_id as string;
    const view = await call('render_view', {
      scene_id: id,
      width: 80,
      height: null,
      mode: 'points',
      holes: null,
      clamp: null,
      pose: { mode: 'ego', yaw_deg: 20, pitch_deg: null, forward_m: null, right_m: 0.1, up_m: null },
    });
    expect(view.isError, textOf(view)).toBeFalsy();
    const png = Buffer.from(view.content.find((c) => c.type === 'image')!.data!, 'base64');
    expect((await sharp(png).metadata()).width).toBe(80);
    const info = jsonOf(view);
    expect(info.coverage).toBeGreaterThan(0);
    expect(info.coverage).toBeLessThanOrEqual(1);
    expect(info.pose).toEqual({ mode: 'ego', yaw_deg: 20, pitch_deg: 0, forward_m: 0, right_m: 0.1, up_m: 0 });

    const progress: { progress: number; total?: number; message?: string }[] = [];
    const r = (await client.callTool(
      {
        name: 'answer_spatial_question',
        arguments: {
          scene_id: id,
          question: 'How many objects are there in the scene (not counting the floor and walls)?',
          options: ['3', '4', '5', '6'],
          config: {
            model: 'builtin:perceiver',
            maxRounds: 2,
            width: 80,
            height: 60,
            render: 'points',
            stop: { policy: 'fixed' },
          },
          include_views: true,
        },
      },
      undefined,
      { onprogress: (p) => progress.push(p) },
    )) as ToolResult;
    expect(r.isError, textOf(r)).toBeFalsy();
    // one progress notification per round, streamed before the result
    expect(progress.map((p) => [p.progress, p.total])).toEqual([
      [1, 3],
      [2, 3],
      [3, 3],
    ]);
    expect(progress[1].message).toMatch(/^round 1 \(rendered view 1: camera .*\): answer [A-D]/);
    const out = jsonOf(r);
    expect(out.rounds).toBe(3);
    expect(r.content.filter((c) => c.type === 'image')).toHaveLength(2);
    expect((out.views as { coverage: number }[]).every((v) => v.coverage >= 0 && v.coverage <= 1)).toBe(true);
  });

  it('refuses an image over the pixel limit, and one over the byte limit', async () => {
    const big = await call('lift_scene', { images: ['big.png'], depths: ['big-depth.png'] });
    expect(big.isError).toBe(true);
    expect(textOf(big)).toMatch(/\[image-too-large\]: image "big.png" is 400×300 .*over the limit/);
    const inline = await call('lift_scene', {
      images: [`data:image/png;base64,${'A'.repeat(1.5 * 1024 ** 2)}`],
      depths: ['photo-depth.png'],
    });
    expect(inline.isError).toBe(true);
    expect(textOf(inline)).toMatch(/\[input-too-large\]: image 0 \(base64\) is 1\.1 MB, over the 1\.0 MB limit/);
    const corrupt = await call('lift_scene', {
      images: [`data:image/png;base64,${'A'.repeat(400)}`],
      depths: ['photo-depth.png'],
    });
    expect(corrupt.isError).toBe(true);
  });

  it('evicts the least recently used scene beyond the store cap, and says so', async () => {
    const a = jsonOf(await call('lift_scene', { fixture: 'tabletop' })).scene_id as string;
    const b = jsonOf(await call('lift_scene', { fixture: 'room' })).scene_id as string;
    // touch a, so b is now the least recently used
    expect(
      (await call('render_view', { scene_id: a, pose: { mode: 'preset', name: 'reference' }, width: 32 })).isError,
    ).toBeFalsy();
    const c = jsonOf(await call('lift_scene', { fixture: 'occluded' }));
    expect(c.store).toMatchObject({ scenes: 2 });
    const gone = await call('render_view', { scene_id: b, pose: { mode: 'preset', name: 'reference' }, width: 32 });
    expect(gone.isError).toBe(true);
    expect(textOf(gone)).toMatch(/was evicted/);
    expect(server.mcp.scenes.ids()).toEqual([a, c.scene_id]);
  });

  it('guards the endpoint: POST only, Host header checked, body size capped, other paths 404', async () => {
    const init = JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '1' } },
    });
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    expect((await rawRequest(server.url, { method: 'GET' })).status).toBe(405);
    expect(
      (await rawRequest(server.url.replace('/mcp', '/other'), { method: 'POST', headers, body: init })).status,
    ).toBe(404);
    const rebinding = await rawRequest(server.url, {
      method: 'POST',
      headers: { ...headers, host: 'evil.example:80' },
      body: init,
    });
    expect(rebinding.status).toBe(403);
    // a page of another site, in the user's browser, is refused by its Origin; a local client is not
    const crossSite = await rawRequest(server.url, {
      method: 'POST',
      headers: { ...headers, origin: 'https://evil.example' },
      body: init,
    });
    expect(crossSite.status).toBe(403);
    expect(crossSite.body).toMatch(/Origin https:\/\/evil\.example/);
    const local = await rawRequest(server.url, {
      method: 'POST',
      headers: { ...headers, origin: 'http://localhost:6274' },
      body: init,
    });
    expect(local.status).toBe(200);
    const huge = await rawRequest(server.url, {
      method: 'POST',
      headers,
      body: JSON.stringify({ pad: 'x'.repeat(5 * 1024 ** 2) }),
    });
    expect(huge.status).toBe(413);
    const ok = await rawRequest(server.url, { method: 'POST', headers, body: init });
    expect(ok.status).toBe(200);
    const data = ok.body.split('\n').find((l) => l.startsWith('data: '))!; // a server-sent event
    expect(JSON.parse(data.slice(6)).result.serverInfo.name).toBe('vantage');
  });

  it('keeps the answer when its trace cannot be written, and refuses the human model', async () => {
    // a context whose trace folder lies under a file: mkdir fails
    const mcp = await createVantageMcpServer({
      roots: [root],
      traceDir: join(root, 'photo.png', 'traces'),
      renderer,
      log: () => {},
    });
    const [a, b] = InMemoryTransport.createLinkedPair();
    const local = new Client({ name: 'in-memory', version: '1' });
    await Promise.all([mcp.createServer().connect(a), local.connect(b)]);
    try {
      const args = {
        fixture: 'tabletop',
        question: 'How many objects are there in the scene (not counting the floor and walls)?',
        options: ['4', '5'],
        config: { maxRounds: 0 },
      };
      const r = (await local.callTool({ name: 'answer_spatial_question', arguments: args })) as ToolResult;
      expect(r.isError, textOf(r)).toBeFalsy();
      const out = jsonOf(r);
      expect(['A', 'B']).toContain(out.choice);
      expect(out.trace).toMatchObject({ dir: null, error: expect.stringMatching(/trace directory/) });
      expect(out.scene_id).toMatch(/^scn_/);
      const human = (await local.callTool({
        name: 'answer_spatial_question',
        arguments: { ...args, config: { model: 'human' } },
      })) as ToolResult;
      expect(human.isError).toBe(true);
      expect(textOf(human)).toMatch(/human model cannot run inside the MCP server/);
    } finally {
      await local.close();
      await mcp.close();
    }
  });
});
