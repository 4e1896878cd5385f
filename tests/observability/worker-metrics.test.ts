import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type OtlpReceiver, type ReceivedMetricPoint, startOtlpReceiver } from '../../scripts/otlp-receiver';
import { svixHeaders } from '../../scripts/webhooks/sign';
import { freePort } from './support/ports';
import { type RunningApi, startApi } from './support/wrangler-api';

/**
 * The Worker as deployed code runs it, under wrangler dev, with traces sampled at ratio 0 and a Redis
 * that the test can make hang: known traffic goes in, and the exact counts and histogram buckets
 * that reach a real OTLP receiver are checked, then the same numbers in its Prometheus scrape.
 */

const hex = (bytes: number) => randomBytes(bytes).toString('hex');
const run = hex(4);
const org = `org_metrics_${run}`;
const users = { a: `user_ma_${run}`, b: `user_mb_${run}`, c: `user_mc_${run}` };
const webhookSecret = `whsec_${randomBytes(24).toString('base64')}`;

let receiver: OtlpReceiver;
let redis: ControllableUpstash;
let api: RunningApi;

beforeAll(async () => {
  receiver = await startOtlpReceiver({ port: await freePort(18280, 18284) });
  redis = await controllableUpstash(inject('upstashUrl'));
  api = await startApi({
    port: await freePort(18285, 18289),
    inspectorPort: await freePort(18290, 18294),
    appDatabaseUrl: inject('appDatabaseUrl'),
    vars: {
      ENVIRONMENT: 'development',
      DEV_AUTH_BYPASS: 'true',
      DEV_ORG_ID: org,
      LOG_LEVEL: 'warn',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      // Nothing is sampled unless the caller says so (trusted here, as a gateway would be): metrics
      // must not depend on it.
      OTEL_SAMPLE_RATIO: '0',
      OTEL_TRUST_PARENT_SAMPLING: 'true',
      OTEL_METRIC_EXPORT_INTERVAL: '200',
      UPSTASH_REDIS_REST_URL: redis.url,
      UPSTASH_REDIS_REST_TOKEN: inject('upstashToken'),
      REDIS_TIMEOUT_MS: '300',
      RATE_LIMIT_USER_PER_MINUTE: '3',
      CLERK_WEBHOOK_SECRET: webhookSecret,
    },
  });
});

afterAll(async () => {
  await api?.stop();
  await redis?.close();
  await receiver?.close();
});

/** A traceparent whose flags say "not sampled" (00) or "sampled" (01). */
const traceparent = (sampled: boolean) => {
  const traceId = hex(16);
  return { traceId, header: `00-${traceId}-${hex(8)}-${sampled ? '01' : '00'}` };
};

async function call(path: string, init: { user?: string; sampled?: boolean } & RequestInit = {}) {
  const { user, sampled = false, ...rest } = init;
  const tp = traceparent(sampled);
  const headers = new Headers(rest.headers);
  headers.set('traceparent', tp.header);
  if (user) headers.set('X-Dev-User', user);
  const res = await fetch(`${api.url}${path}`, { ...rest, headers });
  const body = await res.text();
  return { status: res.status, body, traceId: tp.traceId };
}

describe('metrics exported from the Worker', () => {
  it('counts every request exactly, sampled or not, with its dependencies, cache, limits, auth and webhooks', async () => {
    const sent: { status: number; traceId: string }[] = [];
    const send = async (path: string, init: Parameters<typeof call>[1], expected: number) => {
      const r = await call(path, init);
      expect(r.status, `${path}: ${r.body}`).toBe(expected);
      sent.push(r);
      return r;
    };

    // User A: three allowed, the fourth over the per-user limit of 3.
    const first = await send('/v1/me', { user: users.a }, 200);
    const tenantId = (JSON.parse(first.body) as { tenant: { id: string } }).tenant.id;
    await send('/v1/me', { user: users.a }, 200);
    await send('/v1/me', { user: users.a }, 200);
    await send('/v1/me', { user: users.a }, 429);
    // User B: one sampled request, a cached read, a write.
    const sampled = await send('/v1/me', { user: users.b, sampled: true }, 200);
    await send('/v1/preferences', { user: users.b }, 200);
    await send(
      '/v1/preferences',
      {
        user: users.b,
        method: 'PATCH',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ theme: 'dark' }),
      },
      200,
    );
    // No credentials at all.
    await send('/v1/me', {}, 401);
    // User C while Redis hangs: the cache read times out (300 ms), the rest of the request goes without Redis.
    redis.hang(true);
    await send('/v1/me', { user: users.c }, 200);
    redis.hang(false);
    // Clerk webhooks: one forged, one signed (an event type we do not handle).
    await send(
      '/v1/webhooks/clerk',
      { method: 'POST', headers: svixHeaders('whsec_Zm9yZ2VkIHNlY3JldA==', '{}'), body: '{}' },
      401,
    );
    const event = JSON.stringify({ type: 'session.created', data: {} });
    await send('/v1/webhooks/clerk', { method: 'POST', headers: svixHeaders(webhookSecret, event), body: event }, 200);

    const requests = sent.length;
    await receiver.waitForMetrics((points) => httpCount(points) >= requests, 15_000);
    // Give a straggling earlier export (if any) the chance to land before the exact comparison.
    await expect
      .poll(() => summary(receiver.metricPoints(), tenantId), { timeout: 5_000 })
      .toEqual({
        'http.server.request.duration': {
          'GET /v1/me 200': 5,
          'GET /v1/me 401': 1,
          'GET /v1/me 429': 1,
          'GET /v1/preferences 200': 1,
          'PATCH /v1/preferences 200': 1,
          'POST /v1/webhooks/clerk 200': 1,
          'POST /v1/webhooks/clerk 401': 1,
        },
        'db.client.operation.duration': {
          'postgresql writeTenant': 4, // A, B and C provisioned; B's write
          'postgresql readTenant': 6, // five /v1/me answers, one preferences read
          // One MGET per authenticated request (membership, and the preferences with it), beside the limit.
          'redis cache.read_ahead': 7,
          'redis cache.read_ahead timeout': 1, // C's, in flight with its limit when Redis hung
          'redis cache.set': 3, // after each miss
          'redis ratelimit': 7, // every authenticated request but C's...
          'redis ratelimit timeout': 1, // ...which timed out with its read-ahead
          'redis cache.invalidate': 1,
        },
        'meatymusic.dependency.bypasses': { 'redis timeout': 2 },
        'meatymusic.cache.lookups': {
          // The 429 is refused before tenant resolution: no lookup for it.
          'membership hit': 4,
          'membership miss': 2,
          'membership bypassed': 1,
          'prefs miss': 1,
        },
        'meatymusic.ratelimit.decisions': {
          'client allowed': 11, // every /v1 request, before anything else
          'user allowed': 6,
          'user rejected': 1,
          'user bypassed': 1,
          'tenant allowed': 7,
          'tenant bypassed': 1,
        },
        'meatymusic.auth.failures': { unauthorized: 1, invalid_signature: 1 },
        'meatymusic.webhook.deliveries': { 'clerk accepted': 1, 'clerk invalid_signature': 1 },
        'meatymusic.tenant.requests': { [tenantId]: 7 }, // all but the 429, refused before its tenant is known
        'meatymusic.tenant.writes': { [tenantId]: 1 },
      });

    const points = receiver.metricPoints();
    for (const p of points) {
      expect(p.temporality).toBe('delta');
      expect(p.resource).toMatchObject({
        'service.name': 'meatymusic-api',
        'deployment.environment.name': 'development',
        'service.instance.id': expect.stringMatching(/^[0-9a-f-]{36}$/),
      });
      expect(BigInt(p.timeUnixNano)).toBeGreaterThan(BigInt(p.startTimeUnixNano));
      if (p.kind === 'histogram') expect(p.bucketCounts?.reduce((a, b) => a + b, 0)).toBe(p.count);
    }

    // Buckets: the 401 does no I/O and lands in one of the fast ones (how fast depends on the machine's
    // load, so not which); the hung Redis calls (the read-ahead and the limit, in flight together) in
    // (0.25 s, 0.5 s], where REDIS_TIMEOUT_MS puts them.
    const refused = buckets(points, 'http.server.request.duration', {
      'http.response.status_code': 401,
      'http.request.method': 'GET',
    });
    expect(refused.bounds).toEqual([0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10]);
    expect(refused.counts.slice(0, 7).reduce((a, b) => a + b, 0)).toBe(1); // <= 0.25 s
    expect(refused.counts.slice(7).every((n) => n === 0)).toBe(true);
    const timedOut = buckets(points, 'db.client.operation.duration', { 'error.type': 'timeout' });
    expect(timedOut).toEqual({
      bounds: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      counts: [0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0],
    });

    // Sampling: the one sampled request's trace arrived, and nothing of the others.
    await receiver.waitForSpans((s) => s.traceId === sampled.traceId);
    const traced = new Set(receiver.spans().map((s) => s.traceId));
    expect(sent.filter((r) => traced.has(r.traceId)).map((r) => r.traceId)).toEqual([sampled.traceId]);

    // The same numbers, summed up, in the receiver's Prometheus scrape, which promtool accepts.
    const scrape = receiver.prometheusText();
    expect(
      sample(scrape, 'http_server_request_duration_seconds_count', {
        http_route: '/v1/me',
        http_response_status_code: '429',
      }),
    ).toBe(1);
    expect(
      sample(scrape, 'http_server_request_duration_seconds_bucket', {
        http_route: '/v1/me',
        http_response_status_code: '401',
        le: '0.25',
      }),
    ).toBe(1);
    expect(
      sample(scrape, 'meatymusic_ratelimit_decisions_total', {
        rate_limit_scope: 'user',
        rate_limit_decision: 'rejected',
      }),
    ).toBe(1);
    expect(
      sample(scrape, 'meatymusic_dependency_bypasses_total', { db_system_name: 'redis', bypass_reason: 'timeout' }),
    ).toBe(2);
    expect(sample(scrape, 'meatymusic_tenant_requests_total', { tenant_id: tenantId })).toBe(7);
    const promtool = spawnSync('promtool', ['check', 'metrics'], { input: scrape, encoding: 'utf8' });
    if (!promtool.error) expect(promtool.status, promtool.stderr + promtool.stdout).toBe(0);
  });
});

type Attrs = Record<string, unknown>;

const httpCount = (points: ReceivedMetricPoint[]) =>
  points
    .filter((p) => p.name === 'http.server.request.duration' && p.attributes['http.route'] !== '/healthz')
    .reduce((n, p) => n + (p.count ?? 0), 0);

/** Every delta point added up per metric and series, keyed the way the expectations read. */
function summary(points: ReceivedMetricPoint[], tenantId: string) {
  const out: Record<string, Record<string, number>> = {};
  const add = (metric: string, key: string, n: number) => {
    out[metric] ??= {};
    out[metric][key] = (out[metric][key] ?? 0) + n;
  };
  for (const p of points) {
    const a = p.attributes as Attrs;
    const n = p.count ?? p.value ?? 0;
    switch (p.name) {
      case 'http.server.request.duration':
        if (a['http.route'] !== '/healthz') {
          add(p.name, `${a['http.request.method']} ${a['http.route']} ${a['http.response.status_code']}`, n);
        }
        break;
      case 'db.client.operation.duration':
        add(p.name, [a['db.system.name'], a['db.operation.name'], a['error.type']].filter(Boolean).join(' '), n);
        break;
      case 'meatymusic.dependency.bypasses':
        add(p.name, `${a['db.system.name']} ${a['bypass.reason']}`, n);
        break;
      case 'meatymusic.cache.lookups':
        add(p.name, `${a['cache.name']} ${a['cache.result']}`, n);
        break;
      case 'meatymusic.ratelimit.decisions':
        add(p.name, `${a['rate_limit.scope']} ${a['rate_limit.decision']}`, n);
        break;
      case 'meatymusic.auth.failures':
        add(p.name, String(a['auth.failure.reason']), n);
        break;
      case 'meatymusic.webhook.deliveries':
        add(p.name, `${a['webhook.source']} ${a['webhook.outcome']}`, n);
        break;
      case 'meatymusic.tenant.requests':
      case 'meatymusic.tenant.writes':
        if (a['tenant.id'] === tenantId) add(p.name, tenantId, n);
        break;
      default:
        add(p.name, JSON.stringify(a), n);
    }
  }
  return out;
}

/** One histogram series' buckets, summed over its delta points. */
function buckets(points: ReceivedMetricPoint[], name: string, match: Attrs) {
  const series = points.filter(
    (p) => p.name === name && Object.entries(match).every(([k, v]) => p.attributes[k] === v),
  );
  expect(series.length).toBeGreaterThan(0);
  const counts: number[] = [];
  for (const p of series) {
    p.bucketCounts?.forEach((n, i) => {
      counts[i] = (counts[i] ?? 0) + n;
    });
  }
  return { bounds: series[0]?.explicitBounds, counts };
}

/** The value of the one sample of `name` whose labels include `labels`, from Prometheus text. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const found = text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`))
    .filter((line) => Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)));
  expect(found, `${name} ${JSON.stringify(labels)}`).toHaveLength(1);
  return Number(found[0]?.split(' ').at(-1));
}

const HOP_HEADERS = new Set(['host', 'connection', 'content-length', 'transfer-encoding']);

type ControllableUpstash = { url: string; hang(on: boolean): void; close(): Promise<void> };

/** The suite's Upstash endpoint behind a pass-through that can be told to hold every request unanswered. */
async function controllableUpstash(upstream: string): Promise<ControllableUpstash> {
  let hanging = false;
  const sockets = new Set<Socket>();
  const server: Server = createServer(async (req: IncomingMessage, res) => {
    if (hanging) return; // the Worker's budget (REDIS_TIMEOUT_MS) gives up first
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers))
      if (typeof v === 'string' && !HOP_HEADERS.has(k)) headers.set(k, v);
    const reply = await fetch(`${upstream}${req.url}`, { method: req.method, headers, body: Buffer.concat(chunks) });
    res.writeHead(reply.status, { 'Content-Type': reply.headers.get('content-type') ?? 'application/json' });
    res.end(Buffer.from(await reply.arrayBuffer()));
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hang: (on) => {
      hanging = on;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
