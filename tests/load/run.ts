import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { z } from 'zod';
import { apiVars } from '../../bench/lib/api-vars';
import { createIdentity, provisionCaller } from '../../bench/lib/identity';
import { createServices, WORK_DIR } from '../../bench/lib/services';
import { percentile, round } from '../../bench/lib/stats';
import { RESULTS_DIR } from '../../bench/report';
import { REPO_ROOT } from '../../scripts/dev/paths';
import { createSupervisor } from '../../scripts/dev/process';
import { recreateDatabase } from '../setup/global';
import { clerkId } from '../support/tokens';
import { checkFinalState } from './consistency';
import { type LoadUser, runConnection, type TrafficStats } from './traffic';

/**
 * `npm run test:load`: the API under wrangler dev with real Postgres and Redis, hit by LOAD_CONNECTIONS
 * concurrent connections for LOAD_SECONDS (bounded by LOAD_MAX_REQUESTS too), reads and writes mixed
 * across several tenants with several users each. Passes with no errors, no response carrying another
 * caller's data, and stored documents matching the writes acknowledged. Exits non-zero otherwise.
 */
const settings = z
  .object({
    LOAD_SECONDS: z.coerce.number().int().min(1).max(600).default(60),
    LOAD_CONNECTIONS: z.coerce.number().int().min(1).max(200).default(50),
    LOAD_MAX_REQUESTS: z.coerce.number().int().min(1).max(1_000_000).default(300_000),
    LOAD_TENANTS: z.coerce.number().int().min(2).max(20).default(3),
    LOAD_USERS_PER_TENANT: z.coerce.number().int().min(1).max(50).default(4),
  })
  .parse(process.env);

const PORTS = { api: 18520, apiInspector: 18521, upstash: 18522, otlp: 18523 } as const;
const DATABASE = 'meatymusic_bench_load';

const supervisor = createSupervisor();
let failed = 0;

await supervisor.run(async () => {
  const services = createServices(supervisor, join(WORK_DIR, 'logs', 'load'));
  const identity = createIdentity();
  console.log(`database ${DATABASE}: recreating and migrating`);
  const db = await recreateDatabase(DATABASE);
  const upstash = await services.redis(PORTS.upstash, `load-${randomUUID()}`);
  const otlp = await services.otlpReceiver(PORTS.otlp);
  console.log('wrangler dev: API');
  const api = await services.wranglerDev({
    name: 'api',
    port: PORTS.api,
    inspectorPort: PORTS.apiInspector,
    databaseUrl: db.appUrl,
    vars: apiVars({ identity, upstash, otlpEndpoint: otlp }),
  });

  const users: LoadUser[] = [];
  const tokenSeconds = settings.LOAD_SECONDS + 600;
  for (let t = 0; t < settings.LOAD_TENANTS; t++) {
    const org = clerkId('org');
    for (let u = 0; u < settings.LOAD_USERS_PER_TENANT; u++) {
      const caller = await provisionCaller(api, identity, { org, seconds: tokenSeconds });
      users.push({ ...caller, tag: `t${t}u${u}`, nextSeq: 1, seenVersion: 0, acked: new Map() });
    }
  }
  const tenants = new Set(users.map((u) => u.tenantId));
  if (tenants.size !== settings.LOAD_TENANTS)
    throw new Error(`expected ${settings.LOAD_TENANTS} tenants, got ${tenants.size}`);

  console.log(
    `load: ${settings.LOAD_CONNECTIONS} connections for ${settings.LOAD_SECONDS} s (at most ${settings.LOAD_MAX_REQUESTS} requests), ${users.length} users in ${tenants.size} tenants`,
  );
  const stats: TrafficStats = {
    requests: 0,
    byOperation: {},
    statuses: {},
    latencies: [],
    problems: [],
    preconditionFailed: 0,
  };
  const started = performance.now();
  const bounds = { deadline: Date.now() + settings.LOAD_SECONDS * 1000, budget: { left: settings.LOAD_MAX_REQUESTS } };
  await Promise.all(Array.from({ length: settings.LOAD_CONNECTIONS }, () => runConnection(api, users, stats, bounds)));
  const seconds = (performance.now() - started) / 1000;
  const finalState = await checkFinalState(db.ownerUrl, users);

  const errors = stats.problems.filter((p) => p.kind === 'error');
  const leaks = stats.problems.filter((p) => p.kind === 'leak');
  const writes = users.reduce((n, u) => n + u.acked.size, 0);
  const checks = [
    { check: 'no errors (5xx, unexpected status or body, no response)', ok: errors.length === 0, count: errors.length },
    { check: 'no cross-tenant or cross-user data in any response', ok: leaks.length === 0, count: leaks.length },
    {
      check: 'stored documents = last acknowledged write per user',
      ok: finalState.length === 0,
      count: finalState.length,
    },
    { check: 'traffic reached every user', ok: users.every((u) => u.acked.size > 0), count: users.length },
  ];
  failed = checks.filter((c) => !c.ok).length;
  const summary = {
    date: new Date().toISOString(),
    settings,
    tenants: tenants.size,
    users: users.length,
    requests: stats.requests,
    seconds: round(seconds, 1),
    rps: round(stats.requests / seconds, 1),
    latencyMs: {
      p50: round(percentile(stats.latencies, 50), 2),
      p90: round(percentile(stats.latencies, 90), 2),
      p99: round(percentile(stats.latencies, 99), 2),
      max: round(percentile(stats.latencies, 100), 2),
    },
    byOperation: stats.byOperation,
    statuses: stats.statuses,
    acknowledgedWrites: writes,
    preconditionFailed: stats.preconditionFailed,
    errors: errors.length,
    leaks: leaks.length,
    finalStateMismatches: finalState.length,
    checks,
    problems: [...stats.problems, ...finalState].slice(0, 50),
  };
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, 'load-latest.json');
  writeFileSync(file, `${JSON.stringify(summary, null, 2)}\n`);

  console.log(
    [
      `requests ${summary.requests} in ${summary.seconds} s = ${summary.rps} req/s`,
      `latency p50 ${summary.latencyMs.p50} ms, p90 ${summary.latencyMs.p90} ms, p99 ${summary.latencyMs.p99} ms, max ${summary.latencyMs.max} ms`,
      `operations ${JSON.stringify(stats.byOperation)}; statuses ${JSON.stringify(stats.statuses)}`,
      `acknowledged writes ${writes}; stale If-Match (412, expected) ${stats.preconditionFailed}`,
      `errors ${errors.length}, leaks ${leaks.length}, final-state mismatches ${finalState.length}`,
      ...[...stats.problems, ...finalState].slice(0, 10).map((p) => `  ${p.kind}: ${p.detail}`),
      ...checks.map((c) => `${c.ok ? 'PASS' : 'FAIL'} ${c.check}${c.ok ? '' : ` (${c.count})`}`),
      `results: ${relative(REPO_ROOT, file)}`,
      `load: ${checks.length - failed} passed, ${failed} failed`,
    ].join('\n'),
  );
});
process.exitCode = failed ? 1 : 0;
