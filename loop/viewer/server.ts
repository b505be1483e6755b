/**
 * The local web server behind `vantage view` and `--model human-web`: bound to 127.0.0.1 by default,
 * every request must carry the random token (`?t=` or the `X-Vantage-Token` header), the Host must be
 * the address it listens on and a cross-site Origin is refused (no DNS rebinding, no other page
 * driving it), and files are served only from inside the folder it was given.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { extname, isAbsolute, relative, resolve, sep } from 'node:path';
import { VantageError } from '../../core/errors.js';

export interface Reply {
  status?: number;
  type?: string;
  body: string | Buffer;
  headers?: Record<string, string>;
}

/** A route handler: path → reply; `query` is the URL's search params, `body` the request body (POST). */
export type Handler = (req: { query: URLSearchParams; body: string; method: string }) => Promise<Reply> | Reply;

export interface ViewerServerOptions {
  /** exact paths ("/", "/api/frame") to handlers */
  routes: Record<string, Handler>;
  /** files under /files/… are served from here, never from outside it */
  fileRoot?: string;
  /** default 127.0.0.1 */
  host?: string;
  /** default 0: any free port */
  port?: number;
}

export interface ViewerServer {
  /** the page's URL, token included */
  url: string;
  token: string;
  port: number;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.json': 'application/json',
  '.html': 'text/html; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.txt': 'text/plain; charset=utf-8',
};

/** The path of a /files/ request inside root, or undefined when it would leave root. */
export function fileInside(root: string, urlPath: string): string | undefined {
  let rel: string;
  try {
    rel = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (rel.includes('\0')) return undefined;
  const abs = resolve(root, `.${sep}${rel}`);
  const r = relative(resolve(root), abs);
  return r && !r.startsWith('..') && !isAbsolute(r) ? abs : undefined;
}

const sameToken = (a: string, b: string) =>
  a.length === b.length && timingSafeEqual(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

const SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
  'X-Frame-Options': 'DENY',
};

/** Start the server; resolves once it listens. */
export async function startViewerServer(o: ViewerServerOptions): Promise<ViewerServer> {
  const host = o.host ?? '127.0.0.1';
  const token = randomBytes(16).toString('hex');
  let port = 0;
  const wildcard = host === '0.0.0.0' || host === '::';
  const allowedHosts = () => new Set([`${host}:${port}`, `127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]);

  const send = (res: ServerResponse, r: Reply) => {
    res.writeHead(r.status ?? 200, {
      'Content-Type': r.type ?? 'text/plain; charset=utf-8',
      ...SECURITY_HEADERS,
      ...r.headers,
    });
    res.end(r.body);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const hostHeader = req.headers.host ?? '';
    // on a wildcard address the Host is whatever name reached it: the token alone guards it then
    const hostOk = (h: string) => allowedHosts().has(h) || (wildcard && h.endsWith(`:${port}`));
    if (!hostOk(hostHeader)) return send(res, { status: 403, body: 'forbidden: unexpected Host header' });
    const origin = req.headers.origin;
    if (origin && origin !== 'null' && origin.replace(/^https?:\/\//, '') !== hostHeader)
      return send(res, { status: 403, body: 'forbidden: cross-origin request' });
    const url = new URL(req.url ?? '/', `http://${hostHeader}`);
    const given = url.searchParams.get('t') ?? String(req.headers['x-vantage-token'] ?? '');
    if (!sameToken(given, token)) return send(res, { status: 403, body: 'forbidden: missing or wrong token' });
    if (req.method !== 'GET' && req.method !== 'POST') return send(res, { status: 405, body: 'method not allowed' });
    let body = '';
    if (req.method === 'POST') {
      for await (const chunk of req) {
        body += String(chunk);
        if (body.length > 1_000_000) return send(res, { status: 413, body: 'request too large' });
      }
    }
    if (url.pathname.startsWith('/files/') && o.fileRoot) {
      const file = fileInside(o.fileRoot, url.pathname.slice('/files/'.length));
      const st = file ? await stat(file).catch(() => undefined) : undefined;
      if (!file || !st?.isFile()) return send(res, { status: 404, body: 'not found' });
      return send(res, {
        type: TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
        body: await readFile(file),
      });
    }
    const route = o.routes[url.pathname];
    if (!route) return send(res, { status: 404, body: 'not found' });
    return send(res, await route({ query: url.searchParams, body, method: req.method }));
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      const msg = e instanceof VantageError ? e.message : e instanceof Error ? e.message : String(e);
      if (!res.headersSent) send(res, { status: e instanceof VantageError ? 400 : 500, body: msg });
      else res.end();
    });
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      fail(
        new VantageError(
          'viewer-listen',
          `cannot listen on ${host}:${o.port ?? 0}: ${e.code ?? e.message}`,
          'pick another --port (or 0 for any free one)',
        ),
      ),
    );
    server.listen(o.port ?? 0, host, () => ok());
  });
  const addr = server.address();
  port = typeof addr === 'object' && addr ? addr.port : 0;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}/?t=${token}`,
    token,
    port,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}
