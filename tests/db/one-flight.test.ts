import { eq, sql } from 'drizzle-orm';
import type postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sequentialTrips, startTripProxy, type TripProxy } from '../../bench/lib/trip-proxy';
import { createDatabase, type Database } from '../../db/client';
import { tenants, userPreferences, users } from '../../db/schema';
import { createTenant, createUser, ownerSql } from '../support/db';

// What decision 006 promises, counted on the wire: every request's connection is new, so these
// count from a connection nothing ran on before (the startup handshake itself is not a flight).
let owner: postgres.Sql;
let proxy: TripProxy;
let proxiedUrl: string;
let tenant: string;
let user: { id: string; clerkUserId: string };

beforeAll(async () => {
  owner = ownerSql();
  tenant = await createTenant(owner);
  user = await createUser(owner, tenant);
  const url = new URL(inject('appDatabaseUrl'));
  proxy = await startTripProxy({
    target: { host: url.hostname, port: Number(url.port || 5432) },
    delayMs: 0,
    protocol: 'postgres',
  });
  url.host = `127.0.0.1:${proxy.port}`;
  proxiedUrl = url.toString();
});
afterAll(async () => {
  await proxy.close();
  await owner.end();
});

/** Flights `run` makes on a Database whose connection is new; the Database is closed afterwards. */
async function flights(run: (db: Database) => Promise<unknown>) {
  const db = createDatabase(proxiedUrl);
  try {
    proxy.clear();
    const from = performance.now();
    await run(db);
    return sequentialTrips(proxy.trips(), from, performance.now());
  } finally {
    await db.close();
  }
}

const byUser = () => eq(users.id, user.id);

describe('one round trip per one-flight call, on a new connection', () => {
  it('readTenant with several statements is one flight, each statement getting its own answer', async () => {
    let answers: unknown;
    const count = await flights(async (db) => {
      answers = await db.readTenant(tenant, (tx) => [
        tx.select({ id: users.id }).from(users).where(byUser()),
        tx.select({ id: tenants.id }).from(tenants),
        tx.execute(sql`select 41 + 1 as n`),
      ]);
    });
    expect(count).toBe(1);
    const [mine, visible, raw] = answers as [{ id: string }[], { id: string }[], { n: number }[]];
    expect(mine).toEqual([{ id: user.id }]);
    // RLS in force: the tenant's own row and nothing else.
    expect(visible).toEqual([{ id: tenant }]);
    expect(raw[0]).toEqual({ n: 42 });
  });

  it('writeTenant is one flight: statements without rows keep their counts, and later ones see earlier writes', async () => {
    let answers: unknown;
    const count = await flights(async (db) => {
      answers = await db.writeTenant(tenant, (tx) => [
        tx.update(users).set({ name: 'first' }).where(byUser()),
        tx
          .update(users)
          .set({ name: sql`${users.name} || ' then second'` })
          .where(byUser())
          .returning({ name: users.name }),
        tx.delete(userPreferences).where(eq(userPreferences.userId, crypto.randomUUID())),
        tx.select({ name: users.name }).from(users).where(byUser()),
      ]);
    });
    expect(count).toBe(1);
    const [updated, returned, deleted, read] = answers as [
      { count: number },
      { name: string }[],
      { count: number },
      { name: string }[],
    ];
    expect(updated.count).toBe(1);
    expect(returned).toEqual([{ name: 'first then second' }]);
    expect(deleted.count).toBe(0);
    expect(read).toEqual([{ name: 'first then second' }]);
  });

  it('withTenant costs one flight per awaited statement plus COMMIT, BEGIN travelling with the first', async () => {
    const count = await flights((db) =>
      db.withTenant(tenant, async (tx) => {
        const [row] = await tx.select({ name: users.name }).from(users).where(byUser());
        await tx
          .update(users)
          .set({ name: `${row?.name} again` })
          .where(byUser());
      }),
    );
    expect(count).toBe(3);
  });
});

describe('one-flight misuse and failure', () => {
  it('a failing statement rolls back the whole message; the connection stays usable', async () => {
    const db = createDatabase(inject('appDatabaseUrl'));
    try {
      await db.writeTenant(tenant, (tx) => tx.update(users).set({ name: 'before' }).where(byUser()));
      const failing = db.writeTenant(tenant, (tx) => [
        tx.update(users).set({ name: 'half-written' }).where(byUser()),
        // Another tenant's row: the policy refuses it.
        tx.insert(users).values({ tenantId: crypto.randomUUID(), clerkUserId: 'intruder' }),
      ]);
      await expect(failing).rejects.toMatchObject({ cause: { message: expect.stringMatching(/row-level security/) } });
      const [row] = await db.readTenant(tenant, (tx) => tx.select({ name: users.name }).from(users).where(byUser()));
      expect(row?.name).toBe('before');
    } finally {
      await db.close();
    }
  });

  it('a query fn chained is refused before anything is sent when it is listed after one it would overtake', async () => {
    const db = createDatabase(proxiedUrl);
    try {
      proxy.clear();
      const misordered = db.writeTenant(tenant, (tx) => [
        tx.update(users).set({ name: 'should not run' }).where(byUser()),
        // Chained, so already started: it would go out before the update listed first.
        tx
          .select({ name: users.name })
          .from(users)
          .where(byUser())
          .then((rows) => rows),
      ]);
      await expect(misordered).rejects.toThrow(/in order/);
      expect(proxy.trips()).toEqual([]);
      // Listed first, the same chained query is fine.
      const [chained] = await db.readTenant(tenant, (tx) => [
        tx
          .select({ name: users.name })
          .from(users)
          .where(byUser())
          .then((rows) => rows),
        tx.select({ id: users.id }).from(users).where(byUser()),
      ]);
      // (A callback inside the list is beyond TypeScript's inference: hence the annotation.)
      const [row] = chained as { name: string | null }[];
      expect(row?.name).not.toBe('should not run');
    } finally {
      await db.close();
    }
  });

  it('readTenant refuses to write', async () => {
    const db = createDatabase(inject('appDatabaseUrl'));
    try {
      const write = db.readTenant(tenant, (tx) => tx.update(users).set({ name: 'read only?' }).where(byUser()));
      await expect(write).rejects.toMatchObject({ cause: { message: expect.stringMatching(/read-only transaction/) } });
    } finally {
      await db.close();
    }
  });
});

describe('json_merge_patch (RFC 7396)', () => {
  // The examples of RFC 7396, appendix A.
  const cases: [unknown, unknown, unknown][] = [
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [
      ['a', 'b'],
      ['c', 'd'],
      ['c', 'd'],
    ],
    [{ a: 'b' }, ['c'], ['c']],
    [{ a: 'foo' }, null, null],
    [{ a: 'foo' }, 'bar', 'bar'],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];

  it.each(cases)('%j patched with %j is %j', async (target, patch, expected) => {
    const [row] = await owner<{ merged: unknown }[]>`
      select json_merge_patch(${owner.json(target as postgres.JSONValue)}::jsonb,
                              ${owner.json(patch as postgres.JSONValue)}::jsonb) as merged`;
    expect(row?.merged).toEqual(expected);
  });
});
