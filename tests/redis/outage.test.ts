import { Redis } from '@upstash/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startUpstashEndpoint, type UpstashEndpoint } from '../../scripts/upstash-endpoint';
import { startThrowawayRedis, type ThrowawayRedis } from '../support/redis-server';

let redis: ThrowawayRedis;
let endpoint: UpstashEndpoint;
let client: Redis;

const command = (body: unknown) =>
  fetch(endpoint.url, {
    method: 'POST',
    headers: { Authorization: `Bearer ${endpoint.token}` },
    body: JSON.stringify(body),
  });

beforeAll(async () => {
  redis = await startThrowawayRedis();
  endpoint = await startUpstashEndpoint({ port: 0, redisUrl: redis.url, token: 'outage-test-token', log: () => {} });
  client = new Redis({ url: endpoint.url, token: endpoint.token, enableTelemetry: false, retry: { retries: 0 } });
});

afterAll(async () => {
  await endpoint?.close();
  await redis?.stop();
});

describe('the endpoint when Redis goes away', () => {
  it('answers 503 {error} while Redis is down and recovers by itself when it is back', async () => {
    await client.set('k', 'before');
    await redis.stop();

    const res = await command(['GET', 'k']);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ error: expect.stringMatching(/^ERR Redis unavailable/) });
    await expect(client.get('k')).rejects.toThrow(/Redis unavailable/);
    expect((await command(['MULTI'])).status).toBe(400); // validation still answers
    for (const path of ['/pipeline', '/multi-exec']) {
      const batch = await fetch(`${endpoint.url}${path}`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${endpoint.token}` },
        body: '[["PING"],["PING"]]',
      });
      expect(batch.status, path).toBe(503);
    }

    await redis.start();
    // A fresh, non-persistent server: the old value is gone, but commands work again.
    await expect.poll(() => command(['PING']).then((r) => r.status), { timeout: 5_000, interval: 50 }).toBe(200);
    expect(await client.set('k', 'after')).toBe('OK');
    expect(await client.get('k')).toBe('after');
  });

  it('starts without Redis, answering 503 until Redis appears', async () => {
    await redis.stop();
    const late = await startUpstashEndpoint({
      port: 0,
      redisUrl: redis.url,
      token: 'late-token-late-token',
      waitForRedisMs: 50,
      log: () => {},
    });
    const ping = () =>
      fetch(late.url, { method: 'POST', headers: { Authorization: `Bearer ${late.token}` }, body: '["PING"]' });
    try {
      expect((await ping()).status).toBe(503);
      await redis.start();
      await expect.poll(() => ping().then((r) => r.status), { timeout: 5_000, interval: 50 }).toBe(200);
    } finally {
      await late.close();
    }
  });
});
