import type { Context, MiddlewareHandler } from 'hono';
import { preferencesKey } from '../preferences/cache';
import { membershipKey } from '../tenancy/membership-cache';
import type { AuthVariables, RedisVariables, SettingsVariables } from '../types';

type ReadAheadEnv = { Variables: SettingsVariables & AuthVariables & RedisVariables };

export type ReadAheadOptions = {
  /** The cache entries the request will read, named from the verified token alone. */
  keys?: (c: Context<ReadAheadEnv>) => string[];
};

/** The membership always; the preferences document on the read that serves it from the cache. */
function cacheReads(c: Context<ReadAheadEnv>): string[] {
  const { auth, settings } = c.var;
  const reads = [membershipKey(auth.tenant.id, auth.userId)];
  if (c.req.method === 'GET' && c.req.path === '/v1/preferences' && settings.cache.preferencesTtlSeconds > 0) {
    reads.push(preferencesKey(auth.tenant.id, auth.userId));
  }
  return reads;
}

/**
 * Starts the request's cache reads (one MGET) without waiting, right before the rate limit: both are
 * on the wire together, so a cached read costs one Redis round trip instead of one per lookup. Only
 * reads: nothing is written before the limit's verdict.
 */
export function readAhead({ keys = cacheReads }: ReadAheadOptions = {}): MiddlewareHandler<ReadAheadEnv> {
  return async function readAhead(c, next) {
    c.get('redis').readAhead(keys(c));
    await next();
  };
}
