import type { MiddlewareHandler } from 'hono';
import { cors as honoCors } from 'hono/cors';
import type { SettingsVariables } from '../types';

export type CorsOptions = { maxAgeSeconds?: number };

/**
 * Allowlist CORS: only origins from CORS_ORIGINS are echoed back, with credentials. An unlisted
 * origin gets no Access-Control-Allow-Origin at all (never `*`, which browsers refuse with credentials).
 */
export function cors({ maxAgeSeconds = 600 }: CorsOptions = {}): MiddlewareHandler<{ Variables: SettingsVariables }> {
  return honoCors({
    origin: (origin, c) => (c.get('settings').cors.origins.includes(origin) ? origin : null),
    credentials: true,
    allowMethods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
    allowHeaders: [
      'Authorization',
      'Content-Type',
      'If-Match',
      'If-None-Match',
      'X-Correlation-ID',
      'X-Service-Name',
      'X-Dev-User',
      'X-Dev-Role',
      'traceparent',
      'tracestate',
    ],
    exposeHeaders: [
      'ETag',
      'X-Request-ID',
      'X-Correlation-ID',
      'X-Trace-ID',
      'traceparent',
      'Retry-After',
      'RateLimit-Limit',
      'RateLimit-Remaining',
      'RateLimit-Reset',
    ],
    maxAge: maxAgeSeconds,
  });
}
