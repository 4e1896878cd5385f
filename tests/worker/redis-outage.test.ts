import { Redis } from '@upstash/redis/cloudflare';
import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import { apiWithVars, jsonBody } from '../support/api';
import { caller, clerkId } from '../support/tokens';

type Ready = {
  status: string;
  checks: { database: { status: string }; redis: { status: string; reason?: string; latency_ms?: number } };
};

const control = (action: 'stop' | 'start') =>
  fetch(`${inject('outageControlUrl')}/redis/${action}`, { method: 'POST' }).then((res) => {
    if (res.status !== 204) throw new Error(`redis ${action} failed: ${res.status}`);
  });

afterEach(async () => {
  vi.restoreAllMocks();
  await control('start');
});

async function ready(api: ReturnType<typeof apiWithVars>) {
  const res = await api('/readyz');
  return { status: res.status, body: await res.json<Ready>() };
}

describe('Redis outage, through the Worker', () => {
  // This Worker's Redis is a private redis-server the test can kill: the shared one is never touched.
  const url = inject('outageUpstashUrl');
  const token = inject('outageUpstashToken');
  const api = apiWithVars({ UPSTASH_REDIS_REST_URL: url, UPSTASH_REDIS_REST_TOKEN: token });
  const redis = new Redis({ url, token, enableTelemetry: false, retry: { retries: 0 } });

  it('reads keep answering 200 uncached while Redis is down, /readyz is 503 for redis, and both recover', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const who = caller({ org: { id: clerkId('org') } });
    const headers = await who.headers();
    const put = await api('/v1/preferences', {
      method: 'PUT',
      ...jsonBody({ preferences: { theme: 'dark' } }, headers),
    });
    expect(put.status).toBe(200);
    expect((await api('/v1/preferences', { headers })).status).toBe(200);
    expect(await redis.keys('mm:t:*:prefs:*')).toHaveLength(1);
    expect((await ready(api)).body.checks.redis.status).toBe('up');

    await control('stop');
    for (const path of ['/v1/preferences', '/v1/me', '/v1/tenant']) {
      const res = await api(path, { headers: await who.headers() });
      expect(res.status, path).toBe(200);
    }
    const prefs = await api('/v1/preferences', { headers: await who.headers() });
    expect((await prefs.json<{ preferences: { theme: string } }>()).preferences.theme).toBe('dark');
    const patch = await api('/v1/preferences', {
      method: 'PATCH',
      ...jsonBody({ theme: 'light' }, await who.headers()),
    });
    expect(patch.status).toBe(200);

    const down = await ready(api);
    expect(down.status).toBe(503);
    expect(down.body.status).toBe('unavailable');
    expect(down.body.checks.database.status).toBe('up');
    expect(down.body.checks.redis).toMatchObject({
      status: 'down',
      reason: 'unavailable',
    });
    const bypasses = warn.mock.calls
      .map(([line]) => JSON.parse(String(line)) as Record<string, unknown>)
      .filter((line) => line.message === 'redis bypassed: serving without it');
    expect(bypasses.length).toBeGreaterThanOrEqual(4);

    await control('start');
    // The endpoint reconnects on its own, within its reconnect backoff (at most a second).
    await expect.poll(() => ready(api).then((r) => r.status), { timeout: 5_000, interval: 100 }).toBe(200);
    expect((await ready(api)).body.checks.redis).toMatchObject({ status: 'up', latency_ms: expect.any(Number) });
    const after = await api('/v1/preferences', { headers: await who.headers() });
    expect((await after.json<{ preferences: { theme: string } }>()).preferences.theme).toBe('light');
    // The restarted server is empty; the read above cached again.
    expect(await redis.keys('mm:t:*:prefs:*')).toHaveLength(1);
  });

  it('an endpoint nobody listens on: reads still 200, /readyz 503 for redis', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const dead = apiWithVars({ UPSTASH_REDIS_REST_URL: 'http://127.0.0.1:9', UPSTASH_REDIS_REST_TOKEN: token });
    const who = caller({ org: { id: clerkId('org') } });
    expect((await dead('/v1/preferences', { headers: await who.headers() })).status).toBe(200);
    const { status, body } = await ready(dead);
    expect(status).toBe(503);
    expect(body.checks.redis.status).toBe('down');
  });

  it('a Redis that never answers costs at most the budget: reads 200, /readyz names the timeout', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const slow = apiWithVars({ UPSTASH_REDIS_REST_URL: inject('hangingUpstashUrl'), REDIS_TIMEOUT_MS: '100' });
    const who = caller({ org: { id: clerkId('org') } });
    expect((await slow('/v1/preferences', { headers: await who.headers() })).status).toBe(200);
    const { status, body } = await ready(slow);
    expect(status).toBe(503);
    expect(body.checks.redis).toMatchObject({ status: 'down', reason: 'timeout' });
  });

  it('without UPSTASH_REDIS_REST_URL the API runs uncached and /readyz reports redis disabled, still ready', async () => {
    const none = apiWithVars({ UPSTASH_REDIS_REST_URL: '', UPSTASH_REDIS_REST_TOKEN: '' });
    const who = caller({ org: { id: clerkId('org') } });
    expect((await none('/v1/preferences', { headers: await who.headers() })).status).toBe(200);
    const { status, body } = await ready(none);
    expect(status).toBe(200);
    expect(body.checks.redis).toEqual({ status: 'disabled' });
  });
});
