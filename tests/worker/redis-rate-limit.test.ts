import { env } from 'cloudflare:test';
import { Hono } from 'hono';
import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import { parseSettings } from '../../worker/config';
import { onError } from '../../worker/error-handler';
import type { Caller as VerifiedCaller } from '../../worker/identity';
import { rateLimit } from '../../worker/middleware/rate-limit';
import { redis } from '../../worker/middleware/redis';
import { createLogger } from '../../worker/observability/logger';
import type { AppEnv } from '../../worker/types';
import { apiWithVars, type ErrorBody } from '../support/api';
import { caller, clerkId } from '../support/tokens';

type Caller = ReturnType<typeof caller>;

const limited = (user: number, tenant: number, vars: Record<string, string> = {}) => {
  const api = apiWithVars({
    RATE_LIMIT_USER_PER_MINUTE: String(user),
    RATE_LIMIT_TENANT_PER_MINUTE: String(tenant),
    ...vars,
  });
  return async (who: Caller) => api('/v1/me', { headers: await who.headers() });
};

const rateHeaders = (res: Response) => ({
  limit: res.headers.get('RateLimit-Limit'),
  remaining: res.headers.get('RateLimit-Remaining'),
  reset: Number(res.headers.get('RateLimit-Reset')),
});

afterEach(() => vi.restoreAllMocks());

describe('rate limiting (sliding window, per user and per tenant)', () => {
  it('the (N+1)th request of a user in the window is a 429 with Retry-After; other users go on', async () => {
    const me = limited(3, 1_000);
    const org = { id: clerkId('org') };
    const [alice, bob] = [caller({ org }), caller({ org })];

    const allowed = [await me(alice), await me(alice), await me(alice)];
    expect(allowed.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(allowed.map((r) => rateHeaders(r).remaining)).toEqual(['2', '1', '0']);
    for (const res of allowed) {
      expect(rateHeaders(res).limit).toBe('3');
      expect(rateHeaders(res).reset).toBeGreaterThanOrEqual(1);
      expect(rateHeaders(res).reset).toBeLessThanOrEqual(60);
    }

    const denied = await me(alice);
    expect(denied.status).toBe(429);
    expect(denied.headers.get('content-type')).toContain('application/json');
    const retryAfter = Number(denied.headers.get('Retry-After'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(rateHeaders(denied)).toEqual({ limit: '3', remaining: '0', reset: retryAfter });
    const body = await denied.json<ErrorBody>();
    expect(body.error).toMatchObject({
      code: 'rate_limited',
      request_id: denied.headers.get('X-Request-ID'),
      details: { scope: 'user', limit: 3, retry_after_seconds: retryAfter },
    });

    // Same tenant, another user: their own window.
    expect((await me(bob)).status).toBe(200);
    expect((await me(alice)).status).toBe(429);
  });

  it('a tenant over its limit is refused for all its users; another tenant is not', async () => {
    const me = limited(100, 4);
    const org = { id: clerkId('org') };
    const users = [caller({ org }), caller({ org })];
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await me(users[i % 2]!)).status);
    expect(statuses).toEqual([200, 200, 200, 200]);

    const denied = await me(caller({ org }));
    expect(denied.status).toBe(429);
    expect((await denied.json<ErrorBody>()).error.details).toMatchObject({ scope: 'tenant', limit: 4 });
    expect((await me(caller({ org: { id: clerkId('org') } }))).status).toBe(200);
  });

  it('RATE_LIMIT_ENABLED=false turns it off', async () => {
    const me = limited(1, 1, { RATE_LIMIT_ENABLED: 'false' });
    const who = caller({ org: { id: clerkId('org') } });
    for (let i = 0; i < 3; i++) {
      const res = await me(who);
      expect(res.status).toBe(200);
      expect(res.headers.get('RateLimit-Limit')).toBeNull();
    }
  });

  it('fails open when Redis is unreachable, with a warn line saying so', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const me = limited(1, 1, { UPSTASH_REDIS_REST_URL: 'http://127.0.0.1:9' });
    const who = caller({ org: { id: clerkId('org') } });
    const responses = [await me(who), await me(who), await me(who)];
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(responses[0]!.headers.get('RateLimit-Limit')).toBeNull();

    const lines = warn.mock.calls.map(([line]) => JSON.parse(String(line)) as Record<string, unknown>);
    const bypasses = lines.filter((l) => l.message === 'redis bypassed: serving without it');
    // One per request (the first Redis call fails; the rest of the request skips Redis).
    expect(bypasses.map((l) => l.request_id)).toEqual(responses.map((r) => r.headers.get('X-Request-ID')));
    expect(bypasses[0]).toMatchObject({ level: 'warn', reason: 'unavailable' });
  });

  it('fails open when Redis is too slow: the request finishes within the budget', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const me = limited(1, 1, { UPSTASH_REDIS_REST_URL: inject('hangingUpstashUrl'), REDIS_TIMEOUT_MS: '100' });
    const who = caller({ org: { id: clerkId('org') } });
    expect((await me(who)).status).toBe(200);
    expect((await me(who)).status).toBe(200);
  });
});

describe('the rate-limit middleware on its own', () => {
  /** Just settings, a logger, a verified caller and the limiter: no tenant cache call before it. */
  function app(vars: Record<string, string>, identity: { userId: string; tenantId: string }) {
    const lines: Record<string, unknown>[] = [];
    const settings = parseSettings({ ...env, ...vars } as unknown as Record<string, unknown>);
    const logger = createLogger({
      service: 'test',
      environment: 'test',
      level: 'debug',
      write: (_level, line) => lines.push(JSON.parse(line)),
    });
    const hono = new Hono<AppEnv>()
      .use(async (c, next) => {
        c.set('settings', settings);
        c.set('logger', logger);
        c.set('auth', { userId: identity.userId, tenant: { kind: 'org', id: identity.tenantId } } as VerifiedCaller);
        await next();
      })
      .use(redis())
      .use(rateLimit())
      .get('/', (c) => c.text('ok'));
    hono.onError(onError);
    return { get: () => hono.request('/'), lines };
  }

  it('with Redis down every request passes, and each says so at warn as a ratelimit bypass', async () => {
    const identity = { userId: clerkId('user'), tenantId: crypto.randomUUID() };
    const { get, lines } = app(
      { RATE_LIMIT_USER_PER_MINUTE: '1', UPSTASH_REDIS_REST_URL: 'http://127.0.0.1:9' },
      identity,
    );
    expect([(await get()).status, (await get()).status]).toEqual([200, 200]);
    expect(lines).toEqual([
      expect.objectContaining({ level: 'warn', redis_operation: 'ratelimit', reason: 'unavailable' }),
      expect.objectContaining({ level: 'warn', redis_operation: 'ratelimit', reason: 'unavailable' }),
    ]);
  });

  it('with Redis up the same limit is enforced (the bypass above is not "nothing limited")', async () => {
    const identity = { userId: clerkId('user'), tenantId: crypto.randomUUID() };
    const { get, lines } = app({ RATE_LIMIT_USER_PER_MINUTE: '1' }, identity);
    expect([(await get()).status, (await get()).status]).toEqual([200, 429]);
    expect(lines.filter((l) => l.level === 'warn' && l.redis_operation)).toEqual([]);
  });
});
