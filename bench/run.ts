import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { createSupervisor } from '../scripts/dev/process';
import { recreateDatabase } from '../tests/setup/global';
import { spanBreakdown } from './breakdown';
import { measureBundle, measureStartup } from './bundle';
import { apiVars } from './lib/api-vars';
import type { Target } from './lib/cannon';
import { createIdentity, provisionCaller } from './lib/identity';
import { createServices, type Served, WORK_DIR } from './lib/services';
import { type Cost, costPerRequest } from './per-request';
import { type CpuProfile, profileRequests } from './profile';
import { type EndpointCost, environmentFacts, writeReport } from './report';
import { measureRoundTrips } from './round-trips';
import { buildSite, pageScripts, runLighthouse } from './site';

/**
 * `npm run bench`: starts its own database, Redis, OTLP receiver, the built Worker in workerd and the
 * pooled Node peer, measures, writes bench/results/latest.{md,json}, and stops everything it started
 * (also on failure and Ctrl-C).
 */
const settings = z
  .object({
    /** Counted requests per endpoint and server (1 connection), after the warm-up ones. */
    BENCH_REQUESTS: z.coerce.number().int().min(50).max(100_000).default(2_000),
    BENCH_WARMUP_REQUESTS: z.coerce.number().int().min(1).max(10_000).default(200),
    BENCH_STARTUP_RUNS: z.coerce.number().int().min(1).max(25).default(7),
    /** Requests sampled by V8's profiler per profiled read (an unminified build; 0 skips profiling). */
    BENCH_PROFILE_REQUESTS: z.coerce.number().int().min(0).max(20_000).default(500),
    /** `off` skips the site build and Lighthouse (a quicker run of the API figures only). */
    BENCH_SITE: z.enum(['on', 'off']).default('on'),
  })
  .parse(process.env);

const PORTS = { workerd: 18540, upstash: 18541, otlp: 18542, site: 18543, peer: 18544, inspector: 18545 } as const;
/** What workerd (and Miniflare's entry Worker in front of it) costs for a request that does nothing. */
const TRIVIAL_WORKER = 'export default { fetch() { return Response.json({ status: "ok" }); } };';
const DATABASE = 'meatymusic_bench';
const SITE_URL = `http://127.0.0.1:${PORTS.site}`;
const DASHBOARD_USER = 'user_bench_dashboard';

const say = (line: string) => console.log(line);
const supervisor = createSupervisor();
const started = performance.now();
const step = (name: string) => say(`[${((performance.now() - started) / 1000).toFixed(0).padStart(3)} s] ${name}`);

type Endpoint = { name: string; instance: 'cached' | 'uncached'; target: (base: string) => Target };

await supervisor.run(async () => {
  const facts = environmentFacts();
  const services = createServices(supervisor, join(WORK_DIR, 'logs', 'bench'));
  const identity = createIdentity();

  step(`database ${DATABASE}: recreating and migrating`);
  const db = await recreateDatabase(DATABASE);
  step('redis + Upstash-protocol endpoint, OTLP receiver');
  const upstash = await services.redis(PORTS.upstash, `bench-${randomUUID()}`);
  const otlp = await services.otlpReceiver(PORTS.otlp);

  // Builds and cold starts first, while nothing else competes for the CPU.
  const bundleDir = join(WORK_DIR, 'bundle');
  step('worker bundle (wrangler deploy --dry-run --outdir)');
  const bundle = await measureBundle(bundleDir);
  step(`startup: ${settings.BENCH_STARTUP_RUNS} cold starts each of the API bundle and a trivial Worker`);
  const startup = await measureStartup(bundleDir, settings.BENCH_STARTUP_RUNS);

  const workerd = (name: string, vars: Record<string, string>) =>
    services.workerd({ name, port: PORTS.workerd, bundleDir, databaseUrl: db.appUrl, bindings: vars });
  const common = { identity, upstash };
  const configs = {
    untraced: { otlpEndpoint: null },
    traced: { otlpEndpoint: otlp, extra: { OTEL_SAMPLE_RATIO: '1' } },
  } as const;

  step('bench user: provisioned by the API (workerd), preferences row written');
  const first = await workerd('provision', apiVars({ ...common, otlpEndpoint: null }));
  const caller = await provisionCaller(first.url, identity, { seconds: 3_600 });
  const auth = { Authorization: `Bearer ${caller.token}` };
  const seeded = await fetch(`${first.url}/v1/preferences`, {
    method: 'PATCH',
    headers: { ...auth, 'Content-Type': 'application/merge-patch+json' },
    body: JSON.stringify({ theme: 'dark', default_genre: 'bench' }),
  });
  if (!seeded.ok) throw new Error(`seeding preferences -> ${seeded.status}: ${await seeded.text()}`);
  await first.stop();

  let writes = 0;
  const endpoints: Endpoint[] = [
    { name: 'GET /healthz', instance: 'cached', target: (base) => ({ url: `${base}/healthz` }) },
    {
      name: 'GET /v1/preferences (cached)',
      instance: 'cached',
      target: (base) => ({ url: `${base}/v1/preferences`, headers: auth }),
    },
    {
      name: 'GET /v1/preferences (uncached)',
      instance: 'uncached',
      target: (base) => ({ url: `${base}/v1/preferences`, headers: auth }),
    },
    { name: 'GET /v1/me', instance: 'cached', target: (base) => ({ url: `${base}/v1/me`, headers: auth }) },
    {
      name: 'PATCH /v1/preferences',
      instance: 'cached',
      target: (base) => ({
        url: `${base}/v1/preferences`,
        method: 'PATCH',
        headers: { ...auth, 'Content-Type': 'application/merge-patch+json' },
        // A different document each time (20-300 is the field's range): every PATCH really writes.
        body: () => JSON.stringify({ default_bpm: 20 + (writes++ % 281) }),
      }),
    },
  ];
  const run = { requests: settings.BENCH_REQUESTS, warmup: settings.BENCH_WARMUP_REQUESTS };
  const measure = async (server: Served, endpoint: Endpoint, target: Target) => {
    const cost = await costPerRequest(server, target, run);
    say(`  ${endpoint.name}: p50 ${cost.p50Ms} ms, CPU ${cost.cpuMsPerRequest} ms/request (${cost.requests} requests)`);
    return cost;
  };

  const worker: Record<string, { untraced?: Cost; traced?: Cost }> = {};
  let breakdown = null;
  for (const [tracing, config] of Object.entries(configs) as [
    keyof typeof configs,
    (typeof configs)[keyof typeof configs],
  ][]) {
    for (const instance of ['cached', 'uncached'] as const) {
      step(
        `workerd, tracing ${tracing === 'traced' ? 'on (100%, OTLP export)' : 'off'}, preferences cache ${instance === 'cached' ? 'on' : 'off'}`,
      );
      const extra = {
        ...('extra' in config ? config.extra : {}),
        ...(instance === 'uncached' ? { CACHE_PREFERENCES_TTL_SECONDS: '0' } : {}),
      };
      const server = await workerd(
        `${tracing}-${instance}`,
        apiVars({ ...common, otlpEndpoint: config.otlpEndpoint, extra }),
      );
      try {
        for (const endpoint of endpoints.filter((e) => e.instance === instance)) {
          const cost = await measure(server, endpoint, endpoint.target(server.url));
          worker[endpoint.name] = { ...worker[endpoint.name], [tracing]: cost };
        }
        if (tracing === 'traced' && instance === 'cached') {
          breakdown = await spanBreakdown(otlp, { url: `${server.url}/v1/preferences`, headers: auth }, 3);
        }
      } finally {
        await server.stop();
      }
    }
  }

  step('pooled Node peer (Hono on node:http, postgres.js pool, node-redis)');
  const peer = await services.peer({
    port: PORTS.peer,
    databaseUrl: db.appUrl,
    redisUrl: upstash.redisUrl,
    jwtPublicPem: identity.workerVars.CLERK_JWT_KEY,
    authorizedParties: identity.workerVars.CLERK_AUTHORIZED_PARTIES,
  });
  // The peer must really do the scoped work: under RLS a wrongly scoped read returns no row, cheaply.
  const peerRead = (await (await fetch(`${peer.url}/v1/preferences?cache=off`, { headers: auth })).json()) as {
    preferences?: { default_genre?: string };
    version?: number;
  };
  const peerMe = (await (await fetch(`${peer.url}/v1/me`, { headers: auth })).json()) as { user?: { id?: string } };
  if (peerRead.preferences?.default_genre !== 'bench' || peerMe.user?.id !== caller.userId) {
    throw new Error(`the peer does not read the caller's rows: ${JSON.stringify({ peerRead, peerMe })}`);
  }
  const peerCosts: Record<string, Cost> = {};
  for (const endpoint of endpoints) {
    const target = endpoint.target(peer.url);
    peerCosts[endpoint.name] = await measure(
      peer,
      endpoint,
      endpoint.instance === 'uncached' ? { ...target, url: `${target.url}?cache=off` } : target,
    );
  }
  await peer.stop();

  step('workerd floor: a trivial Worker served the same way');
  const trivialDir = join(WORK_DIR, 'bundle-trivial');
  rmSync(trivialDir, { recursive: true, force: true });
  mkdirSync(trivialDir, { recursive: true });
  writeFileSync(join(trivialDir, 'index.js'), TRIVIAL_WORKER);
  const trivial = await services.workerd({
    name: 'trivial',
    port: PORTS.workerd,
    bundleDir: trivialDir,
    databaseUrl: db.appUrl,
    bindings: {},
  });
  const workerdFloor = await measure(
    trivial,
    { name: 'trivial Worker', instance: 'cached', target: () => ({ url: '' }) },
    { url: `${trivial.url}/healthz` },
  );
  await trivial.stop();

  const profiles: { name: string; profile: CpuProfile }[] = [];
  if (settings.BENCH_PROFILE_REQUESTS > 0) {
    step("where the Worker's CPU goes: V8 sampling profiles over the inspector (unminified build)");
    const profileDir = join(WORK_DIR, 'bundle-profile');
    await measureBundle(profileDir, { minify: false });
    const cases: { name: string; config: (typeof configs)[keyof typeof configs]; extra: Record<string, string> }[] = [
      { name: 'GET /v1/preferences (cached), untraced', config: configs.untraced, extra: {} },
      { name: 'GET /v1/preferences (cached), traced', config: configs.traced, extra: configs.traced.extra },
      {
        name: 'GET /v1/preferences (uncached), untraced',
        config: configs.untraced,
        extra: { CACHE_PREFERENCES_TTL_SECONDS: '0' },
      },
    ];
    for (const c of cases) {
      const server = await services.workerd({
        name: 'profile',
        port: PORTS.workerd,
        bundleDir: profileDir,
        databaseUrl: db.appUrl,
        bindings: apiVars({ ...common, otlpEndpoint: c.config.otlpEndpoint, extra: c.extra }),
        inspectorPort: PORTS.inspector,
      });
      try {
        const target = { url: `${server.url}/v1/preferences`, headers: auth };
        await costPerRequest(server, target, { requests: 50, warmup: settings.BENCH_WARMUP_REQUESTS });
        profiles.push({
          name: c.name,
          profile: await profileRequests(PORTS.inspector, profileDir, target, settings.BENCH_PROFILE_REQUESTS),
        });
      } finally {
        await server.stop();
      }
    }
  }

  const costs: EndpointCost[] = endpoints.map(({ name }) => {
    const w = worker[name];
    const p = peerCosts[name];
    if (!w?.untraced || !w.traced || !p) throw new Error(`${name}: a measurement is missing`);
    return { endpoint: name, untraced: w.untraced, traced: w.traced, peer: p };
  });

  step('database round trips per tenant-scoped read and write (fresh connections)');
  const roundTrips = await measureRoundTrips(db.appUrl, { tenantId: caller.tenantId, userId: caller.userId });

  let site = null;
  if (settings.BENCH_SITE === 'on') {
    step('site: build, astro preview + Lighthouse (the API in workerd with the development sign-in)');
    const siteDir = join(WORK_DIR, 'site');
    await buildSite(siteDir, `http://127.0.0.1:${PORTS.workerd}`, SITE_URL);
    const scripts = ['index.html', 'dashboard/index.html', 'sign-in/index.html'].map((page) =>
      pageScripts(siteDir, page),
    );
    await workerd(
      'site-api',
      apiVars({ ...common, otlpEndpoint: null, corsOrigins: [SITE_URL], extra: { DEV_AUTH_BYPASS: 'true' } }),
    );
    const preview = await services.astroPreview(PORTS.site, siteDir);
    const lighthouse = await runLighthouse([`${preview}/`, `${preview}/dashboard`], {
      origin: preview,
      devUserId: DASHBOARD_USER,
    });
    site = { scripts, lighthouse };
  }

  const files = writeReport({
    facts,
    settings,
    costs,
    workerdFloor,
    profiles,
    breakdown,
    roundTrips,
    bundle,
    startup,
    site,
    seconds: (performance.now() - started) / 1000,
  });
  step(`report: ${files.join(', ')}`);
});
