import { env } from 'cloudflare:test';
import { afterAll, describe, expect, it } from 'vitest';
import { uuidV5 } from '../../worker/tenancy/tenant-id';
import { api, apiWithVars, type ErrorBody } from '../support/api';
import { DEPLOYED_SITE, deployedVars } from '../support/deployed-vars';
import { ownerSqlInWorker } from '../support/owner-sql';
import { bearer, caller, clerkId, signToken } from '../support/tokens';

const owner = ownerSqlInWorker();
afterAll(() => owner.end());

const countTenants = async (id: string) => (await owner`select count(*)::int as n from tenants where id = ${id}`)[0]?.n;
const countUsers = async (tenantId: string) =>
  (await owner`select count(*)::int as n from users where tenant_id = ${tenantId}`)[0]?.n;

describe('a token reaches only the tenants Clerk vouches for', () => {
  it('an admin of org A whose token names tenant B in tenant_id is refused, and B gains no member', async () => {
    const orgB = { id: clerkId('org'), role: 'admin' as const };
    expect((await api('/v1/me', { headers: await caller({ org: orgB }).headers() })).status).toBe(200);
    const tenantB = await uuidV5(`org:${orgB.id}`);
    expect(await countUsers(tenantB)).toBe(1);

    const intruder = caller({ org: { id: clerkId('org'), role: 'admin' }, claims: { tenant_id: tenantB } });
    const res = await api('/v1/me', { headers: await intruder.headers() });
    expect(res.status).toBe(403);
    expect((await res.json<ErrorBody>()).error.code).toBe('tenant_claim_mismatch');
    expect(await countUsers(tenantB)).toBe(1);
  });

  it('a tenant_id claim of any uuid (the nil uuid too) never creates a tenant', async () => {
    for (const tenantId of ['00000000-0000-0000-0000-000000000000', crypto.randomUUID()]) {
      const res = await api('/v1/me', { headers: await caller({ claims: { tenant_id: tenantId } }).headers() });
      expect(res.status).toBe(403);
      expect(await countTenants(tenantId)).toBe(0);
    }
  });

  it("a tenant_id claim naming exactly the token's own organization's tenant is accepted", async () => {
    const org = { id: clerkId('org'), role: 'admin' as const };
    const tenantId = await uuidV5(`org:${org.id}`);
    const res = await api('/v1/me', {
      headers: await caller({ org, claims: { tenant_id: tenantId.toUpperCase() } }).headers(),
    });
    expect(res.status).toBe(200);
    expect((await res.json<{ tenant: { id: string } }>()).tenant.id).toBe(tenantId);
  });

  it('the role comes only from the claim that named the organization (v2 `o`, never a v1 org_role beside it)', async () => {
    const orgId = clerkId('org');
    const token = await signToken({ claims: { v: 2, o: { id: orgId }, org_role: 'org:admin' } });
    const res = await api('/v1/me', { headers: bearer(token) });
    expect(res.status).toBe(200);
    const me = await res.json<{ tenant: { id: string }; user: { role: string } }>();
    expect(me.tenant.id).toBe(await uuidV5(`org:${orgId}`));
    expect(me.user.role).toBe('member');
  });
});

describe('session status', () => {
  it('a pending session (sts: pending, tasks unfinished) is signed out: 401 session_pending, nothing provisioned', async () => {
    const sub = clerkId('user');
    const res = await api('/v1/me', { headers: bearer(await signToken({ sub, claims: { sts: 'pending' } })) });
    expect(res.status).toBe(401);
    expect((await res.json<ErrorBody>()).error.code).toBe('session_pending');
    expect(await countTenants(await uuidV5(`user:${sub}`))).toBe(0);
  });

  it('an active session (sts: active) is accepted', async () => {
    const res = await api('/v1/me', { headers: bearer(await signToken({ claims: { sts: 'active' } })) });
    expect(res.status).toBe(200);
  });
});

describe('limits run before any work', () => {
  it('a user already at their limit who names a new organization gets 429 and leaves no row behind', async () => {
    const limited = apiWithVars({ RATE_LIMIT_USER_PER_MINUTE: '2' });
    const sub = clerkId('user');
    const first = { id: clerkId('org') };
    for (let i = 0; i < 2; i++) {
      const ok = await limited('/v1/me', { headers: bearer(await signToken({ sub, org: first })) });
      expect(ok.status).toBe(200);
    }
    const fresh = { id: clerkId('org') };
    const res = await limited('/v1/me', { headers: bearer(await signToken({ sub, org: fresh })) });
    expect(res.status).toBe(429);
    expect(await countTenants(await uuidV5(`org:${fresh.id}`))).toBe(0);
  });
});

describe('401 bodies outside development', () => {
  const production = apiWithVars(deployedVars('production'));

  it('say only unauthenticated or token_expired; the precise reason stays in the logs', async () => {
    const forged = `${(await signToken({ azp: DEPLOYED_SITE })).slice(0, -6)}AAAAAA`;
    const cases: [Record<string, string>, string][] = [
      [{}, 'unauthenticated'],
      [bearer(forged), 'unauthenticated'],
      [bearer(await signToken({ azp: 'https://evil.example' })), 'unauthenticated'],
      [bearer(await signToken({ azp: DEPLOYED_SITE, expiresInSeconds: -60 })), 'token_expired'],
    ];
    for (const [headers, code] of cases) {
      const res = await production('/v1/me', { headers });
      expect(res.status).toBe(401);
      expect((await res.json<ErrorBody>()).error.code).toBe(code);
    }
  });

  it('in development the precise reason is in the body, for the person debugging', async () => {
    const forged = `${(await signToken()).slice(0, -6)}AAAAAA`;
    const res = await api('/v1/me', { headers: bearer(forged) });
    expect((await res.json<ErrorBody>()).error.code).toBe('token_invalid_signature');
  });
});

describe('a per-client limit before authentication', () => {
  // A binding of 5 per minute (vitest.config.ts) stands in for the production one.
  const tight = apiWithVars({
    CLIENT_LIMITER: (env as Env & { TIGHT_CLIENT_LIMITER: RateLimit }).TIGHT_CLIENT_LIMITER,
  });
  const from = (ip: string, headers: Record<string, string> = {}) => ({
    headers: { 'CF-Connecting-IP': ip, ...headers },
  });

  it('bad-signature tokens from one client are refused with 429 once over the limit; another client goes on', async () => {
    const ip = `198.51.100.${Math.floor(Math.random() * 250)}`;
    const forged = `${(await signToken()).slice(0, -6)}AAAAAA`;
    const statuses = [];
    for (let i = 0; i < 7; i++) statuses.push((await tight('/v1/me', from(ip, bearer(forged)))).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
    const refused = await tight('/v1/me', from(ip, bearer(forged)));
    expect(refused.headers.get('Retry-After')).toBe('60');
    expect((await refused.json<ErrorBody>()).error).toMatchObject({
      code: 'rate_limited',
      details: { scope: 'client' },
    });
    expect((await tight('/v1/me', from(`${ip}0`, bearer(forged)))).status).toBe(401);
  });

  it('unsigned webhook posts count against the same limit', async () => {
    const ip = `203.0.113.${Math.floor(Math.random() * 250)}`;
    const post = () =>
      tight('/v1/webhooks/clerk', {
        method: 'POST',
        body: 'x'.repeat(200_000),
        ...from(ip, { 'Content-Type': 'application/json' }),
      });
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await post()).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
  });
});

describe('verified tokens remembered per isolate', () => {
  it('a remembered token still expires: once past exp it is verified again and refused', async () => {
    const strict = apiWithVars({ AUTH_CLOCK_SKEW_MS: '0' });
    const token = await signToken({ expiresInSeconds: 2 });
    expect((await strict('/v1/me', { headers: bearer(token) })).status).toBe(200);
    expect((await strict('/v1/me', { headers: bearer(token) })).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const res = await strict('/v1/me', { headers: bearer(token) });
    expect(res.status).toBe(401);
    expect((await res.json<ErrorBody>()).error.code).toBe('token_expired');
  });

  it('a token remembered under one configuration is judged afresh under another (authorized parties)', async () => {
    const token = await signToken();
    expect((await api('/v1/me', { headers: bearer(token) })).status).toBe(200);
    const elsewhere = apiWithVars({ CLERK_AUTHORIZED_PARTIES: 'https://other.example' });
    expect((await elsewhere('/v1/me', { headers: bearer(token) })).status).toBe(401);
  });
});
