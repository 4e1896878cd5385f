import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startLocalPrometheus } from '../../scripts/dev/prometheus';
import { onPath } from '../../scripts/dev/redis';
import { retry } from '../../scripts/dev/wait';
import { type OtlpReceiver, startOtlpReceiver } from '../../scripts/otlp-receiver';

/** `npm run dev`'s Prometheus (Debian's, from PATH) over the dev receiver: ports 18450-18451. */

const dataDir = mkdtempSync(join(tmpdir(), 'meatymusic-dev-prometheus-'));
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  rmSync(dataDir, { recursive: true, force: true });
});

const kv = (key: string, value: string | number) => ({
  key,
  value: typeof value === 'number' ? { intValue: String(value) } : { stringValue: value },
});

/** What the Worker sends after some requests: a delta of its request histogram. */
function requests(count: number, errors: number, now: number) {
  const point = (status: number, n: number) => ({
    attributes: [kv('http.request.method', 'GET'), kv('http.route', '/v1/me'), kv('http.response.status_code', status)],
    startTimeUnixNano: `${now - 1_000}000000`,
    timeUnixNano: `${now}000000`,
    count: String(n),
    sum: n * 0.01,
    bucketCounts: [String(n), '0'],
    explicitBounds: [0.5],
  });
  return {
    resourceMetrics: [
      {
        resource: { attributes: [kv('service.name', 'meatymusic-api'), kv('service.instance.id', 'isolate-1')] },
        scopeMetrics: [
          {
            metrics: [
              {
                name: 'http.server.request.duration',
                unit: 's',
                histogram: { aggregationTemporality: 1, dataPoints: [point(200, count - errors), point(503, errors)] },
              },
            ],
          },
        ],
      },
    ],
  };
}

describe('npm run dev: Prometheus over the local receiver', () => {
  it.skipIf(!onPath('prometheus'))(
    "scrapes the Worker's series under its own job and evaluates the SLO rules",
    async () => {
      const receiver: OtlpReceiver = await startOtlpReceiver({ port: 18450 });
      cleanups.push(() => receiver.close());
      const prometheus = await startLocalPrometheus({
        dataDir,
        host: '127.0.0.1',
        port: 18451,
        scrapeUrl: `${receiver.url}/metrics`,
      });
      cleanups.push(() => prometheus.process.stop());

      const rules = (await (await fetch(`${prometheus.url}/api/v1/rules`)).json()) as {
        data: { groups: { name: string; rules: { health: string }[] }[] };
      };
      const groups = rules.data.groups.map((g) => g.name);
      expect(groups).toEqual(
        expect.arrayContaining(['meatymusic-api-slo-availability', 'meatymusic-api-dependencies']),
      );

      const query = async (q: string) => {
        const body = (await (await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent(q)}`)).json()) as {
          data: { result: { metric: Record<string, string>; value: [number, string] }[] };
        };
        return body.data.result;
      };
      await fetch(`${receiver.url}/v1/metrics`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(requests(10, 1, Date.now())),
      });
      const series = await retry(
        'scrape',
        async () => {
          const result = await query('http_server_request_duration_seconds_count{http_route="/v1/me"}');
          if (result.length < 2) throw new Error('not scraped yet');
          return result;
        },
        { timeoutMs: 20_000, intervalMs: 500 },
      );
      // honor_labels: job and instance are the Worker's (service.name, service.instance.id), not the scrape's.
      expect(
        series.map((s) => [s.metric.job, s.metric.instance, s.metric.http_response_status_code, s.value[1]]).sort(),
      ).toEqual([
        ['meatymusic-api', 'isolate-1', '200', '9'],
        ['meatymusic-api', 'isolate-1', '503', '1'],
      ]);
      // Evaluated against real series, no rule errors (a bad expression would show health "err").
      const evaluated = await retry(
        'rule evaluation',
        async () => {
          const now = (await (await fetch(`${prometheus.url}/api/v1/rules`)).json()) as typeof rules;
          const all = now.data.groups.flatMap((g) => g.rules);
          if (all.some((r) => r.health === 'unknown')) throw new Error('not evaluated yet');
          return all;
        },
        { timeoutMs: 40_000, intervalMs: 1_000 },
      );
      expect(evaluated.filter((r) => r.health !== 'ok')).toEqual([]);
    },
  );
});
