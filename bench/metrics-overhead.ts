import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { wranglerDev } from '../scripts/dev/commands';
import { createSupervisor } from '../scripts/dev/process';
import { httpGet } from '../scripts/dev/wait';
import { startOtlpReceiver } from '../scripts/otlp-receiver';
import { startUpstashEndpoint } from '../scripts/upstash-endpoint';
import { median, round } from './lib/stats';

/**
 * `npx tsx bench/metrics-overhead.ts`: what counting and exporting metrics costs the Worker in CPU per
 * request. The API runs in `wrangler dev` three ways side by side, tracing off: metrics off, exported
 * after every request (OTEL_METRIC_EXPORT_INTERVAL=0, the worst case), and with the default 1 s
 * coalescing. The figure is the CPU time (utime + stime from /proc) of each instance's workerd over
 * sequential requests, in interleaved rounds after a warm-up round. wrangler's proxy runs in the same
 * workerd and costs the same in all three, so the differences are the metrics' cost.
 * Bounded: BENCH_METRICS_REQUESTS (500) per round and way, BENCH_METRICS_ROUNDS (3); ports 18530-18535.
 *
 * Needs the app role's connection to a migrated database (BENCH_APP_DATABASE_URL) and a Redis on
 * 127.0.0.1:6379 for the authenticated read (membership cache, rate limiter).
 */

const requests = Number(process.env.BENCH_METRICS_REQUESTS ?? 500);
const rounds = Number(process.env.BENCH_METRICS_ROUNDS ?? 3);
const databaseUrl = process.env.BENCH_APP_DATABASE_URL;
if (!databaseUrl) throw new Error('BENCH_APP_DATABASE_URL: the app role on a migrated database');

const supervisor = createSupervisor();
await supervisor.run(async () => {
  const work = mkdtempSync(join(tmpdir(), 'meatymusic-metrics-bench-'));
  supervisor.defer('work folder', async () => rmSync(work, { recursive: true, force: true }));
  const receiver = await startOtlpReceiver({ port: 0 });
  supervisor.defer('otlp', () => receiver.close());
  const upstash = await startUpstashEndpoint({
    port: 0,
    redisUrl: 'redis://127.0.0.1:6379',
    token: `bench-${process.pid}`,
    log: () => {},
  });
  supervisor.defer('upstash', () => upstash.close());

  const vars = {
    ENVIRONMENT: 'development',
    DEV_AUTH_BYPASS: 'true',
    LOG_LEVEL: 'warn',
    OBS_TRACING_ENABLED: 'false',
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    UPSTASH_REDIS_REST_URL: upstash.url,
    UPSTASH_REDIS_REST_TOKEN: upstash.token,
    RATE_LIMIT_USER_PER_MINUTE: '100000',
    RATE_LIMIT_TENANT_PER_MINUTE: '1000000',
  };
  const ways = {
    'metrics off': { OBS_METRICS_ENABLED: 'false' },
    'metrics, export per request': { OTEL_METRIC_EXPORT_INTERVAL: '0' },
    'metrics, 1 s coalescing (default)': {},
  };
  const running: { name: string; url: string; group: number }[] = [];
  let port = 18530;
  for (const [name, extra] of Object.entries(ways)) {
    const [http, inspector] = [port++, port++];
    const url = `http://127.0.0.1:${http}`;
    const { service } = await supervisor.start({
      name,
      ...wranglerDev({
        host: '127.0.0.1',
        port: http,
        inspectorPort: inspector,
        persistTo: join(work, `state-${http}`),
        vars: { ...vars, ...extra },
        databaseUrl,
      }),
      ready: () => httpGet(`${url}/healthz`),
      timeoutMs: 90_000,
    });
    running.push({ name, url, group: service.pid });
  }

  const paths = { '/ (no I/O)': '/', '/v1/me (cached authenticated read)': '/v1/me' };
  const results: Record<string, Record<string, number[]>> = {};
  for (const [label, path] of Object.entries(paths)) {
    for (let round = 0; round < rounds + 1; round++) {
      for (const { name, url, group } of running) {
        const cpuBefore = workerdCpuMs(group);
        for (let i = 0; i < requests; i++) {
          const response = await fetch(`${url}${path}`, { headers: { 'X-Dev-User': 'user_bench' } });
          await response.arrayBuffer();
          if (!response.ok) throw new Error(`${name}: ${path} -> ${response.status}`);
        }
        // Let the last exports run: their CPU belongs to this round's requests.
        await new Promise((resolve) => setTimeout(resolve, 1_500));
        // Round 0 warms each isolate up (JIT, caches, the tenant's provisioning) and is not counted.
        if (round === 0) continue;
        results[label] ??= {};
        const byWay = results[label];
        byWay[name] = [...(byWay[name] ?? []), (workerdCpuMs(group) - cpuBefore) / requests];
      }
    }
  }

  const exports = receiver.exports().filter((e) => e.signal === 'metrics').length;
  console.log(
    `CPU per request of workerd under wrangler dev (median of ${rounds} rounds of ${requests} sequential requests), tracing off:`,
  );
  for (const [label, byWay] of Object.entries(results)) {
    const off = median(byWay['metrics off'] ?? []);
    console.log(`\n${label}`);
    for (const [name, samples] of Object.entries(byWay)) {
      const ms = median(samples);
      const delta = name === 'metrics off' ? '' : ` (${ms - off >= 0 ? '+' : ''}${round(ms - off, 3)} ms)`;
      console.log(
        `  ${name.padEnd(36)} ${round(ms, 3)} ms${delta}   rounds: ${samples.map((v) => round(v, 3)).join(', ')}`,
      );
    }
  }
  console.log(`\nmetric exports received: ${exports}`);
});

/** User + system CPU (all threads, in ms) of the workerd processes in a process group. */
function workerdCpuMs(group: number): number {
  let ticks = 0;
  for (const d of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      // After the name: state, ppid, pgrp, ... utime and stime are fields 14 and 15 of stat(5).
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (comm === 'workerd' && Number(fields[2]) === group) ticks += Number(fields[11]) + Number(fields[12]);
    } catch {}
  }
  return (ticks * 1000) / 100; // clock ticks are 1/100 s on Linux
}
