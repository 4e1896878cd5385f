import { Redis } from '@upstash/redis/cloudflare';
import { describe, expect, inject, it } from 'vitest';
import { z } from 'zod';
import { createLogger } from '../../worker/observability/logger';
import { cached, invalidate, tenantCacheKey } from '../../worker/redis/cache';
import { createRedisAccess, type RedisSettings } from '../../worker/redis/client';

const live: RedisSettings = {
  url: inject('upstashUrl'),
  token: inject('upstashToken'),
  timeoutMs: 1_000,
  keyPrefix: '',
};
const deadPort: RedisSettings = { ...live, url: 'http://127.0.0.1:9' };
const hanging: RedisSettings = { ...live, url: inject('hangingUpstashUrl'), timeoutMs: 100 };

/** Redis as the test sees it, beside the code under test. */
const direct = new Redis({ url: live.url, token: live.token, enableTelemetry: false });

function access(settings: RedisSettings | null) {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger(
    { service: 'test', environment: 'test', level: 'debug', write: (_level, line) => lines.push(JSON.parse(line)) },
    { request_id: 'req-1' },
  );
  // Stands in for waitUntil: `settle` waits for what ran after the "response" (cache fills).
  const deferred: Promise<unknown>[] = [];
  const redis = createRedisAccess(settings, logger, { defer: (work) => deferred.push(work) });
  return { redis, lines, settle: () => Promise.all(deferred.splice(0)) };
}

const Doc = z.object({ n: z.number() });
const newTenant = () => crypto.randomUUID();

describe('cache keys', () => {
  it('live under mm:t:<tenant>: and encode parts, so no id can reach into another namespace', () => {
    const t = newTenant();
    expect(tenantCacheKey(t, 'prefs', 'u1')).toBe(`mm:t:${t}:prefs:u1`);
    expect(tenantCacheKey(t, 'prefs', 'a:b')).toBe(`mm:t:${t}:prefs:a%3Ab`);
    const forged = tenantCacheKey(t, 'prefs', `x:mm:t:${newTenant()}:prefs:u1`);
    expect(forged.split(':')).toEqual(['mm', 't', t, 'prefs', expect.stringMatching(/^x%3Amm%3At%3A/)]);
    expect(tenantCacheKey(t.toUpperCase(), 'p')).toBe(`mm:t:${t}:p`);
  });

  it('refuse anything but a tenant uuid', () => {
    for (const bad of ['', 'org_1', `${newTenant()}:x`, '*']) expect(() => tenantCacheKey(bad, 'p')).toThrow(/uuid/);
  });
});

describe('read-through cache against Redis', () => {
  it('loads once, then serves the stored entry until its TTL; invalidate sends the next read to load', async () => {
    const { redis, settle } = access(live);
    const key = tenantCacheKey(newTenant(), 'doc');
    let loads = 0;
    const load = async () => ({ n: ++loads });
    expect(await cached(redis, key, { ttlSeconds: 30, schema: Doc }, load)).toEqual({ n: 1 });
    await settle();
    expect(await cached(redis, key, { ttlSeconds: 30, schema: Doc }, load)).toEqual({ n: 1 });
    expect(loads).toBe(1);
    expect(await direct.get(key)).toEqual({ v: { n: 1 } });
    const ttl = await direct.ttl(key);
    expect(ttl).toBeGreaterThan(25);
    expect(ttl).toBeLessThanOrEqual(30);

    expect(await invalidate(redis, key)).toBe(true);
    // A tombstone, not a deletion: for a few seconds no fill may land (see the race below).
    expect(await direct.get(key)).toEqual({ gone: true });
    expect(await direct.ttl(key)).toBeLessThanOrEqual(10);
    expect(await cached(redis, key, { ttlSeconds: 30, schema: Doc }, load)).toEqual({ n: 2 });
    await settle();
    expect(await direct.get(key)).toEqual({ gone: true });
    expect(await cached(redis, key, { ttlSeconds: 30, schema: Doc }, load)).toEqual({ n: 3 });
  });

  it('a fill never undoes an invalidation made while its value was loading (a write racing a read)', async () => {
    const { redis, settle } = access(live);
    const key = tenantCacheKey(newTenant(), 'doc');
    // The reader finds nothing, loads the pre-write value; meanwhile the writer invalidates.
    const value = await cached(redis, key, { ttlSeconds: 30, schema: Doc }, async () => {
      await invalidate(redis, key);
      return { n: 1 };
    });
    expect(value).toEqual({ n: 1 });
    await settle();
    expect(await direct.get(key)).toEqual({ gone: true });
  });

  it('a read-ahead answers its keys once from one MGET; a later read of the same key asks Redis again', async () => {
    const { redis } = access(live);
    const [a, b] = [tenantCacheKey(newTenant(), 'a'), tenantCacheKey(newTenant(), 'b')];
    await direct.set(a, { v: { n: 1 } });
    redis.readAhead([a, b]);
    expect(await redis.get('cache.get', a)).toEqual({ bypassed: false, value: { v: { n: 1 } } });
    expect(await redis.get('cache.get', b)).toEqual({ bypassed: false, value: null });
    await direct.set(a, { v: { n: 2 } });
    expect(await redis.get('cache.get', a)).toEqual({ bypassed: false, value: { v: { n: 2 } } });
  });

  it('caches null as a value, not as a miss', async () => {
    const { redis, settle } = access(live);
    const key = tenantCacheKey(newTenant(), 'nothing');
    let loads = 0;
    const load = async () => {
      loads++;
      return null;
    };
    const schema = Doc.nullable();
    await cached(redis, key, { ttlSeconds: 30, schema }, load);
    await settle();
    expect(await cached(redis, key, { ttlSeconds: 30, schema }, load)).toBeNull();
    expect(loads).toBe(1);
  });

  it('an entry that does not match the schema is a miss and gets replaced', async () => {
    const { redis, settle } = access(live);
    const key = tenantCacheKey(newTenant(), 'doc');
    await direct.set(key, { v: { n: 'not a number' } });
    expect(await cached(redis, key, { ttlSeconds: 30, schema: Doc }, async () => ({ n: 7 }))).toEqual({ n: 7 });
    await settle();
    expect(await direct.get(key)).toEqual({ v: { n: 7 } });
    await direct.set(key, 'no envelope');
    expect(await cached(redis, key, { ttlSeconds: 30, schema: Doc }, async () => ({ n: 8 }))).toEqual({ n: 8 });
  });
});

describe('when Redis fails', () => {
  it('an unreachable endpoint is a bypass: load() answers, one warn line names the operation', async () => {
    const { redis, lines } = access(deadPort);
    let loads = 0;
    const key = tenantCacheKey(newTenant(), 'doc');
    const load = async () => ({ n: ++loads });
    expect(await cached(redis, key, { ttlSeconds: 30, schema: Doc }, load)).toEqual({ n: 1 });
    expect(await cached(redis, key, { ttlSeconds: 30, schema: Doc }, load)).toEqual({ n: 2 });
    expect(await redis.run('anything', (c) => c.ping())).toEqual({ bypassed: true, reason: 'unavailable' });
    // The first failure is logged; the rest of the request skips Redis without waiting or logging again,
    // except an invalidation, which tries anyway (a stale entry costs more than one more attempt).
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'warn',
        message: 'redis bypassed: serving without it',
        redis_operation: 'cache.get',
        reason: 'unavailable',
        request_id: 'req-1',
      }),
    ]);
    expect(await invalidate(redis, key)).toBe(false);
    expect(lines.map((l) => (l as { redis_operation: string }).redis_operation)).toEqual([
      'cache.get',
      'cache.invalidate',
    ]);
  });

  it('a Redis that never answers costs one budget, then is bypassed as a timeout', async () => {
    const { redis, lines } = access(hanging);
    expect(await redis.run('cache.get', (c) => c.get('k'))).toEqual({ bypassed: true, reason: 'timeout' });
    expect(await redis.run('cache.get', (c) => c.get('k'))).toEqual({ bypassed: true, reason: 'timeout' });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'warn', reason: 'timeout' });
    await expect(redis.health()).rejects.toThrow(/within 100 ms|timed out|aborted/i);
  });

  it('a wrong token is a bypass too, never an error for the request', async () => {
    const { redis, lines } = access({ ...live, token: 'not-the-token' });
    expect(await redis.run('cache.get', (c) => c.get('k'))).toEqual({ bypassed: true, reason: 'unavailable' });
    expect(lines[0]?.error).toMatch(/WRONGPASS/);
  });

  it('without configuration every call is a silent bypass and health says so', async () => {
    const { redis, lines } = access(null);
    expect(redis.enabled).toBe(false);
    expect(await redis.run('cache.get', (c) => c.get('k'))).toEqual({ bypassed: true, reason: 'disabled' });
    expect(await invalidate(redis, tenantCacheKey(newTenant(), 'x'))).toBe(true);
    expect(lines).toEqual([]);
    await expect(redis.health()).rejects.toThrow(/not configured/);
  });

  it('health answers with a latency while Redis is up', async () => {
    const { redis } = access(live);
    expect(await redis.health()).toEqual({ latency_ms: expect.any(Number) });
  });
});
