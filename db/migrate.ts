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

/**
 * What to do where pgvector is missing (docs/decisions/013-pgvector-skipped-in-dev-required-in-deploys.md).
 * `required`: refuse, before applying anything, a server without it and a database once migrated
 * without it; production, staging and docker-compose migrate so. `optional`: migrate, and the statements
 * guarded on the extension (db/migration-safety.ts) are skipped; the dev stack and the tests, whose
 * servers may lack it.
 */
export type VectorPolicy = 'required' | 'optional';

export interface MigrateOptions {
  /** A role that may create tables, roles and extensions: the owner of the schema. */
  ownerUrl: string;
  /** The password the Worker's role logs in with. */
  appPassword: string;
  log?: (line: string) => void;
  /** The repository's migrations unless a test supplies others. */
  folder?: string;
  /** `required` unless a caller that runs where pgvector may be missing says otherwise. */
  vector?: VectorPolicy;
}

/** One session on the database being migrated: postgres.js on a server, PGlite in tests/db/vector.test.ts. */
export interface MigrationConnection {
  query<T extends object>(sql: string): Promise<T[]>;
  /** drizzle's migrator for this driver (each applies the folder's journal the same way). */
  migrate(folder: string): Promise<void>;
  close(): Promise<void>;
}

/** What a run did: `now` migrations applied by it, `total` recorded in the database after it. */
export type MigrationSummary = { now: number; total: number };

/** Applies pending migrations in order (a no-op when none are pending), then sets the app role's password. */
export function migrateDatabase({ ownerUrl, ...options }: MigrateOptions): Promise<MigrationSummary> {
  const log = options.log ?? console.log;
  return migrateWith(() => postgresConnection(ownerUrl, log), { ...options, log });
}

/** migrateDatabase over a connection `connect` opens once the migrations have passed the safety check. */
export async function migrateWith(
  connect: () => MigrationConnection,
  {
    appPassword: password,
    log = console.log,
    folder = MIGRATIONS_FOLDER,
    vector = 'required',
  }: Omit<MigrateOptions, 'ownerUrl'>,
): Promise<MigrationSummary> {
  const pw = appPassword.parse(password);
  // Before any connection: a destructive statement without its reviewed marker never reaches a database.
  assertMigrationsSafe(folder);
  const connection = connect();
  try {
    // Two migrators of the same database (dev script and a test, say) take turns instead of racing.
    await connection.query(`select pg_advisory_lock(hashtext('meatymusic.migrations'))`);
    const before = await appliedCount(connection);
    if (vector === 'required') await requireVector(connection, before);
    await connection.migrate(folder);
    await setRolePassword(connection, pw);
    const total = await appliedCount(connection);
    const summary = { now: total - before, total };
    log(`migrations: ${describeMigrations(summary)}`);
    await connection.query(`select pg_advisory_unlock(hashtext('meatymusic.migrations'))`);
    return summary;
  } finally {
    await connection.close();
  }
}

function postgresConnection(url: string, log: (line: string) => void): MigrationConnection {
  const client = postgres(url, {
    max: 1,
    fetch_types: false,
    // NOTICEs ("already exists, skipping") are noise; WARNINGs (pgvector missing) are not.
    onnotice: (n) => n.severity !== 'NOTICE' && log(`postgres ${n.severity}: ${n.message}`),
  });
  return {
    query: <T extends object>(sql: string) => client.unsafe<T[]>(sql),
    migrate: (folder) => migrate(drizzle(client), { migrationsFolder: folder }),
    close: () => client.end({ timeout: 5 }),
  };
}

export class VectorUnavailableError extends Error {
  override name = 'VectorUnavailableError';
}

/**
 * Refuses a server without pgvector, and a database migrated without it: the statements guarded on the
 * extension were skipped then, and an applied migration never runs again, so its columns would be
 * missing for good while everything else looks migrated.
 */
async function requireVector(connection: MigrationConnection, applied: number) {
  const [row] = await connection.query<{ available: boolean; installed: boolean }>(`
    select exists (select 1 from pg_available_extensions where name = 'vector') as available,
           exists (select 1 from pg_extension where extname = 'vector') as installed`);
  if (row?.installed) return;
  const decision = 'docs/decisions/013-pgvector-skipped-in-dev-required-in-deploys.md';
  if (!row?.available) {
    throw new VectorUnavailableError(
      'pgvector is required and this server does not have it (no "vector" in pg_available_extensions). ' +
        'Point DATABASE_URL at a server that has it: docker compose up -d postgres (image ' +
        'pgvector/pgvector:pg16) is postgres://postgres:postgres@127.0.0.1:5432/meatymusic; or a system ' +
        'Postgres with the postgresql-<version>-pgvector package, or a provider that offers the extension. ' +
        `npm run dev migrates without it (vector: unavailable). See ${decision}.`,
    );
  }
  // A new database: its first migrations create the extension.
  if (applied === 0) return;
  throw new VectorUnavailableError(
    `pgvector is required and this database was migrated without it (${applied} migrations applied, ` +
      'extension "vector" not installed): what those migrations guard on it was skipped and will not run ' +
      `again. Recreate the database on this server, which has pgvector now. See ${decision}.`,
  );
}

/** "up to date (2 applied)" when nothing was pending, "1 applied now (2 in all)" otherwise. */
export function describeMigrations({ now, total }: MigrationSummary): string {
  return now === 0 ? `up to date (${total} applied)` : `${now} applied now (${total} in all)`;
}

/** Migrations recorded in the database; 0 before the first run has created drizzle's table. */
async function appliedCount(connection: MigrationConnection): Promise<number> {
  const [table] = await connection.query<{ exists: boolean }>(
    `select to_regclass('drizzle.__drizzle_migrations') is not null as exists`,
  );
  if (!table?.exists) return 0;
  const [row] = await connection.query<{ applied: number }>(
    'select count(*)::int as applied from drizzle.__drizzle_migrations',
  );
  return row?.applied ?? 0;
}

/**
 * Roles belong to the whole server, not to one database, so migrators of different databases (the
 * test databases, the bench's) can alter this one at the same moment; Postgres then refuses one of
 * them with "tuple concurrently updated", and trying again is the cure.
 */
async function setRolePassword(connection: MigrationConnection, password: string) {
  for (let attempt = 1; ; attempt++) {
    try {
      await connection.query(`alter role ${APP_ROLE} with login password '${password}'`);
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
