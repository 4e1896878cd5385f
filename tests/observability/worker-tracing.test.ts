import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { REPO_ROOT } from '../../scripts/dev/paths';
import { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from '../../scripts/otlp-receiver';
import { freePort } from './support/ports';
import { type RunningApi, startApi } from './support/wrangler-api';

/**
 * The Worker as deployed code runs it (worker/index.ts under wrangler dev, Postgres through
 * Hyperdrive), exporting to a real OTLP/HTTP receiver: what arrives there, and what it logs.
 */

let receiver: OtlpReceiver;
let api: RunningApi;

beforeAll(async () => {
  receiver = await startOtlpReceiver({ port: await freePort(18220, 18229) });
  api = await startApi({
    port: await freePort(18230, 18239),
    inspectorPort: await freePort(18240, 18249),
    appDatabaseUrl: inject('appDatabaseUrl'),
    vars: {
      ENVIRONMENT: 'development',
      DEV_AUTH_BYPASS: 'true',
      LOG_LEVEL: 'info',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_HEADERS: 'x-collector-key=obs-test-key',
    },
  });
});

afterAll(async () => {
  await api?.stop();
  await receiver?.close();
});

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

/** A caller's trace context, as the site (or any upstream service) sends it. */
function callerContext() {
  const traceId = hex(16);
  const spanId = hex(8);
  return { traceId, spanId, traceparent: `00-${traceId}-${spanId}-01` };
}

const get = (path: string, headers: Record<string, string> = {}) => fetch(`${api.url}${path}`, { headers });

/** All spans of one trace, once the Worker has exported it (one export per trace). */
const traceOf = (traceId: string) => receiver.waitForSpans((s) => s.traceId === traceId);

describe('spans exported from the Worker', () => {
  it('a signed-in request: server span named by route, tenant spans and a span per statement beneath it', async () => {
    const caller = callerContext();
    const res = await get('/v1/me', { traceparent: caller.traceparent, 'X-Dev-User': 'user_obs_tree' });
    expect(res.status).toBe(200);
    const me = (await res.json()) as { tenant: { id: string }; user: { id: string; email: string } };
    const spans = await traceOf(caller.traceId);

    for (const span of spans) {
      expect(span.resource).toMatchObject({
        'service.name': 'meatymusic-api',
        'service.version': '0.1.0',
        'deployment.environment.name': 'development',
      });
    }

    // The caller's trace is continued: same trace id, the request span's parent is the caller's span.
    const request = only(spans, (s) => s.parentSpanId === caller.spanId);
    expect(request).toMatchObject({
      name: 'GET /v1/me',
      kind: 2,
      attributes: { 'http.route': '/v1/me', 'http.response.status_code': 200, 'tenant.id': me.tenant.id },
    });

    const tenantSpans = spans.filter((s) => ['db.readTenant', 'db.writeTenant', 'db.withTenant'].includes(s.name));
    expect(tenantSpans.length).toBeGreaterThanOrEqual(1);
    for (const t of tenantSpans) {
      expect(t.parentSpanId).toBe(request.spanId);
      expect(t.attributes).toMatchObject({ 'db.system': 'postgresql', 'tenant.id': me.tenant.id });
      const statements = spans.filter((s) => s.parentSpanId === t.spanId);
      // BEGIN, the tenant setting, at least one statement, COMMIT: each its own span.
      expect(statements.map((s) => s.attributes['db.operation'])).toEqual(
        expect.arrayContaining(['BEGIN', 'SELECT', 'COMMIT']),
      );
      for (const s of statements) {
        expect(s.name).toBe(`db.query ${s.attributes['db.operation']}`);
        expect(s.attributes['db.system']).toBe('postgresql');
        expect(s.durationMs).toBeLessThanOrEqual(t.durationMs);
      }
    }

    // Statements are recorded by shape: no id, email or tenant uuid from the data appears in them.
    const statements = spans
      .filter((s) => s.name.startsWith('db.query'))
      .map((s) => String(s.attributes['db.statement']));
    expect(statements.some((text) => text.includes('set_config(?, ?, true)'))).toBe(true);
    for (const value of [me.tenant.id, me.user.id, me.user.email, 'user_obs_tree']) {
      for (const text of statements) expect(text).not.toContain(value);
    }
  });

  it('a request without a traceparent starts a trace of its own; every request gets a distinct one', async () => {
    const responses = await Promise.all([get('/'), get('/'), get('/')]);
    const ids = responses.map((r) => r.headers.get('X-Trace-ID') ?? '');
    expect(new Set(ids).size).toBe(3);
    for (const id of ids) {
      expect(id).toMatch(/^[0-9a-f]{32}$/);
      const root = only(await traceOf(id), (s) => s.parentSpanId === null);
      expect(root.name).toBe('GET /');
    }
  });

  it('an unmatched path is named by its method alone, so paths never become span names', async () => {
    const res = await get('/no/such/thing');
    expect(res.status).toBe(404);
    const [span] = await traceOf(res.headers.get('X-Trace-ID')!);
    expect(span!.name).toBe('GET');
    expect(span!.attributes['http.route']).toBeUndefined();
  });

  it('sends OTEL_EXPORTER_OTLP_HEADERS with every export', async () => {
    await traceOf((await get('/')).headers.get('X-Trace-ID')!);
    const exports = receiver.exports();
    expect(exports.length).toBeGreaterThan(0);
    for (const e of exports) expect(e.headers['x-collector-key']).toBe('obs-test-key');
  });
});

describe('log lines and response headers', () => {
  it('the request line carries the exported trace and span ids and the response X-Request-ID', async () => {
    const caller = callerContext();
    const res = await get('/readyz', { traceparent: caller.traceparent, 'X-Correlation-ID': 'flow-obs-1' });
    expect(res.status).toBe(200);
    const request = only(await traceOf(caller.traceId), (s) => s.parentSpanId === caller.spanId);

    expect(res.headers.get('X-Trace-ID')).toBe(caller.traceId);
    expect(res.headers.get('traceparent')).toBe(`00-${caller.traceId}-${request.spanId}-01`);

    const requestId = res.headers.get('X-Request-ID');
    const line = await api.waitForLog((l) => l.message === 'request' && l.request_id === requestId);
    expect(line).toMatchObject({
      level: 'info',
      service: 'meatymusic-api',
      environment: 'development',
      trace_id: request.traceId,
      span_id: request.spanId,
      correlation_id: 'flow-obs-1',
      method: 'GET',
      path: '/readyz',
      route: '/readyz',
      status: 200,
    });
    expect(line.timestamp).toEqual(new Date(String(line.timestamp)).toISOString());
    expect(line.duration_ms).toEqual(expect.any(Number));
  });

  it('/healthz is answered but writes no request line (probes would drown the log)', async () => {
    const health = await get('/healthz');
    expect(health.status).toBe(200);
    // A later request's line proves the log has caught up past the probe.
    const marker = await get('/');
    await api.waitForLog((l) => l.request_id === marker.headers.get('X-Request-ID'));
    expect(api.logs().filter((l) => l.request_id === health.headers.get('X-Request-ID'))).toEqual([]);
    expect(api.logs().filter((l) => l.message === 'request' && l.path === '/healthz')).toEqual([]);
  });

  it('an Authorization header or session cookie appears in no log line and no span', async () => {
    const token = `eyJhbGciOiJSUzI1NiJ9.${Buffer.from(`{"sub":"user_${hex(6)}"}`).toString('base64url')}.${hex(24)}`;
    const cookie = `cookie-${hex(12)}`;
    const res = await get('/v1/me', { Authorization: `Bearer ${token}`, Cookie: `__session=${cookie}` });
    expect(res.status).toBe(401);
    await api.waitForLog((l) => l.request_id === res.headers.get('X-Request-ID'));
    await traceOf(res.headers.get('X-Trace-ID')!);

    const everything = [...api.output(), JSON.stringify(receiver.spans())].join('\n');
    expect(everything).not.toContain(token);
    expect(everything).not.toContain(token.split('.')[2]);
    expect(everything).not.toContain(cookie);
  });
});

function only(spans: ReceivedSpan[], predicate: (s: ReceivedSpan) => boolean): ReceivedSpan {
  const matching = spans.filter(predicate);
  expect(matching, JSON.stringify(spans.map((s) => [s.name, s.spanId, s.parentSpanId]))).toHaveLength(1);
  return matching[0]!;
}

describe('scripts/verify-tracing.ts', () => {
  const verify = (args: string[]) =>
    promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/verify-tracing.ts', ...args], {
      cwd: REPO_ROOT,
    }).then(
      ({ stdout }) => ({ code: 0, lines: stdout.trim().split('\n') }),
      (error: { code: number; stdout: string }) => ({ code: error.code, lines: error.stdout.trim().split('\n') }),
    );

  it('passes every check against this Worker and its receiver', async () => {
    const caller = callerContext();
    const { code, lines } = await verify([
      '--api',
      api.url,
      '--receiver',
      receiver.url,
      '--traceparent',
      caller.traceparent,
    ]);
    expect(lines.map((l) => l.split(':')[0])).toEqual([
      'PASS  health',
      'PASS  root endpoint traced',
      'PASS  service name',
      'PASS  traceparent propagated',
      'PASS  distinct traces',
    ]);
    expect(lines[3]).toContain(caller.traceId);
    expect(code).toBe(0);
  });

  it('fails, with a non-zero exit, when the spans do not reach the collector it reads', async () => {
    const elsewhere = await startOtlpReceiver({ port: await freePort(18225, 18229) });
    try {
      const { code, lines } = await verify(['--api', api.url, '--receiver', elsewhere.url, '--timeout-ms', '1000']);
      expect(lines.map((l) => l.split(':')[0])).toEqual([
        'PASS  health',
        'FAIL  root endpoint traced',
        'FAIL  service name',
        'FAIL  traceparent propagated',
        'FAIL  distinct traces',
      ]);
      expect(code).toBe(1);
    } finally {
      await elsewhere.close();
    }
  });
});
