import { z } from 'zod';
import { isUuid } from '../../db/client';
import type { RedisAccess } from './client';

/** A Redis key that can only be made by `tenantCacheKey`, so every cache entry belongs to one tenant. */
export type CacheKey = string & { readonly __brand: 'CacheKey' };

/**
 * `mm:t:<tenantId>:<part>:...`. Parts are percent-encoded, so no id can contain the separator and
 * forge a key inside another tenant's namespace (or another entry of the same tenant).
 */
export function tenantCacheKey(tenantId: string, ...parts: [string, ...string[]]): CacheKey {
  if (!isUuid(tenantId)) throw new TypeError('tenantCacheKey: tenantId must be a uuid');
  return ['mm', 't', tenantId.toLowerCase(), ...parts.map(encodeURIComponent)].join(':') as CacheKey;
}

export type CacheOptions<T> = {
  ttlSeconds: number;
  /** Checked on every hit: an entry written by older code, or tampered with, is a miss, not data. */
  schema: z.ZodType<T>;
  /** A valid entry the caller knows to be outdated (say, a role the token contradicts) is a miss too. */
  accept?: (value: T) => boolean;
};

/**
 * Read-through: the cached value if there is a valid one, else `load()` stored for `ttlSeconds`.
 * Values sit in an envelope so `null` can be cached too. With Redis away this is just `load()`.
 *
 * A read racing a write can store the pre-write value after the write's invalidation; the TTL bounds
 * how long that lasts, as it bounds an invalidation lost while Redis was down.
 */
export async function cached<T>(
  redis: RedisAccess,
  key: CacheKey,
  { ttlSeconds, schema, accept = () => true }: CacheOptions<T>,
  load: () => Promise<T>,
): Promise<T> {
  const hit = await redis.run('cache.get', (client) => client.get<unknown>(key));
  if (!hit.bypassed && hit.value !== null) {
    const entry = z.object({ v: schema }).safeParse(hit.value);
    if (entry.success && accept(entry.data.v as T)) {
      redis.metrics.cacheLookup(cacheName(key), 'hit');
      return entry.data.v as T;
    }
  }
  if (redis.enabled) redis.metrics.cacheLookup(cacheName(key), hit.bypassed ? 'bypassed' : 'miss');
  const value = await load();
  if (!hit.bypassed) await redis.run('cache.set', (client) => client.set(key, { v: value }, { ex: ttlSeconds }));
  return value;
}

/** The first part after the tenant (`membership`, `prefs`): which cache a hit or miss belongs to. */
const cacheName = (key: CacheKey) => key.split(':')[3] ?? 'unknown';

/** Drops entries after a write; false when Redis could not be reached (the entries then live out their TTL). */
export async function invalidate(redis: RedisAccess, ...keys: [CacheKey, ...CacheKey[]]): Promise<boolean> {
  const result = await redis.run('cache.invalidate', (client) => client.del(...keys), { evenAfterFailure: true });
  return !result.bypassed || result.reason === 'disabled';
}
