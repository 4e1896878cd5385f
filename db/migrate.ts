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

/** Applies pending migrations in order (a no-op when none are pending), then sets the app role's password. */
export async function migrateDatabase({
  ownerUrl,
  appPassword: password,
  log = console.log,
  folder = MIGRATIONS_FOLDER,
}: MigrateOptions) {
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
    await migrate(drizzle(client), { migrationsFolder: folder });
    await setRolePassword(client, pw);
    const [row] = await client<
      { applied: number }[]
    >`select count(*)::int as applied from drizzle.__drizzle_migrations`;
    log(`migrations: ${row?.applied ?? 0} applied`);
    await client`select pg_advisory_unlock(hashtext('meatymusic.migrations'))`;
  } finally {
    await client.end({ timeout: 5 });
  }
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
