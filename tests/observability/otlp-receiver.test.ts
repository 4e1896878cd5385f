import { gzipSync } from 'node:zlib';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type OtlpReceiver, startOtlpReceiver } from '../../scripts/otlp-receiver';
import { freePort } from './support/ports';

let receiver: OtlpReceiver;
beforeAll(async () => {
  receiver = await startOtlpReceiver({ port: await freePort(18210, 18219) });
});
afterAll(() => receiver.close());
beforeEach(() => receiver.clear());

/** Two spans from the real SDK: a server span with a client child that failed. */
function sdkSpans() {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(exporter)],
    resource: resourceFromAttributes({ 'service.name': 'meatymusic-api', 'service.version': '1.2.3' }),
  });
  const tracer = provider.getTracer('test-scope');
  const root = tracer.startSpan('GET /v1/me', {
    kind: SpanKind.SERVER,
    attributes: { 'http.route': '/v1/me', 'http.response.status_code': 200, retried: false, ratio: 0.5 },
  });
  const child = tracer.startSpan(
    'db.query SELECT',
    { kind: SpanKind.CLIENT, attributes: { 'db.system': 'postgresql', tags: ['a', 'b'] } },
    trace.setSpan(context.active(), root),
  );
  child.addEvent('exception', { 'exception.message': 'relation does not exist' });
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'failed' });
  child.end();
  root.end();
  return exporter.getFinishedSpans();
}

const post = (body: string | Uint8Array, headers: Record<string, string>) =>
  fetch(`${receiver.url}/v1/traces`, {
    method: 'POST',
    body: typeof body === 'string' ? body : new Uint8Array(body),
    headers,
  });

describe('OTLP/HTTP receiver', () => {
  const spans = sdkSpans();
  const [child, root] = spans;

  const expectDecoded = () => {
    const received = receiver.spans();
    expect(received).toHaveLength(2);
    const byName = Object.fromEntries(received.map((s) => [s.name, s]));
    const server = byName['GET /v1/me']!;
    const client = byName['db.query SELECT']!;
    expect(server).toMatchObject({
      traceId: root!.spanContext().traceId,
      spanId: root!.spanContext().spanId,
      parentSpanId: null,
      kind: 2,
      attributes: { 'http.route': '/v1/me', 'http.response.status_code': 200, retried: false, ratio: 0.5 },
      resource: { 'service.name': 'meatymusic-api', 'service.version': '1.2.3' },
      scope: 'test-scope',
    });
    expect(client).toMatchObject({
      traceId: server.traceId,
      spanId: child!.spanContext().spanId,
      parentSpanId: server.spanId,
      kind: 3,
      attributes: { 'db.system': 'postgresql', tags: ['a', 'b'] },
      events: [{ name: 'exception', attributes: { 'exception.message': 'relation does not exist' } }],
      status: { code: 2, message: 'failed' },
    });
    expect(server.durationMs).toBeGreaterThanOrEqual(client.durationMs);
  };

  it('decodes OTLP/JSON, what the Worker sends', async () => {
    const body = JsonTraceSerializer.serializeRequest(spans)!;
    const res = await post(body, { 'content-type': 'application/json', 'x-collector-key': 'abc' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({});
    expectDecoded();
    expect(receiver.exports()).toEqual([
      expect.objectContaining({
        contentType: 'application/json',
        signal: 'traces',
        itemCount: 2,
        headers: expect.any(Object),
      }),
    ]);
    expect(receiver.exports()[0]!.headers['x-collector-key']).toBe('abc');
  });

  it('decodes gzipped OTLP/JSON', async () => {
    const res = await post(gzipSync(JsonTraceSerializer.serializeRequest(spans)!), {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    });
    expect(res.status).toBe(200);
    expectDecoded();
  });

  it('refuses OTLP/protobuf with 415, saying to export JSON', async () => {
    const res = await post(ProtobufTraceSerializer.serializeRequest(spans)!, {
      'content-type': 'application/x-protobuf',
    });
    expect(res.status).toBe(415);
    expect(await res.text()).toBe(
      'traces: unsupported content type "application/x-protobuf": this receiver takes OTLP/JSON only ' +
        '(application/json, what the Worker sends); set the exporter to http/json (OTEL_EXPORTER_OTLP_PROTOCOL=http/json)',
    );
    expect(receiver.spans()).toEqual([]);
    expect(receiver.exports()).toEqual([]);
  });

  it('serves what it received at GET /spans, and forgets it on DELETE /spans', async () => {
    await post(JsonTraceSerializer.serializeRequest(spans)!, { 'content-type': 'application/json' });
    const listed = (await (await fetch(`${receiver.url}/spans`)).json()) as { traceId: string }[];
    expect(listed.map((s) => s.traceId)).toEqual([root!.spanContext().traceId, root!.spanContext().traceId]);
    expect((await fetch(`${receiver.url}/spans`, { method: 'DELETE' })).status).toBe(204);
    expect(await (await fetch(`${receiver.url}/spans`)).json()).toEqual([]);
  });

  it('refuses what is not an OTLP request', async () => {
    expect((await post('{not json', { 'content-type': 'application/json' })).status).toBe(400);
    expect(
      (await post('{"resourceSpans":[{"scopeSpans":[{"spans":[{}]}]}]}', { 'content-type': 'application/json' }))
        .status,
    ).toBe(400);
    expect((await post('spans', { 'content-type': 'text/plain' })).status).toBe(415);
    expect(receiver.spans()).toEqual([]);
  });

  it('waitForSpans resolves when a matching span arrives, and times out otherwise', async () => {
    const traceId = root!.spanContext().traceId;
    const waiting = receiver.waitForSpans((s) => s.traceId === traceId, 5_000);
    await post(JsonTraceSerializer.serializeRequest(spans)!, { 'content-type': 'application/json' });
    expect(await waiting).toHaveLength(2);
    await expect(receiver.waitForSpans((s) => s.traceId === 'f'.repeat(32), 100)).rejects.toThrow(
      'no matching span within 100 ms',
    );
  });
});

describe('OTLP/HTTP metrics receiver', () => {
  const postMetrics = (body: unknown, contentType = 'application/json') =>
    fetch(`${receiver.url}/v1/metrics`, {
      method: 'POST',
      headers: { 'content-type': contentType },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const kv = (key: string, value: string) => ({ key, value: { stringValue: value } });
  const resource = { attributes: [kv('service.name', 'meatymusic-api'), kv('service.instance.id', 'i-1')] };
  const request = (metrics: unknown[]) => ({ resourceMetrics: [{ resource, scopeMetrics: [{ metrics }] }] });
  const counter = (n: number, temporality: number) => ({
    name: 'meatymusic.auth.failures',
    unit: '{request}',
    description: 'Requests refused with 401, by reason',
    sum: {
      aggregationTemporality: temporality,
      isMonotonic: true,
      dataPoints: [{ attributes: [kv('auth.failure.reason', 'token_expired')], timeUnixNano: '2', asInt: String(n) }],
    },
  });
  const histogram = {
    name: 'http.server.request.duration',
    unit: 's',
    histogram: {
      aggregationTemporality: 1,
      dataPoints: [
        {
          attributes: [kv('http.route', '/v1/me')],
          timeUnixNano: '2',
          count: '3',
          sum: 0.7,
          bucketCounts: ['1', '1', '1'],
          explicitBounds: [0.1, 0.5],
        },
      ],
    },
  };

  it('adds deltas up, and serves them as Prometheus text named as the collector names them', async () => {
    expect((await postMetrics(request([counter(2, 1), histogram]))).status).toBe(200);
    expect((await postMetrics(request([counter(3, 1), histogram]))).status).toBe(200);
    expect(receiver.metricPoints()).toHaveLength(4);
    const scraped = await fetch(`${receiver.url}/metrics`);
    expect(scraped.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await scraped.text();
    expect(text).toContain(
      'meatymusic_auth_failures_total{auth_failure_reason="token_expired",job="meatymusic-api",instance="i-1"} 5',
    );
    const labels = 'http_route="/v1/me",job="meatymusic-api",instance="i-1"';
    for (const line of [
      '# TYPE http_server_request_duration_seconds histogram',
      `http_server_request_duration_seconds_bucket{${labels},le="0.1"} 2`,
      `http_server_request_duration_seconds_bucket{${labels},le="0.5"} 4`,
      `http_server_request_duration_seconds_bucket{${labels},le="+Inf"} 6`,
      `http_server_request_duration_seconds_sum{${labels}} 1.4`,
      `http_server_request_duration_seconds_count{${labels}} 6`,
    ]) {
      expect(text).toContain(line);
    }
  });

  it('a cumulative point replaces the series; JSON only, and bad bodies are refused', async () => {
    await postMetrics(request([counter(4, 2)]));
    await postMetrics(request([counter(7, 2)]));
    expect(await (await fetch(`${receiver.url}/metrics`)).text()).toMatch(/meatymusic_auth_failures_total\{.*\} 7\n/);
    expect((await postMetrics('{', 'application/json')).status).toBe(400);
    expect((await postMetrics('\x0a', 'application/x-protobuf')).status).toBe(415);
  });
});
