import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { z } from 'zod';
import { recreateDatabase } from '../tests/setup/global';
import { spanBreakdown } from './breakdown';
import { measureBundle, measureStartup } from './bundle';
import { measureLatency } from './latency';
import { apiVars } from './lib/api-vars';
import { createIdentity, provisionCaller } from './lib/identity';
import { createServices, WORK_DIR } from './lib/services';
import { createSupervisor } from './lib/supervisor';
import { environmentFacts, writeReport } from './report';
import { measureRoundTrips } from './round-trips';
import { buildSite, pageScripts, runLighthouse } from './site';

/**
 * `npm run bench`: starts its own database, Redis, wrangler dev instances and site, measures, writes
 * bench/results/latest.{md,json}, and stops everything it started (also on failure and Ctrl-C).
 */
const settings = z
  .object({
    BENCH_CONNECTIONS: z.coerce.number().int().min(1).max(100).default(10),
    /** Each endpoint is measured in this many interleaved rounds... */
    BENCH_ROUNDS: z.coerce.number().int().min(1).max(10).default(3),
    /** ...of this many seconds (3 x 3 s = 9 s per endpoint by default). */
    BENCH_ROUND_SECONDS: z.coerce.number().int().min(1).max(30).default(3),
    BENCH_WARMUP_SECONDS: z.coerce.number().int().min(1).max(10).default(2),
    BENCH_STARTUP_RUNS: z.coerce.number().int().min(1).max(25).default(7),
    /** `otlp`: the API exports spans to a local OTLP receiver, as deployed; `off`: no tracing. */
    BENCH_TRACING: z.enum(['otlp', 'off']).default('otlp'),
  })
  .parse(process.env);

const PORTS = {
  api: 18500,
  apiInspector: 18501,
  uncached: 18502,
  uncachedInspector: 18503,
  floor: 18504,
  floorInspector: 18505,
  upstash: 18506,
  otlp: 18507,
  site: 18508,
  bare: 18509,
  bareInspector: 18510,
} as const;
const DATABASE = 'meatymusic_bench';
const SITE_URL = `http://127.0.0.1:${PORTS.site}`;
const DASHBOARD_USER = 'user_bench_dashboard';
const BARE = 'GET /v1/preferences (uncached; no tracing, rate limit or request log)';

/** Hyperdrive's binding refuses a URL without a password; a server on trust auth ignores the one we add. */
function withPassword(url: string) {
  const u = new URL(url);
  u.password ||= 'trust-auth-ignores-this';
  return u.toString();
}

const say = (line: string) => console.log(line);
const supervisor = createSupervisor();
const started = performance.now();
const step = (name: string) => say(`[${((performance.now() - started) / 1000).toFixed(0).padStart(3)} s] ${name}`);

await supervisor.run(async () => {
  const facts = environmentFacts();
  const services = createServices(supervisor, join(WORK_DIR, 'logs', 'bench'));
  const identity = createIdentity();

  step(`database ${DATABASE}: recreating and migrating`);
  const db = await recreateDatabase(DATABASE);
  step('redis + Upstash-protocol endpoint');
  const upstash = await services.redis(PORTS.upstash, `bench-${randomUUID()}`);
  const otlp = settings.BENCH_TRACING === 'otlp' ? await services.otlpReceiver(PORTS.otlp) : null;

  // Builds and cold starts first, while nothing else competes for the CPU.
  step('worker bundle (wrangler deploy --dry-run --minify)');
  const bundle = await measureBundle(join(WORK_DIR, 'bundle'));
  step(`startup: ${settings.BENCH_STARTUP_RUNS} cold starts each of the API bundle and a trivial Worker`);
  const startup = await measureStartup(join(WORK_DIR, 'bundle'), settings.BENCH_STARTUP_RUNS);
  step('site build');
  const siteDir = join(WORK_DIR, 'site');
  const apiUrlForSite = `http://127.0.0.1:${PORTS.api}`;
  await buildSite(siteDir, apiUrlForSite, SITE_URL);
  const scripts = ['index.html', 'dashboard/index.html', 'sign-in/index.html'].map((page) =>
    pageScripts(siteDir, page),
  );

  step('wrangler dev: API (cached), API (preferences cache off), the latter without its extras, floor');
  const common = { identity, upstash, otlpEndpoint: otlp };
  const [api, uncached, bare, floor] = await Promise.all([
    services.wranglerDev({
      name: 'api',
      port: PORTS.api,
      inspectorPort: PORTS.apiInspector,
      databaseUrl: db.appUrl,
      // The dashboard's development sign-in goes through this instance too (Lighthouse, below).
      vars: apiVars({ ...common, corsOrigins: [SITE_URL], extra: { DEV_AUTH_BYPASS: 'true' } }),
    }),
    services.wranglerDev({
      name: 'api-uncached',
      port: PORTS.uncached,
      inspectorPort: PORTS.uncachedInspector,
      databaseUrl: db.appUrl,
      vars: apiVars({ ...common, extra: { CACHE_PREFERENCES_TTL_SECONDS: '0' } }),
    }),
    // What bounds the uncached read: the same request without tracing, rate limiting and request logs.
    services.wranglerDev({
      name: 'api-bare',
      port: PORTS.bare,
      inspectorPort: PORTS.bareInspector,
      databaseUrl: db.appUrl,
      vars: apiVars({
        ...common,
        otlpEndpoint: null,
        extra: { CACHE_PREFERENCES_TTL_SECONDS: '0', RATE_LIMIT_ENABLED: 'false', LOG_LEVEL: 'warn' },
      }),
    }),
    services.wranglerDev({
      name: 'floor',
      config: 'bench/floor/wrangler.toml',
      port: PORTS.floor,
      inspectorPort: PORTS.floorInspector,
      databaseUrl: withPassword(db.ownerUrl),
      vars: {},
      readyPath: `/?user=${randomUUID()}`,
    }),
  ]);

  step('bench user: provisioned by the API, preferences row written');
  const caller = await provisionCaller(api, identity, { seconds: 3_600 });
  const auth = { Authorization: `Bearer ${caller.token}` };
  const seeded = await fetch(`${api}/v1/preferences`, {
    method: 'PATCH',
    headers: { ...auth, 'Content-Type': 'application/merge-patch+json' },
    body: JSON.stringify({ theme: 'dark', default_genre: 'bench' }),
  });
  if (!seeded.ok) throw new Error(`seeding preferences -> ${seeded.status}: ${await seeded.text()}`);

  let writes = 0;
  const targets = {
    floor: { url: `${floor}/?user=${caller.userId}` },
    'GET /v1/preferences (uncached)': { url: `${uncached}/v1/preferences`, headers: auth },
    'GET /v1/preferences (cached)': { url: `${api}/v1/preferences`, headers: auth },
    'PATCH /v1/preferences': {
      url: `${api}/v1/preferences`,
      method: 'PATCH' as const,
      headers: { ...auth, 'Content-Type': 'application/merge-patch+json' },
      // A different document each time (20-300 is the field's range): every PATCH really writes.
      body: () => JSON.stringify({ default_bpm: 20 + (writes++ % 281) }),
    },
    'GET /healthz': { url: `${api}/healthz` },
  };
  step(
    `latency under load: ${settings.BENCH_ROUNDS} rounds x ${settings.BENCH_ROUND_SECONDS} s per endpoint, ${settings.BENCH_CONNECTIONS} connections`,
  );
  const latency = await measureLatency(
    targets,
    'floor',
    {
      connections: settings.BENCH_CONNECTIONS,
      rounds: settings.BENCH_ROUNDS,
      roundSeconds: settings.BENCH_ROUND_SECONDS,
      warmupSeconds: settings.BENCH_WARMUP_SECONDS,
    },
    say,
  );

  step('latency unloaded: the reads again on 1 connection (no queueing: what one request costs)');
  const {
    floor: floorTarget,
    'GET /v1/preferences (uncached)': uncachedRead,
    'GET /v1/preferences (cached)': cachedRead,
  } = targets;
  const unloaded = await measureLatency(
    {
      floor: floorTarget,
      'GET /v1/preferences (uncached)': uncachedRead,
      'GET /v1/preferences (cached)': cachedRead,
      [BARE]: { ...uncachedRead, url: `${bare}/v1/preferences` },
    },
    'floor',
    {
      connections: 1,
      rounds: settings.BENCH_ROUNDS,
      roundSeconds: settings.BENCH_ROUND_SECONDS,
      warmupSeconds: settings.BENCH_WARMUP_SECONDS,
    },
    say,
  );
  const breakdown = otlp
    ? {
        uncached: await spanBreakdown(otlp, uncachedRead, settings.BENCH_ROUND_SECONDS),
        cached: await spanBreakdown(otlp, cachedRead, settings.BENCH_ROUND_SECONDS),
      }
    : null;

  step('database round trips per tenant-scoped read and write');
  const roundTrips = await measureRoundTrips(db.appUrl, { tenantId: caller.tenantId, userId: caller.userId });

  step('site: astro preview + Lighthouse');
  const site = await services.astroPreview(PORTS.site, siteDir);
  const lighthouse = await runLighthouse([`${site}/`, `${site}/dashboard`], {
    origin: site,
    devUserId: DASHBOARD_USER,
  });

  const files = writeReport({
    facts,
    settings,
    latency,
    unloaded,
    breakdown,
    roundTrips,
    bundle,
    startup,
    scripts,
    lighthouse,
    seconds: (performance.now() - started) / 1000,
  });
  step(`report: ${files.join(', ')}`);
});
