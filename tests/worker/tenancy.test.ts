import { afterAll, describe, expect, it } from 'vitest';
import { uuidV5 } from '../../worker/tenancy/tenant-id';
import { api, type ErrorBody, jsonBody } from '../support/api';
import { ownerSqlInWorker } from '../support/owner-sql';
import { caller, clerkId } from '../support/tokens';

type Me = {
  user: { id: string; clerk_user_id: string; role: string };
  tenant: { id: string; name: string; trial_ends_at: string; trial: { active: boolean; days_left: number } };
};

const owner = ownerSqlInWorker();
afterAll(() => owner.end());

async function getMe(who: ReturnType<typeof caller>) {
  const res = await api('/v1/me', { headers: await who.headers() });
  expect(res.status).toBe(200);
  return res.json<Me>();
}

describe('tenant resolution and provisioning', () => {
  it('a user of an organization lands in that organization’s tenant, with a 14-day trial', async () => {
    const org = { id: clerkId('org'), role: 'admin' as const, slug: 'beat-makers' };
    const me = await getMe(caller({ org }));
    expect(me.tenant.id).toBe(await uuidV5(`org:${org.id}`));
    expect(me.user.role).toBe('admin');
    expect(me.tenant.trial).toEqual({ active: true, days_left: 14 });
    const [row] = await owner`select clerk_org_id, trial_ends_at from tenants where id = ${me.tenant.id}`;
    expect(row?.clerk_org_id).toBe(org.id);
    const days = (new Date(row?.trial_ends_at).getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(13.9);
    expect(days).toBeLessThanOrEqual(14);
  });

  it('v1 (org_id) and v2 (o.id) organization claims resolve to the same tenant', async () => {
    const orgId = clerkId('org');
    const a = await getMe(caller({ org: { id: orgId } }));
    const b = await getMe(caller({ orgV1: { id: orgId, role: 'org:member' } }));
    expect(b.tenant.id).toBe(a.tenant.id);
    expect(b.user.id).not.toBe(a.user.id);
    expect(b.user.role).toBe('member');
  });

  it('a user without an organization gets a personal tenant of their own, as its admin', async () => {
    const alice = caller();
    const me = await getMe(alice);
    expect(me.tenant.id).toBe(await uuidV5(`user:${alice.sub}`));
    expect(me.user.role).toBe('admin');
    expect((await getMe(caller())).tenant.id).not.toBe(me.tenant.id);
  });

  it('a tenant_id claim that is not a uuid is refused (403), as any claim naming another tenant', async () => {
    for (const tenantId of ['nope', 42, '']) {
      const res = await api('/v1/me', { headers: await caller({ claims: { tenant_id: tenantId } }).headers() });
      expect(res.status).toBe(403);
      expect((await res.json<ErrorBody>()).error.code).toBe('tenant_claim_mismatch');
    }
  });

  it('N parallel first requests of a new user create exactly one tenant and one user', async () => {
    const org = { id: clerkId('org') };
    const who = caller({ org });
    const responses = await Promise.all(
      Array.from({ length: 16 }, async () => api('/v1/me', { headers: await who.headers() })),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(16).fill(200));
    const [counts] = await owner`
      select (select count(*) from tenants where clerk_org_id = ${org.id})::int as tenants,
             (select count(*) from users where clerk_user_id = ${who.sub})::int as users`;
    expect(counts).toEqual({ tenants: 1, users: 1 });
  });
});

describe('isolation through the API', () => {
  it('two tenants each see only their own user, members and preferences', async () => {
    const a = caller({ org: { id: clerkId('org') } });
    const b = caller({ org: { id: clerkId('org') } });
    const [meA, meB] = await Promise.all([getMe(a), getMe(b)]);
    expect(meA.tenant.id).not.toBe(meB.tenant.id);

    const put = await api('/v1/preferences', {
      method: 'PUT',
      ...jsonBody({ preferences: { theme: 'dark' } }, await a.headers()),
    });
    expect(put.status).toBe(200);
    const prefsB = await (await api('/v1/preferences', { headers: await b.headers() })).json<{
      preferences: { theme: string };
      version: number;
    }>();
    expect(prefsB).toMatchObject({ version: 0, preferences: { theme: 'system' } });

    const membersA = await (await api('/v1/users', { headers: await a.headers() })).json<{ users: { id: string }[] }>();
    expect(membersA.users.map((u) => u.id)).toEqual([meA.user.id]);
  });

  it("an id from tenant B in tenant A's request is 404, never B's data", async () => {
    const a = caller({ org: { id: clerkId('org') } });
    const b = caller({ org: { id: clerkId('org') } });
    const meB = await getMe(b);
    await getMe(a);
    const res = await api(`/v1/users/${meB.user.id}`, { headers: await a.headers() });
    expect(res.status).toBe(404);
    const body = await res.json<ErrorBody>();
    expect(JSON.stringify(body)).not.toContain(b.sub);
    const own = await api(`/v1/users/${meB.user.id}`, { headers: await b.headers() });
    expect(own.status).toBe(200);
  });

  it('a malformed id in the path is a 400, not a 500', async () => {
    const res = await api("/v1/users/1' or '1'='1", { headers: await caller().headers() });
    expect(res.status).toBe(400);
    expect((await res.json<ErrorBody>()).error.code).toBe('invalid_request');
  });
});

describe('tenant administration', () => {
  it('an admin renames the tenant; a member gets 403 and nothing changes', async () => {
    const orgId = clerkId('org');
    const admin = caller({ org: { id: orgId, role: 'admin' } });
    const member = caller({ org: { id: orgId, role: 'member' } });
    await getMe(admin);
    await getMe(member);

    const denied = await api('/v1/tenant', {
      method: 'PATCH',
      ...jsonBody({ name: 'Hijacked' }, await member.headers()),
    });
    expect(denied.status).toBe(403);

    const renamed = await api('/v1/tenant', {
      method: 'PATCH',
      ...jsonBody({ name: '  Groove Lab ' }, await admin.headers()),
    });
    expect(renamed.status).toBe(200);
    expect((await renamed.json<{ name: string }>()).name).toBe('Groove Lab');
    const seen = await (await api('/v1/tenant', { headers: await member.headers() })).json<{ name: string }>();
    expect(seen.name).toBe('Groove Lab');
  });

  it('refuses an empty or oversized name with 422', async () => {
    const admin = caller({ org: { id: clerkId('org'), role: 'admin' } });
    for (const name of ['', '   ', 'x'.repeat(201), 'bad\u0000name']) {
      const res = await api('/v1/tenant', { method: 'PATCH', ...jsonBody({ name }, await admin.headers()) });
      expect(res.status, JSON.stringify(name)).toBe(422);
    }
  });
});
