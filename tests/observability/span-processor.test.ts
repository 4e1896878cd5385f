import { context, SpanStatusCode, trace } from '@opentelemetry/api';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  type Sampler,
  SamplingDecision,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { TraceSpanProcessor, type TraceSpanProcessorOptions } from '../../worker/observability/span-processor';

// What otel-cf-workers does with a trace its head sampler leaves out: spans are recorded, flagged unsampled.
const recordOnly: Sampler = {
  shouldSample: () => ({ decision: SamplingDecision.RECORD }),
  toString: () => 'record-only',
};

/** A real SDK tracer whose spans go through the processor under test. */
function setup(exporter: SpanExporter, options: TraceSpanProcessorOptions = {}, sampled = true) {
  const processor = new TraceSpanProcessor(exporter, options);
  const provider = new BasicTracerProvider({
    spanProcessors: [processor],
    resource: resourceFromAttributes({ 'service.name': 'meatymusic-api' }),
    ...(sampled ? {} : { sampler: recordOnly }),
  });
  const tracer = provider.getTracer('test');
  /** A request span with one child, both ended; returns the trace id. */
  const request = (attributes: Record<string, string> = {}) => {
    const root = tracer.startSpan('GET /v1/me', { attributes });
    tracer.startSpan('db.query SELECT', {}, trace.setSpan(context.active(), root)).end();
    root.end();
    return root.spanContext().traceId;
  };
  return { processor, tracer, request };
}

describe('TraceSpanProcessor', () => {
  it('exports a trace in one batch when it is flushed, then forgets it', async () => {
    const exporter = new InMemorySpanExporter();
    const { processor, request } = setup(exporter);
    const traceId = request();
    const other = request();
    expect(exporter.getFinishedSpans()).toHaveLength(0);

    await processor.forceFlush(traceId);
    expect(exporter.getFinishedSpans().map((s) => [s.name, s.spanContext().traceId])).toEqual([
      ['db.query SELECT', traceId],
      ['GET /v1/me', traceId],
    ]);

    exporter.reset();
    await processor.forceFlush(traceId);
    expect(exporter.getFinishedSpans()).toHaveLength(0);
    await processor.forceFlush(other);
    expect(exporter.getFinishedSpans()).toHaveLength(2);
  });

  it('adds the environment to the resource and keeps query strings and empty attributes out', async () => {
    const exporter = new InMemorySpanExporter();
    const { processor, tracer } = setup(exporter, {
      resource: resourceFromAttributes({ 'deployment.environment.name': 'staging' }),
    });
    const span = tracer.startSpan('GET', {
      attributes: { 'url.full': 'https://api.test/v1/search?email=alice%40example.com', 'url.query': '?email=x' },
    });
    span.setAttribute('http.response.body.size', null as unknown as string);
    span.end();
    await processor.forceFlush(span.spanContext().traceId);

    const [exported] = exporter.getFinishedSpans() as ReadableSpan[];
    expect(exported!.resource.attributes).toMatchObject({
      'service.name': 'meatymusic-api',
      'deployment.environment.name': 'staging',
    });
    expect(exported!.attributes).toEqual({ 'url.full': 'https://api.test/v1/search' });
    // The SDK's own span is left as it was: only the exported view changes.
    expect((span as unknown as ReadableSpan).attributes['url.query']).toBe('?email=x');
  });

  it('drops traces the head sampler left out, but keeps a failed one whatever the ratio', async () => {
    const exporter = new InMemorySpanExporter();
    const { processor, tracer, request } = setup(exporter, {}, false);
    await processor.forceFlush(request());
    expect(exporter.getFinishedSpans()).toHaveLength(0);

    const failed = tracer.startSpan('GET /readyz');
    failed.setStatus({ code: SpanStatusCode.ERROR });
    failed.end();
    await processor.forceFlush(failed.spanContext().traceId);
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['GET /readyz']);
  });

  it('reports a failed export once and resolves: a collector outage never rejects into waitUntil', async () => {
    const reported: [unknown, number][] = [];
    const failing: SpanExporter = {
      export: (_spans, done: (r: ExportResult) => void) =>
        done({ code: ExportResultCode.FAILED, error: new Error('ECONNREFUSED') }),
      shutdown: async () => {},
    };
    const { processor, request } = setup(failing, { onExportError: (error, n) => reported.push([error, n]) });
    await expect(processor.forceFlush(request())).resolves.toBeUndefined();
    expect(reported).toEqual([[new Error('ECONNREFUSED'), 2]]);
  });

  it('gives up on a collector that never answers', async () => {
    const reported: unknown[] = [];
    const silent: SpanExporter = { export: () => {}, shutdown: async () => {} };
    const { processor, request } = setup(silent, { exportTimeoutMs: 50, onExportError: (e) => reported.push(e) });
    const started = performance.now();
    await processor.forceFlush(request());
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(String(reported[0])).toContain('no answer within 50 ms');
  });

  it('holds at most maxPendingTraces unflushed traces, dropping the oldest', async () => {
    const exporter = new InMemorySpanExporter();
    const { processor, request } = setup(exporter, { maxPendingTraces: 2 });
    const [first, second, third] = [request(), request(), request()];
    await processor.forceFlush();
    const exported = new Set(exporter.getFinishedSpans().map((s) => s.spanContext().traceId));
    expect(exported).toEqual(new Set([second, third]));
    expect(exported.has(first)).toBe(false);
  });
});
