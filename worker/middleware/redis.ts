import type { Context, MiddlewareHandler } from 'hono';
import { createRedisAccess } from '../redis/client';
import type { LoggerVariables, MetricsVariables, RedisVariables, SettingsVariables } from '../types';

/** The request's waitUntil; a sub-app driven without an ExecutionContext (tests) lets the work run on its own. */
function afterResponse(c: Context, work: Promise<unknown>) {
  try {
    c.executionCtx.waitUntil(work);
  } catch {
    void work;
  }
}

/**
 * Puts a per-request Redis accessor on the context. The Upstash client behind it is created on first
 * use, so requests that never touch Redis pay nothing; without UPSTASH_REDIS_REST_URL every call is a
 * bypass and callers fall back to the database.
 */
export function redis(): MiddlewareHandler<{
  Variables: SettingsVariables & LoggerVariables & Partial<MetricsVariables> & RedisVariables;
}> {
  return async function redis(c, next) {
    c.set(
      'redis',
      createRedisAccess(c.get('settings').redis, c.get('logger'), {
        metrics: c.get('metrics'),
        defer: (work) => afterResponse(c, work),
      }),
    );
    await next();
  };
}
