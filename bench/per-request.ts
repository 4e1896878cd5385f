import { fire, type Target } from './lib/cannon';
import type { Served } from './lib/services';
import { percentile, round } from './lib/stats';

export type Cost = {
  requests: number;
  p50Ms: number;
  p99Ms: number;
  /** The server process's CPU time (user + system) over the run, per request. */
  cpuMsPerRequest: number;
  errors: number;
};

/**
 * One request at a time (1 connection, so nothing queues): `warmup` requests first (isolate start,
 * JIT, connections), then `requests` counted ones, with the server process's CPU time read before and
 * after. The process's clock ticks are 10 ms, so runs are sized to hundreds of ticks.
 */
export async function costPerRequest(
  server: Served,
  target: Target,
  { requests, warmup }: { requests: number; warmup: number },
): Promise<Cost> {
  await fire(target, { connections: 1, amount: warmup });
  const before = server.cpuMs();
  const sample = await fire(target, { connections: 1, amount: requests });
  const cpu = server.cpuMs() - before;
  const non2xx = Object.entries(sample.statuses).reduce(
    (n, [code, count]) => n + (code.startsWith('2') ? 0 : count),
    0,
  );
  return {
    requests: sample.latencies.length,
    p50Ms: round(percentile(sample.latencies, 50), 2),
    p99Ms: round(percentile(sample.latencies, 99), 2),
    cpuMsPerRequest: round(cpu / Math.max(1, sample.latencies.length), 3),
    errors: non2xx + sample.errors,
  };
}
