import { Redis } from '@upstash/redis/cloudflare';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { api, apiWithVars, jsonBody } from '../support/api';
import { ownerSqlInWorker } from '../support/owner-sql';
import { caller, clerkId } from '../support/tokens';

type Caller = ReturnType<typeof caller>;
type Doc = { preferences: { theme: string }; version: number };
type Me = { user: { id: string; clerk_user_id: string }; tenant: { id: string; name: string } };

const owner = ownerSqlInWorker();
afterAll(() => owner.end());

/** Redis as the test sees it: the keys the Worker wrote, read beside it. */
const redis = new Redis({ url: inject('upstashUrl'), token: inject('upstashToken'), enableTelemetry: false });

async function me(who: Caller) {
  const res = await api('/v1/me', { headers: await who.headers() });
  expect(res.status).toBe(200);
  return res.json<Me>();
}

async function readPrefs(who: Caller) {
  const res = await api('/v1/preferences', { headers: await who.headers() });
  expect(res.status).toBe(200);
  return res.json<Doc>();
}

async function writePrefs(who: Caller, theme: string, method: 'PUT' | 'PATCH' = 'PUT') {
  const body = method === 'PUT' ? { preferences: { theme } } : { theme };
  const res = await api('/v1/preferences', { method, ...jsonBody(body, await who.headers()) });
  expect(res.status).toBe(200);
}

/** Changes the row behind the API's back: only a cached read can still show the old value. */
async function setThemeInDatabase(userId: string, theme: string) {
  await owner`update user_preferences set preferences = jsonb_set(preferences, '{theme}', ${owner.json(theme)}) where user_id = ${userId}`;
}

const prefsKey = (m: Me) => `mm:t:${m.tenant.id}:prefs:${m.user.clerk_user_id}`;
/** Fills run after the response (waitUntil): wait for the one a read started. */
const filled = (key: string) => expect.poll(() => redis.get(key)).toMatchObject({ v: expect.anything() });
/** A write leaves a tombstone for a few seconds; dropping it stands in for waiting it out. */
const tombstoneExpires = (m: Me) => redis.del(prefsKey(m));

describe('preferences read-through cache', () => {
  it('CACHE_PREFERENCES_TTL_SECONDS=0 turns it off: every read sees the database, nothing is stored', async () => {
    const uncached = apiWithVars({ CACHE_PREFERENCES_TTL_SECONDS: '0' });
    const who = caller({ org: { id: clerkId('org') } });
    await writePrefs(who, 'dark');
    const m = await me(who);
    const read = async () => {
      const res = await uncached('/v1/preferences', { headers: await who.headers() });
      expect(res.status).toBe(200);
      return (await res.json<Doc>()).preferences.theme;
    };
    expect(await read()).toBe('dark');
    await setThemeInDatabase(m.user.id, 'light');
    expect(await read()).toBe('light');
    // Only the write's tombstone: the uncached reads stored nothing.
    expect(await redis.get(prefsKey(m))).toEqual({ gone: true });
  });

  it('the second read is served from Redis: the entry is there and a change behind the API is not seen', async () => {
    const who = caller({ org: { id: clerkId('org') } });
    await writePrefs(who, 'dark');
    const m = await me(who);
    expect(await redis.get(prefsKey(m))).toEqual({ gone: true });
    await tombstoneExpires(m);

    expect((await readPrefs(who)).preferences.theme).toBe('dark');
    await filled(prefsKey(m));
    expect(await redis.get(prefsKey(m))).toMatchObject({ v: { preferences: { theme: 'dark' }, version: 1 } });
    const ttl = await redis.ttl(prefsKey(m));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60);

    await setThemeInDatabase(m.user.id, 'light');
    expect((await readPrefs(who)).preferences.theme).toBe('dark');
    await redis.del(prefsKey(m));
    expect((await readPrefs(who)).preferences.theme).toBe('light');
  });

  it('a write invalidates: the next read comes from the database (PUT and PATCH)', async () => {
    const who = caller({ org: { id: clerkId('org') } });
    const m = await me(who);
    await writePrefs(who, 'dark');
    await tombstoneExpires(m);
    await readPrefs(who);
    await filled(prefsKey(m));

    await writePrefs(who, 'light', 'PATCH');
    expect(await redis.get(prefsKey(m))).toEqual({ gone: true });
    expect((await readPrefs(who)).preferences.theme).toBe('light');
    // No fill while the tombstone stands: the read above might have loaded before a write.
    expect(await redis.get(prefsKey(m))).toEqual({ gone: true });

    await writePrefs(who, 'dark', 'PUT');
    expect(await redis.get(prefsKey(m))).toEqual({ gone: true });
    expect((await readPrefs(who)).preferences.theme).toBe('dark');
  });

  it('tenant A’s cached entry is invisible to tenant B, even for the same person', async () => {
    const sub = clerkId('user');
    const inA = caller({ sub, org: { id: clerkId('org') } });
    const inB = caller({ sub, org: { id: clerkId('org') } });
    await writePrefs(inA, 'dark');
    const [a, b] = [await me(inA), await me(inB)];
    await tombstoneExpires(a);
    expect((await readPrefs(inA)).preferences.theme).toBe('dark');
    await filled(prefsKey(a));

    expect(b.tenant.id).not.toBe(a.tenant.id);
    expect((await readPrefs(inB)).preferences.theme).toBe('system');
    await filled(prefsKey(b));
    expect(await redis.get(prefsKey(b))).toMatchObject({ v: { version: 0, preferences: {} } });
    expect(await redis.get(prefsKey(a))).toMatchObject({ v: { preferences: { theme: 'dark' } } });
    expect(await redis.keys(`mm:t:${b.tenant.id}:*`)).not.toContain(prefsKey(a));
  });
});

describe('tenant resolution cache', () => {
  it('the membership is cached under the tenant: a suspension behind the API applies once the entry goes', async () => {
    const who = caller({ org: { id: clerkId('org'), role: 'admin' } });
    const m = await me(who);
    await filled(`mm:t:${m.tenant.id}:membership:${who.sub}`);
    const keys = await redis.keys(`mm:t:${m.tenant.id}:membership:*`);
    expect(keys).toEqual([`mm:t:${m.tenant.id}:membership:${who.sub}`]);
    expect(await redis.get(keys[0]!)).toMatchObject({ v: { tenant: { id: m.tenant.id, status: 'active' } } });

    await owner`update tenants set status = 'suspended' where id = ${m.tenant.id}`;
    expect((await api('/v1/me', { headers: await who.headers() })).status).toBe(200);
    await redis.del(...keys);
    expect((await api('/v1/me', { headers: await who.headers() })).status).toBe(403);
  });

  it('a role the token contradicts reloads the entry, so a role change takes effect with the next token', async () => {
    const org = { id: clerkId('org') };
    const sub = clerkId('user');
    const asMember = await api('/v1/me', { headers: await caller({ sub, org: { ...org, role: 'member' } }).headers() });
    const asAdmin = await api('/v1/me', { headers: await caller({ sub, org: { ...org, role: 'admin' } }).headers() });
    expect((await asMember.json<{ user: { role: string } }>()).user.role).toBe('member');
    expect((await asAdmin.json<{ user: { role: string } }>()).user.role).toBe('admin');
    const demoted = await api('/v1/me', { headers: await caller({ sub, org: { ...org, role: 'member' } }).headers() });
    expect((await demoted.json<{ user: { role: string } }>()).user.role).toBe('member');
  });
});
