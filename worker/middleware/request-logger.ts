import type { MiddlewareHandler } from 'hono';
import { createLogger } from '../observability/logger';
import { routeTemplate } from '../observability/route-template';
import type { CorrelationVariables, LoggerVariables, SettingsVariables, TraceVariables } from '../types';

export type RequestLoggerOptions = {
  /** Paths polled by probes and scrapers: logging them would drown the useful lines. */
  exclude?: (path: string) => boolean;
};

const defaultExclude = (path: string) => path === '/healthz' || path === '/metrics' || path.startsWith('/_internal/');

/**
 * Puts a request-scoped logger on the context (every line it writes carries the request's ids) and
 * writes one line per request when it ends.
 */
export function requestLogger({ exclude = defaultExclude }: RequestLoggerOptions = {}): MiddlewareHandler<{
  Variables: SettingsVariables & CorrelationVariables & LoggerVariables & Partial<TraceVariables>;
}> {
  return async function requestLogger(c, next) {
    const { service, environment, obs, isDevelopment } = c.get('settings');
    const logger = createLogger(
      { service: service.name, environment, level: obs.logLevel, includeStack: isDevelopment },
      {
        trace_id: c.get('traceId') ?? null,
        span_id: c.get('spanId') ?? null,
        correlation_id: c.get('correlationId'),
        request_id: c.get('requestId'),
      },
    );
    c.set('logger', logger);
    const started = performance.now();
    await next();
    if (exclude(c.req.path)) return;
    const status = c.res.status;
    logger[status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info']('request', {
      method: c.req.method,
      path: c.req.path,
      route: routeTemplate(c) ?? null,
      status,
      duration_ms: Math.round((performance.now() - started) * 100) / 100,
    });
  };
}
