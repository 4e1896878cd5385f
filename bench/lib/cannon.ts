import autocannon from 'autocannon';
import { percentile } from './stats';

export type Target = {
  url: string;
  method?: 'GET' | 'PATCH';
  headers?: Record<string, string>;
  /** A new body per request (the write endpoints), or none. */
  body?: () => string;
};

export type Sample = {
  /** Every response's time in ms (sub-ms resolution: autocannon's own histogram keeps whole ms). */
  latencies: number[];
  seconds: number;
  statuses: Record<string, number>;
  /** Socket errors and timeouts: requests that got no response at all. */
  errors: number;
};

export type Summary = {
  requests: number;
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  /** Non-2xx responses plus requests without a response. */
  errors: number;
  statuses: Record<string, number>;
};

/**
 * Runs autocannon against one target with `connections` kept-alive connections, for `seconds` or,
 * when `amount` is given, for exactly that many requests.
 */
export async function fire(
  target: Target,
  { connections, seconds = 10, amount }: { connections: number; seconds?: number; amount?: number },
) {
  const latencies: number[] = [];
  const options: autocannon.Options = {
    url: target.url,
    connections,
    ...(amount ? { amount } : { duration: seconds }),
    // Never let one stuck request stall a round: counted as an error instead.
    timeout: 5,
    requests: [
      {
        method: target.method ?? 'GET',
        headers: target.headers ?? {},
        ...(target.body ? { setupRequest: (request) => ({ ...request, body: target.body?.() }) } : {}),
      },
    ],
  };
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(options, (error, done) => (error ? reject(error) : resolve(done)));
    instance.on('response', (_client, _status, _bytes, ms) => latencies.push(ms));
  });
  const statuses: Record<string, number> = {};
  for (const [code, { count = 0 }] of Object.entries(result.statusCodeStats ?? {})) statuses[code] = count;
  return { latencies, seconds: result.duration, statuses, errors: result.errors } satisfies Sample;
}

/** Pools rounds of one target: percentiles over every response, rate over the total time. */
export function summarise(samples: readonly Sample[]): Summary {
  const latencies = samples.flatMap((s) => s.latencies);
  const seconds = samples.reduce((n, s) => n + s.seconds, 0);
  const statuses: Record<string, number> = {};
  for (const s of samples)
    for (const [code, n] of Object.entries(s.statuses)) statuses[code] = (statuses[code] ?? 0) + n;
  const non2xx = Object.entries(statuses).reduce((n, [code, count]) => n + (code.startsWith('2') ? 0 : count), 0);
  return {
    requests: latencies.length,
    rps: seconds ? latencies.length / seconds : 0,
    p50: percentile(latencies, 50),
    p90: percentile(latencies, 90),
    p99: percentile(latencies, 99),
    errors: non2xx + samples.reduce((n, s) => n + s.errors, 0),
    statuses,
  };
}
