import {
  type Attributes,
  context,
  INVALID_SPAN_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { redactText } from './redact';

const tracer = trace.getTracer('meatymusic-api');

export type SpanOptions = { kind?: SpanKind; attributes?: Attributes };

/**
 * Runs `fn` in a child span of the active one (a database call, a Redis command, a token check).
 * A throw marks the span as failed and is rethrown. Without a registered tracer (tracing off, Node
 * scripts) the span is a no-op and this is a plain call.
 */
export function inSpan<T>(name: string, options: SpanOptions, fn: (span: Span) => Promise<T>): Promise<T> {
  let span: Span;
  try {
    span = tracer.startSpan(name, { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes });
  } catch {
    // otel-cf-workers' tracer throws when no request of its own is active (code run outside the
    // instrumented handler, e.g. a sub-app driven directly by a test): that code simply goes untraced.
    return fn(trace.wrapSpanContext(INVALID_SPAN_CONTEXT));
  }
  return context.with(trace.setSpan(context.active(), span), async () => {
    try {
      return await fn(span);
    } catch (error) {
      recordError(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

/** The error as an `exception` event; messages are redacted, stacks only where they are wanted. */
export function recordError(span: Span, error: unknown, { includeStack = false } = {}): void {
  const e = error instanceof Error ? error : new Error(String(error));
  span.addEvent('exception', {
    'exception.type': e.name,
    'exception.message': redactText(e.message),
    ...(includeStack && e.stack ? { 'exception.stacktrace': redactText(e.stack) } : {}),
  });
  span.setStatus({ code: SpanStatusCode.ERROR, message: redactText(e.message) });
}
