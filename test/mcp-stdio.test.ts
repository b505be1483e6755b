/**
 * `vantage mcp` over stdio, driven by the MCP SDK's own client spawning the built server: the three
 * tools on a procedural fixture and on an RGB-D file pair in a temporary root, image content that
 * decodes, and every way out of the root refused with a clear tool error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { REPO_ROOT, builtPathOf, ensureBuilt } from './support/built-dist.js';
import { writeRgbdPair, type RgbdPair } from './support/rgbd-files.js';

type ToolResult = {
  isError?: boolean;
  content: { type: string; text?: string; data?: string; mimeType?: string }[];
  structuredContent?: Record<string, unknown>;
};

const textOf = (r: ToolResult) =>
  r.content
    .filter((c) => c.type === 'text')
    .map((c) => c.text)
    .join('\n');
const jsonOf = (r: ToolResult) =>
  JSON.parse(r.content.find((c) => c.type === 'text')!.text!) as Record<string, unknown>;

/** The args that start `vantage mcp` from the built CLI. */
function serverArgs(mcpArgs: string[]): string[] {
  return [builtPathOf('src/cli.ts'), 'mcp', ...mcpArgs];
}

describe('vantage mcp (stdio)', () => {
  let root: string;
  let outside: string;
  let client: Client;
  let stderr = '';
  let pair: RgbdPair;

  beforeAll(async () => {
    await ensureBuilt([
      'src/cli.ts',
      'src/commands/mcp.ts',
      'src/mcp/server.ts',
      'src/mcp/tools.ts',
      'src/mcp/paths.ts',
      'src/mcp/scenes.ts',
      'src/api.ts',
    ]);
    root = await mkdtemp(join(tmpdir(), 'vantage-mcp-root-'));
    outside = await mkdtemp(join(tmpdir(), 'vantage-mcp-outside-'));
    pair = await writeRgbdPair(root, 'tabletop', 160, 120);
    await mkdir(join(root, 'sub'));
    await writeFile(join(outside, 'secret.png'), pair.rgb);
    await symlink(join(outside, 'secret.png'), join(root, 'sub', 'link.png'));
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: serverArgs(['--root', root, '--trace-dir', join(root, 'traces')]),
      cwd: REPO_ROOT,
      stderr: 'pipe',
      env: { ...process.env, VANTAGE_MODEL: '' } as Record<string, string>,
    });
    transport.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    client = new Client({ name: 'vantage-test', version: '1.0.0' });
    await client.connect(transport);
  }, 400_000);

  afterAll(async () => {
    await client?.close();
    await rm(root, { recursive: true, force: true });
    await rm(outside, { recursive: true, force: true });
  });

  const call = (name: string, args: Record<string, unknown>) =>
    client.callTool({ name, arguments: args }) as Promise<ToolResult>;

  it('lists the three tools with their input schemas', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(['lift_scene', 'render_view', 'answer_spatial_question']);
    const render = tools.find((t) => t.name === 'render_view')!;
    expect(render.inputSchema.required).toEqual(['scene_id', 'pose']);
    expect(stderr).toContain('serving on stdio');
  });

  it('lifts a fixture and renders a view that comes back as a PNG', async () => {
    const lifted = await call('lift_scene', { fixture: 'tabletop' });
    expect(lifted.isError, textOf(lifted)).toBeFalsy();
    const summary = jsonOf(lifted);
    expect(summary.scene_id).toMatch(/^scn_[0-9a-f]{12}$/);
    expect(summary.gaussians).toBeGreaterThan(1000);
    expect(summary.units).toBe('metres');

    const pose = { mode: 'orbit', azimuth_deg: 40, elevation_deg: 15, distance_scale: 1 };
    const view = await call('render_view', { scene_id: summary.scene_id, pose, width: 128 });
    expect(view.isError, textOf(view)).toBeFalsy();
    const image = view.content.find((c) => c.type === 'image')!;
    expect(image.mimeType).toBe('image/png');
    const meta = await sharp(Buffer.from(image.data!, 'base64')).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 128, 96]);
    const info = jsonOf(view);
    expect(info.pose).toEqual(pose);
    expect(info.caption).toContain('40° to the right');
    expect(info.coverage).toBeGreaterThan(0);
    expect(info.coverage).toBeLessThanOrEqual(1);
  });

  it('lifts an RGB-D file pair from the root, and the same pair sent as base64', async () => {
    const files = await call('lift_scene', {
      images: ['photo.png'],
      depths: ['photo-depth.png'],
      intrinsics: 'fov:60',
    });
    expect(files.isError, textOf(files)).toBeFalsy();
    const inline = await call('lift_scene', {
      images: [`data:image/png;base64,${pair.rgb.toString('base64')}`],
      depths: [pair.depth.toString('base64')],
      intrinsics: 'fov:60',
    });
    expect(inline.isError, textOf(inline)).toBeFalsy();
    expect(jsonOf(inline).gaussians).toBe(jsonOf(files).gaussians);
    expect(jsonOf(files).reference_camera).toMatchObject({ width: 160, height: 120 });
    const v = await call('render_view', {
      scene_id: jsonOf(files).scene_id,
      pose: { mode: 'preset', name: 'orbit_left_30' },
      width: 64,
    });
    expect(v.isError, textOf(v)).toBeFalsy();
    expect(jsonOf(v).coverage).toBeGreaterThan(0);
  });

  it('refuses paths that leave the root: "..", absolute outside, a symlink out', async () => {
    for (const [images, why] of [
      [['../' + 'x.png'], /outside the allowed root/],
      [[join(outside, 'secret.png')], /outside the allowed root/],
      [['sub/link.png'], /symbolic link/],
      [['sub/../../' + join(outside.split('/').pop()!, 'secret.png')], /outside the allowed root/],
    ] as const) {
      const r = await call('lift_scene', { images, depths: ['photo-depth.png'] });
      expect(r.isError, JSON.stringify(images)).toBe(true);
      expect(textOf(r)).toMatch(why);
      expect(textOf(r)).toContain('hint:');
    }
    const missing = await call('lift_scene', { images: ['nope.png'], depths: ['photo-depth.png'] });
    expect(missing.isError).toBe(true);
    expect(textOf(missing)).toMatch(/not found under/);
  });

  it('reports bad arguments and bad poses as tool errors, not crashes', async () => {
    const bad = await call('render_view', { scene_id: 'scn_000000000000', pose: { mode: 'orbit', azimuth_deg: 10 } });
    expect(bad.isError).toBe(true);
    expect(textOf(bad)).toMatch(/no scene with id/);
    const lifted = jsonOf(await call('lift_scene', { fixture: 'room' }));
    const range = await call('render_view', {
      scene_id: lifted.scene_id,
      pose: { mode: 'orbit', azimuth_deg: 10, elevation_deg: 95 },
    });
    expect(range.isError).toBe(true);
    expect(textOf(range)).toMatch(/elevation_deg=95 is outside -85..85/);
    const unknown = await call('render_view', { scene_id: lifted.scene_id, pose: { mode: 'fly' } });
    expect(unknown.isError).toBe(true);
    const none = await call('lift_scene', {});
    expect(textOf(none)).toMatch(/no scene given/);
  });

  it('answers a question on a fixture with builtin:perceiver: answer, posterior, views as images, trace on disk', async () => {
    const r = await call('answer_spatial_question', {
      fixture: 'occluded',
      question: 'How many objects are there in the scene (not counting the floor and walls)?',
      options: ['5', '6', '7', '8'],
      config: { maxRounds: 1, width: 96, height: 72, render: 'points', stop: { policy: 'fixed' } },
    });
    expect(r.isError, textOf(r)).toBeFalsy();
    const out = jsonOf(r);
    expect(['A', 'B', 'C', 'D']).toContain(out.choice);
    expect(Object.values(out.posterior as Record<string, number>).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 3);
    expect(out.model).toContain('builtin:perceiver');
    expect(out.rounds).toBe(2);
    const images = r.content.filter((c) => c.type === 'image');
    expect(images).toHaveLength(1);
    expect((await sharp(Buffer.from(images[0].data!, 'base64')).metadata()).width).toBe(96);
    const trace = out.trace as { dir: string; json: string; html: string };
    expect(trace.dir.startsWith(join(root, 'traces'))).toBe(true);
    expect(JSON.parse(await readFile(trace.json, 'utf8')).final.choice).toBe(out.choice);
    expect(existsSync(trace.html)).toBe(true);
  });
});
