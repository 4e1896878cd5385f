import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { createClient, ErrorReply, RESP_TYPES } from 'redis';
import { BadCommand, type Command, parseBatch, parseCommand, refusal } from './upstash/commands';
import { type Encoded, encodeReply, type Reply } from './upstash/encode';
import { ScriptHashes } from './upstash/scripts';

/**
 * A local stand-in for Upstash's REST endpoint over a real Redis, for dev, tests and docker-compose
 * (which runs this file as its `upstash` service). It speaks what `@upstash/redis` speaks:
 * `POST /` with one command, `POST /pipeline` and `POST /multi-exec` with several, bearer token,
 * optional base64 replies, `{result}`/`{error}` bodies and the service's status codes.
 */

export interface UpstashEndpointOptions {
  /** 0 picks a free port. */
  port: number;
  host?: string;
  redisUrl: string;
  token: string;
  /** How long start-up waits for a first Redis connection before serving 503s until Redis appears. */
  waitForRedisMs?: number;
  log?: (line: string) => void;
}

export interface UpstashEndpoint {
  url: string;
  token: string;
  close(): Promise<void>;
}

type Entry = { result: Encoded } | { error: string };
type Answer = { status: number; body: Entry | Entry[] };

/** Redis itself cannot be reached: the caller gets a 5xx, never a half-answered batch. */
class RedisUnavailable extends Error {}

const MAX_BODY_BYTES = 10 * 1024 * 1024;
const BINARY = { typeMapping: { [RESP_TYPES.BLOB_STRING]: Buffer } } as const;

export async function startUpstashEndpoint({
  port,
  host = '127.0.0.1',
  redisUrl,
  token,
  waitForRedisMs = 2_000,
  log = (line) => console.error(`[upstash-endpoint] ${line}`),
}: UpstashEndpointOptions): Promise<UpstashEndpoint> {
  const redis = createClient({
    url: redisUrl,
    // Upstash answers in RESP2 shapes (HGETALL is a flat array); node-redis 6 would default to RESP3 maps.
    RESP: 2,
    // Fail fast while Redis is away (the caller sees a 503) instead of queueing until it returns.
    disableOfflineQueue: true,
    socket: { connectTimeout: 1_000, reconnectStrategy: (retries) => Math.min(50 * 2 ** retries, 1_000) },
  });
  let down = false;
  redis.on('error', (error: Error) => {
    if (!down) log(`Redis at ${redisUrl} unavailable: ${error.message}`);
    down = true;
  });
  redis.on('ready', () => {
    if (down) log(`Redis at ${redisUrl} is back`);
    down = false;
  });
  const connected = redis.connect().catch(() => {});

  const scripts = new ScriptHashes();
  let syncToken = 0;

  async function run(command: Command): Promise<Reply> {
    const translated = scripts.translate(command);
    return translated.reply(await send(translated.command));
  }

  async function send(command: Command): Promise<Reply> {
    try {
      return (await redis.sendCommand(command, BINARY)) as Reply;
    } catch (error) {
      if (error instanceof ErrorReply) return error;
      throw new RedisUnavailable(error instanceof Error ? error.message : String(error));
    }
  }

  const entry = (reply: Reply, base64: boolean): Entry =>
    reply instanceof Error ? { error: reply.message } : { result: encodeReply(reply, base64) };

  async function single(body: unknown, base64: boolean): Promise<Answer> {
    const command = parseCommand(body);
    const refused = refusal(command);
    if (refused) return { status: 400, body: { error: refused } };
    const reply = await run(command);
    return { status: reply instanceof Error ? 400 : 200, body: entry(reply, base64) };
  }

  async function pipeline(body: unknown, base64: boolean): Promise<Answer> {
    const commands = parseBatch(body);
    // Sent together on one connection, so Redis runs them in order; others' commands may interleave.
    const replies = await Promise.all(
      commands.map((command) => {
        const refused = refusal(command);
        return refused ? new ErrorReply(refused) : run(command);
      }),
    );
    return { status: 200, body: replies.map((reply) => entry(reply, base64)) };
  }

  async function multiExec(body: unknown, base64: boolean): Promise<Answer> {
    const commands = parseBatch(body);
    const refused = commands.map(refusal).find(Boolean);
    if (refused) return { status: 400, body: { error: refused } };
    // One chain is written to the connection without anything in between: MULTI ... EXEC.
    const chainId = Symbol('multi-exec');
    const translated = commands.map((command) => scripts.translate(command));
    const queued = [['MULTI'], ...translated.map((t) => t.command), ['EXEC']].map((command) =>
      redis.sendCommand(command, { chainId, ...BINARY }),
    );
    const settled = await Promise.allSettled(queued);
    const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failure && !(failure.reason instanceof ErrorReply)) throw new RedisUnavailable(String(failure.reason));
    // A command refused while queueing discards the whole transaction: one error, as the service does.
    if (failure) return { status: 400, body: { error: (failure.reason as Error).message } };
    const replies = (settled.at(-1) as PromiseFulfilledResult<unknown>).value as Reply[];
    return { status: 200, body: translated.map((t, i) => entry(t.reply(replies[i] ?? null), base64)) };
  }

  const routes: Record<string, (body: unknown, base64: boolean) => Promise<Answer>> = {
    '/': single,
    '/pipeline': pipeline,
    '/multi-exec': multiExec,
  };

  async function answer(req: IncomingMessage): Promise<Answer> {
    const url = new URL(req.url ?? '/', 'http://endpoint');
    if (req.method !== 'POST') return { status: 405, body: { error: 'ERR only POST is supported here' } };
    if (!authorized(bearer(req.headers.authorization) ?? url.searchParams.get('_token'), token)) {
      return { status: 401, body: { error: 'WRONGPASS invalid or missing auth token' } };
    }
    const route = routes[url.pathname];
    if (!route) return { status: 404, body: { error: `ERR path-style commands are not supported: ${url.pathname}` } };
    const raw = await readBody(req);
    if (raw === null) return { status: 400, body: { error: 'ERR max request size exceeded' } };
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      return { status: 400, body: { error: 'ERR failed to parse command' } };
    }
    const base64 = req.headers['upstash-encoding']?.toString().toLowerCase() === 'base64';
    try {
      return await route(body, base64);
    } catch (error) {
      if (error instanceof BadCommand) return { status: 400, body: { error: error.message } };
      if (error instanceof RedisUnavailable)
        return { status: 503, body: { error: `ERR Redis unavailable: ${error.message}` } };
      throw error;
    }
  }

  const server = createServer((req, res) => {
    answer(req).then(
      (a) => reply(res, a, ++syncToken),
      (error) => reply(res, { status: 500, body: { error: `ERR internal: ${String(error)}` } }, ++syncToken),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  await Promise.race([connected, new Promise((resolve) => setTimeout(resolve, waitForRedisMs).unref())]);
  if (!redis.isReady) log(`Redis at ${redisUrl} is not reachable yet; answering 503 until it is`);

  const address = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`,
    token,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      redis.destroy();
      await connected;
    },
  };
}

function reply(res: ServerResponse, { status, body }: Answer, syncToken: number) {
  res.writeHead(status, {
    'Content-Type': 'application/json',
    // Read-your-writes: one Redis is always consistent with itself, but the client expects a token back.
    'upstash-sync-token': String(syncToken),
  });
  res.end(JSON.stringify(body));
}

function bearer(header: string | undefined) {
  return header?.match(/^Bearer (\S+)$/)?.[1] ?? null;
}

function authorized(given: string | null, expected: string) {
  if (!given) return false;
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** The body as text, or null when it is over the size limit (read to the end all the same, so we can answer). */
async function readBody(req: IncomingMessage): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= MAX_BODY_BYTES) chunks.push(chunk);
  }
  return size > MAX_BODY_BYTES ? null : Buffer.concat(chunks).toString('utf8');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { localEnv } = await import('./local-env');
  const env = localEnv();
  const endpoint = await startUpstashEndpoint({
    port: env.UPSTASH_ENDPOINT_PORT,
    host: env.UPSTASH_ENDPOINT_HOST,
    redisUrl: env.REDIS_URL,
    token: env.UPSTASH_TOKEN,
  });
  console.log(`Upstash-protocol endpoint on ${endpoint.url} -> ${env.REDIS_URL}`);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => endpoint.close().then(() => process.exit(0)));
  }
}
