import type { MiddlewareHandler } from 'hono';
import { tooManyRequests } from '../errors';
import type { MetricsVariables, SettingsVariables } from '../types';

export type ClientLimitOptions = {
  /** The header naming the client. Cloudflare sets it on every request and callers cannot forge it there. */
  clientHeader?: string;
  /** The binding's period (wrangler.toml `simple.period`), for Retry-After. */
  periodSeconds?: number;
};

/**
 * A per-client limit that runs before anything costly: token verification (an RSA check), body
 * parsing, Redis or Postgres. It uses Cloudflare's Rate Limiting binding, which counts at the edge
 * location without a network trip, so floods of bad tokens or unsigned webhooks stop here cheaply.
 * Counting is per location and approximate by design; the exact per-user and per-tenant limits
 * come later (rate-limit.ts). Without the binding (or with RATE_LIMIT_CLIENT_ENABLED=false) it is off.
 */
export function clientLimit({
  clientHeader = 'CF-Connecting-IP',
  periodSeconds = 60,
}: ClientLimitOptions = {}): MiddlewareHandler<{ Variables: SettingsVariables & Partial<MetricsVariables> }> {
  return async function clientLimit(c, next) {
    const limiter = c.get('settings').rateLimit.client;
    if (!limiter) return next();
    // Off Cloudflare (local runs) there is no such header: those callers share one bucket.
    const client = c.req.header(clientHeader) ?? 'unknown';
    const { success } = await limiter.limit({ key: `client:${client}` });
    c.get('metrics')?.rateLimit('client', success ? 'allowed' : 'rejected');
    if (!success) throw tooManyRequests('client', periodSeconds);
    await next();
  };
}
