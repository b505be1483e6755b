/**
 * Models by name: the downloader against a real local HTTP server serving the tiny model — complete
 * downloads, redirects, a connection cut halfway, 404, a refused connection (offline), and the
 * cache-path resolution.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTinyDepthModel } from '../fixtures/tiny-onnx.js';
import { createProgress, downloadFile, ensureModelFile } from '../synth/depth/download.js';
import {
  knownDepthModel,
  modelCachePath,
  modelUrl,
  resolveModelSpec,
  vantageCacheDir,
  KNOWN_DEPTH_MODELS,
} from '../synth/depth/models.js';
import { loadDepthModel } from '../synth/depth/estimate.js';
import { VantageError } from '../core/errors.js';

const MODEL = buildTinyDepthModel();
let server: Server;
let base: string;
let dir: string;
const hits: string[] = [];

function sink(isTTY = false) {
  const chunks: string[] = [];
  return { chunks, stream: { isTTY, columns: 100, write: (s: string) => chunks.push(s) } };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vantage-depth-dl-'));
  server = createServer((req, res) => {
    const url = req.url ?? '';
    hits.push(url);
    if (url.startsWith('/models/')) {
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': MODEL.length });
      // in a few chunks, so that progress has something to report
      const step = Math.ceil(MODEL.length / 4);
      for (let o = 0; o < MODEL.length; o += step) res.write(MODEL.subarray(o, o + step));
      res.end();
    } else if (url.startsWith('/redirect/')) {
      res.writeHead(302, { Location: url.replace('/redirect/', '/models/') });
      res.end();
    } else if (url.startsWith('/cut/')) {
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': MODEL.length });
      res.write(MODEL.subarray(0, MODEL.length >> 1), () => setTimeout(() => res.socket?.destroy(), 30));
    } else {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('not found');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

const small = knownDepthModel('depth-anything-v2-small')!;

describe('model downloads', () => {
  it('fetches a known model from a mirror into the cache, with progress lines, then loads it without the network', async () => {
    const cacheDir = join(dir, 'cache-ok');
    const target = modelCachePath(small, cacheDir);
    const out = sink(false);
    const got = await ensureModelFile(small, target, { baseUrl: `${base}/models`, progress: out.stream });
    expect(got).toEqual({ path: target, downloaded: true });
    expect(readFileSync(target).equals(Buffer.from(MODEL))).toBe(true);
    expect(hits).toContain('/models/depth-anything-v2-small/model.onnx');
    const text = out.chunks.join('');
    expect(text).toMatch(/depth-anything-v2-small: downloading/);
    expect(text).toMatch(/depth-anything-v2-small: done/);
    expect(text).not.toContain('\r');

    const before = hits.length;
    const again = await ensureModelFile(small, target, { baseUrl: `${base}/models`, progress: false });
    expect(again.downloaded).toBe(false);
    const model = await loadDepthModel('depth-anything-v2-small', {
      cacheDir,
      baseUrl: `${base}/models`,
      progress: false,
    });
    try {
      expect(model.path).toBe(target);
      expect(model.adapter.kind).toBe('da2-relative');
    } finally {
      await model.release();
    }
    expect(hits.length).toBe(before);
  });

  it('follows redirects (as Hugging Face and GitHub answer) and honours VANTAGE_MODEL_BASE_URL', async () => {
    const cacheDir = join(dir, 'cache-env');
    const saved = process.env.VANTAGE_MODEL_BASE_URL;
    process.env.VANTAGE_MODEL_BASE_URL = `${base}/redirect/`;
    try {
      expect(modelUrl(small)).toBe(`${base}/redirect/depth-anything-v2-small/model.onnx`);
      const model = await loadDepthModel('depth-anything-v2-small', { cacheDir, progress: false });
      await model.release();
      expect(readFileSync(modelCachePath(small, cacheDir)).length).toBe(MODEL.length);
    } finally {
      if (saved === undefined) delete process.env.VANTAGE_MODEL_BASE_URL;
      else process.env.VANTAGE_MODEL_BASE_URL = saved;
    }
  });

  it('a connection cut halfway leaves nothing at the final path, no temporary file, and a clear error', async () => {
    const target = join(dir, 'cut', 'model.onnx');
    const err = await downloadFile(`${base}/cut/x/model.onnx`, target, { progress: false, label: 'tiny' }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(VantageError);
    const e = err as VantageError;
    expect(e.code).toBe('model-download-failed');
    expect(e.message).toMatch(/broke off after|incomplete/);
    expect(e.message).toContain(`${base}/cut/x/model.onnx`);
    expect(e.hint).toContain(target);
    expect(existsSync(target)).toBe(false);
    expect(readdirSync(join(dir, 'cut'))).toEqual([]);
  });

  it('a 404 names the URL and where to put the file', async () => {
    const target = join(dir, 'missing', 'model.onnx');
    const err = (await downloadFile(`${base}/nothing/model.onnx`, target, { progress: false }).catch(
      (e: unknown) => e,
    )) as VantageError;
    expect(err).toBeInstanceOf(VantageError);
    expect(err.message).toMatch(/answered 404/);
    expect(err.hint).toContain(`${base}/nothing/model.onnx`);
    expect(err.hint).toContain(target);
    expect(readdirSync(join(dir, 'missing'))).toEqual([]);
  });

  it('offline (connection refused): the error gives the URL and the path to put the file at', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const cacheDir = join(dir, 'cache-offline');
    const err = (await loadDepthModel('depth-anything-v2-small', {
      cacheDir,
      baseUrl: `http://127.0.0.1:${port}/m`,
      progress: false,
    }).catch((e: unknown) => e)) as VantageError;
    expect(err).toBeInstanceOf(VantageError);
    expect(err.message).toContain(`http://127.0.0.1:${port}/m/depth-anything-v2-small/model.onnx`);
    expect(err.message).toMatch(/ECONNREFUSED/);
    expect(err.hint).toContain(modelCachePath(small, cacheDir));
    expect(existsSync(modelCachePath(small, cacheDir))).toBe(false);
  });

  it('--offline never touches the network and says what to download where', async () => {
    const cacheDir = join(dir, 'cache-no-net');
    const before = hits.length;
    const err = (await loadDepthModel('midas-v2.1-small', { cacheDir, offline: true }).catch(
      (e: unknown) => e,
    )) as VantageError;
    expect(err.code).toBe('model-not-cached');
    expect(err.hint).toContain('https://github.com/isl-org/MiDaS/releases/download/v2_1/model-small.onnx');
    expect(err.hint).toContain(join(cacheDir, 'models', 'midas-v2.1-small', 'model-small.onnx'));
    expect(hits.length).toBe(before);
  });

  it('draws a bar on a TTY', async () => {
    let t = 0;
    const out = sink(true);
    const p = createProgress('model', 1000, out.stream, () => (t += 200));
    p.update(500);
    await new Promise((r) => setTimeout(r, 250)); // cli-progress redraws on its own 100 ms frame
    p.done(1000);
    const text = out.chunks.join('');
    expect(text).toContain('\x1b[1G'); // redrawn in place (cursor to column 1)
    expect(text).toMatch(/ 50%/);
    expect(text).toMatch(/100%.*\n$/);
  });
});

describe('model names and the cache directory', () => {
  it('every known model has an https URL, a file name and a family', () => {
    for (const m of KNOWN_DEPTH_MODELS) {
      expect(m.url).toMatch(/^https:\/\/(huggingface\.co|github\.com)\//);
      expect(m.url.endsWith(m.file)).toBe(true);
      expect(m.kind).toBeTruthy();
    }
    expect(knownDepthModel('depth-anything-v2-small')?.url).toBe(
      'https://huggingface.co/onnx-community/depth-anything-v2-small/resolve/main/onnx/model.onnx',
    );
  });

  it('an unknown name lists the known ones; a missing file says where it looked', () => {
    expect(() => resolveModelSpec('depth-anything-v9')).toThrow(VantageError);
    try {
      resolveModelSpec('depth-anything-v9');
    } catch (e) {
      expect((e as VantageError).hint).toContain('depth-anything-v2-small');
      expect((e as VantageError).hint).toContain('midas-v2.1-small');
    }
    expect(() => resolveModelSpec('./no/such/model.onnx')).toThrow(/not found/);
  });

  it('resolves $VANTAGE_CACHE, then the platform cache directory', () => {
    expect(vantageCacheDir({ VANTAGE_CACHE: '/x/cache' }, 'linux')).toBe('/x/cache');
    expect(vantageCacheDir({ HOME: '/home/u' }, 'linux')).toBe('/home/u/.cache/vantage');
    expect(vantageCacheDir({ HOME: '/home/u', XDG_CACHE_HOME: '/xdg' }, 'linux')).toBe('/xdg/vantage');
    expect(vantageCacheDir({ HOME: '/Users/u' }, 'darwin')).toBe('/Users/u/Library/Caches/vantage');
    expect(vantageCacheDir({ HOME: 'C:\\Users\\u', LOCALAPPDATA: 'C:\\Users\\u\\AppData\\Local' }, 'win32')).toContain(
      'vantage',
    );
  });
});
