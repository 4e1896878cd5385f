import { type ExportResult, ExportResultCode, hrTimeToMilliseconds } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { Logger } from './logger';

/**
 * Development without a collector: each trace becomes one JSON log line listing its spans, so
 * `wrangler dev` output shows where a request spent its time next to the request's own log line.
 */
export class ConsoleTraceExporter implements SpanExporter {
  constructor(private readonly logger: Logger) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    const [first] = spans;
    if (first) {
      this.logger.info('trace', {
        trace_id: first.spanContext().traceId,
        spans: spans.map((span) => ({
          name: span.name,
          span_id: span.spanContext().spanId,
          parent_span_id: span.parentSpanContext?.spanId ?? null,
          duration_ms: Math.round(hrTimeToMilliseconds(span.duration) * 100) / 100,
          status: span.status.code,
          attributes: span.attributes,
        })),
      });
    }
    done({ code: ExportResultCode.SUCCESS });
  }

  async shutdown(): Promise<void> {}
}
