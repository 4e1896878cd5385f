/**
 * A tenant-scoped resource added after the fact, with no test of its own: the catalog checks, the
 * isolation test and the bad-input corpus must all cover it. Made as docs/architecture.md's recipe
 * makes one: RLS, the isolation policy, FORCE, and no GRANT (0004's default privileges reach it).
 */
const TENANT = `tenant_id = nullif(current_setting('app.current_tenant_id', true), '')::uuid`;

/** The recipe's statements for `table`, by step, so a test can leave one out. */
export const tenantTableRecipe = (table: string) => ({
  create: `create table ${table} (
    id uuid primary key default gen_random_uuid(),
    tenant_id uuid not null references tenants(id) on delete cascade,
    title text not null,
    created_at timestamptz not null default now())`,
  enable: `alter table ${table} enable row level security`,
  policy: `create policy tenant_isolation_policy on ${table} as permissive for all to public
    using (${TENANT}) with check (${TENANT})`,
  force: `alter table ${table} force row level security`,
});

export const SONGS = Object.values(tenantTableRecipe('songs'));
