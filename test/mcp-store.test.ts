/** The MCP server's pieces that need no server: the LRU scene store, root-confined paths, inline images. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SceneStore, liftedSceneBytes } from '../src/mcp/scenes.js';
import { realRoots, resolveInRoots } from '../src/mcp/paths.js';
import { bytesOfInline } from '../src/mcp/server.js';
import type { LiftedScene } from '../src/api.js';
import type { Scene } from '../core/types.js';

/** A lifted scene of n Gaussians (56 bytes each) and no images. */
function fakeLifted(n: number): LiftedScene {
  const scene = {
    count: n,
    positions: new Float32Array(3 * n),
    colors: new Float32Array(3 * n),
    scales: new Float32Array(3 * n),
    rotations: new Float32Array(4 * n),
    opacities: new Float32Array(n),
  } as unknown as Scene;
  return { scene, originals: [], info: { images: [], intrinsics: '', units: 'metres', notes: [] } };
}

describe('SceneStore', () => {
  it('counts the bytes of the typed arrays and the original images', () => {
    const l = fakeLifted(1000);
    expect(liftedSceneBytes(l)).toBe(56_000);
    l.originals.push({ name: 'x', width: 10, height: 10, rgb: new Uint8Array(300) });
    expect(liftedSceneBytes(l)).toBe(56_300);
  });

  it('evicts least recently used scenes to stay under the memory cap', () => {
    const store = new SceneStore({ maxBytes: 200_000, maxScenes: 10 });
    const a = store.add(fakeLifted(1000), 'a'); // 56 kB each
    const b = store.add(fakeLifted(1000), 'b');
    const c = store.add(fakeLifted(1000), 'c');
    store.get(a.id); // a is now the most recent: b goes first
    const d = store.add(fakeLifted(1000), 'd');
    expect(store.ids()).toEqual([c.id, a.id, d.id]);
    expect(store.bytes).toBe(168_000);
    expect(() => store.get(b.id)).toThrow(/was evicted/);
    expect(() => store.get('scn_nope')).toThrow(/no scene with id/);
    // a big one evicts as many as it needs
    const e = store.add(fakeLifted(3000), 'e');
    expect(store.ids()).toEqual([e.id]);
  });

  it('caps the count, and refuses a scene larger than a scene may be', () => {
    const store = new SceneStore({ maxBytes: 1e9, maxScenes: 2, maxSceneBytes: 100_000 });
    const a = store.add(fakeLifted(10), 'a');
    store.add(fakeLifted(10), 'b');
    store.add(fakeLifted(10), 'c');
    expect(store.size).toBe(2);
    expect(store.ids()).not.toContain(a.id);
    expect(() => store.add(fakeLifted(2000), 'huge')).toThrow(/over the 0\.1 MB a scene may use/);
    expect(store.size).toBe(2);
  });
});

describe('root-confined paths', () => {
  let base: string;
  let root: string;
  let root2: string;
  let outside: string;

  beforeAll(async () => {
    base = await realpath(await mkdtemp(join(tmpdir(), 'vantage-paths-')));
    root = join(base, 'root');
    root2 = join(base, 'root2');
    outside = join(base, 'outside');
    for (const d of [root, root2, outside, join(root, 'sub')]) await mkdir(d, { recursive: true });
    await writeFile(join(root, 'a.png'), 'a');
    await writeFile(join(root, 'sub', 'b.png'), 'b');
    await writeFile(join(root2, 'c.png'), 'c');
    await writeFile(join(outside, 'secret.png'), 's');
    await symlink(join(outside, 'secret.png'), join(root, 'out-link.png'));
    await symlink(join(root, 'sub', 'b.png'), join(root, 'in-link.png'));
    await symlink(outside, join(root, 'out-dir'));
    await symlink(root, join(base, 'root-link'));
  });
  afterAll(() => rm(base, { recursive: true, force: true }));

  it('resolves relative and absolute paths inside a root, through links that stay inside', async () => {
    const roots = await realRoots([root, root2]);
    expect(await resolveInRoots('a.png', roots)).toBe(join(root, 'a.png'));
    expect(await resolveInRoots('sub/../a.png', roots)).toBe(join(root, 'a.png'));
    expect(await resolveInRoots(join(root, 'sub', 'b.png'), roots)).toBe(join(root, 'sub', 'b.png'));
    expect(await resolveInRoots('in-link.png', roots)).toBe(join(root, 'sub', 'b.png'));
    expect(await resolveInRoots('c.png', roots)).toBe(join(root2, 'c.png')); // the second root
    // a root given through a link is compared as its real path
    const linked = await realRoots([join(base, 'root-link')]);
    expect(linked).toEqual([root]);
    expect(await resolveInRoots(join(base, 'root-link', 'a.png'), linked)).toBe(join(root, 'a.png'));
  });

  it('refuses "..", absolute paths outside, links out (file or folder), missing files and NUL bytes', async () => {
    const roots = await realRoots([root]);
    await expect(resolveInRoots('../outside/secret.png', roots, 'image')).rejects.toThrow(
      /image path "..\/outside\/secret.png" is outside the allowed root/,
    );
    await expect(resolveInRoots('sub/../../outside/secret.png', roots)).rejects.toThrow(/outside the allowed root/);
    await expect(resolveInRoots(join(outside, 'secret.png'), roots)).rejects.toThrow(/outside the allowed root/);
    await expect(resolveInRoots('out-link.png', roots)).rejects.toThrow(/symbolic link/);
    await expect(resolveInRoots('out-dir/secret.png', roots)).rejects.toThrow(/symbolic link/);
    await expect(resolveInRoots('missing.png', roots)).rejects.toThrow(/not found under/);
    await expect(resolveInRoots('a.png\0x', roots)).rejects.toThrow(/NUL/);
    await expect(realRoots([join(base, 'nope')])).rejects.toThrow(/does not exist/);
  });
});

describe('inline images', () => {
  const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
  it('decodes data URLs and bare base64 of known file types; anything else is a path', () => {
    expect(bytesOfInline(`data:image/png;base64,${png.toString('base64')}`, 'image', 1e6)).toEqual(png);
    const bare = Buffer.concat([png, Buffer.alloc(60)]).toString('base64');
    expect(bytesOfInline(bare, 'image', 1e6)).toEqual(Buffer.concat([png, Buffer.alloc(60)]));
    expect(bytesOfInline('photos/room.png', 'image', 1e6)).toBeUndefined();
    expect(bytesOfInline('A'.repeat(100), 'image', 1e6)).toBeUndefined(); // base64-looking, but no image inside
    expect(() => bytesOfInline(`data:image/png;base64,${'A'.repeat(4000)}`, 'image 0', 1000)).toThrow(
      /image 0 \(base64\) is 2\.9 KB, over the 1000 B limit/,
    );
  });
});
