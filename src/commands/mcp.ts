/**
 * `vantage mcp`: serve the three agent tools (lift_scene, render_view, answer_spatial_question) over
 * MCP — on stdio by default (for an agent that spawns the server), or over streamable HTTP with
 * --http. Logs go to stderr only: in stdio mode stdout carries the protocol.
 */
import type { Command } from 'commander';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { VantageError } from '../../core/errors.js';
import { RENDERER_CHOICE_HELP, parseRendererChoice, type RendererChoice } from '../../synth/renderer.js';
import { MCP_LIMITS } from '../mcp/config.js';
import { createVantageMcpServer, type VantageMcpOptions } from '../mcp/server.js';
import { MCP_HTTP_DEFAULTS, startMcpHttpServer } from '../mcp/http.js';

export interface McpCommandOptions {
  http?: boolean;
  port?: number;
  host?: string;
  root?: string[];
  traceDir?: string;
  model?: string;
  renderer?: RendererChoice;
  maxScenes?: number;
  storeMemory?: number;
  maxSceneMemory?: number;
  baseUrl?: string;
  cacheDir?: string;
}

const MB = 1024 ** 2;

function positive(v: string, name: string, integer = false): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new VantageError('bad-option', `${name} must be a positive ${integer ? 'integer' : 'number'}, got "${v}"`);
  }
  return n;
}

/** The server context options from the command's flags. */
export function mcpOptionsOf(o: McpCommandOptions, log: (line: string) => void): VantageMcpOptions {
  return {
    // no --root: the client's roots (MCP roots protocol), never the working directory
    roots: o.root ?? [],
    traceDir: o.traceDir,
    renderer: parseRendererChoice(o.renderer),
    ...(o.model ? { defaultModel: o.model } : {}),
    store: {
      ...(o.maxScenes !== undefined ? { maxScenes: o.maxScenes } : {}),
      ...(o.storeMemory !== undefined ? { maxBytes: o.storeMemory * MB } : {}),
      ...(o.maxSceneMemory !== undefined ? { maxSceneBytes: o.maxSceneMemory * MB } : {}),
    },
    modelOptions: {
      mllm: { ...(o.baseUrl ? { baseURL: o.baseUrl } : {}), ...(o.cacheDir ? { cacheDir: o.cacheDir } : {}) },
    },
    log,
  };
}

function rootsLine(roots: string[]): string {
  return roots.length
    ? `files are read only under ${roots.join(', ')}`
    : 'no --root: files are read only under the roots the client offers (none: base64 images and fixtures only)';
}

/** Serve on stdio until the client closes stdin. */
async function serveStdio(o: McpCommandOptions, log: (line: string) => void): Promise<void> {
  // stdout is the protocol channel: anything printed there by accident would corrupt it
  console.log = console.error;
  console.info = console.error;
  console.debug = console.error;
  const mcp = await createVantageMcpServer(mcpOptionsOf(o, log));
  const server = mcp.createServer();
  const transport = new StdioServerTransport(process.stdin, process.stdout, {
    maxBufferSize: MCP_LIMITS.maxRequestBytes,
  });
  const closed = new Promise<void>((done) => {
    server.server.onclose = done;
    process.stdin.once('end', done);
    process.stdin.once('close', done);
  });
  await server.connect(transport);
  log(`vantage mcp: serving on stdio; ${rootsLine(mcp.roots)}; traces go to ${mcp.traceDir}`);
  await closed;
  await server.close().catch(() => {});
  await mcp.close();
}

async function serveHttp(o: McpCommandOptions, log: (line: string) => void): Promise<void> {
  const s = await startMcpHttpServer({ ...mcpOptionsOf(o, log), port: o.port, host: o.host });
  log(`vantage mcp: serving streamable HTTP at ${s.url}; ${rootsLine(s.mcp.roots)}; traces go to ${s.mcp.traceDir}`);
  await new Promise<void>((done) => {
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  log('vantage mcp: shutting down');
  await s.close();
}

/** Run the command (resolves when the server stops). */
async function runMcpCommand(o: McpCommandOptions): Promise<void> {
  const log = (line: string) => process.stderr.write(`${line}\n`);
  if (o.http) await serveHttp(o, log);
  else await serveStdio(o, log);
  // the GPU binding can keep the event loop alive after the renderer is disposed
  process.exit(0);
}

export function registerMcpCommand(program: Command): void {
  const collect = (v: string, prev: string[] = []) => [...prev, v];
  program
    .command('mcp')
    .description(
      'serve the agent tools lift_scene, render_view and answer_spatial_question over MCP (stdio, or streamable HTTP with --http)',
    )
    .option('--http', 'serve streamable HTTP instead of stdio')
    .option(
      '--port <n>',
      `HTTP port (0 = any free port)`,
      (v) => {
        const n = v === '0' ? 0 : positive(v, '--port', true);
        if (n > 65535) throw new VantageError('bad-option', `--port must be 0..65535, got "${v}"`, 'e.g. --port 8765');
        return n;
      },
      MCP_HTTP_DEFAULTS.port,
    )
    .option(
      '--host <addr>',
      'HTTP address to bind; keep 127.0.0.1 unless other machines must connect (there is no authentication)',
      MCP_HTTP_DEFAULTS.host,
    )
    .option(
      '--root <dir>',
      'a directory the tools may read files from (repeatable; default: the roots the client offers, else none); nothing outside is readable',
      collect,
    )
    .option('--trace-dir <dir>', 'where answer_spatial_question writes its traces', 'vantage-out/mcp')
    .option(
      '--model <name>',
      'model answer_spatial_question uses when a call names none (default $VANTAGE_MODEL, else builtin:perceiver)',
    )
    .option('--renderer <which>', RENDERER_CHOICE_HELP, 'auto')
    .option(
      '--max-scenes <n>',
      `lifted scenes kept at once, least recently used evicted first (default ${MCP_LIMITS.storeScenes})`,
      (v) => positive(v, '--max-scenes', true),
    )
    .option('--store-memory <MB>', `memory all kept scenes may use (default ${MCP_LIMITS.storeBytes / MB})`, (v) =>
      positive(v, '--store-memory'),
    )
    .option(
      '--max-scene-memory <MB>',
      `memory one scene may use; larger ones are refused (default ${MCP_LIMITS.maxSceneBytes / MB})`,
      (v) => positive(v, '--max-scene-memory'),
    )
    .option(
      '--base-url <url>',
      'OpenAI-compatible endpoint for named models (default $OPENAI_BASE_URL; key from $OPENAI_API_KEY)',
    )
    .option('--cache-dir <dir>', 'cache MLLM responses here')
    .addHelpText(
      'after',
      `
Examples:
  vantage mcp --root ./photos                       # stdio, for an agent that spawns the server
  vantage mcp --http --port 8765 --root ./photos    # http://127.0.0.1:8765/mcp
Claude Desktop / other MCP clients: command "npx", args ["-y", "-p", "vantage-nvs", "vantage", "mcp", "--root", "/path/to/photos"]
(the npm package is vantage-nvs; "vantage" on npm is someone else's).
Tools take file paths relative to a --root (or base64 images); see \`vantage tools\` for their schemas.`,
    )
    .action(async (opts: McpCommandOptions) => runMcpCommand(opts));
}
