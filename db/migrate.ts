import { fileURLToPath } from 'node:url';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { z } from 'zod';
import { assertMigrationsSafe } from './migration-safety';

export const APP_ROLE = 'meatymusic_app';
export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../migrations', import.meta.url));

// Inlined into ALTER ROLE (which takes no parameters), so the alphabet is closed.
const appPassword = z
  .string()
  .regex(/^[A-Za-z0-9_.~-]{8,128}$/, 'APP_DATABASE_PASSWORD: 8-128 chars of [A-Za-z0-9_.~-]');

export interface MigrateOptions {
  /** A role that may create tables, roles and extensions: the owner of the schema. */
  ownerUrl: string;
  /** The password the Worker's role logs in with. */
  appPassword: string;
  log?: (line: string) => void;
  /** The repository's migrations unless a test supplies others. */
  folder?: string;
}

/** What a run did: `now` migrations applied by it, `total` recorded in the database after it. */
export type MigrationSummary = { now: number; total: number };

/** Applies pending migrations in order (a no-op when none are pending), then sets the app role's password. */
export async function migrateDatabase({
  ownerUrl,
  appPassword: password,
  log = console.log,
  folder = MIGRATIONS_FOLDER,
}: MigrateOptions): Promise<MigrationSummary> {
  const pw = appPassword.parse(password);
  // Before any connection: a destructive statement without its reviewed marker never reaches a database.
  assertMigrationsSafe(folder);
  const client = postgres(ownerUrl, {
    max: 1,
    fetch_types: false,
    // NOTICEs ("already exists, skipping") are noise; WARNINGs (pgvector missing) are not.
    onnotice: (n) => n.severity !== 'NOTICE' && log(`postgres ${n.severity}: ${n.message}`),
  });
  try {
    // Two migrators of the same database (dev script and a test, say) take turns instead of racing.
    await client`select pg_advisory_lock(hashtext('meatymusic.migrations'))`;
    const before = await appliedCount(client);
    await migrate(drizzle(client), { migrationsFolder: folder });
    await setRolePassword(client, pw);
    const total = await appliedCount(client);
    const summary = { now: total - before, total };
    log(`migrations: ${describeMigrations(summary)}`);
    await client`select pg_advisory_unlock(hashtext('meatymusic.migrations'))`;
    return summary;
  } finally {
    await client.end({ timeout: 5 });
  }
}

/** "up to date (2 applied)" when nothing was pending, "1 applied now (2 in all)" otherwise. */
export function describeMigrations({ now, total }: MigrationSummary): string {
  return now === 0 ? `up to date (${total} applied)` : `${now} applied now (${total} in all)`;
}

/** Migrations recorded in the database; 0 before the first run has created drizzle's table. */
async function appliedCount(client: postgres.Sql): Promise<number> {
  const [table] = await client<{ exists: boolean }[]>`
    select to_regclass('drizzle.__drizzle_migrations') is not null as exists`;
  if (!table?.exists) return 0;
  const [row] = await client<{ applied: number }[]>`select count(*)::int as applied from drizzle.__drizzle_migrations`;
  return row?.applied ?? 0;
}

/**
 * Roles belong to the whole server, not to one database, so migrators of different databases (the
 * test databases, the bench's) can alter this one at the same moment; Postgres then refuses one of
 * them with "tuple concurrently updated", and trying again is the cure.
 */
async function setRolePassword(client: postgres.Sql, password: string) {
  for (let attempt = 1; ; attempt++) {
    try {
      await client.unsafe(`alter role ${APP_ROLE} with login password '${password}'`);
      return;
    } catch (error) {
      if (attempt >= 5 || !/concurrently updated/.test(String(error))) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
    }
  }
}

/** Creates the database if it does not exist (CREATE DATABASE cannot run inside a migration). */
export async function ensureDatabase(adminUrl: string, name: string) {
  const client = postgres(adminUrl, { max: 1, fetch_types: false, onnotice: () => {} });
  try {
    const [found] = await client`select 1 from pg_database where datname = ${name}`;
    if (!found) await client.unsafe(`create database ${quoteIdent(name)}`);
  } finally {
    await client.end({ timeout: 5 });
  }
}

export function quoteIdent(name: string) {
  return `"${name.replaceAll('"', '""')}"`;
}
