import { type Attributes, SpanStatusCode, TraceFlags } from '@opentelemetry/api';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { withTimeout } from '../timeout';
import { redactUrl } from './redact';

export type TraceSpanProcessorOptions = {
  /** Merged into every span's resource (otel-cf-workers only sets service name, namespace and version). */
  resource?: Resource;
  /** An export that fails or hangs is reported here and dropped; it never rejects into `waitUntil`. */
  onExportError?: (error: unknown, spanCount: number) => void;
  exportTimeoutMs?: number;
  /** Traces whose flush never came (a span ended after its request finished) are dropped past this. */
  maxPendingTraces?: number;
};

const URL_ATTRIBUTES = ['url.full', 'http.url'];
const DROPPED_ATTRIBUTES = ['url.query'];

/**
 * Collects each trace's spans and exports them in one request when otel-cf-workers flushes that
 * trace (after the response and its `waitUntil` work), then forgets the trace. Stands in for the
 * library's BatchTraceSpanProcessor, which keeps a record of every trace id for the isolate's life
 * and lets a failed export reject into `waitUntil`.
 *
 * A trace is kept when it was sampled at its head or when any span failed, so errors survive a
 * low sampling ratio.
 */
export class TraceSpanProcessor implements SpanProcessor {
  readonly #traces = new Map<string, ReadableSpan[]>();
  readonly #resources = new WeakMap<Resource, Resource>();

  constructor(
    private readonly exporter: SpanExporter,
    private readonly options: TraceSpanProcessorOptions = {},
  ) {}

  onStart(): void {}

  onEnd(span: ReadableSpan): void {
    const { traceId } = span.spanContext();
    const spans = this.#traces.get(traceId);
    if (spans) {
      spans.push(span);
      return;
    }
    this.#traces.set(traceId, [span]);
    if (this.#traces.size > (this.options.maxPendingTraces ?? 1_000)) {
      const oldest = this.#traces.keys().next().value;
      if (oldest !== undefined) this.#traces.delete(oldest);
    }
  }

  /** otel-cf-workers calls this with the trace id of the request that just finished. */
  async forceFlush(traceId?: string): Promise<void> {
    const ids = traceId === undefined ? [...this.#traces.keys()] : [traceId];
    await Promise.all(ids.map((id) => this.#flush(id)));
  }

  shutdown(): Promise<void> {
    return this.forceFlush();
  }

  async #flush(traceId: string) {
    const spans = this.#traces.get(traceId);
    this.#traces.delete(traceId);
    if (!spans?.some(isKept)) return;
    const result = await this.#export(spans.map((span) => this.#prepare(span)));
    if (result.code !== ExportResultCode.SUCCESS) this.options.onExportError?.(result.error, spans.length);
  }

  #export(spans: ReadableSpan[]): Promise<ExportResult> {
    const exported = new Promise<ExportResult>((resolve) => this.exporter.export(spans, resolve));
    return withTimeout(exported, this.options.exportTimeoutMs ?? 5_000).catch((error: Error) => ({
      code: ExportResultCode.FAILED,
      error,
    }));
  }

  // A view over the library's span (its fields stay untouched) with our resource and safe attributes.
  #prepare(span: ReadableSpan): ReadableSpan {
    return Object.create(span, {
      resource: { value: this.#resourceOf(span) },
      attributes: { value: sanitise(span.attributes) },
    });
  }

  #resourceOf(span: ReadableSpan): Resource {
    const extra = this.options.resource;
    if (!extra) return span.resource;
    let merged = this.#resources.get(span.resource);
    if (!merged) {
      merged = span.resource.merge(extra);
      this.#resources.set(span.resource, merged);
    }
    return merged;
  }
}

function isKept(span: ReadableSpan): boolean {
  return (span.spanContext().traceFlags & TraceFlags.SAMPLED) !== 0 || span.status.code === SpanStatusCode.ERROR;
}

/**
 * Query strings carry search terms, emails and tokens: only scheme, host and path leave the Worker.
 * Attributes the library set to a missing header value (null) are left out rather than sent empty.
 */
function sanitise(attributes: Attributes): Attributes {
  const out: Attributes = {};
  for (const [key, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || DROPPED_ATTRIBUTES.includes(key)) continue;
    out[key] = URL_ATTRIBUTES.includes(key) && typeof value === 'string' ? redactUrl(value) : value;
  }
  return out;
}
