import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { migrateDatabase, quoteIdent } from '../../db/migrate';
import { localEnv, withDatabase } from '../../scripts/local-env';

const name = `meatymusic_migrate_${process.pid}`;
let adminUrl: string;
let url: string;

const snapshot = async (sql: postgres.Sql) => ({
  migrations: (await sql`select hash, created_at from drizzle.__drizzle_migrations order by id`).map((r) => ({ ...r })),
  columns: await sql`
    select table_name, column_name, data_type from information_schema.columns
    where table_schema = 'public' order by table_name, column_name`,
  policies: await sql`select tablename, policyname, qual, with_check from pg_policies order by tablename`,
});

beforeAll(async () => {
  adminUrl = withDatabase(inject('ownerDatabaseUrl'), 'postgres');
  url = withDatabase(inject('ownerDatabaseUrl'), name);
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists ${quoteIdent(name)} with (force)`);
  await admin.unsafe(`create database ${quoteIdent(name)}`);
  await admin.end();
});

afterAll(async () => {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists ${quoteIdent(name)} with (force)`);
  await admin.end();
});

describe('migrations', () => {
  it('take an empty database to head, then re-running changes nothing', async () => {
    const lines: string[] = [];
    // This server may lack pgvector; tests/db/vector.test.ts covers both cases.
    const run = () =>
      migrateDatabase({
        ownerUrl: url,
        appPassword: localEnv().APP_DATABASE_PASSWORD,
        log: (l) => lines.push(l),
        vector: 'optional',
      });
    await run();
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    try {
      const first = await snapshot(sql);
      expect(first.migrations.length).toBeGreaterThanOrEqual(2);
      expect(first.columns.map((c) => c.table_name)).toEqual(
        expect.arrayContaining(['tenants', 'users', 'user_preferences']),
      );
      await run();
      expect(await snapshot(sql)).toEqual(first);
      // The second run had nothing to do, and says so rather than counting the first run's work again.
      expect(lines.filter((l) => l.startsWith('migrations:'))).toEqual([
        `migrations: ${first.migrations.length} applied now (${first.migrations.length} in all)`,
        `migrations: up to date (${first.migrations.length} applied)`,
      ]);
    } finally {
      await sql.end();
    }
  });
});
