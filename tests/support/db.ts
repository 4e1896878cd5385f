import postgres from 'postgres';
import { inject } from 'vitest';

/** The schema owner: arranges rows across tenants, as the app never can. */
export function ownerSql() {
  return postgres(inject('ownerDatabaseUrl'), { max: 2, onnotice: () => {}, fetch_types: false });
}

/** The Worker's role, unscoped: for proving what it can and cannot see without a tenant. */
export function appSql() {
  return postgres(inject('appDatabaseUrl'), { max: 2, onnotice: () => {}, fetch_types: false });
}

let seq = 0;
const unique = (prefix: string) => `${prefix}-${process.pid}-${Date.now().toString(36)}-${++seq}`;

export async function createTenant(sql: postgres.Sql, overrides: { name?: string; clerkOrgId?: string } = {}) {
  const slug = unique('t');
  const [row] = await sql<{ id: string }[]>`
    insert into tenants (name, slug, clerk_org_id, trial_ends_at)
    values (${overrides.name ?? slug}, ${slug}, ${overrides.clerkOrgId ?? null}, now() + interval '14 days')
    returning id`;
  return row!.id;
}

export async function createUser(sql: postgres.Sql, tenantId: string, overrides: { role?: 'admin' | 'member' } = {}) {
  const clerkUserId = unique('user');
  const [row] = await sql<{ id: string }[]>`
    insert into users (tenant_id, clerk_user_id, email, role)
    values (${tenantId}, ${clerkUserId}, ${`${clerkUserId}@example.test`}, ${overrides.role ?? 'member'})
    returning id`;
  return { id: row!.id, clerkUserId };
}

export async function createPreferences(sql: postgres.Sql, tenantId: string, userId: string, prefs: object) {
  const [row] = await sql<{ id: string }[]>`
    insert into user_preferences (tenant_id, user_id, preferences)
    values (${tenantId}, ${userId}, ${sql.json(prefs as postgres.JSONValue)})
    returning id`;
  return row!.id;
}
