import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OtlpReceiver, type ReceivedMetricPoint, startOtlpReceiver } from '../../scripts/otlp-receiver';
import { createLogger } from '../../worker/observability/logger';
import { DeltaStore } from '../../worker/observability/metrics/delta-store';
import { createMetricsExporter } from '../../worker/observability/metrics/exporter';
import { INSTRUMENTS } from '../../worker/observability/metrics/instruments';
import { freePort } from './support/ports';

/** The export path on its own (Node, a real receiver): what happens around failures and limits. */

let receiver: OtlpReceiver;
let refusing: { url: string; status: number; server: Server };

beforeAll(async () => {
  receiver = await startOtlpReceiver({ port: await freePort(18296, 18297) });
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(refusing.status).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  refusing = { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/metrics`, status: 503, server };
});

afterAll(async () => {
  await receiver?.close();
  refusing?.server.close();
});

function exporterTo(store: DeltaStore, url: string) {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    service: 'test',
    environment: 'test',
    level: 'debug',
    write: (_level, line) => lines.push(JSON.parse(line)),
  });
  const exporter = createMetricsExporter(store, {
    url,
    headers: { 'x-api-key': 'k' },
    delayMs: 0,
    resource: { 'service.name': 'meatymusic-api' },
    logger,
  });
  return { exporter, lines };
}

const total = (points: ReceivedMetricPoint[], name: string) =>
  points.filter((p) => p.name === name).reduce((n, p) => n + (p.count ?? p.value ?? 0), 0);

describe('metrics export', () => {
  it('keeps what a backend could not take (5xx, unreachable) and sends it, summed, once it answers', async () => {
    receiver.clear();
    const store = new DeltaStore();
    const down = exporterTo(store, refusing.url);
    store.record(INSTRUMENTS.authFailures, { 'auth.failure.reason': 'unauthorized' });
    await down.exporter.exportSoon();
    const unreachable = exporterTo(store, `http://127.0.0.1:${await freePort(18298, 18299)}/v1/metrics`);
    store.record(INSTRUMENTS.authFailures, { 'auth.failure.reason': 'unauthorized' });
    await unreachable.exporter.exportSoon();
    expect(down.lines).toEqual([expect.objectContaining({ level: 'warn', message: 'metrics export failed' })]);
    expect(store.size).toBe(1);

    store.record(INSTRUMENTS.authFailures, { 'auth.failure.reason': 'unauthorized' });
    await exporterTo(store, `${receiver.url}/v1/metrics`).exporter.exportSoon();
    expect(total(receiver.metricPoints(), 'meatymusic.auth.failures')).toBe(3);
    expect(receiver.exports().at(-1)?.headers['x-api-key']).toBe('k');
    expect(store.size).toBe(0);
  });

  it('drops a batch the backend refuses as such (4xx): sending it again would be refused again', async () => {
    refusing.status = 400;
    const store = new DeltaStore();
    const { exporter, lines } = exporterTo(store, refusing.url);
    store.record(INSTRUMENTS.tenantRequests, { 'tenant.id': 't1' });
    await exporter.exportSoon();
    expect(store.size).toBe(0);
    expect(lines[0]).toMatchObject({ message: 'metrics export failed', series: 1 });
    refusing.status = 503;
  });

  it('while one export waits, later requests schedule none: it takes their measurements too', async () => {
    receiver.clear();
    const store = new DeltaStore();
    const exporter = createMetricsExporter(store, {
      url: `${receiver.url}/v1/metrics`,
      headers: {},
      delayMs: 100,
      resource: {},
      logger: createLogger({ service: 't', environment: 'test', level: 'error', write: () => {} }),
    });
    store.record(INSTRUMENTS.tenantWrites, { 'tenant.id': 't1' });
    const first = exporter.exportSoon();
    store.record(INSTRUMENTS.tenantWrites, { 'tenant.id': 't1' });
    expect(exporter.exportSoon()).toBeNull();
    await first;
    expect(receiver.exports()).toHaveLength(1);
    expect(total(receiver.metricPoints(), 'meatymusic.tenant.writes')).toBe(2);
    // Once it has gone, the next request schedules again.
    store.record(INSTRUMENTS.tenantWrites, { 'tenant.id': 't1' });
    await exporter.exportSoon();
    expect(total(receiver.metricPoints(), 'meatymusic.tenant.writes')).toBe(3);
  });

  it('caps the series an isolate holds: past the cap, new attribute sets share one overflow series', () => {
    const store = new DeltaStore(3);
    for (const id of ['a', 'b', 'c', 'd', 'e']) store.record(INSTRUMENTS.tenantRequests, { 'tenant.id': id });
    const delta = store.take();
    expect(delta?.series.map((s) => [s.attributes, s.count])).toEqual([
      [{ 'tenant.id': 'a' }, 1],
      [{ 'tenant.id': 'b' }, 1],
      [{ 'tenant.id': 'c' }, 1],
      [{ 'otel.metric.overflow': true }, 2],
    ]);
  });

  it('puts each observation in the bucket whose upper bound it does not exceed (le), +Inf last', () => {
    const store = new DeltaStore();
    for (const seconds of [0, 0.005, 0.0051, 0.5, 11]) {
      store.record(INSTRUMENTS.httpDuration, { 'http.route': '/' }, seconds);
    }
    const [series] = store.take()?.series ?? [];
    expect(series?.buckets).toEqual([2, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1]);
    expect(series).toMatchObject({ count: 5, min: 0, max: 11 });
    expect(series?.sum).toBeCloseTo(11.5101, 6);
  });
});
