import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_ROLE } from '../../db/migrate';
import { isolationProblems, privilegeProblems, tenantTables } from '../../db/tenant-catalog';
import { dropDatabase, recreateDatabase, testDatabase } from '../setup/global';
import { SONGS, tenantTableRecipe } from '../support/songs';
import { isolationBreaches } from '../support/tenant-isolation';

/**
 * The guard rails of tenant tables, on a database of this file's own (migrated like every other): it
 * gains a new resource's table and, one test at a time, deliberately broken ones, which no other
 * file's database must see.
 */
const database = testDatabase('_guards');
let owner: postgres.Sql;
let app: postgres.Sql;

async function run(statements: string[]) {
  for (const statement of statements) await owner.unsafe(statement);
}

beforeAll(async () => {
  await recreateDatabase(database.name);
  owner = postgres(database.ownerUrl, { max: 1, onnotice: () => {}, fetch_types: false });
  app = postgres(database.appUrl, { max: 1, onnotice: () => {}, fetch_types: false });
  await run(SONGS);
});

afterAll(async () => {
  await Promise.all([owner?.end(), app?.end()]);
  await dropDatabase(database.name);
});

describe('every tenant table, from the catalog', () => {
  it('is found: every table with a tenant_id column, tenants itself and the new songs', async () => {
    const names = (await tenantTables(owner)).map((t) => t.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'clerk_entity_versions',
        'clerk_webhook_deliveries',
        'songs',
        'tenants',
        'user_preferences',
        'users',
      ]),
    );
  });

  it('has RLS enabled and forced, and the isolation policy as its only permissive one', async () => {
    expect(isolationProblems(await tenantTables(owner))).toEqual([]);
  });

  it("is reachable by the app role with exactly its DML privileges, a new table's by default (no GRANT)", async () => {
    expect(await privilegeProblems(owner)).toEqual([]);
  });

  it("isolates tenants: scoped to A, the app role cannot read, update, delete or move into B's rows", async () => {
    const { tables, findings } = await isolationBreaches(owner, app);
    expect(tables).toEqual(expect.arrayContaining(['songs', 'tenants', 'users', 'user_preferences']));
    expect(findings).toEqual([]);
  });

  it('a sequence created later gives the app role nextval (serial defaults) but not setval', async () => {
    await owner`create sequence guard_numbers`;
    try {
      expect(await privilegeProblems(owner)).toEqual([]);
      await expect(app`select nextval('guard_numbers')`).resolves.toHaveLength(1);
      await expect(app`select setval('guard_numbers', 1)`).rejects.toMatchObject({ code: '42501' });
    } finally {
      await owner`drop sequence guard_numbers`;
    }
  });
});

const broken = tenantTableRecipe('unguarded');
/** How a tenant table goes wrong: what the catalog says, and what the isolation probes find (or throw). */
const BROKEN: [string, string[], string, string[] | RegExp][] = [
  [
    'without FORCE',
    [broken.create, broken.enable, broken.policy],
    'unguarded: row-level security is not forced',
    // The app role is not the owner: FORCE protects against the owner, which only the catalog sees.
    [],
  ],
  [
    'without ENABLE',
    [broken.create, broken.policy, broken.force],
    'unguarded: row-level security is not enabled',
    [
      "unguarded: A reads B's rows: expected none, got rows",
      "unguarded: A updates B's rows: expected none, got rows",
      'unguarded: A moves its rows to B: expected refused, got rows',
      "unguarded: A deletes B's rows: expected none, got rows",
      'unguarded: A inserts a row of B: expected refused, got rows',
    ],
  ],
  [
    'without the policy',
    [broken.create, broken.enable, broken.force],
    'unguarded: no tenant_isolation_policy',
    /could not insert into unguarded: new row violates row-level security policy/,
  ],
  [
    'with a policy that admits every row',
    [
      broken.create,
      broken.enable,
      broken.force,
      'create policy tenant_isolation_policy on unguarded using (true) with check (true)',
    ],
    'unguarded: {"name":"tenant_isolation_policy"',
    [
      "unguarded: A reads B's rows: expected none, got rows",
      "unguarded: A updates B's rows: expected none, got rows",
      'unguarded: A moves its rows to B: expected refused, got rows',
      "unguarded: A deletes B's rows: expected none, got rows",
      'unguarded: A inserts a row of B: expected refused, got rows',
    ],
  ],
  [
    'with a second permissive policy',
    [...Object.values(broken), 'create policy everyone_reads on unguarded for select using (true)'],
    'unguarded: permissive policy everyone_reads besides tenant_isolation_policy',
    ["unguarded: A reads B's rows: expected none, got rows"],
  ],
  [
    'the app role cannot use',
    [...Object.values(broken), `revoke all on unguarded from ${APP_ROLE}`],
    `table unguarded: ${APP_ROLE} holds [], not [DELETE, INSERT, SELECT, UPDATE]`,
    /could not insert into unguarded: permission denied for table unguarded/,
  ],
  [
    'with more privileges than the app role has elsewhere',
    [...Object.values(broken), `grant truncate on unguarded to ${APP_ROLE}`],
    `table unguarded: ${APP_ROLE} holds [DELETE, INSERT, SELECT, TRUNCATE, UPDATE], not [DELETE, INSERT, SELECT, UPDATE]`,
    [],
  ],
];

describe('a tenant table that breaks a rule fails the checks above (created, checked, dropped)', () => {
  it.each(BROKEN)('%s', async (_label, statements, problem, isolation) => {
    await run(statements);
    try {
      const problems = [...isolationProblems(await tenantTables(owner)), ...(await privilegeProblems(owner))];
      expect(problems).toEqual([expect.stringContaining(problem)]);
      const probed = isolationBreaches(owner, app);
      if (isolation instanceof RegExp) await expect(probed).rejects.toThrow(isolation);
      else expect((await probed).findings).toEqual(isolation);
    } finally {
      await owner`drop table unguarded`;
    }
  });
});
