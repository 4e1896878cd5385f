import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from 'redis';
import { z } from 'zod';
import { REPO_ROOT } from '../scripts/dev/paths';
import { createSupervisor } from '../scripts/dev/process';
import { svixHeaders } from '../scripts/webhooks/sign';
import { recreateDatabase } from '../tests/setup/global';
import { clerkId } from '../tests/support/tokens';
import { measureBundle } from './bundle';
import { apiVars } from './lib/api-vars';
import { createIdentity, provisionCaller } from './lib/identity';
import { createServices, WORK_DIR } from './lib/services';
import { median, round } from './lib/stats';
import { sequentialTrips, startTripProxy, type TripProxy } from './lib/trip-proxy';
import { RESULTS_DIR } from './report';

/**
 * `npm run bench:wan`: the API (built bundle in workerd) with delaying, trip-counting proxies in
 * front of Postgres and the Upstash-protocol endpoint (data far), then in front of the Worker itself
 * (client far, data near). For each endpoint: p50 of sequential requests, the sequential Redis and
 * Postgres trips before the response, the floor (trips x RTT) and latency / floor. Writes
 * bench/results/wan-latest.{json,md}.
 */
const settings = z
  .object({
    /** One-way delay of a far link; a round trip costs twice this. */
    BENCH_WAN_DELAY_MS: z.coerce.number().min(0).max(500).default(25),
    /** One-way delay of a near link (client-far profile: Worker next to the data). */
    BENCH_WAN_NEAR_DELAY_MS: z.coerce.number().min(0).max(50).default(1),
    /** Timed requests per endpoint (one at a time), after two untimed ones. */
    BENCH_WAN_REQUESTS: z.coerce.number().int().min(3).max(200).default(10),
    /** `1` prints each row's last request as a timeline of its trips (where the time between them goes). */
    BENCH_WAN_TIMELINE: z.enum(['0', '1']).default('0'),
  })
  .parse(process.env);

const PORTS = { workerd: 18560, upstash: 18561 } as const;
const DATABASE = 'meatymusic_bench_wan';
const WEBHOOK_SECRET = `whsec_${Buffer.from(randomUUID()).toString('base64')}`;

type Variant = 'cached' | 'uncached' | 'first-request' | '';
type Row = {
  method: string;
  path: string;
  variant: Variant;
  p50Ms: number;
  redisTrips: number;
  pgFlights: number;
  floorMs: number;
};
type RedisClient = ReturnType<typeof createClient>;
type Probe = {
  method: 'GET' | 'PUT' | 'PATCH' | 'POST';
  path: string;
  variant: Variant;
  /** Untimed preparation; returns the request to time. */
  prepare: () => Promise<{ url: string; init: RequestInit }>;
};
type Profile = { name: 'data-far' | 'client-far'; clientDelayMs: number; dataDelayMs: number };

const say = (line: string) => console.log(line);
const supervisor = createSupervisor();

await supervisor.run(async () => {
  const services = createServices(supervisor, join(WORK_DIR, 'logs', 'bench-wan'));
  const identity = createIdentity();
  say(`database ${DATABASE}, Redis, bundle`);
  const db = await recreateDatabase(DATABASE);
  const upstash = await services.redis(PORTS.upstash, `bench-wan-${randomUUID()}`);
  const redis: RedisClient = createClient({ url: upstash.redisUrl });
  await redis.connect();
  supervisor.defer('redis client', () => redis.quit());
  const bundleDir = join(WORK_DIR, 'bundle-wan');
  await measureBundle(bundleDir);

  const far = settings.BENCH_WAN_DELAY_MS;
  const profiles: Profile[] = [
    { name: 'data-far', clientDelayMs: 0, dataDelayMs: far },
    { name: 'client-far', clientDelayMs: far, dataDelayMs: settings.BENCH_WAN_NEAR_DELAY_MS },
  ];
  const results = [];
  for (const profile of profiles) {
    say(
      `profile ${profile.name}: client <-> Worker ${2 * profile.clientDelayMs} ms RTT, Worker <-> data ${2 * profile.dataDelayMs} ms RTT`,
    );
    const database = new URL(db.appUrl);
    const pg = await startTripProxy({
      target: { host: database.hostname, port: Number(database.port || 5432) },
      delayMs: profile.dataDelayMs,
      protocol: 'postgres',
    });
    const upstashUrl = new URL(upstash.url);
    const rest = await startTripProxy({
      target: { host: upstashUrl.hostname, port: Number(upstashUrl.port) },
      delayMs: profile.dataDelayMs,
      protocol: 'plain',
    });
    database.host = `127.0.0.1:${pg.port}`;
    const worker = await services.workerd({
      name: `wan-${profile.name}`,
      port: PORTS.workerd,
      bundleDir,
      databaseUrl: database.toString(),
      bindings: apiVars({
        identity,
        upstash: { url: `http://127.0.0.1:${rest.port}`, token: upstash.token },
        otlpEndpoint: null,
        extra: { CLERK_WEBHOOK_SECRET: WEBHOOK_SECRET },
      }),
    });
    const client = await startTripProxy({
      target: { host: '127.0.0.1', port: PORTS.workerd },
      delayMs: profile.clientDelayMs,
      protocol: 'plain',
    });
    try {
      const base = `http://127.0.0.1:${client.port}`;
      const rows = await measureProfile(base, profile, { pg, rest }, redis, identity);
      results.push({ name: profile.name, rows });
    } finally {
      await client.close();
      await worker.stop();
      await pg.close();
      await rest.close();
    }
  }

  const rttMs = 2 * far;
  const json = {
    rttMs,
    profiles: results.map((p) => ({ name: p.name, endpoints: p.rows.map(({ row }) => row) })),
  };
  mkdirSync(RESULTS_DIR, { recursive: true });
  const files = [join(RESULTS_DIR, 'wan-latest.json'), join(RESULTS_DIR, 'wan-latest.md')];
  writeFileSync(files[0] as string, `${JSON.stringify(json, null, 2)}\n`);
  writeFileSync(files[1] as string, markdown(profiles, results));
  say(`report: ${files.map((f) => relative(REPO_ROOT, f)).join(', ')}`);
});

async function measureProfile(
  base: string,
  profile: Profile,
  proxies: { pg: TripProxy; rest: TripProxy },
  redis: RedisClient,
  identity: ReturnType<typeof createIdentity>,
) {
  const caller = await provisionCaller(base, identity, { seconds: 3_600 });
  const auth = { Authorization: `Bearer ${caller.token}` };
  const json = { ...auth, 'Content-Type': 'application/json' };
  let n = 0;
  const get =
    (path: string, headers: Record<string, string> = auth) =>
    async () => ({ url: `${base}${path}`, init: { headers } });
  const send =
    (method: Probe['method'], path: string, headers: Record<string, string>, body: () => unknown) => async () => ({
      url: `${base}${path}`,
      init: { method, headers, body: JSON.stringify(body()) },
    });
  const probes: Probe[] = [
    { method: 'GET', path: '/healthz', variant: '', prepare: get('/healthz', {}) },
    { method: 'GET', path: '/readyz', variant: '', prepare: get('/readyz', {}) },
    { method: 'GET', path: '/v1/me', variant: '', prepare: get('/v1/me') },
    {
      method: 'GET',
      path: '/v1/me',
      variant: 'first-request',
      prepare: async () => ({
        url: `${base}/v1/me`,
        init: { headers: { Authorization: `Bearer ${await identity.token(clerkId('user'), null, 600)}` } },
      }),
    },
    { method: 'GET', path: '/v1/tenant', variant: '', prepare: get('/v1/tenant') },
    {
      method: 'PATCH',
      path: '/v1/tenant',
      variant: '',
      prepare: send('PATCH', '/v1/tenant', json, () => ({ name: `Bench ${++n}` })),
    },
    { method: 'GET', path: '/v1/users', variant: '', prepare: get('/v1/users') },
    { method: 'GET', path: '/v1/users/{id}', variant: '', prepare: get(`/v1/users/${caller.userId}`) },
    { method: 'GET', path: '/v1/preferences', variant: 'cached', prepare: get('/v1/preferences') },
    {
      method: 'GET',
      path: '/v1/preferences',
      variant: 'uncached',
      prepare: async () => {
        // The API's preferences cache key (worker/preferences/cache.ts), dropped so the read is a miss.
        for (const key of await redis.keys(`mm:t:${caller.tenantId}:prefs:*`)) await redis.del(key);
        return { url: `${base}/v1/preferences`, init: { headers: auth } };
      },
    },
    {
      method: 'PUT',
      path: '/v1/preferences',
      variant: '',
      prepare: send('PUT', '/v1/preferences', json, () => ({ preferences: { default_bpm: 20 + (++n % 281) } })),
    },
    {
      method: 'PATCH',
      path: '/v1/preferences',
      variant: '',
      prepare: send('PATCH', '/v1/preferences', { ...auth, 'Content-Type': 'application/merge-patch+json' }, () => ({
        default_bpm: 20 + (++n % 281),
      })),
    },
    {
      method: 'POST',
      path: '/v1/webhooks/clerk',
      variant: '',
      prepare: async () => {
        const org = clerkId('org');
        const body = JSON.stringify({
          type: 'organization.created',
          timestamp: Date.now(),
          data: { id: org, name: 'Bench', slug: org.toLowerCase() },
        });
        return {
          url: `${base}/v1/webhooks/clerk`,
          init: { method: 'POST', body, headers: svixHeaders(WEBHOOK_SECRET, body) },
        };
      },
    },
  ];

  const dataRtt = 2 * profile.dataDelayMs;
  const clientRtt = 2 * profile.clientDelayMs;
  // Long enough for work after the response (waitUntil) to finish before the next request starts.
  const quiet = () => sleep(Math.max(50, 4 * Math.max(dataRtt, clientRtt)));
  const rows = [];
  for (const probe of probes) {
    const samples: { ms: number; redis: number; pg: number; both: number; status: number }[] = [];
    for (let i = 0; i < settings.BENCH_WAN_REQUESTS + 2; i++) {
      // Quiet first: the previous request's work after the response (a cache fill) must not land
      // after this one's preparation (which, for the uncached read, drops the cache entry).
      await quiet();
      const { url, init } = await probe.prepare();
      proxies.pg.clear();
      proxies.rest.clear();
      const from = performance.now();
      const response = await fetch(url, init);
      await response.arrayBuffer();
      const to = performance.now();
      if (i < 2) continue;
      if (settings.BENCH_WAN_TIMELINE === '1' && i === settings.BENCH_WAN_REQUESTS + 1) {
        const at = (t: number) => (t - from).toFixed(1);
        const trips = [
          ...proxies.rest.trips().map((t) => ({ ...t, kind: 'redis' })),
          ...proxies.pg.trips().map((t) => ({ ...t, kind: 'pg' })),
        ].sort((a, b) => a.start - b.start);
        say(`  timeline ${probe.method} ${probe.path} ${probe.variant}: response at ${at(to)} ms`);
        for (const t of trips) say(`    ${t.kind.padEnd(5)} ${at(t.start)} -> ${at(t.end)}`);
      }
      samples.push({
        ms: to - from,
        redis: sequentialTrips(proxies.rest.trips(), from, to),
        pg: sequentialTrips(proxies.pg.trips(), from, to),
        // A Redis call and a Postgres flight in parallel cost one round trip, not two.
        both: sequentialTrips([...proxies.rest.trips(), ...proxies.pg.trips()], from, to),
        status: response.status,
      });
    }
    const redisTrips = Math.round(median(samples.map((s) => s.redis)));
    const pgFlights = Math.round(median(samples.map((s) => s.pg)));
    const row: Row = {
      method: probe.method,
      path: probe.path,
      variant: probe.variant,
      p50Ms: round(median(samples.map((s) => s.ms))),
      redisTrips,
      pgFlights,
      floorMs: clientRtt + Math.round(median(samples.map((s) => s.both))) * dataRtt,
    };
    const statuses = [...new Set(samples.map((s) => s.status))];
    say(
      `  ${row.method} ${row.path} ${row.variant}: p50 ${row.p50Ms} ms, ${redisTrips} Redis + ${pgFlights} Postgres, floor ${row.floorMs} ms (status ${statuses.join(', ')})`,
    );
    rows.push({ row, statuses });
  }
  return rows;
}

function markdown(profiles: Profile[], results: { name: string; rows: { row: Row; statuses: number[] }[] }[]) {
  const sections = results.map((result) => {
    const profile = profiles.find((p) => p.name === result.name) as Profile;
    const lines = result.rows.map(({ row, statuses }) => {
      const ratio = row.floorMs > 0 ? `${round(row.p50Ms / row.floorMs, 2)}x` : '-';
      return `| ${row.method} ${row.path} | ${row.variant || '-'} | ${row.p50Ms} | ${row.redisTrips} | ${row.pgFlights} | ${row.floorMs} | ${ratio} | ${statuses.join(', ')} |`;
    });
    return `## ${profile.name}: client <-> Worker ${2 * profile.clientDelayMs} ms RTT, Worker <-> Redis and Postgres ${2 * profile.dataDelayMs} ms RTT

| endpoint | variant | p50 ms | Redis trips | Postgres flights | floor ms | p50 / floor | status |
| --- | --- | --- | --- | --- | --- | --- | --- |
${lines.join('\n')}
`;
  });
  return `# Round trips at a distance (npm run bench:wan)

${new Date().toISOString()}. The API's built bundle in workerd (Miniflare); trip-counting proxies that add
${settings.BENCH_WAN_DELAY_MS} ms each way on a far link (${settings.BENCH_WAN_NEAR_DELAY_MS} ms on a near one) in front of Postgres and of the
Upstash-protocol endpoint, and in the client-far profile in front of the Worker. ${settings.BENCH_WAN_REQUESTS} timed requests per
row, one at a time, each on the Worker's own fresh database connection. Trips are the sequential ones
before the response (overlapping calls count once; work after the response does not count); the
Postgres startup handshake is neither delayed nor counted (Hyperdrive answers it next to the Worker).
Floor = client RTT + data RTT x the sequential trips of Redis and Postgres together (a Redis call and a
Postgres flight side by side count once, so the floor can be below (Redis trips + Postgres flights) x RTT).

${sections.join('\n')}`;
}
