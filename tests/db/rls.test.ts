import { eq } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDatabase, type Database } from '../../db/client';
import { tenants, userPreferences, users } from '../../db/schema';
import { appSql, createPreferences, createTenant, createUser, ownerSql } from '../support/db';

let owner: postgres.Sql;
let app: postgres.Sql;
let db: Database;
let a: { tenant: string; user: string; prefs: string };
let b: { tenant: string; user: string; prefs: string };

async function arrangeTenant(label: string) {
  const tenant = await createTenant(owner, { name: label });
  const user = await createUser(owner, tenant);
  const prefs = await createPreferences(owner, tenant, user.id, { theme: label });
  return { tenant, user: user.id, prefs };
}

beforeAll(async () => {
  owner = ownerSql();
  app = appSql();
  db = createDatabase(inject('appDatabaseUrl'));
  a = await arrangeTenant('A');
  b = await arrangeTenant('B');
});

afterAll(async () => {
  await Promise.all([owner.end(), app.end(), db.close()]);
});

describe('tenant isolation (as the app role, through withTenant)', () => {
  it("tenant A sees its own rows and none of B's", async () => {
    const seen = await db.withTenant(a.tenant, async (tx) => ({
      tenants: await tx.select({ id: tenants.id }).from(tenants),
      users: await tx.select({ id: users.id, tenantId: users.tenantId }).from(users),
      prefs: await tx.select({ id: userPreferences.id }).from(userPreferences),
    }));
    expect(seen.tenants.map((r) => r.id)).toEqual([a.tenant]);
    expect(seen.users.map((r) => r.id)).toEqual([a.user]);
    expect(seen.prefs.map((r) => r.id)).toEqual([a.prefs]);
  });

  it("tenant A cannot read B's preferences even by id", async () => {
    const rows = await db.withTenant(a.tenant, (tx) =>
      tx.select().from(userPreferences).where(eq(userPreferences.id, b.prefs)),
    );
    expect(rows).toEqual([]);
  });

  it("tenant A cannot update or delete B's rows", async () => {
    const updated = await db.withTenant(a.tenant, (tx) =>
      tx
        .update(userPreferences)
        .set({ preferences: { theme: 'hijacked' } })
        .where(eq(userPreferences.id, b.prefs))
        .returning({ id: userPreferences.id }),
    );
    const deleted = await db.withTenant(a.tenant, (tx) =>
      tx.delete(users).where(eq(users.id, b.user)).returning({ id: users.id }),
    );
    expect(updated).toEqual([]);
    expect(deleted).toEqual([]);
    const [still] = await owner`select preferences from user_preferences where id = ${b.prefs}`;
    expect(still?.preferences).toEqual({ theme: 'B' });
    const [user] = await owner`select count(*)::int as n from users where id = ${b.user}`;
    expect(user?.n).toBe(1);
  });

  it('inserting a row for tenant B while scoped to A is rejected by WITH CHECK', async () => {
    const attempt = db.withTenant(a.tenant, (tx) =>
      tx.insert(users).values({ tenantId: b.tenant, clerkUserId: 'intruder' }).returning(),
    );
    await expect(attempt).rejects.toMatchObject({ cause: { code: '42501' } });
    const [row] = await owner`select count(*)::int as n from users where clerk_user_id = 'intruder'`;
    expect(row?.n).toBe(0);
  });

  it("moving A's row to tenant B is rejected by WITH CHECK", async () => {
    const attempt = db.withTenant(a.tenant, (tx) =>
      tx.update(users).set({ tenantId: b.tenant }).where(eq(users.id, a.user)),
    );
    await expect(attempt).rejects.toMatchObject({ cause: { code: '42501' } });
  });

  it('a preference row cannot point at a user of another tenant (composite key)', async () => {
    const other = await createTenant(owner);
    const userOfA = await createUser(owner, a.tenant);
    const attempt = createPreferences(owner, other, userOfA.id, {});
    await expect(attempt).rejects.toMatchObject({ code: '23503' });
  });
});

describe('no tenant set', () => {
  it('the app role sees zero rows, not an error and not all rows', async () => {
    const [counts] = await app`
      select (select count(*) from tenants)::int as tenants,
             (select count(*) from users)::int as users,
             (select count(*) from user_preferences)::int as prefs`;
    expect(counts).toEqual({ tenants: 0, users: 0, prefs: 0 });
    const [total] = await owner`select count(*)::int as n from users`;
    expect(total?.n).toBeGreaterThanOrEqual(2);
  });

  it('the tenant setting is transaction-local: the next statement on the same connection sees nothing', async () => {
    // One connection, as a pooled Hyperdrive connection handed from one request to the next.
    const conn = postgres(inject('appDatabaseUrl'), { max: 1, onnotice: () => {}, fetch_types: false });
    try {
      const inside = await conn.begin(async (tx) => {
        await tx`select set_config('app.current_tenant_id', ${a.tenant}, true)`;
        return tx`select count(*)::int as n from users`;
      });
      const [own] = await owner`select count(*)::int as n from users where tenant_id = ${a.tenant}`;
      expect(inside[0]).toEqual({ n: own?.n });
      expect(own?.n).toBeGreaterThan(0);
      // The setting now reads back as '' (not NULL): the policy must treat it as "no tenant", not fail.
      const [setting] = await conn`select current_setting('app.current_tenant_id', true) as value`;
      expect(setting?.value).toBe('');
      const after = await conn`select count(*)::int as n from users`;
      expect(after[0]).toEqual({ n: 0 });
    } finally {
      await conn.end();
    }
  });

  it('an unscoped insert is refused', async () => {
    const attempt = app`insert into tenants (name, slug) values ('rogue', 'rogue')`;
    await expect(attempt).rejects.toMatchObject({ code: '42501' });
  });

  it('withTenant refuses a tenant id that is not a uuid before reaching the database', async () => {
    await expect(db.withTenant("' or 1=1 --", async () => 1)).rejects.toThrow(/uuid/);
  });
});

// Every tenant table's RLS, policy and privileges, from the catalog: tenant-guards.test.ts.
describe('the app role', () => {
  it('the app role is not superuser, has no BYPASSRLS and owns no table', async () => {
    const [role] = await owner`
      select rolsuper, rolbypassrls, rolcreaterole, rolcreatedb from pg_roles where rolname = 'meatymusic_app'`;
    expect(role).toEqual({ rolsuper: false, rolbypassrls: false, rolcreaterole: false, rolcreatedb: false });
    const owned = await owner`
      select c.relname from pg_class c join pg_roles r on r.oid = c.relowner
      where r.rolname = 'meatymusic_app'`;
    expect(owned).toEqual([]);
    const [who] = await app`select current_user as name`;
    expect(who?.name).toBe('meatymusic_app');
  });
});
