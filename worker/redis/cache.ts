import { z } from 'zod';
import { isUuid } from '../../db/client';
import type { RedisAccess } from './client';

/** A Redis key that can only be made by `tenantCacheKey`, so every cache entry belongs to one tenant. */
export type CacheKey = string & { readonly __brand: 'CacheKey' };

/**
 * `mm:t:<tenantId>:<part>:...`, stored under REDIS_KEY_PREFIX (`RedisAccess.key`). Parts are percent-encoded, so no id can contain the separator and
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

// What an invalidation leaves instead of deleting: for a few seconds no fill may store a value read
// before the write (fills run after the response, so one can land after the write's invalidation).
const TOMBSTONE = { gone: true } as const;
const TOMBSTONE_SECONDS = 10;
const isTombstone = (value: unknown) =>
  typeof value === 'object' && value !== null && (value as { gone?: unknown }).gone === true;

/**
 * Read-through: the cached value if there is a valid one, else `load()`, stored for `ttlSeconds` after
 * the response (the answer does not wait on the fill). Values sit in an envelope so `null` can be
 * cached too. With Redis away this is just `load()`.
 *
 * Fills never undo an invalidation: an absent key is filled only if still absent (SET NX), and a key
 * holding a tombstone (a write within the last seconds) is not filled at all. The TTL bounds what a
 * lost invalidation (Redis down during the write) can leave behind.
 */
export async function cached<T>(
  redis: RedisAccess,
  key: CacheKey,
  { ttlSeconds, schema, accept = () => true }: CacheOptions<T>,
  load: () => Promise<T>,
): Promise<T> {
  const hit = await redis.get('cache.get', key);
  if (!hit.bypassed && hit.value !== null) {
    const entry = z.object({ v: schema }).safeParse(hit.value);
    if (entry.success && accept(entry.data.v as T)) {
      redis.metrics.cacheLookup(cacheName(key), 'hit');
      return entry.data.v as T;
    }
  }
  if (redis.enabled) redis.metrics.cacheLookup(cacheName(key), hit.bypassed ? 'bypassed' : 'miss');
  const value = await load();
  if (hit.bypassed || isTombstone(hit.value)) return value;
  // An entry that was there but outdated (an older shape, a role the token contradicts) is replaced.
  const onlyIfAbsent = hit.value === null;
  redis.later('cache.set', (client) =>
    client.set(redis.key(key), { v: value }, onlyIfAbsent ? { ex: ttlSeconds, nx: true } : { ex: ttlSeconds }),
  );
  return value;
}

/** The first part after the tenant (`membership`, `prefs`): which cache a hit or miss belongs to. */
const cacheName = (key: CacheKey) => key.split(':')[3] ?? 'unknown';

/**
 * Invalidates entries after a write: each becomes a short-lived tombstone. False when Redis could not
 * be reached (the entries then live out their TTL).
 */
export async function invalidate(redis: RedisAccess, ...keys: [CacheKey, ...CacheKey[]]): Promise<boolean> {
  const result = await redis.run(
    'cache.invalidate',
    (client) => {
      const batch = client.multi();
      for (const key of keys) batch.set(redis.key(key), TOMBSTONE, { ex: TOMBSTONE_SECONDS });
      return batch.exec();
    },
    { evenAfterFailure: true },
  );
  return !result.bypassed || result.reason === 'disabled';
}
