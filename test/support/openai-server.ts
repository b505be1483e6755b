/**
 * A local OpenAI-compatible server for tests: real node:http on 127.0.0.1 (ephemeral port),
 * POST /v1/chat/completions (non-streaming) and GET /v1/models. Its "vision" is a pluggable brain
 * that receives the decoded images and texts of each request; the loop tests plug in the pixel
 * perceiver, the client tests simple brains.
 *
 * Supports `response_format: json_schema` (or answers 400 like OpenAI when told not to), token
 * logprobs with top_logprobs derived from the brain's answer (the chosen letter is likeliest),
 * `usage` token counts, and scripted faults consumed one per chat request, in order.
 * It records every request's headers and body so tests can check what the client sent.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Fault =
  | { kind: '429'; retryAfterS?: number; /** send Retry-After as an HTTP date instead of seconds */ asDate?: boolean }
  | { kind: '500' }
  | { kind: 'status'; status: number; message?: string; param?: string }
  | { kind: 'slow'; ms: number }
  /** prose without JSON, or the brain's JSON cut in half */
  | { kind: 'malformed'; variant?: 'prose' | 'truncated' }
  /** message.refusal, or finish_reason content_filter */
  | { kind: 'refusal'; via?: 'refusal' | 'content_filter' }
  /** the connection is destroyed without a reply */
  | { kind: 'reset' }
  /** a 200 whose body is cut off: headers and half a JSON body, then the socket closes */
  | { kind: 'drop' }
  /** a 200 that is not JSON at all (a proxy's HTML page) */
  | { kind: 'html' }
  | { kind: 'custom'; content: string };

export interface BrainRequest {
  model: string;
  messages: unknown[];
  /** decoded bytes of every data-URL image, in order */
  images: Buffer[];
  /** every text part and string content, in order */
  texts: string[];
  responseFormat?: unknown;
  logprobs?: boolean;
  body: Record<string, unknown>;
}

/** The brain's answer: text, or an object sent as JSON text. */
export type Brain = (req: BrainRequest) => string | object | Promise<string | object>;

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown> | undefined;
  /** the fault applied to it, if any */
  fault?: Fault['kind'];
  status?: number;
}

export interface OpenAIServerOptions {
  brain: Brain;
  faults?: Fault[];
  /** default true; when false a json_schema response_format gets a 400 (no fault is consumed) */
  supportsJsonSchema?: boolean;
  /** default true; when false a request with logprobs gets a 400 */
  supportsLogprobs?: boolean;
  /** delay before every answer */
  latencyMs?: number;
  /** when set, requests without `Authorization: Bearer <apiKey>` get a 401 */
  apiKey?: string;
  /** probabilities of the answer token's alternatives, given the chosen letter */
  answerProbs?: (choice: string) => Record<string, number>;
}

export interface OpenAIServer {
  /** base URL, ending in /v1 */
  url: string;
  requests: RecordedRequest[];
  /** chat requests being handled right now, and the most at once so far */
  readonly inFlight: number;
  readonly maxInFlight: number;
  /** faults not yet used */
  readonly faultsLeft: number;
  close(): Promise<void>;
}

export async function startOpenAIServer(opts: OpenAIServerOptions): Promise<OpenAIServer> {
  const faults = [...(opts.faults ?? [])];
  const requests: RecordedRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let inFlight = 0;
  let maxInFlight = 0;
  let counter = 0;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });

  const send = (
    res: ServerResponse,
    rec: RecordedRequest,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ) => {
    rec.status = status;
    if (res.destroyed || res.writableEnded) return; // the client gave up (timeout)
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };

  const handleChat = async (req: IncomingMessage, res: ServerResponse, rec: RecordedRequest) => {
    const body = rec.body;
    if (!body || !Array.isArray(body.messages)) {
      return send(res, rec, 400, errorBody('messages is required', 'messages'));
    }
    if (opts.apiKey !== undefined && req.headers.authorization !== `Bearer ${opts.apiKey}`) {
      return send(res, rec, 401, errorBody('Incorrect API key provided.', null, 'invalid_api_key'));
    }
    const rf = body.response_format as { type?: string } | undefined;
    if (rf?.type === 'json_schema' && opts.supportsJsonSchema === false) {
      return send(
        res,
        rec,
        400,
        errorBody(
          "Invalid parameter: 'response_format' of type 'json_schema' is not supported with this model.",
          'response_format',
        ),
      );
    }
    if (body.logprobs && opts.supportsLogprobs === false) {
      return send(res, rec, 400, errorBody('logprobs are not supported by this server.', 'logprobs'));
    }

    const fault = faults.shift();
    rec.fault = fault?.kind;
    if (opts.latencyMs) await sleep(opts.latencyMs);
    if (fault?.kind === '429') {
      const s = fault.retryAfterS ?? 1;
      const value = fault.asDate ? new Date(Date.now() + s * 1000).toUTCString() : String(s);
      return send(
        res,
        rec,
        429,
        errorBody('Rate limit reached. Please try again later.', null, 'rate_limit_exceeded'),
        { 'retry-after': value },
      );
    }
    if (fault?.kind === '500')
      return send(res, rec, 500, errorBody('The server had an error while processing your request.', null));
    if (fault?.kind === 'status')
      return send(res, rec, fault.status, errorBody(fault.message ?? `status ${fault.status}`, fault.param ?? null));
    if (fault?.kind === 'reset') {
      req.socket.destroy();
      rec.status = 0;
      return;
    }
    if (fault?.kind === 'html') {
      rec.status = 200;
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html><body>502 Bad Gateway (proxy)</body></html>');
      return;
    }
    if (fault?.kind === 'drop') {
      rec.status = 200;
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '4000' });
      res.write('{"id":"chatcmpl-cut","object":"chat.completion","choices":[{"index":0,"mess');
      setTimeout(() => req.socket.destroy(), 20);
      return;
    }
    if (fault?.kind === 'slow') await sleep(fault.ms);

    const brainReq = brainRequestOf(body);
    const answer = await opts.brain(brainReq);
    const answerText = typeof answer === 'string' ? answer : JSON.stringify(answer);
    let content: string | null = answerText;
    let refusal: string | null = null;
    let finish = 'stop';
    if (fault?.kind === 'malformed') {
      content =
        fault.variant === 'truncated'
          ? answerText.slice(0, Math.max(1, Math.floor(answerText.length / 2)))
          : 'Looking at the picture, I would say it is most likely the second option, but I am not sure.';
    } else if (fault?.kind === 'refusal') {
      if (fault.via === 'content_filter') {
        content = null;
        finish = 'content_filter';
      } else {
        content = null;
        refusal = "I'm sorry, but I can't help with that request.";
      }
    } else if (fault?.kind === 'custom') {
      content = fault.content;
    }

    const wantLogprobs = body.logprobs === true && content !== null;
    const topK = Math.max(0, Math.min(20, Number(body.top_logprobs ?? 0)));
    const promptTokens = brainReq.texts.reduce((n, t) => n + tokensOf(t).length, 0) + 85 * brainReq.images.length;
    const completionTokens = content === null ? 0 : tokensOf(content).length;
    send(res, rec, 200, {
      id: `chatcmpl-test-${++counter}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: String(body.model ?? 'test-model'),
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content, refusal },
          finish_reason: finish,
          logprobs: wantLogprobs
            ? { content: tokenLogprobs(content as string, topK, opts.answerProbs), refusal: null }
            : null,
        },
      ],
      usage: {
        prompt_tokens: promptTokens,
        completion_tokens: completionTokens,
        total_tokens: promptTokens + completionTokens,
      },
    });
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0];
      const rec: RecordedRequest = { method: req.method ?? 'GET', path, headers: { ...req.headers }, body: undefined };
      requests.push(rec);
      try {
        rec.body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
      } catch {
        return send(res, rec, 400, errorBody('We could not parse the JSON body of your request.', null));
      }
      if (req.method === 'GET' && path === '/v1/models') {
        return send(res, rec, 200, {
          object: 'list',
          data: [{ id: 'test-model', object: 'model', created: 0, owned_by: 'test' }],
        });
      }
      if (req.method !== 'POST' || path !== '/v1/chat/completions') {
        return send(res, rec, 404, errorBody(`Unknown request URL: ${req.method} ${path}.`, null, 'unknown_url'));
      }
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      let done = false;
      const finished = () => {
        if (!done) {
          done = true;
          inFlight--;
        }
      };
      res.on('close', finished);
      handleChat(req, res, rec).catch((e: Error) => send(res, rec, 500, errorBody(`brain failed: ${e.message}`, null)));
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    get inFlight() {
      return inFlight;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    get faultsLeft() {
      return faults.length;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function errorBody(message: string, param: string | null, code: string | null = null) {
  return { error: { message, type: 'invalid_request_error', param, code } };
}

/** What the brain sees: decoded images and all texts of the request. */
function brainRequestOf(body: Record<string, unknown>): BrainRequest {
  const images: Buffer[] = [];
  const texts: string[] = [];
  for (const m of body.messages as { content?: unknown }[]) {
    if (typeof m.content === 'string') texts.push(m.content);
    else if (Array.isArray(m.content)) {
      for (const part of m.content as { type?: string; text?: string; image_url?: { url?: string } }[]) {
        if (part.type === 'text' && typeof part.text === 'string') texts.push(part.text);
        if (part.type === 'image_url' && part.image_url?.url) {
          const m2 = /^data:[^;,]+;base64,(.*)$/s.exec(part.image_url.url);
          if (m2) images.push(Buffer.from(m2[1], 'base64'));
        }
      }
    }
  }
  return {
    model: String(body.model ?? ''),
    messages: body.messages as unknown[],
    images,
    texts,
    responseFormat: body.response_format,
    logprobs: body.logprobs === true,
    body,
  };
}

/** A crude tokenizer: words (with their leading space), numbers, single punctuation marks. */
function tokensOf(text: string): string[] {
  return text.match(/\s*[A-Za-z]+|\s*\d+|\s*[^\sA-Za-z\d]|\s+/g) ?? [];
}

/**
 * Per-token logprobs of the content. Every token is near-certain except the answer letter (the
 * value of a "choice"/"answer" key, or the first lone capital letter), whose alternatives are
 * the other letters A–E with the given or default probabilities, partly spelt with a leading
 * space as real tokenizers do.
 */
function tokenLogprobs(content: string, topK: number, answerProbs?: (choice: string) => Record<string, number>) {
  const tokens = tokensOf(content);
  let answerIdx = -1;
  const m = /"(?:choice|answer)"\s*:\s*"/i.exec(content);
  if (m) {
    let pos = 0;
    const at = m.index + m[0].length;
    answerIdx = tokens.findIndex((t) => {
      const start = pos;
      pos += t.length;
      return start <= at && at < pos;
    });
  }
  if (answerIdx < 0 || !/^\s*[A-Z]$/.test(tokens[answerIdx] ?? ''))
    answerIdx = tokens.findIndex((t) => /^\s*\(?[A-Z]$/.test(t));
  return tokens.map((token, i) => {
    if (i !== answerIdx) {
      return {
        token,
        logprob: -1e-4,
        bytes: [...Buffer.from(token)],
        top_logprobs: topK ? [{ token, logprob: -1e-4, bytes: [...Buffer.from(token)] }] : [],
      };
    }
    const choice = token.trim().replace('(', '');
    const probs = answerProbs?.(choice) ?? defaultAnswerProbs(choice);
    const alts = Object.entries(probs)
      .sort((a, b) => b[1] - a[1])
      .map(([letter, p], k) => ({
        token: letter === choice ? token : k % 2 ? ` ${letter}` : letter,
        logprob: Math.log(p),
      }));
    return {
      token,
      logprob: Math.log(probs[choice] ?? 1e-9),
      bytes: [...Buffer.from(token)],
      top_logprobs: alts.slice(0, topK).map((a) => ({ ...a, bytes: [...Buffer.from(a.token)] })),
    };
  });
}

function defaultAnswerProbs(choice: string): Record<string, number> {
  const others = ['A', 'B', 'C', 'D', 'E'].filter((l) => l !== choice);
  return { [choice]: 0.8, ...Object.fromEntries(others.map((l) => [l, 0.2 / others.length])) };
}
