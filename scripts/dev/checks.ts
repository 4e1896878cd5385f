import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from '@upstash/redis';
import postgres from 'postgres';
import { z } from 'zod';
import { isolationProblems, privilegeProblems, tenantTables } from '../../db/tenant-catalog';
import { packageBin, REPO_ROOT } from './paths';
import type { StackTarget } from './target';
import { retry } from './wait';

export type CheckResult = { name: string; ok: boolean; detail: string };

/** One probe of the running stack; it throws with the reason when the criterion is not met. */
type Check = { name: string; run: () => Promise<string> };

const run = promisify(execFile);
const HEALTHZ_BUDGET_MS = 50;

/**
 * The acceptance criteria of the local stack, as probes against a running one. A request
 * with a known trace id is sent first: the trace and log checks look for that id downstream.
 */
export function stackChecks(target: StackTarget): Check[] {
  const traceId = randomBytes(16).toString('hex');
  const traced = fetch(`${target.apiUrl}/`, {
    headers: { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` },
    signal: AbortSignal.timeout(5_000),
  }).then((r) => {
    if (!r.ok) throw new Error(`GET / -> ${r.status}`);
    return r.json();
  });
  traced.catch(() => {});

  return [
    { name: 'API starts', run: () => apiStarts(target, traced) },
    { name: 'site builds and serves', run: () => siteBuildsAndServes(target) },
    { name: 'migrations applied, RLS forced', run: () => migrationsWithRls(target) },
    {
      name: 'trace reaches the collector',
      run: () =>
        traceArrives(
          target,
          traced.then(() => traceId),
        ),
    },
    {
      name: 'logs carry trace ids',
      run: () =>
        logCarries(
          target,
          traced.then(() => traceId),
        ),
    },
    { name: 'metrics arrive, the request counted', run: () => requestCounted(target) },
    { name: 'Redis set/get round trip', run: () => redisRoundTrip(target) },
    { name: `/healthz 200 under ${HEALTHZ_BUDGET_MS} ms`, run: () => healthzFast(target) },
  ];
}

export async function runChecks(checks: Check[]): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const check of checks) {
    try {
      results.push({ name: check.name, ok: true, detail: await check.run() });
    } catch (error) {
      results.push({ name: check.name, ok: false, detail: describe(error) });
    }
  }
  return results;
}

/** fetch's own message is only "fetch failed"; the cause says what (ECONNREFUSED 127.0.0.1:8787). */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.cause instanceof Error ? `${error.message}: ${error.cause.message}` : error.message;
}

const metaSchema = z.object({ service: z.literal('meatymusic-api'), version: z.string(), environment: z.string() });

async function apiStarts(target: StackTarget, traced: Promise<unknown>) {
  const meta = metaSchema.parse(await traced);
  const ready = await fetch(`${target.apiUrl}/readyz`, { signal: AbortSignal.timeout(5_000) });
  const body = (await ready.json()) as { status?: string; features?: { vector?: string } };
  if (!ready.ok) throw new Error(`/readyz -> ${ready.status}: ${JSON.stringify(body)}`);
  return `${meta.service} ${meta.version} (${meta.environment}); /readyz ${body.status}, vector ${body.features?.vector ?? '?'}`;
}

async function siteBuildsAndServes(target: StackTarget) {
  if (!target.siteUrl) throw new Error('the stack runs no site');
  const pages = ['/', '/dashboard'];
  for (const page of pages) {
    const response = await fetch(`${target.siteUrl}${page}`, { signal: AbortSignal.timeout(30_000) });
    const html = await response.text();
    if (!response.ok || !/<html/i.test(html)) throw new Error(`GET ${page} -> ${response.status}, not an HTML page`);
  }
  const outDir = mkdtempSync(join(tmpdir(), 'meatymusic-site-'));
  try {
    const started = performance.now();
    await run(process.execPath, [packageBin('astro'), 'build', '--outDir', outDir], {
      cwd: REPO_ROOT,
      env: { ...process.env, ASTRO_TELEMETRY_DISABLED: '1' },
      maxBuffer: 16 * 1024 * 1024,
    });
    const built = pages.filter((p) => existsSync(join(outDir, p === '/' ? 'index.html' : `${p}/index.html`)));
    if (built.length !== pages.length) throw new Error(`astro build produced ${built.join(', ') || 'no pages'}`);
    return `${pages.join(', ')} serve HTML; astro build ok in ${((performance.now() - started) / 1000).toFixed(1)} s`;
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

async function migrationsWithRls(target: StackTarget) {
  const journal = z
    .object({ entries: z.array(z.object({ tag: z.string() })) })
    .parse(JSON.parse(readFileSync(join(REPO_ROOT, 'migrations/meta/_journal.json'), 'utf8')));
  const sql = postgres(target.databaseUrl, { max: 1, fetch_types: false, onnotice: () => {}, connect_timeout: 5 });
  try {
    const [{ applied }] = (await sql`select count(*)::int as applied from drizzle.__drizzle_migrations`) as unknown as [
      { applied: number },
    ];
    if (applied !== journal.entries.length)
      throw new Error(`${applied} of ${journal.entries.length} migrations applied`);
    // The same rules as tests/db/tenant-guards.test.ts, on the database this stack runs.
    const tables = await tenantTables(sql);
    if (tables.length === 0) throw new Error('no tenant tables found');
    const problems = [...isolationProblems(tables), ...(await privilegeProblems(sql))];
    if (problems.length) throw new Error(problems.join('; '));
    const [role] = await sql<{ super: boolean; bypass: boolean }[]>`
      select rolsuper as super, rolbypassrls as bypass from pg_roles where rolname = 'meatymusic_app'`;
    if (!role || role.super || role.bypass) throw new Error('meatymusic_app is missing, superuser or BYPASSRLS');
    return `${applied}/${journal.entries.length} applied; forced RLS, policy and app privileges on ${tables.map((t) => t.name).join(', ')}`;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

async function traceArrives(target: StackTarget, traceId: Promise<string>) {
  const id = await traceId;
  const traces = target.traces;
  if (traces.kind === 'none') throw new Error(`not checkable here: ${traces.reason}`);
  const count = await retry(
    'trace',
    async () => {
      const n = traces.kind === 'jaeger' ? await jaegerSpans(traces.url, id) : await receiverSpans(traces.url, id);
      if (n === 0) throw new Error(`no span with trace id ${id} at ${traces.url}`);
      return n;
    },
    { timeoutMs: 15_000, intervalMs: 500 },
  );
  return `${count} span(s) of trace ${id} at the ${traces.kind}`;
}

async function receiverSpans(url: string, traceId: string) {
  const response = await fetch(`${url}/spans`, { signal: AbortSignal.timeout(5_000) });
  if (!response.ok) throw new Error(`GET ${url}/spans -> ${response.status}`);
  const spans = z.array(z.object({ traceId: z.string() }).loose()).parse(await response.json());
  return spans.filter((s) => s.traceId.toLowerCase() === traceId).length;
}

async function jaegerSpans(url: string, traceId: string) {
  const response = await fetch(`${url}/api/traces/${traceId}`, { signal: AbortSignal.timeout(5_000) });
  if (response.status === 404) return 0;
  if (!response.ok) throw new Error(`GET ${url}/api/traces/${traceId} -> ${response.status}`);
  const body = z.object({ data: z.array(z.object({ spans: z.array(z.unknown()) })) }).parse(await response.json());
  return body.data.reduce((n, t) => n + t.spans.length, 0);
}

async function logCarries(target: StackTarget, traceId: Promise<string>) {
  const id = await traceId;
  const logs = target.logs;
  const line = await retry(
    'log line',
    async () => {
      const text = logs.kind === 'file' ? readFileSync(logs.path, 'utf8') : await composeLogs(logs.service);
      const found = jsonLines(text).find((l) => l.trace_id === id);
      if (!found)
        throw new Error(
          `no JSON log line with trace_id ${id} in ${logs.kind === 'file' ? logs.path : 'docker compose logs'}`,
        );
      return found;
    },
    { timeoutMs: 10_000, intervalMs: 500 },
  );
  return `"${line.message}" ${line.method ?? ''} ${line.path ?? ''} carries trace_id ${id}`.replace(/\s+/g, ' ');
}

/** A service's output from `docker compose` (v2), or the standalone docker-compose where that is what exists. */
async function composeLogs(service: string): Promise<string> {
  const args = ['logs', '--no-color', '--no-log-prefix', service];
  const options = { cwd: REPO_ROOT, maxBuffer: 64 * 1024 * 1024 };
  try {
    return (await run('docker', ['compose', ...args], options)).stdout;
  } catch {
    return (await run('docker-compose', args, options)).stdout;
  }
}

function jsonLines(text: string): Record<string, unknown>[] {
  return text.split('\n').flatMap((raw) => {
    const start = raw.indexOf('{');
    if (start < 0) return [];
    try {
      const value: unknown = JSON.parse(raw.slice(start));
      return typeof value === 'object' && value !== null ? [value as Record<string, unknown>] : [];
    } catch {
      return [];
    }
  });
}

/**
 * Reads how many `GET /` the API has counted, makes one, and waits for the count to grow: the
 * request went through the metrics middleware, the export, and (on Docker) collector and Prometheus.
 */
async function requestCounted(target: StackTarget) {
  const series = 'http_server_request_duration_seconds_count';
  const labels = {
    job: 'meatymusic-api',
    http_route: '/',
    http_request_method: 'GET',
    http_response_status_code: '200',
  };
  let read: () => Promise<number>;
  let where: string;
  if (target.metrics) {
    const selector = Object.entries(labels)
      .map(([k, v]) => `${k}="${v}"`)
      .join(',');
    where = target.metrics.url;
    read = () => prometheusValue(where, `sum(${series}{${selector}})`);
  } else if (target.traces.kind === 'otlp-receiver') {
    where = `${target.traces.url}/metrics`;
    read = () => scrapedValue(where, series, labels);
  } else {
    throw new Error('not checkable here: metrics go to OTEL_EXPORTER_OTLP_ENDPOINT');
  }
  const before = await read();
  const response = await fetch(`${target.apiUrl}/`, { signal: AbortSignal.timeout(5_000) });
  await response.arrayBuffer();
  if (!response.ok) throw new Error(`GET / -> ${response.status}`);
  // On Docker: the Worker's export delay, the collector's batch and a 15 s scrape interval.
  const after = await retry(
    'metrics',
    async () => {
      const now = await read();
      if (now <= before) throw new Error(`GET / still counted ${now} at ${where}`);
      return now;
    },
    { timeoutMs: target.metrics ? 45_000 : 15_000, intervalMs: 500 },
  );
  return `GET / counted ${before} -> ${after} at ${where}`;
}

/** The sum of a counter's samples whose labels include `labels`, from Prometheus text (0 when absent). */
async function scrapedValue(url: string, name: string, labels: Record<string, string>): Promise<number> {
  const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  if (!response.ok) throw new Error(`GET ${url} -> ${response.status}`);
  return (await response.text())
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`))
    .filter((line) => Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)))
    .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
}

async function prometheusValue(url: string, query: string): Promise<number> {
  const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(query)}`, {
    signal: AbortSignal.timeout(5_000),
  });
  if (!response.ok) throw new Error(`Prometheus query -> ${response.status}`);
  const body = z
    .object({ data: z.object({ result: z.array(z.object({ value: z.tuple([z.number(), z.string()]) })) }) })
    .parse(await response.json());
  return Number(body.data.result[0]?.value[1] ?? 0);
}

async function redisRoundTrip(target: StackTarget) {
  if (!target.upstash) throw new Error('the stack runs without Redis (cache and rate limits disabled)');
  const redis = new Redis({ ...target.upstash, enableTelemetry: false, automaticDeserialization: false });
  const key = `verify:${randomBytes(8).toString('hex')}`;
  const value = `round trip ✓ ${Date.now()}`;
  await redis.set(key, value, { ex: 60 });
  const read = await redis.get<string>(key);
  await redis.del(key);
  if (read !== value) throw new Error(`wrote ${JSON.stringify(value)}, read ${JSON.stringify(read)}`);
  return `SET/GET/DEL through ${target.upstash.url}`;
}

async function healthzFast(target: StackTarget) {
  const url = `${target.apiUrl}/healthz`;
  const timings: number[] = [];
  // The first request may pay for the isolate's start-up; it is not what the budget is about.
  for (let i = 0; i < 6; i++) {
    const started = performance.now();
    const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`GET /healthz -> ${response.status}`);
    if (i > 0) timings.push(performance.now() - started);
  }
  timings.sort((a, b) => a - b);
  const median = timings[Math.floor(timings.length / 2)] ?? Number.POSITIVE_INFINITY;
  const max = timings.at(-1) ?? Number.POSITIVE_INFINITY;
  const summary = `median ${median.toFixed(1)} ms of ${timings.length} (max ${max.toFixed(1)} ms)`;
  if (median >= HEALTHZ_BUDGET_MS) throw new Error(`${summary}: over ${HEALTHZ_BUDGET_MS} ms`);
  return summary;
}
