/**
 * A small Redis client (RESP2 over node:net / node:tls) implementing the client interface BullMQ
 * drives (its `IRedisClient`: commands, Lua scripts, pipelines, transactions, blocking pops), so the
 * job queue needs no Redis driver package. One connection per client; `duplicate()` opens another
 * (BullMQ gives blocking commands their own). A lost connection fails the commands in flight with
 * BullMQ's ConnectionClosedError and reconnects with a capped back-off, unless `retry` is off (the
 * probe that tells a user their Redis is unreachable).
 */
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { connect as netConnect, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import { ConnectionClosedError } from 'bullmq';
import { VantageError } from '../../core/errors.js';

export interface RedisAddress {
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
  tls: boolean;
}

/** redis://[user:password@]host[:port][/db] or rediss://… (TLS). */
export function parseRedisUrl(url: string): RedisAddress {
  const fail = (why: string) =>
    new VantageError(
      'bad-option',
      `--queue "${redactRedisUrl(url)}" ${why}`,
      'give a Redis URL: redis://HOST:PORT[/DB], e.g. redis://127.0.0.1:6379/0',
    );
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw fail('is not a URL');
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw fail('is not a redis:// URL');
  if (!u.hostname) throw fail('names no host');
  const port = u.port ? Number(u.port) : 6379;
  const dbText = u.pathname.replace(/^\//, '');
  const db = dbText ? Number(dbText) : 0;
  if (!Number.isInteger(db) || db < 0) throw fail(`has database "${dbText}", not a number ≥ 0`);
  return {
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port,
    db,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    tls: u.protocol === 'rediss:',
  };
}

/** The URL without its password (for messages and logs). */
export function redactRedisUrl(url: string): string {
  return url.replace(/\/\/([^/@:]*):[^/@]*@/, '//$1:***@');
}

export class RedisReplyError extends Error {}

type Arg = string | number | Buffer;
type Reply = string | number | null | Reply[] | Error;
const NEED_MORE = Symbol('need more');

/** Parses one reply at `pos`; NEED_MORE when the buffer ends first. */
function parseReply(buf: Buffer, pos: number): { value: Reply; end: number } | typeof NEED_MORE {
  if (pos >= buf.length) return NEED_MORE;
  const nl = buf.indexOf('\r\n', pos);
  if (nl < 0) return NEED_MORE;
  const type = String.fromCharCode(buf[pos]);
  const line = buf.toString('utf8', pos + 1, nl);
  const next = nl + 2;
  switch (type) {
    case '+':
      return { value: line, end: next };
    case '-':
      return { value: new RedisReplyError(line), end: next };
    case ':':
      return { value: Number(line), end: next };
    case '$': {
      const n = Number(line);
      if (n < 0) return { value: null, end: next };
      if (buf.length < next + n + 2) return NEED_MORE;
      return { value: buf.toString('utf8', next, next + n), end: next + n + 2 };
    }
    case '*': {
      const n = Number(line);
      if (n < 0) return { value: null, end: next };
      const items: Reply[] = [];
      let at = next;
      for (let i = 0; i < n; i++) {
        const r = parseReply(buf, at);
        if (r === NEED_MORE) return NEED_MORE;
        items.push(r.value);
        at = r.end;
      }
      return { value: items, end: at };
    }
    default:
      throw new RedisReplyError(`unexpected Redis reply type "${type}"`);
  }
}

function encode(args: Arg[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = Buffer.isBuffer(a) ? a : Buffer.from(String(a));
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

const pairsToObject = (flat: unknown): Record<string, string> => {
  const out: Record<string, string> = {};
  const a = (flat as string[] | null) ?? [];
  for (let i = 0; i + 1 < a.length; i += 2) out[a[i]] = a[i + 1];
  return out;
};

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

interface Script {
  sha: string;
  lua: string;
  numberOfKeys: number;
}

export interface RedisClientOptions {
  connectionName?: string;
  /** reconnect after a lost connection (default true); off: connect() rejects on the first failure */
  retry?: boolean;
  connectTimeoutMs?: number;
}

const closedError = () => new ConnectionClosedError('Connection is closed.');

/** Arguments of a Lua script call: keys first, then values (Buffers kept, null as ""). */
function scriptArgs(script: Script, raw: unknown[]): Arg[] {
  const args = raw.length === 1 && Array.isArray(raw[0]) ? (raw[0] as unknown[]) : raw;
  const keys = args.slice(0, script.numberOfKeys).map(String);
  const argv = args
    .slice(script.numberOfKeys)
    .map((a) => (Buffer.isBuffer(a) ? a : a === undefined || a === null ? '' : String(a)));
  return [script.numberOfKeys, ...keys, ...argv];
}

export class RedisClient extends EventEmitter {
  status: 'wait' | 'connecting' | 'connect' | 'ready' | 'reconnecting' | 'end' = 'wait';
  readonly isCluster = false;
  options: Record<string, unknown>;
  private socket?: Socket;
  private buffer: Buffer = Buffer.alloc(0);
  private inFlight: Pending[] = [];
  private offline: { args: Arg[]; p: Pending }[] = [];
  private scripts = new Map<string, Script>();
  private connecting?: Promise<void>;
  private attempts = 0;
  private reconnectTimer?: NodeJS.Timeout;
  [command: string]: unknown;

  constructor(
    readonly address: RedisAddress,
    readonly opts: RedisClientOptions = {},
  ) {
    super();
    this.options = { host: address.host, port: address.port, db: address.db };
    // errors also reject the commands they hit; listeners that want them (BullMQ's) add their own
    this.on('error', () => {});
  }

  connect(): Promise<void> {
    if (this.status === 'ready') return Promise.resolve();
    if (this.status === 'end') this.status = 'wait';
    this.connecting ??= this.open().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  /** One connection attempt (and, with retry on, the next ones until one works or the client ends). */
  private open(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const attempt = () => {
        if (this.status === 'end') return reject(closedError());
        this.status = 'connecting';
        const a = this.address;
        const socket = a.tls
          ? tlsConnect({ host: a.host, port: a.port, servername: a.host })
          : netConnect(a.port, a.host);
        socket.setNoDelay(true);
        socket.setKeepAlive(true, 10_000);
        this.socket = socket;
        this.buffer = Buffer.alloc(0);
        let settled = false;
        const timer = setTimeout(
          () => socket.destroy(Object.assign(new Error('connect ETIMEDOUT'), { code: 'ETIMEDOUT' })),
          this.opts.connectTimeoutMs ?? 10_000,
        );
        socket.once(a.tls ? 'secureConnect' : 'connect', () => {
          clearTimeout(timer);
          this.status = 'connect';
          this.handshake().then(
            () => {
              settled = true;
              this.attempts = 0;
              this.status = 'ready';
              this.emit('ready');
              for (const { args, p } of this.offline.splice(0)) this.write(args, p);
              resolve();
            },
            (e: Error) => socket.destroy(e),
          );
        });
        socket.on('data', (chunk) => this.onData(chunk));
        socket.on('error', (e) => {
          if (this.status !== 'end') this.emit('error', e);
          if (!settled && this.opts.retry === false) {
            settled = true;
            reject(e);
          }
        });
        socket.once('close', () => {
          clearTimeout(timer);
          if (this.socket === socket) this.socket = undefined;
          for (const p of this.inFlight.splice(0)) p.reject(closedError());
          this.emit('close');
          if (this.status === 'end' || this.opts.retry === false) {
            this.status = 'end';
            for (const { p } of this.offline.splice(0)) p.reject(closedError());
            this.emit('end');
            if (!settled) reject(closedError());
            return;
          }
          this.status = 'reconnecting';
          this.emit('reconnecting');
          const delay = Math.min(2000, 50 * 2 ** Math.min(this.attempts++, 6));
          this.reconnectTimer = setTimeout(() => {
            this.reconnectTimer = undefined;
            if (settled) void this.connect().catch(() => {});
            else attempt();
          }, delay);
        });
      };
      attempt();
    });
  }

  private async handshake(): Promise<void> {
    const a = this.address;
    const direct = (args: Arg[]) => new Promise<unknown>((resolve, reject) => this.write(args, { resolve, reject }));
    if (a.password) await direct(a.username ? ['AUTH', a.username, a.password] : ['AUTH', a.password]);
    if (a.db) await direct(['SELECT', a.db]);
    if (this.opts.connectionName) await direct(['CLIENT', 'SETNAME', this.opts.connectionName]);
  }

  private onData(chunk: Buffer): void {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    let pos = 0;
    for (;;) {
      const r = parseReply(this.buffer, pos);
      if (r === NEED_MORE) break;
      pos = r.end;
      const p = this.inFlight.shift();
      if (!p) continue;
      if (r.value instanceof Error) p.reject(r.value);
      else p.resolve(r.value);
    }
    this.buffer = pos ? this.buffer.subarray(pos) : this.buffer;
  }

  private write(args: Arg[], p: Pending): void {
    const s = this.socket;
    if (!s || s.destroyed) return p.reject(closedError());
    this.inFlight.push(p);
    s.write(encode(args));
  }

  /** Sends a command; queued until the connection is ready. */
  call(...args: Arg[]): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const p = { resolve, reject };
      if (this.status === 'ready') this.write(args, p);
      else if (this.status === 'end') reject(closedError());
      else {
        this.offline.push({ args, p });
        if (this.status === 'wait') void this.connect().catch(() => {});
      }
    });
  }

  disconnect(reconnect = false): void {
    if (!reconnect) {
      this.status = 'end';
      if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
      for (const { p } of this.offline.splice(0)) p.reject(closedError());
      if (!this.socket) {
        setImmediate(() => {
          this.emit('close');
          this.emit('end');
        });
      }
    }
    this.socket?.destroy();
  }

  async quit(): Promise<string> {
    if (this.status === 'ready') await this.call('QUIT').catch(() => {});
    this.disconnect();
    return 'OK';
  }

  duplicate(overrides?: { connectionName?: string }): RedisClient {
    const d = new RedisClient(this.address, { ...this.opts, ...(overrides ?? {}) });
    for (const [name, s] of this.scripts) d.defineCommand(name, { numberOfKeys: s.numberOfKeys, lua: s.lua });
    return d;
  }

  defineCommand(name: string, def: { numberOfKeys: number; lua: string }): void {
    const sha = createHash('sha1').update(def.lua).digest('hex');
    this.scripts.set(name, { sha, lua: def.lua, numberOfKeys: def.numberOfKeys });
    this[name] = (...args: unknown[]) => this.runCommand(name, args);
  }

  async runCommand(name: string, args: unknown[]): Promise<unknown> {
    const script = this.scripts.get(name);
    if (!script) throw new Error(`unknown Redis script command "${name}"`);
    const rest = scriptArgs(script, args);
    try {
      return await this.call('EVALSHA', script.sha, ...rest);
    } catch (e) {
      if (e instanceof RedisReplyError && e.message.startsWith('NOSCRIPT'))
        return this.call('EVAL', script.lua, ...rest);
      throw e;
    }
  }

  multi(): RedisBatch {
    return new RedisBatch(this, this.scripts, true);
  }

  pipeline(): RedisBatch {
    return new RedisBatch(this, this.scripts, false);
  }

  // --- the commands BullMQ (and the queue) use, in ioredis' reply shapes
  async hgetall(key: string) {
    return pairsToObject(await this.call('HGETALL', key));
  }
  hget(key: string, field: string) {
    return this.call('HGET', key, field) as Promise<string | null>;
  }
  hmget(key: string, ...fields: string[]) {
    return this.call('HMGET', key, ...fields) as Promise<(string | null)[]>;
  }
  hset(key: string, data: Record<string, string | number> | string, ...rest: (string | number)[]) {
    const flat = typeof data === 'object' ? Object.entries(data).flat() : [data, ...rest];
    return this.call('HSET', key, ...flat) as Promise<number>;
  }
  hsetnx(key: string, field: string, value: string) {
    return this.call('HSETNX', key, field, value) as Promise<number>;
  }
  hdel(key: string, ...fields: string[]) {
    return this.call('HDEL', key, ...fields) as Promise<number>;
  }
  hexists(key: string, field: string) {
    return this.call('HEXISTS', key, field) as Promise<number>;
  }
  get(key: string) {
    return this.call('GET', key) as Promise<string | null>;
  }
  set(key: string, value: string | number, options?: { PX?: number; EX?: number }) {
    const extra = options?.PX != null ? ['PX', options.PX] : options?.EX != null ? ['EX', options.EX] : [];
    return this.call('SET', key, value, ...extra) as Promise<string | null>;
  }
  async del(...keys: string[]) {
    return keys.length ? ((await this.call('DEL', ...keys)) as number) : 0;
  }
  zrange(key: string, start: number, end: number, options?: { WITHSCORES?: boolean }) {
    return this.call('ZRANGE', key, start, end, ...(options?.WITHSCORES ? ['WITHSCORES'] : [])) as Promise<string[]>;
  }
  zrevrange(key: string, start: number, end: number, options?: { WITHSCORES?: boolean }) {
    return this.call('ZREVRANGE', key, start, end, ...(options?.WITHSCORES ? ['WITHSCORES'] : [])) as Promise<string[]>;
  }
  zcard(key: string) {
    return this.call('ZCARD', key) as Promise<number>;
  }
  zscore(key: string, member: string) {
    return this.call('ZSCORE', key, member) as Promise<string | null>;
  }
  zadd(key: string, ...args: (string | number)[]) {
    return this.call('ZADD', key, ...args) as Promise<number>;
  }
  zrem(key: string, ...members: string[]) {
    return this.call('ZREM', key, ...members) as Promise<number>;
  }
  lrange(key: string, start: number, end: number) {
    return this.call('LRANGE', key, start, end) as Promise<string[]>;
  }
  llen(key: string) {
    return this.call('LLEN', key) as Promise<number>;
  }
  ltrim(key: string, start: number, end: number) {
    return this.call('LTRIM', key, start, end) as Promise<string>;
  }
  lpos(key: string, value: string) {
    return this.call('LPOS', key, value) as Promise<number | null>;
  }
  lpush(key: string, ...values: string[]) {
    return this.call('LPUSH', key, ...values) as Promise<number>;
  }
  rpop(key: string) {
    return this.call('RPOP', key) as Promise<string | null>;
  }
  smembers(key: string) {
    return this.call('SMEMBERS', key) as Promise<string[]>;
  }
  sadd(key: string, ...members: (string | number)[]) {
    return this.call('SADD', key, ...members) as Promise<number>;
  }
  scard(key: string) {
    return this.call('SCARD', key) as Promise<number>;
  }
  async exists(...keys: string[]) {
    return keys.length ? ((await this.call('EXISTS', ...keys)) as number) : 0;
  }
  keys(pattern: string) {
    return this.call('KEYS', pattern) as Promise<string[]>;
  }
  incr(key: string) {
    return this.call('INCR', key) as Promise<number>;
  }
  incrby(key: string, n: number) {
    return this.call('INCRBY', key, n) as Promise<number>;
  }
  xadd(
    key: string,
    id: string,
    fields: Record<string, string | number>,
    options?: { MAXLEN?: number; approximate?: boolean },
  ) {
    const trim =
      options?.MAXLEN != null ? ['MAXLEN', ...(options.approximate === false ? [] : ['~']), options.MAXLEN] : [];
    return this.call('XADD', key, ...trim, id, ...Object.entries(fields).flat()) as Promise<string>;
  }
  xread(streams: { key: string; id: string }[], options?: { BLOCK?: number; COUNT?: number }) {
    return this.call(
      'XREAD',
      ...(options?.COUNT != null ? ['COUNT', options.COUNT] : []),
      ...(options?.BLOCK != null ? ['BLOCK', options.BLOCK] : []),
      'STREAMS',
      ...streams.map((s) => s.key),
      ...streams.map((s) => s.id),
    );
  }
  xtrim(key: string, strategy: 'MAXLEN', threshold: number, options?: { approximate?: boolean }) {
    return this.call(
      'XTRIM',
      key,
      strategy,
      ...(options?.approximate === false ? [] : ['~']),
      threshold,
    ) as Promise<number>;
  }
  xlen(key: string) {
    return this.call('XLEN', key) as Promise<number>;
  }
  xrevrange(key: string, end: string, start: string, ...rest: (string | number)[]) {
    return this.call('XREVRANGE', key, end, start, ...rest);
  }
  bzpopmin(key: string, timeout: number) {
    return this.call('BZPOPMIN', key, timeout) as Promise<[string, string, string] | null>;
  }
  info() {
    return this.call('INFO') as Promise<string>;
  }
  clientSetName(name: string) {
    return this.call('CLIENT', 'SETNAME', name);
  }
  clientList() {
    return this.call('CLIENT', 'LIST') as Promise<string>;
  }
  clientInfo() {
    return this.call('CLIENT', 'INFO') as Promise<string>;
  }
  ping() {
    return this.call('PING') as Promise<string>;
  }
  flushall() {
    return this.call('FLUSHALL');
  }
  async scan(cursor: string | number, options: { MATCH?: string; COUNT?: number }) {
    const r = (await this.call(
      'SCAN',
      cursor,
      ...(options.MATCH ? ['MATCH', options.MATCH] : []),
      ...(options.COUNT ? ['COUNT', options.COUNT] : []),
    )) as [string, string[]];
    return [String(r[0]), r[1]] as [string, string[]];
  }
  scanStream(options: { match: string; count?: number }): Readable {
    let cursor = '0';
    let finished = false;
    const stream: Readable = new Readable({
      objectMode: true,
      read: () => {
        if (finished) return;
        this.scan(cursor, { MATCH: options.match, COUNT: options.count }).then(
          ([next, keys]) => {
            cursor = next;
            finished = next === '0';
            stream.push(keys);
            if (finished) stream.push(null);
          },
          (e: Error) => stream.destroy(e),
        );
      },
    });
    return stream;
  }
}

/** A pipeline (or, with MULTI/EXEC, a transaction): commands queued, sent together by exec(). */
export class RedisBatch {
  private commands: { args: Arg[]; transform?: (v: unknown) => unknown }[] = [];
  constructor(
    private readonly client: RedisClient,
    private readonly scripts: Map<string, Script>,
    private readonly atomic: boolean,
  ) {}
  private add(args: Arg[], transform?: (v: unknown) => unknown): this {
    this.commands.push({ args, transform });
    return this;
  }
  hgetall(key: string) {
    return this.add(['HGETALL', key], pairsToObject);
  }
  hset(key: string, data: Record<string, string | number>) {
    return this.add(['HSET', key, ...Object.entries(data).flat()]);
  }
  hscan(key: string, cursor: string | number, options?: { COUNT?: number }) {
    return this.add(['HSCAN', key, cursor, ...(options?.COUNT != null ? ['COUNT', options.COUNT] : [])]);
  }
  smembers(key: string) {
    return this.add(['SMEMBERS', key]);
  }
  sscan(key: string, cursor: string | number, options?: { COUNT?: number }) {
    return this.add(['SSCAN', key, cursor, ...(options?.COUNT != null ? ['COUNT', options.COUNT] : [])]);
  }
  zrange(key: string, start: number, end: number) {
    return this.add(['ZRANGE', key, start, end]);
  }
  lrange(key: string, start: number, end: number) {
    return this.add(['LRANGE', key, start, end]);
  }
  llen(key: string) {
    return this.add(['LLEN', key]);
  }
  del(...keys: string[]) {
    return keys.length ? this.add(['DEL', ...keys]) : this;
  }
  runCommand(name: string, args: unknown[]) {
    const script = this.scripts.get(name);
    if (!script) throw new Error(`unknown Redis script command "${name}"`);
    // EVAL, not EVALSHA: a batch cannot fall back on NOSCRIPT part-way
    return this.add(['EVAL', script.lua, ...scriptArgs(script, args)]);
  }

  async exec(): Promise<[Error | null, unknown][] | null> {
    const cmds = this.commands.splice(0);
    const settle = (p: Promise<unknown>) =>
      p.then(
        (v) => [null, v] as [null, unknown],
        (e: Error) => [e, null] as [Error, null],
      );
    if (!this.atomic) {
      const results = await Promise.all(cmds.map((c) => settle(this.client.call(...c.args))));
      return results.map(([e, v], i) => (e ? [e, null] : [null, cmds[i].transform ? cmds[i].transform!(v) : v]));
    }
    const multi = this.client.call('MULTI');
    const queued = cmds.map((c) => settle(this.client.call(...c.args)));
    const exec = this.client.call('EXEC') as Promise<unknown[] | null>;
    await multi;
    await Promise.all(queued);
    const replies = await exec;
    if (!replies) return null;
    return replies.map((v, i) =>
      v instanceof Error ? [v, null] : [null, cmds[i].transform ? cmds[i].transform!(v) : v],
    );
  }
}

/**
 * A connected client, or one clear error: Redis unreachable (refused, unknown host, timeout) or
 * refusing the connection (a password is needed).
 */
export async function connectRedis(url: string, opts: RedisClientOptions = {}): Promise<RedisClient> {
  const address = parseRedisUrl(url);
  // the first connection is not retried, so that an unreachable Redis is said at once
  const client = new RedisClient(address, { ...opts, retry: false, connectTimeoutMs: opts.connectTimeoutMs ?? 5000 });
  try {
    await client.connect();
    await client.ping();
  } catch (e) {
    client.disconnect();
    const err = e as NodeJS.ErrnoException;
    const why = err.code ?? err.message;
    if (/NOAUTH|WRONGPASS|invalid password/i.test(err.message))
      throw new VantageError(
        'queue-unreachable',
        `Redis at ${redactRedisUrl(url)} refused the connection (${why})`,
        'put the right password in the URL: redis://:PASSWORD@HOST:PORT',
        { cause: e },
      );
    throw new VantageError(
      'queue-unreachable',
      `cannot reach Redis at ${redactRedisUrl(url)} (${why})`,
      'start redis-server there (e.g. redis-server --bind 127.0.0.1), or pass the right --queue redis://HOST:PORT',
      { cause: e },
    );
  }
  client.opts.retry = opts.retry ?? true;
  return client;
}
