import { afterAll, describe, expect, inject, it } from 'vitest';
import { svixHeaders } from '../../scripts/webhooks/sign';
import { uuidV5 } from '../../worker/tenancy/tenant-id';
import { api, type ErrorBody } from '../support/api';
import { ownerSqlInWorker } from '../support/owner-sql';
import { caller, clerkId } from '../support/tokens';

const owner = ownerSqlInWorker();
afterAll(() => owner.end());

let seq = 0;
// Clerk stamps each event (ms); strictly increasing here, so events sent one after another are in order.
let clock = Date.now();

type DeliverOptions = { at?: Date; secret?: string; id?: string };

/**
 * Delivers an event the way Svix does: raw JSON body plus svix-id/timestamp/signature headers. Events
 * without a `timestamp` get the next tick of the test's clock; `id` repeats a delivery (a replay).
 */
async function deliver(
  event: object,
  { at = new Date(), secret = inject('clerkWebhookSecret'), id = `msg_${Date.now()}_${++seq}` }: DeliverOptions = {},
) {
  const body = JSON.stringify({ timestamp: ++clock, ...event });
  return api('/v1/webhooks/clerk', { method: 'POST', body, headers: svixHeaders(secret, body, { id, at }) });
}

const membership = (type: string, orgId: string, userId: string, role = 'org:member') => ({
  type,
  data: {
    role,
    organization: { id: orgId, name: 'Synth Collective', slug: 'synth-collective' },
    public_user_data: { user_id: userId, identifier: `${userId}@example.test`, first_name: 'Ada', last_name: 'L' },
  },
});

describe('Clerk webhooks', () => {
  it('organization and membership events create the tenant and member, idempotently', async () => {
    const orgId = clerkId('org');
    const userId = clerkId('user');
    const created = { type: 'organization.created', data: { id: orgId, name: 'Synth Collective', slug: 'synth' } };
    expect((await deliver(created)).status).toBe(200);
    expect((await deliver(created)).status).toBe(200);
    const joined = membership('organizationMembership.created', orgId, userId, 'org:admin');
    expect((await deliver(joined)).status).toBe(200);
    expect((await deliver(joined)).status).toBe(200);

    const tenantId = await uuidV5(`org:${orgId}`);
    const rows = await owner`
      select t.name, t.clerk_org_id, u.email, u.name as user_name, u.role
      from tenants t join users u on u.tenant_id = t.id where t.id = ${tenantId}`;
    expect(rows).toEqual([
      {
        name: 'Synth Collective',
        clerk_org_id: orgId,
        email: `${userId}@example.test`,
        user_name: 'Ada L',
        role: 'admin',
      },
    ]);

    await deliver({ type: 'organization.updated', data: { id: orgId, name: 'Renamed Collective' } });
    await deliver(membership('organizationMembership.deleted', orgId, userId));
    const [after] = await owner`
      select t.name, (select count(*)::int from users where tenant_id = t.id) as members
      from tenants t where t.id = ${tenantId}`;
    expect(after).toEqual({ name: 'Renamed Collective', members: 0 });
  });

  it('user events keep the personal workspace in sync, and user.deleted removes it', async () => {
    const userId = clerkId('user');
    const user = (type: string, first: string) => ({
      type,
      data: {
        id: userId,
        first_name: first,
        last_name: 'Lovelace',
        primary_email_address_id: 'idn_2',
        email_addresses: [
          { id: 'idn_1', email_address: 'old@example.test' },
          { id: 'idn_2', email_address: 'ada@example.test' },
        ],
      },
    });
    await deliver(user('user.created', 'Ada'));
    await deliver(user('user.updated', 'Augusta'));
    const personal = await uuidV5(`user:${userId}`);
    const [row] = await owner`select email, name, role from users where tenant_id = ${personal}`;
    expect(row).toEqual({ email: 'ada@example.test', name: 'Augusta Lovelace', role: 'admin' });

    expect((await deliver({ type: 'user.deleted', data: { id: userId } })).status).toBe(200);
    const [gone] = await owner`select count(*)::int as n from tenants where id = ${personal}`;
    expect(gone?.n).toBe(0);
  });

  it('organization.deleted cancels the tenant instead of dropping its data', async () => {
    const orgId = clerkId('org');
    await deliver({ type: 'organization.created', data: { id: orgId, name: 'Gone Soon' } });
    await deliver({ type: 'organization.deleted', data: { id: orgId } });
    const [row] = await owner`select status from tenants where id = ${await uuidV5(`org:${orgId}`)}`;
    expect(row?.status).toBe('cancelled');
  });

  it('organization.deleted locks members out at once, despite their cached membership', async () => {
    const orgId = clerkId('org');
    const member = caller({ org: { id: orgId, role: 'member' } });
    expect((await api('/v1/me', { headers: await member.headers() })).status).toBe(200);
    expect((await api('/v1/me', { headers: await member.headers() })).status).toBe(200);
    await deliver({ type: 'organization.deleted', data: { id: orgId } });
    const res = await api('/v1/preferences', { headers: await member.headers() });
    expect(res.status).toBe(403);
    expect((await res.json<ErrorBody>()).error.code).toBe('tenant_inactive');
  });

  it('a replayed delivery (same svix-id, inside the signature tolerance) is acknowledged but not applied again', async () => {
    const orgId = clerkId('org');
    const userId = clerkId('user');
    const tenantId = await uuidV5(`org:${orgId}`);
    const joined = { ...membership('organizationMembership.created', orgId, userId), timestamp: ++clock };
    expect((await deliver(joined, { id: `msg_replayed_once${userId}` })).status).toBe(200);
    // The member is removed by other means; a replay of the old delivery must not bring them back.
    await owner`delete from users where tenant_id = ${tenantId} and clerk_user_id = ${userId}`;
    const replay = await deliver(joined, { id: `msg_replayed_once${userId}` });
    expect(replay.status).toBe(200);
    expect(await replay.json()).toEqual({ received: true, handled: true, outcome: 'duplicate' });
    const [row] = await owner`select count(*)::int as n from users where tenant_id = ${tenantId}`;
    expect(row?.n).toBe(0);
    // Kept durably in Postgres, not only in a cache.
    const [kept] =
      await owner`select tenant_id from clerk_webhook_deliveries where svix_id = ${`msg_replayed_once${userId}`}`;
    expect(kept?.tenant_id).toBe(tenantId);
  });

  it('a membership.created delivered after its .deleted does not re-add the member', async () => {
    const orgId = clerkId('org');
    const userId = clerkId('user');
    const tenantId = await uuidV5(`org:${orgId}`);
    const [createdAt, deletedAt] = [++clock, ++clock];
    await deliver({ ...membership('organizationMembership.created', orgId, userId), timestamp: createdAt });
    await deliver({ ...membership('organizationMembership.deleted', orgId, userId), timestamp: deletedAt });
    // Svix retries the first delivery late (a new attempt of the same event, under another message id).
    const late = await deliver({
      ...membership('organizationMembership.created', orgId, userId),
      timestamp: createdAt,
    });
    expect(await late.json()).toEqual({ received: true, handled: true, outcome: 'stale' });
    const [row] = await owner`select count(*)::int as n from users where tenant_id = ${tenantId}`;
    expect(row?.n).toBe(0);
  });

  it('a user.created arriving after user.deleted does not bring the personal workspace back', async () => {
    const userId = clerkId('user');
    const user = { id: userId, first_name: 'Late', email_addresses: [] };
    const [createdAt, deletedAt] = [++clock, ++clock];
    await deliver({ type: 'user.created', data: user, timestamp: createdAt });
    await deliver({ type: 'user.deleted', data: { id: userId }, timestamp: deletedAt });
    await deliver({ type: 'user.created', data: user, timestamp: createdAt });
    const [row] = await owner`select count(*)::int as n from tenants where id = ${await uuidV5(`user:${userId}`)}`;
    expect(row?.n).toBe(0);
  });

  it('a bad signature -> 401 and nothing is written', async () => {
    const orgId = clerkId('org');
    const res = await deliver(
      { type: 'organization.created', data: { id: orgId, name: 'Forged' } },
      { secret: `whsec_${btoa('not-the-secret-not-the-secret-!!')}` },
    );
    expect(res.status).toBe(401);
    expect((await res.json<ErrorBody>()).error.code).toBe('invalid_signature');
    const [row] = await owner`select count(*)::int as n from tenants where clerk_org_id = ${orgId}`;
    expect(row?.n).toBe(0);
  });

  it('a replay outside the timestamp tolerance -> 401', async () => {
    const tenMinutesAgo = new Date(Date.now() - 10 * 60_000);
    const res = await deliver(
      { type: 'organization.created', data: { id: clerkId('org'), name: 'Old' } },
      { at: tenMinutesAgo },
    );
    expect(res.status).toBe(401);
  });

  it('missing Svix headers -> 401', async () => {
    const res = await api('/v1/webhooks/clerk', {
      method: 'POST',
      body: '{}',
      headers: { 'Content-Type': 'application/json' },
    });
    expect(res.status).toBe(401);
  });

  it('event types we do not handle are acknowledged, not failed', async () => {
    const res = await deliver({ type: 'session.created', data: { id: 'sess_1' } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ received: true, handled: false });
  });

  it('a handled event without Clerk’s timestamp -> 422: its order could not be judged', async () => {
    const body = JSON.stringify({ type: 'organization.created', data: { id: clerkId('org'), name: 'No Time' } });
    const res = await api('/v1/webhooks/clerk', {
      method: 'POST',
      body,
      headers: svixHeaders(inject('clerkWebhookSecret'), body),
    });
    expect(res.status).toBe(422);
  });

  it('a signed payload with a NUL in a name -> 422, not a 500 from Postgres', async () => {
    const res = await deliver({ type: 'organization.created', data: { id: clerkId('org'), name: 'Nul\u0000Org' } });
    expect(res.status).toBe(422);
  });

  it('a signed but malformed payload -> 422, not 500', async () => {
    const res = await deliver({ type: 'organization.created', data: { id: 'bad id with spaces', name: '' } });
    expect(res.status).toBe(422);
  });
});
