import { env } from 'cloudflare:test';
import { OTLPExporter } from '@microlabs/otel-cf-workers';
import { trace } from '@opentelemetry/api';
import { Hono } from 'hono';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseSettings } from '../../worker/config';
import { correlation } from '../../worker/middleware/correlation';
import { requestLogger } from '../../worker/middleware/request-logger';
import { traceId } from '../../worker/middleware/trace-id';
import { ConsoleTraceExporter } from '../../worker/observability/console-exporter';
import { inSpan } from '../../worker/observability/spans';
import { traceConfig, tracesUrl } from '../../worker/observability/tracing';
import type { AppEnv } from '../../worker/types';
import { api } from '../support/api';
import { deployedVars } from '../support/deployed-vars';

afterEach(() => vi.restoreAllMocks());

const settingsWith = (vars: Record<string, string>) =>
  parseSettings({ ...env, ...vars } as unknown as Record<string, unknown>);

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';

describe('tracing configuration', () => {
  it('exports over OTLP/HTTP to <endpoint>/v1/traces with the configured headers and ratio', () => {
    const config = traceConfig(
      settingsWith({
        ...deployedVars('staging'),
        OTEL_EXPORTER_OTLP_ENDPOINT: 'https://collector.example:4318',
        OTEL_EXPORTER_OTLP_HEADERS: 'x-honeycomb-team=abc',
        OTEL_SAMPLE_RATIO: '0.25',
      }),
    );
    expect(config).toMatchObject({
      service: { name: 'meatymusic-api', version: '0.1.0' },
      sampling: { headSampler: { ratio: 0.25, acceptRemote: false } },
    });
    const exporter = (config as unknown as { spanProcessors: { exporter: unknown } }).spanProcessors.exporter;
    expect(exporter).toBeInstanceOf(OTLPExporter);
    expect(exporter).toMatchObject({
      url: 'https://collector.example:4318/v1/traces',
      headers: expect.objectContaining({ 'x-honeycomb-team': 'abc' }),
    });
  });

  it("a caller's sampling decision counts only when the configuration trusts callers", () => {
    const sampling = (vars: Record<string, string>) => traceConfig(settingsWith(vars))?.sampling;
    expect(sampling({})).toMatchObject({ headSampler: { acceptRemote: false } });
    expect(sampling({ OTEL_TRUST_PARENT_SAMPLING: 'true' })).toMatchObject({ headSampler: { acceptRemote: true } });
  });

  it('in development without an endpoint, spans go to the console', () => {
    const config = traceConfig(settingsWith({ ENVIRONMENT: 'development', OTEL_EXPORTER_OTLP_ENDPOINT: '' }));
    const exporter = (config as unknown as { spanProcessors: { exporter: unknown } }).spanProcessors.exporter;
    expect(exporter).toBeInstanceOf(ConsoleTraceExporter);
  });

  it('is off when OBS_TRACING_ENABLED=false, and outside development when there is nowhere to send spans', () => {
    expect(traceConfig(settingsWith({ OBS_TRACING_ENABLED: 'false' }))).toBeNull();
    expect(traceConfig(settingsWith(deployedVars('production')))).toBeNull();
  });

  it('appends /v1/traces to a base endpoint once', () => {
    expect(tracesUrl('http://otel-collector:4318')).toBe('http://otel-collector:4318/v1/traces');
    expect(tracesUrl('https://otlp.example/api/')).toBe('https://otlp.example/api/v1/traces');
    expect(tracesUrl('https://otlp.example/v1/traces')).toBe('https://otlp.example/v1/traces');
  });
});

describe('inside the instrumented Worker', () => {
  it("handlers see the request span: the response continues the caller's trace with a span of its own", async () => {
    const res = await api('/', { headers: { traceparent: `00-${TRACE}-${CALLER_SPAN}-01` } });
    // Had the middleware not seen the span (two copies of @opentelemetry/api), it would fall back to
    // an unsampled context of its own: flags 00.
    expect(res.headers.get('traceparent')).toMatch(new RegExp(`^00-${TRACE}-(?!${CALLER_SPAN})[0-9a-f]{16}-01$`));
    expect(res.headers.get('X-Trace-ID')).toBe(TRACE);
  });

  it("the service's own ratio decides sampling: a caller's not-sampled flag keeps its trace id, not its decision", async () => {
    // The test Worker samples everything (ratio 1); a caller asking for nothing is traced anyway,
    // as a caller asking for everything is sampled at the ratio, not at its word.
    const res = await api('/', { headers: { traceparent: `00-${TRACE}-${CALLER_SPAN}-00` } });
    expect(res.headers.get('traceparent')).toMatch(new RegExp(`^00-${TRACE}-(?!${CALLER_SPAN})[0-9a-f]{16}-01$`));
  });

  it('a span started outside any request runs the work untraced instead of throwing', async () => {
    await api('/');
    // Once otel-cf-workers has registered its tracer, a raw startSpan outside a request throws...
    expect(() => trace.getTracer('probe').startSpan('outside')).toThrow('Config is undefined');
    // ...where inSpan runs the work without a span.
    await expect(inSpan('outside', {}, async (span) => span.isRecording())).resolves.toBe(false);
  });
});

describe('with tracing off', () => {
  /** The trace-id, correlation and request-logger middleware alone, no otel-cf-workers around them. */
  function untraced() {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const lines = () => log.mock.calls.map(([line]) => JSON.parse(String(line)) as Record<string, unknown>);
    const settings = settingsWith({ OBS_TRACING_ENABLED: 'false' });
    const app = new Hono<AppEnv>()
      .use(async (c, next) => {
        c.set('settings', settings);
        await next();
      })
      .use(traceId())
      .use(correlation())
      .use(requestLogger())
      .get('/work', (c) => {
        c.var.logger.info('working');
        return c.text('ok');
      });
    return { app, lines };
  }

  it("log lines keep the caller's trace id, under a span id of this service's own", async () => {
    const { app, lines } = untraced();
    const res = await app.request('/work', { headers: { traceparent: `00-${TRACE}-${CALLER_SPAN}-01` } });
    expect(res.headers.get('X-Trace-ID')).toBe(TRACE);
    const spanId = res.headers.get('traceparent')!.split('-')[2];
    expect(spanId).not.toBe(CALLER_SPAN);
    // Nothing was recorded here, so nothing claims to be sampled downstream.
    expect(res.headers.get('traceparent')).toBe(`00-${TRACE}-${spanId}-00`);
    expect(lines()).toEqual([
      expect.objectContaining({ message: 'working', trace_id: TRACE, span_id: spanId }),
      expect.objectContaining({ message: 'request', trace_id: TRACE, span_id: spanId, route: '/work' }),
    ]);
  });

  it('without a usable traceparent every request gets a fresh trace id', async () => {
    const { app } = untraced();
    const ids = await Promise.all(
      ['', 'garbage', `00-${'0'.repeat(32)}-${CALLER_SPAN}-01`].map(async (traceparent) => {
        const res = await app.request('/work', { headers: traceparent ? { traceparent } : {} });
        return res.headers.get('X-Trace-ID');
      }),
    );
    expect(new Set(ids).size).toBe(3);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{32}$/);
  });
});
