import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OtlpReceiver, startOtlpReceiver } from '../../scripts/otlp-receiver';
import { parseSettings } from '../../worker/config';
import { onError } from '../../worker/error-handler';
import { ApiError } from '../../worker/errors';
import { metrics } from '../../worker/middleware/metrics';
import { DeltaStore } from '../../worker/observability/metrics/delta-store';
import { NO_METRICS } from '../../worker/observability/metrics/recorder';
import type { AppEnv } from '../../worker/types';
import { freePort } from './support/ports';

/** The metrics middleware in a small app (Node): what it derives from each response. */

let receiver: OtlpReceiver;
beforeAll(async () => {
  receiver = await startOtlpReceiver({ port: await freePort(18295, 18295) });
});
afterAll(() => receiver?.close());

// Development's defaults: these tests are about metrics, not about what a deployed Worker must have.
const DEV = { ENVIRONMENT: 'development' };

function app(vars: Record<string, string> = {}) {
  const settings = parseSettings({
    ENVIRONMENT: 'development',
    HYPERDRIVE: { connectionString: 'postgres://x@127.0.0.1:1/x' },
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_METRIC_EXPORT_INTERVAL: '0',
    ...vars,
  });
  const store = new DeltaStore();
  const seen: unknown[] = [];
  const hono = new Hono<AppEnv>()
    .use(async (c, next) => {
      c.set('settings', settings);
      await next();
    })
    .use(metrics({ store }))
    .use(async (c, next) => {
      seen.push(c.var.metrics);
      await next();
    })
    .get('/v1/things/:id', () => {
      // What postgres.js throws when the server refuses the connection.
      throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    })
    .get('/v1/me', () => {
      throw new ApiError(401, { code: 'token_expired', message: 'The session token is not valid' });
    })
    .post('/v1/webhooks/clerk', (c) => c.json({ received: true }));
  hono.onError(onError);
  const waiting: Promise<unknown>[] = [];
  const ctx = { waitUntil: (p: Promise<unknown>) => waiting.push(p), passThroughOnException() {}, props: {} };
  const send = async (path: string, method = 'GET') => {
    const res = await hono.request(path, { method }, {}, ctx as unknown as ExecutionContext);
    await Promise.all(waiting.splice(0));
    return res.status;
  };
  return { send, store, seen };
}

describe('the metrics middleware', () => {
  it('derives status, error type, auth failure and webhook outcome from each response', async () => {
    receiver.clear();
    const { send } = app();
    expect(await send('/v1/things/42')).toBe(503);
    expect(await send('/v1/me')).toBe(401);
    expect(await send('/v1/webhooks/clerk', 'POST')).toBe(200);
    expect(await send('/nowhere')).toBe(404);

    const points = receiver.metricPoints();
    const requests = points.filter((p) => p.name === 'http.server.request.duration').map((p) => p.attributes);
    expect(requests).toEqual(
      expect.arrayContaining([
        {
          'http.request.method': 'GET',
          'http.route': '/v1/things/:id',
          'http.response.status_code': 503,
          'error.type': 'database_unavailable',
        },
        { 'http.request.method': 'GET', 'http.route': '/v1/me', 'http.response.status_code': 401 },
        { 'http.request.method': 'POST', 'http.route': '/v1/webhooks/clerk', 'http.response.status_code': 200 },
        // No route matched: no http.route, never the concrete path.
        { 'http.request.method': 'GET', 'http.response.status_code': 404 },
      ]),
    );
    expect(requests).toHaveLength(4);
    const attributesOf = (name: string) => points.filter((p) => p.name === name).map((p) => p.attributes);
    expect(attributesOf('meatymusic.auth.failures')).toEqual([{ 'auth.failure.reason': 'token_expired' }]);
    expect(attributesOf('meatymusic.webhook.deliveries')).toEqual([
      { 'webhook.source': 'clerk', 'webhook.outcome': 'accepted' },
    ]);
  });

  it('an unknown method is counted as _OTHER, not as a series of its own', async () => {
    receiver.clear();
    const { send } = app();
    await send('/v1/me', 'BREW');
    const [point] = receiver.metricPoints().filter((p) => p.name === 'http.server.request.duration');
    expect(point?.attributes['http.request.method']).toBe('_OTHER');
  });

  it('with OBS_METRICS_ENABLED=false counts nothing, and call sites get a recorder that does nothing', async () => {
    const { send, store, seen } = app({ OBS_METRICS_ENABLED: 'false' });
    expect(await send('/v1/me')).toBe(401);
    expect(store.size).toBe(0);
    expect(seen).toEqual([NO_METRICS]);
  });

  it('without an endpoint there are no metrics, whatever the flag', () => {
    const settings = parseSettings({ ...DEV, HYPERDRIVE: { connectionString: 'postgres://x@h/x' } });
    expect(settings.obs.metrics).toBeNull();
    const own = parseSettings({
      ...DEV,
      HYPERDRIVE: { connectionString: 'postgres://x@h/x' },
      OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'https://metrics.example/otlp/v1/metrics',
      OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Basic%20abc',
    });
    expect(own.obs.metrics).toEqual({
      url: 'https://metrics.example/otlp/v1/metrics',
      headers: { authorization: 'Basic abc' },
      exportDelayMs: 1_000,
    });
    const base = parseSettings({
      ...DEV,
      HYPERDRIVE: { connectionString: 'postgres://x@h/x' },
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/',
    });
    expect(base.obs.metrics?.url).toBe('http://collector:4318/v1/metrics');
    expect(() =>
      parseSettings({ ...DEV, HYPERDRIVE: { connectionString: 'x' }, OTEL_METRIC_EXPORT_INTERVAL: '60000' }),
    ).toThrow(/OTEL_METRIC_EXPORT_INTERVAL/);
  });
});
