import { SpanStatusCode, trace } from '@opentelemetry/api';
import type { MiddlewareHandler } from 'hono';
import { routeTemplate } from '../observability/route-template';
import { recordError } from '../observability/spans';
import { formatTraceparent, parseTraceparent, randomId, type TraceIds } from '../observability/traceparent';
import type { SettingsVariables, TenantVariables, TraceVariables } from '../types';

export type TraceIdOptions = {
  /** Header naming the calling service (the site sends `meatymusic-web`); recorded on the request span. */
  callerHeader?: string;
};

// The caller's service name becomes a span attribute: a short closed alphabet, like other ids.
const SERVICE_NAME = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * Puts the request's trace and span ids on the context (for log lines and error bodies) and on the
 * response (`traceparent`, `X-Trace-ID`), and names the request span after the route template.
 *
 * The ids are those of the request span otel-cf-workers started, which already continues an
 * incoming `traceparent`. With tracing off there is no span: the caller's trace id is kept (with a
 * span id of our own) so logs still join up with the caller's trace, else a fresh one is made.
 */
export function traceId({ callerHeader = 'X-Service-Name' }: TraceIdOptions = {}): MiddlewareHandler<{
  Variables: SettingsVariables & TraceVariables & Partial<TenantVariables>;
}> {
  return async function traceId(c, next) {
    const span = trace.getActiveSpan();
    const active = span?.spanContext();
    const ids: TraceIds =
      active && trace.isSpanContextValid(active)
        ? { traceId: active.traceId, spanId: active.spanId, sampled: (active.traceFlags & 1) === 1 }
        : untracedIds(c.req.header('traceparent'));
    c.set('traceId', ids.traceId);
    c.set('spanId', ids.spanId);
    c.header('traceparent', formatTraceparent(ids));
    c.header('X-Trace-ID', ids.traceId);
    if (!span) return next();

    const route = routeTemplate(c);
    // otel-cf-workers renames the span `<METHOD> <http.route>` when it ends; an unmatched request keeps the method alone.
    if (route) span.setAttribute('http.route', route);
    else span.updateName(c.req.method);
    const caller = c.req.header(callerHeader);
    if (caller && SERVICE_NAME.test(caller)) span.setAttribute('client.service.name', caller);

    await next();

    // Set by the tenant middleware on /v1 routes. An opaque uuid: the tenant's name and slug stay out.
    const tenant = c.get('tenant');
    if (tenant) span.setAttribute('tenant.id', tenant.id);
    // Hono turns thrown errors into responses, so the library never sees them: mark 5xx here.
    if (c.res.status >= 500) {
      if (c.error) recordError(span, c.error, { includeStack: c.get('settings').isDevelopment });
      else span.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${c.res.status}` });
    }
  };
}

function untracedIds(traceparent: string | undefined): TraceIds {
  const caller = parseTraceparent(traceparent);
  return { traceId: caller?.traceId ?? randomId(16), spanId: randomId(8), sampled: false };
}
