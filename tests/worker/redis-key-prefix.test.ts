import { Redis } from '@upstash/redis/cloudflare';
import { describe, expect, inject, it } from 'vitest';
import { apiWithVars } from '../support/api';
import { caller, clerkId } from '../support/tokens';

/** Redis as the test sees it: the keys the Worker wrote, read beside it. */
const redis = new Redis({ url: inject('upstashUrl'), token: inject('upstashToken'), enableTelemetry: false });

type Me = { user: { id: string }; tenant: { id: string } };

/** The Worker as a preview of `alias` would run it: its own namespace, tight limits to reach quickly. */
const preview = (alias: string) =>
  apiWithVars({ REDIS_KEY_PREFIX: `staging:preview-${alias}`, RATE_LIMIT_USER_PER_MINUTE: '2' });

describe('REDIS_KEY_PREFIX (one namespace per environment and preview)', () => {
  it('every key the API writes, cache entries and rate-limit counters alike, lives under the prefix', async () => {
    const alias = clerkId('user').toLowerCase().replaceAll('_', '-');
    const api = preview(alias);
    const who = caller({ org: { id: clerkId('org') } });
    const res = await api('/v1/me', { headers: await who.headers() });
    expect(res.status).toBe(200);
    const me = await res.json<Me>();
    expect((await api('/v1/preferences', { headers: await who.headers() })).status).toBe(200);

    const prefix = `staging:preview-${alias}:`;
    const mine = await redis.keys(`${prefix}*`);
    expect(mine).toEqual(
      expect.arrayContaining([
        `${prefix}mm:t:${me.tenant.id}:membership:${who.sub}`,
        `${prefix}mm:t:${me.tenant.id}:prefs:${who.sub}`,
        expect.stringMatching(new RegExp(`^${prefix}mm:rl:user:${who.sub}:`)),
        expect.stringMatching(new RegExp(`^${prefix}mm:rl:tenant:${me.tenant.id}:`)),
      ]),
    );
    // Nothing of this tenant or user outside the namespace.
    const all = await redis.keys('*');
    const leaked = all.filter((k) => (k.includes(me.tenant.id) || k.includes(who.sub)) && !k.startsWith(prefix));
    expect(leaked).toEqual([]);
  });

  it('two previews count the same user separately: one at its limit does not limit the other', async () => {
    const [a, b] = [preview(`a-${Date.now()}`), preview(`b-${Date.now()}`)];
    const who = caller({ org: { id: clerkId('org') } });
    const on = async (api: typeof a) => (await api('/v1/me', { headers: await who.headers() })).status;
    expect([await on(a), await on(a), await on(a)]).toEqual([200, 200, 429]);
    expect([await on(b), await on(b)]).toEqual([200, 200]);
  });
});
