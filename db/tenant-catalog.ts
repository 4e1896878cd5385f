import type postgres from 'postgres';
import { APP_ROLE } from './migrate';

/**
 * The rules every tenant table follows, read from Postgres' catalog: a table added later is checked
 * because it exists, not because someone listed it (docs/decisions/015-tenant-tables-guarded-from-the-catalog.md).
 * Used by the tests (tests/db/tenant-guards.test.ts) and the dev stack's checks (scripts/dev/checks.ts).
 */

/** The policy expression every tenant table carries, as Postgres prints it back, on `column`. */
const isolationExpression = (column: string) =>
  `(${column} = (NULLIF(current_setting('app.current_tenant_id'::text, true), ''::text))::uuid)`;

type Policy = { name: string; permissive: string; command: string; roles: string[]; using: string; check: string };

export type TenantTable = {
  name: string;
  /** The column holding the tenant's id: `id` on tenants itself, `tenant_id` everywhere else. */
  key: string;
  enabled: boolean;
  forced: boolean;
  policies: Policy[];
};

/** Every table of the public schema with a tenant_id column, and tenants itself. */
export async function tenantTables(sql: postgres.Sql): Promise<TenantTable[]> {
  return sql<TenantTable[]>`
    select c.relname as name,
           case when c.relname = 'tenants' then 'id' else 'tenant_id' end as key,
           c.relrowsecurity as enabled, c.relforcerowsecurity as forced,
           coalesce(json_agg(json_build_object(
             'name', p.policyname, 'permissive', p.permissive, 'command', p.cmd,
             'roles', to_json(p.roles), 'using', p.qual, 'check', p.with_check
           ) order by p.policyname) filter (where p.policyname is not null), '[]') as policies
    from pg_class c
    join pg_namespace n on n.oid = c.relnamespace and n.nspname = 'public'
    left join pg_policies p on p.schemaname = 'public' and p.tablename = c.relname
    where c.relkind in ('r', 'p')
      and (c.relname = 'tenants'
           or exists (select 1 from pg_attribute a
                      where a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped))
    group by c.oid, c.relname
    order by c.relname`;
}

/** What keeps each of `tables` from isolating tenants, one line each: [] when every table is sound. */
export function isolationProblems(tables: TenantTable[]): string[] {
  return tables.flatMap((t) => {
    const problems: string[] = [];
    if (!t.enabled) problems.push(`${t.name}: row-level security is not enabled`);
    // Without FORCE the owner (the role migrations and support sessions log in as) sees every tenant.
    if (!t.forced) problems.push(`${t.name}: row-level security is not forced`);
    const expected = {
      name: 'tenant_isolation_policy',
      permissive: 'PERMISSIVE',
      command: 'ALL',
      roles: ['public'],
      using: isolationExpression(t.key),
      check: isolationExpression(t.key),
    };
    const policy = t.policies.find((p) => p.name === expected.name);
    if (!policy) problems.push(`${t.name}: no ${expected.name}`);
    else if (JSON.stringify(policy) !== JSON.stringify(expected)) {
      problems.push(`${t.name}: ${JSON.stringify(policy)} is not ${JSON.stringify(expected)}`);
    }
    // Permissive policies are OR'ed: any other one widens what a tenant sees.
    for (const other of t.policies.filter((p) => p.name !== expected.name && p.permissive === 'PERMISSIVE')) {
      problems.push(`${t.name}: permissive policy ${other.name} besides ${expected.name}`);
    }
    return problems;
  });
}

/** What the app role holds, per kind of object: what 0001/0003 grant by hand and 0004 by default. */
const APP_PRIVILEGES: Record<string, string[]> = {
  table: ['DELETE', 'INSERT', 'SELECT', 'UPDATE'],
  sequence: ['USAGE'],
};

/** Tables and sequences of the public schema the app role holds other privileges on than APP_PRIVILEGES. */
export async function privilegeProblems(sql: postgres.Sql): Promise<string[]> {
  const objects = await sql<{ name: string; kind: string; privileges: string[] }[]>`
    select c.relname as name, case c.relkind when 'S' then 'sequence' else 'table' end as kind,
           coalesce(json_agg(distinct p.privilege_type) filter (where p.privilege_type is not null), '[]') as privileges
    from pg_class c
    join pg_namespace n on n.oid = c.relnamespace and n.nspname = 'public'
    -- Grantee 0 is PUBLIC, which the app role is part of.
    left join lateral aclexplode(c.relacl) p
      on p.grantee in (0, (select oid from pg_roles where rolname = ${APP_ROLE}))
    where c.relkind in ('r', 'p', 'S')
    group by c.oid, c.relname, c.relkind
    order by c.relname`;
  return objects.flatMap(({ name, kind, privileges }) => {
    const held = [...privileges].sort();
    const expected = APP_PRIVILEGES[kind] ?? [];
    return JSON.stringify(held) === JSON.stringify(expected)
      ? []
      : [`${kind} ${name}: ${APP_ROLE} holds [${held.join(', ')}], not [${expected.join(', ')}]`];
  });
}
