import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type OtlpReceiver, startOtlpReceiver } from '../../scripts/otlp-receiver';
import { freePort } from './support/ports';
import { type RunningApi, startApi } from './support/wrangler-api';

/**
 * Tracing must never cost a request: with the collector unreachable, the same Worker answers the
 * same way, in the same time, and says once (not per request) that spans are being dropped.
 */

const COLLECTOR_SECRET = 'Bearer collector-secret-8d1f';

let receiver: OtlpReceiver;
let healthy: RunningApi;
let orphaned: RunningApi;

const vars = (endpoint: string) => ({
  ENVIRONMENT: 'development',
  LOG_LEVEL: 'info',
  OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
  OTEL_EXPORTER_OTLP_HEADERS: `authorization=${encodeURIComponent(COLLECTOR_SECRET)}`,
});

beforeAll(async () => {
  receiver = await startOtlpReceiver({ port: await freePort(18250, 18254) });
  // Free now and never listened on: connections to it are refused, as with a collector that is down.
  const nobody = `http://127.0.0.1:${await freePort(18275, 18279)}`;
  const appDatabaseUrl = inject('appDatabaseUrl');
  healthy = await startApi({
    port: await freePort(18255, 18259),
    inspectorPort: await freePort(18260, 18264),
    appDatabaseUrl,
    vars: vars(receiver.url),
  });
  orphaned = await startApi({
    port: await freePort(18265, 18269),
    inspectorPort: await freePort(18270, 18274),
    appDatabaseUrl,
    vars: vars(nobody),
  });
});

afterAll(async () => {
  await Promise.all([healthy?.stop(), orphaned?.stop()]);
  await receiver?.close();
});

async function timedGet(api: RunningApi, path: string) {
  const started = performance.now();
  const res = await fetch(`${api.url}${path}`);
  await res.arrayBuffer();
  return { status: res.status, ms: performance.now() - started };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

describe('collector unreachable', () => {
  it('requests are answered the same, in the same order of time', async () => {
    for (const api of [healthy, orphaned]) for (let i = 0; i < 3; i++) await timedGet(api, '/readyz');
    const up: number[] = [];
    const down: number[] = [];
    // Interleaved, so both see the same machine load.
    for (let i = 0; i < 20; i++) {
      const a = await timedGet(healthy, '/readyz');
      const b = await timedGet(orphaned, '/readyz');
      expect([a.status, b.status]).toEqual([200, 200]);
      up.push(a.ms);
      down.push(b.ms);
    }
    expect(receiver.spans().length).toBeGreaterThan(0);
    const figures = `median ${median(down).toFixed(1)} ms with the collector down, ${median(up).toFixed(1)} ms up`;
    expect(median(down), figures).toBeLessThan(Math.max(median(up) * 5, median(up) + 50));
  });

  it('the dropped spans are reported once, without the exporter headers', async () => {
    const warning = await orphaned.waitForLog((l) => l.message === 'span export failed');
    expect(warning).toMatchObject({ level: 'warn', service: 'meatymusic-api', dropped_spans: expect.any(Number) });
    expect(orphaned.logs().filter((l) => l.message === 'span export failed')).toHaveLength(1);
    const everything = [...orphaned.output(), ...healthy.output()].join('\n');
    expect(everything).not.toContain('collector-secret-8d1f');
    // The healthy one did send them, to a collector that accepted them.
    expect(receiver.exports()[0]!.headers.authorization).toBe(COLLECTOR_SECRET);
  });
});
