import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, relative } from 'node:path';
import { REPO_ROOT } from '../scripts/dev/paths';
import type { Breakdown } from './breakdown';
import type { BundleSize, StartupResult } from './bundle';
import { round } from './lib/stats';
import type { Cost } from './per-request';
import type { CpuProfile } from './profile';
import type { RoundTrips } from './round-trips';
import type { LighthouseResult, PageScripts } from './site';

export const RESULTS_DIR = join(REPO_ROOT, 'bench', 'results');

/** The targets; bytes are decimal (300 KB = 300,000 B), CPU in ms per request in workerd (1 connection). */
export const TARGETS = {
  cachedReadCpuMs: 1.0,
  cachedReadTracedCpuMs: 1.5,
  uncachedOverCachedCpuMs: 1.0,
  healthzCpuMs: 0.2,
  overPeer: 1.5,
  bundleGzipBytes: 300_000,
  homeJsBytes: 0,
  lighthouseScore: 95,
} as const;

/** One endpoint: the Worker in workerd, untraced and traced, and the pooled Node peer. */
export type EndpointCost = { endpoint: string; untraced: Cost; traced: Cost; peer: Cost };

export function environmentFacts() {
  const version = (pkg: string) =>
    (JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string })
      .version;
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
  } catch {}
  return {
    date: new Date().toISOString(),
    commit,
    cpu: `${cpus()[0]?.model ?? '?'} x ${cpus().length}`,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    loadAverageAtStart: loadavg().map((n) => round(n, 2)),
    node: process.version,
    wrangler: version('wrangler'),
    autocannon: version('autocannon'),
    workerd: version('workerd'),
    lighthouse: version('lighthouse'),
  };
}

export type BenchReport = {
  facts: ReturnType<typeof environmentFacts>;
  settings: Record<string, unknown>;
  costs: EndpointCost[];
  /** A trivial Worker served the same way: workerd's (and Miniflare's entry Worker's) own share. */
  workerdFloor: Cost;
  profiles: { name: string; profile: CpuProfile }[];
  /** From the API's spans, traced cached read (1 connection). */
  breakdown: Breakdown | null;
  roundTrips: RoundTrips;
  bundle: BundleSize;
  startup: StartupResult;
  /** Null when the run skipped the site (BENCH_SITE=off). */
  site: { scripts: PageScripts[]; lighthouse: LighthouseResult[] } | null;
  seconds: number;
};

type Verdict = { target: string; met: boolean; figure: string };

const overPeer = (worker: Cost, peer: Cost) => round(worker.cpuMsPerRequest / Math.max(peer.cpuMsPerRequest, 0.001), 2);

export function verdicts(r: BenchReport): Verdict[] {
  const find = (name: string) => r.costs.find((e) => e.endpoint === name);
  const cached = find('GET /v1/preferences (cached)');
  const uncached = find('GET /v1/preferences (uncached)');
  const healthz = find('GET /healthz');
  const cpu = (c: Cost | undefined) => c?.cpuMsPerRequest ?? Number.POSITIVE_INFINITY;
  const out: Verdict[] = [
    {
      target: `cached authenticated read <= ${TARGETS.cachedReadCpuMs} ms CPU, untraced`,
      met: cpu(cached?.untraced) <= TARGETS.cachedReadCpuMs,
      figure: ms(cached?.untraced.cpuMsPerRequest),
    },
    {
      target: `cached authenticated read <= ${TARGETS.cachedReadTracedCpuMs} ms CPU, traced (100%)`,
      met: cpu(cached?.traced) <= TARGETS.cachedReadTracedCpuMs,
      figure: ms(cached?.traced.cpuMsPerRequest),
    },
  ];
  for (const tracing of ['untraced', 'traced'] as const) {
    out.push({
      target: `uncached read <= cached + ${TARGETS.uncachedOverCachedCpuMs} ms CPU, ${tracing}`,
      met: cpu(uncached?.[tracing]) <= cpu(cached?.[tracing]) + TARGETS.uncachedOverCachedCpuMs,
      figure: `${ms(uncached?.[tracing].cpuMsPerRequest)} vs ${ms(cached?.[tracing].cpuMsPerRequest)} (+${round(cpu(uncached?.[tracing]) - cpu(cached?.[tracing]), 3)} ms)`,
    });
  }
  out.push({
    target: `/healthz <= ${TARGETS.healthzCpuMs} ms CPU, untraced`,
    met: cpu(healthz?.untraced) <= TARGETS.healthzCpuMs,
    figure: ms(healthz?.untraced.cpuMsPerRequest),
  });
  for (const e of r.costs) {
    out.push({
      target: `${e.endpoint}: CPU within ${TARGETS.overPeer}x of the pooled Node peer (untraced)`,
      met: overPeer(e.untraced, e.peer) <= TARGETS.overPeer,
      figure: `${ms(e.untraced.cpuMsPerRequest)} vs ${ms(e.peer.cpuMsPerRequest)} = ${overPeer(e.untraced, e.peer)}x`,
    });
  }
  const errors = r.costs.reduce((n, e) => n + e.untraced.errors + e.traced.errors + e.peer.errors, 0);
  out.push(
    {
      target: 'zero errors (non-2xx or no response)',
      met: errors === 0,
      figure: `${errors} in ${r.costs.reduce((n, e) => n + e.untraced.requests + e.traced.requests + e.peer.requests, 0)} requests`,
    },
    {
      target: 'worker bundle <= 300 KB gzip',
      met: r.bundle.gzip <= TARGETS.bundleGzipBytes,
      figure: `${kb(r.bundle.gzip)} (gzip -9 of ${kb(r.bundle.raw)} minified)`,
    },
  );
  if (!r.site) return out;
  const home = r.site.scripts.find((s) => s.page === 'index.html');
  out.push({
    target: 'home page JS = 0 bytes',
    met: home?.raw === TARGETS.homeJsBytes,
    figure: `${home?.raw ?? '?'} B`,
  });
  for (const page of r.site.lighthouse) {
    const low = Object.entries(page.scores).filter(([, score]) => score < TARGETS.lighthouseScore);
    out.push({
      target: `Lighthouse >= ${TARGETS.lighthouseScore} each: ${new URL(page.url).pathname}`,
      met: low.length === 0,
      figure: Object.entries(page.scores)
        .map(([category, score]) => `${category} ${score}`)
        .join(', '),
    });
  }
  return out;
}

const ms = (value: number | undefined) => (value === undefined ? '?' : `${round(value, 2)} ms`);
const kb = (bytes: number) => `${round(bytes / 1000)} KB`;

/** Writes latest.json (everything) and latest.md (the tables) under bench/results/. */
export function writeReport(report: BenchReport): string[] {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const json = join(RESULTS_DIR, 'latest.json');
  const md = join(RESULTS_DIR, 'latest.md');
  const checks = verdicts(report);
  writeFileSync(json, `${JSON.stringify({ ...report, verdicts: checks }, null, 2)}\n`);
  writeFileSync(md, markdown(report, checks));
  return [json, md].map((f) => relative(REPO_ROOT, f));
}

function table(header: string[], rows: (string | number)[][]): string {
  return [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');
}

function markdown(r: BenchReport, checks: Verdict[]): string {
  const { facts, settings } = r;
  const rt = r.roundTrips;
  return `# Benchmark results

${facts.date}, commit ${facts.commit}; ${facts.cpu}, ${facts.memoryGiB} GiB, load average at start ${facts.loadAverageAtStart.join(' / ')};
Node ${facts.node}, wrangler ${facts.wrangler}, autocannon ${facts.autocannon}, Lighthouse ${facts.lighthouse}. Run took ${Math.round(r.seconds)} s.
Settings: ${Object.entries(settings)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ')}.

Shared, noisy machine: compare ratios measured in this run, not absolute figures across runs.

## Targets

${table(
  ['target', 'met', 'figure'],
  checks.map((c) => [c.target, c.met ? 'yes' : '**no**', c.figure]),
)}

## CPU and latency per request: the built Worker in workerd, and a pooled Node peer

The bundle \`wrangler deploy --dry-run\` produces, served by workerd through Miniflare (no dev server in
the path), one connection, ${settings.BENCH_REQUESTS} counted requests per row after ${settings.BENCH_WARMUP_REQUESTS} warm-up ones. CPU
per request = the workerd process's CPU time (/proc utime + stime) over the run / requests; Postgres's and
Redis's own CPU are not in it. Real RS256 tokens; Redis (membership cache, rate limiter, and for
"cached" the preferences cache) and Postgres (RLS, app role) are real. "traced": every request sampled
and exported to a local OTLP receiver. The peer (bench/peer/) does the same request in one long-running
Node process: key imported once, postgres.js pool, node-redis, no tracing; its CPU is its process's.

${costTable(r.costs)}

workerd's own floor, a trivial Worker (\`Response.json\`) served the same way: ${r.workerdFloor.cpuMsPerRequest} ms CPU per request,
p50 ${r.workerdFloor.p50Ms} ms. Miniflare puts an entry Worker in front of the user Worker (routing, \`cf\` object), so
part of every row here is that, not the API.
${r.profiles.map((p) => profileSection(p.name, p.profile)).join('')}${r.breakdown ? breakdownSection(r.breakdown) : ''}
## Database round trips per tenant-scoped operation

Client-to-server flights through a trip-counting proxy (bench/round-trips.ts), each on a new connection
with no warm-up, the startup handshake not counted; "naive" is the textbook drizzle transaction (BEGIN,
set_config, statements, COMMIT, each awaited).

${table(
  [
    'operation',
    'naive (fresh connection)',
    'ours (fresh connection)',
    'naive (same connection again)',
    'ours (same connection again)',
  ],
  [
    ['read', rt.fresh.read.naive, rt.fresh.read.ours, rt.reused.read.naive, rt.reused.read.ours],
    ['write', rt.fresh.write.naive, rt.fresh.write.ours, rt.reused.write.naive, rt.reused.write.ours],
  ],
)}

Every Worker request opens a new connection, so "fresh connection" is what requests pay.

## Worker bundle and startup

${table(
  ['file', 'minified', 'gzip -9'],
  r.bundle.files.map((f) => [f.name, kb(f.raw), kb(f.gzip)]),
)}

Startup (\`wrangler check startup\` needs Cloudflare's API for the Hyperdrive binding): workerd via
Miniflare loading the built bundle and answering a first \`/healthz\`, against a trivial Worker,
median of ${r.startup.runs} alternating runs.

${table(
  ['worker', 'runtime ready ms', 'first /healthz ms', 'total ms'],
  [
    ['API bundle', r.startup.api.ready, r.startup.api.firstResponse, r.startup.api.total],
    ['trivial Worker', r.startup.trivial.ready, r.startup.trivial.firstResponse, r.startup.trivial.total],
  ],
)}

The API's code adds ${r.startup.overheadMs} ms to a cold start here.

${r.site ? siteSection(r.site, facts.lighthouse) : '## Site\n\nNot measured in this run (BENCH_SITE=off).\n'}`;
}

function costTable(rows: EndpointCost[]) {
  return table(
    [
      'endpoint',
      'workerd CPU ms/req',
      'traced CPU ms/req',
      'peer CPU ms/req',
      'workerd / peer CPU',
      'workerd p50 / p99 ms',
      'traced p50 / p99 ms',
      'peer p50 / p99 ms',
      'workerd / peer p50',
      'errors',
    ],
    rows.map((e) => [
      e.endpoint,
      e.untraced.cpuMsPerRequest,
      e.traced.cpuMsPerRequest,
      e.peer.cpuMsPerRequest,
      `${overPeer(e.untraced, e.peer)}x`,
      `${e.untraced.p50Ms} / ${e.untraced.p99Ms}`,
      `${e.traced.p50Ms} / ${e.traced.p99Ms}`,
      `${e.peer.p50Ms} / ${e.peer.p99Ms}`,
      `${round(e.untraced.p50Ms / Math.max(e.peer.p50Ms, 0.001), 2)}x`,
      e.untraced.errors + e.traced.errors + e.peer.errors,
    ]),
  );
}

function siteSection(site: NonNullable<BenchReport['site']>, lighthouseVersion: string) {
  return `## Site

JavaScript each page loads (built site: inline and module scripts, islands and their static imports):

${table(
  ['page', 'JS raw', 'JS gzip -9', 'files'],
  site.scripts.map((s) => [s.page, `${s.raw} B`, `${s.gzip} B`, s.files.join(', ') || '-']),
)}

Lighthouse ${lighthouseVersion} (mobile defaults: simulated slow 4G, 4x CPU slowdown), astro preview, Debian Chromium:

${table(
  [
    'page',
    'performance',
    'accessibility',
    'best practices',
    'SEO',
    'FCP ms',
    'LCP ms',
    'TBT ms',
    'CLS',
    'audits below 100',
  ],
  site.lighthouse.map((l) => [
    new URL(l.url).pathname,
    l.scores.performance,
    l.scores.accessibility,
    l.scores['best-practices'],
    l.scores.seo,
    l.metrics.fcpMs,
    l.metrics.lcpMs,
    l.metrics.tbtMs,
    l.metrics.cls,
    Object.values(l.failing).flat().join(', ') || '-',
  ]),
)}
`;
}

function profileSection(name: string, p: CpuProfile) {
  const rows = (list: CpuProfile['modules']) => list.map((x) => [x.name, x.selfMs, `${Math.round(x.share * 100)}%`]);
  return `
### Where the CPU goes: ${name}

V8's sampling profiler over the DevTools protocol, an unminified build, ${p.requests} requests: ${p.sampledMsPerRequest} ms
sampled per request (profiling itself slows the isolate; shares are what matter). Self time, by package or folder:

${table(['package / folder', 'self ms per request', 'share'], rows(p.modules))}

By function:

${table(['function [package]', 'self ms per request', 'share'], rows(p.functions))}
`;
}

function breakdownSection(b: Breakdown) {
  return `
Where a traced cached read's wall time goes, from the API's own spans (1 connection, median per request
over ${b.requests} requests; request span median ${b.requestMedianMs} ms; nested spans are included in their parents).
Workers' clocks only move across I/O, so these are waits on Redis, Postgres and the like, not CPU:

${table(
  ['span', 'calls per request', 'median ms per request'],
  b.spans.map((s) => [s.span, s.callsPerRequest, s.medianMsPerRequest]),
)}
`;
}
