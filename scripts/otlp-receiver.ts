import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { z } from 'zod';
import { decodeJsonTraces } from './otlp/decode-json';
import { decodeJsonMetrics } from './otlp/decode-json-metrics';
import type { ReceivedMetricPoint } from './otlp/metric';
import { PrometheusSeries } from './otlp/prometheus';
import type { ReceivedSpan } from './otlp/span';

export type { ReceivedMetricPoint } from './otlp/metric';
export type { ReceivedSpan } from './otlp/span';

/**
 * A real OTLP/HTTP endpoint that keeps what it receives in memory: for tests, for `npm run dev`
 * without a collector, and for scripts/verify-tracing.ts. `POST /v1/traces` and `POST /v1/metrics`
 * take OTLP/JSON (optionally gzipped): the only encoding the Worker's exporters send (otel-cf-workers'
 * OTLPExporter and worker/observability/metrics), so protobuf is refused with 415 rather than decoded.
 * `GET /spans` lists the decoded spans; `DELETE /spans` clears spans and metrics; `GET /metric-points`
 * lists the decoded data points and `GET /metrics` is a Prometheus scrape target with the deltas summed up.
 */

export interface OtlpReceiverOptions {
  /** 0 picks a free port. */
  port: number;
  host?: string;
}

export interface ExportRequest {
  /** Request headers, lowercased (to check OTEL_EXPORTER_OTLP_HEADERS arrive). */
  headers: Record<string, string>;
  contentType: string;
  signal: 'traces' | 'metrics';
  /** Spans, or metric data points. */
  itemCount: number;
}

export interface OtlpReceiver {
  /** The base URL, what OTEL_EXPORTER_OTLP_ENDPOINT is set to. */
  url: string;
  spans(): ReceivedSpan[];
  metricPoints(): ReceivedMetricPoint[];
  /** The Prometheus text `GET /metrics` serves. */
  prometheusText(): string;
  exports(): ExportRequest[];
  /** Resolves with the matching spans as soon as at least one has arrived; rejects after the timeout. */
  waitForSpans(predicate: (span: ReceivedSpan) => boolean, timeoutMs?: number): Promise<ReceivedSpan[]>;
  /** Resolves with every point received once `ready(points)` holds; rejects after the timeout. */
  waitForMetrics(ready: (points: ReceivedMetricPoint[]) => boolean, timeoutMs?: number): Promise<ReceivedMetricPoint[]>;
  clear(): void;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 16 * 1024 * 1024;

class BadRequest extends Error {
  status = 400;
}
class UnsupportedMediaType extends BadRequest {
  override status = 415;
}

export async function startOtlpReceiver({ port, host = '127.0.0.1' }: OtlpReceiverOptions): Promise<OtlpReceiver> {
  const received: ReceivedSpan[] = [];
  const points: ReceivedMetricPoint[] = [];
  const scrape = new PrometheusSeries();
  const requests: ExportRequest[] = [];
  const waiters = new Set<() => void>();
  /** Resolves with `found()` once it answers, checked now and after every export; rejects past the timeout. */
  const waitFor = <T>(timeoutMs: number, found: () => T | undefined, timeoutMessage: () => string) =>
    new Promise<T>((resolve, reject) => {
      const check = () => {
        const value = found();
        if (value === undefined) return;
        finish();
        resolve(value);
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(timeoutMessage()));
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });

  const accept = async (req: IncomingMessage, res: ServerResponse, signal: ExportRequest['signal']) => {
    const contentType = (req.headers['content-type'] ?? '').split(';')[0]?.trim() ?? '';
    let body = await readBody(req);
    if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
    let itemCount: number;
    if (signal === 'traces') {
      const spans = decodeJson(signal, contentType, body, decodeJsonTraces);
      received.push(...spans);
      itemCount = spans.length;
    } else {
      const metrics = decodeJson(signal, contentType, body, decodeJsonMetrics);
      points.push(...metrics);
      scrape.add(metrics);
      itemCount = metrics.length;
    }
    requests.push({ headers: flatHeaders(req), contentType, signal, itemCount });
    for (const wake of waiters) wake();
    // An empty Export*ServiceResponse: full success.
    res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
  };

  const clear = () => {
    received.length = 0;
    points.length = 0;
    requests.length = 0;
    scrape.clear();
  };

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://receiver').pathname;
    const route = `${req.method} ${path}`;
    if (route === 'POST /v1/traces' || route === 'POST /v1/metrics') {
      accept(req, res, path === '/v1/traces' ? 'traces' : 'metrics').catch((error: unknown) => {
        const status = error instanceof BadRequest ? error.status : error instanceof z.ZodError ? 400 : 500;
        if (!res.headersSent) res.writeHead(status, { 'Content-Type': 'text/plain' });
        res.end(error instanceof Error ? error.message : String(error));
      });
    } else if (route === 'GET /spans') {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(received));
    } else if (route === 'GET /metric-points') {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(points));
    } else if (route === 'GET /metrics') {
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' }).end(scrape.text());
    } else if (route === 'DELETE /spans') {
      clear();
      res.writeHead(204).end();
    } else {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end(`no route for ${route}`);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });

  const address = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`,
    spans: () => [...received],
    metricPoints: () => [...points],
    prometheusText: () => scrape.text(),
    exports: () => [...requests],
    waitForSpans: (predicate, timeoutMs = 10_000) =>
      waitFor(
        timeoutMs,
        () => {
          const matching = received.filter(predicate);
          return matching.length ? matching : undefined;
        },
        () => `no matching span within ${timeoutMs} ms (${received.length} received)`,
      ),
    waitForMetrics: (ready, timeoutMs = 10_000) =>
      waitFor(
        timeoutMs,
        () => (ready(points) ? [...points] : undefined),
        () => `metrics not as expected within ${timeoutMs} ms (${points.length} points received)`,
      ),
    clear,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** An OTLP/JSON export body, decoded; anything else (protobuf included) is a 415 that says what to send. */
function decodeJson<T>(
  signal: ExportRequest['signal'],
  contentType: string,
  body: Buffer,
  decode: (json: string) => T[],
): T[] {
  if (contentType !== 'application/json') {
    throw new UnsupportedMediaType(
      `${signal}: unsupported content type "${contentType}": this receiver takes OTLP/JSON only (application/json, ` +
        'what the Worker sends); set the exporter to http/json (OTEL_EXPORTER_OTLP_PROTOCOL=http/json)',
    );
  }
  try {
    return decode(body.toString('utf8'));
  } catch (error) {
    throw error instanceof SyntaxError ? new BadRequest(`invalid JSON: ${error.message}`) : error;
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new BadRequest(`body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function flatHeaders(req: IncomingMessage): Record<string, string> {
  return Object.fromEntries(
    Object.entries(req.headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(', ') : (value ?? '')]),
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { port: { type: 'string' }, host: { type: 'string' } } });
  const options = z
    .object({
      port: z.coerce.number().int().min(0).max(65_535).default(4318),
      host: z.string().min(1).default('127.0.0.1'),
    })
    .parse(values);
  const receiver = await startOtlpReceiver(options);
  console.log(
    `OTLP/HTTP receiver: export to ${receiver.url} (POST /v1/traces, /v1/metrics); spans at ${receiver.url}/spans, Prometheus scrape at ${receiver.url}/metrics`,
  );
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => receiver.close().then(() => process.exit(0)));
  }
}
