/**
 * The MCP server over streamable HTTP (stateless: every POST to /mcp gets a fresh McpServer and
 * transport over the shared context, so scenes outlive requests and sessions). Replies stream as
 * server-sent events, so a long answer_spatial_question can send progress notifications. Bound to 127.0.0.1
 * by default with DNS-rebinding protection (the Host header must name this server), request bodies
 * capped, and nothing else served.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { VantageError } from '../../core/errors.js';
import { formatBytes } from '../../core/io/files.js';
import { MCP_LIMITS } from './config.js';
import { createVantageMcpServer, type VantageMcp, type VantageMcpOptions } from './server.js';

export interface McpHttpOptions extends VantageMcpOptions {
  /** port to listen on (default 8765; 0 = any free port) */
  port?: number;
  /** address to bind (default 127.0.0.1: this machine only) */
  host?: string;
  /** a context to serve (default: one is created from these options) */
  mcp?: VantageMcp;
}

export interface McpHttpServer {
  /** the endpoint URL, e.g. http://127.0.0.1:8765/mcp */
  url: string;
  host: string;
  port: number;
  mcp: VantageMcp;
  close(): Promise<void>;
}

export const MCP_HTTP_DEFAULTS = { port: 8765, host: '127.0.0.1', path: '/mcp' } as const;

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

function sendJsonRpcError(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message }, id: null }));
}

/** The request body as JSON, refusing more than maxBytes. */
async function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    throw new VantageError(
      'request-too-large',
      `request body is ${formatBytes(declared)}, over the ${formatBytes(maxBytes)} limit`,
    );
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes)
      throw new VantageError('request-too-large', `request body is over the ${formatBytes(maxBytes)} limit`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new VantageError('bad-request', 'request body is not JSON');
  }
}

/** Whether an Origin header names this machine (a local client, e.g. an inspector on localhost). */
function loopbackOrigin(origin: string): boolean {
  try {
    return LOOPBACK.has(new URL(origin).hostname);
  } catch {
    return false;
  }
}

/** Start the HTTP endpoint; resolves once it listens. */
export async function startMcpHttpServer(opts: McpHttpOptions = {}): Promise<McpHttpServer> {
  const mcp = opts.mcp ?? (await createVantageMcpServer(opts));
  const host = opts.host ?? MCP_HTTP_DEFAULTS.host;
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const maxBytes = opts.limits?.maxRequestBytes ?? MCP_LIMITS.maxRequestBytes;
  const loopback = LOOPBACK.has(host);
  let port = opts.port ?? MCP_HTTP_DEFAULTS.port;

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path !== MCP_HTTP_DEFAULTS.path)
      return sendJsonRpcError(res, 404, `not found: the MCP endpoint is ${MCP_HTTP_DEFAULTS.path}`);
    // a web page on another site must not drive a loopback server from the user's browser
    const origin = req.headers.origin;
    if (loopback && origin && !loopbackOrigin(origin))
      return sendJsonRpcError(res, 403, `forbidden: Origin ${origin} may not use this local server`);
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      return sendJsonRpcError(res, 405, 'method not allowed: this server is stateless, send JSON-RPC with POST');
    }
    let body: unknown;
    try {
      body = await readJsonBody(req, maxBytes);
    } catch (e) {
      return sendJsonRpcError(
        res,
        e instanceof VantageError && e.code === 'request-too-large' ? 413 : 400,
        (e as Error).message,
      );
    }
    const server = mcp.createServer();
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      // a web page must not reach a loopback server through a hostile DNS name
      ...(loopback
        ? {
            enableDnsRebindingProtection: true,
            allowedHosts: [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`],
          }
        : {}),
    });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  };

  const http = createServer((req, res) => {
    handle(req, res).catch((e) => {
      log(`mcp http: ${(e as Error).stack ?? String(e)}`);
      sendJsonRpcError(res, 500, 'internal error');
    });
  });
  await new Promise<void>((ok, fail) => {
    http.once('error', (e: NodeJS.ErrnoException) =>
      fail(
        e.code === 'EADDRINUSE'
          ? new VantageError(
              'port-in-use',
              `port ${port} on ${host} is already in use`,
              'pass another --port (0 picks a free one)',
            )
          : e,
      ),
    );
    http.listen(port, host, () => ok());
  });
  port = (http.address() as AddressInfo).port;
  if (!loopback)
    log(
      `vantage mcp: listening on ${host}, which other machines may reach; there is no authentication — anyone who can connect can read files under the roots`,
    );
  const shownHost = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}${MCP_HTTP_DEFAULTS.path}`,
    host,
    port,
    mcp,
    async close() {
      await new Promise<void>((ok) => {
        http.close(() => ok());
        http.closeAllConnections();
      });
      if (!opts.mcp) await mcp.close();
    },
  };
}
