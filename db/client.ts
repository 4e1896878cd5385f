import { sql as dsql } from 'drizzle-orm';
import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';

/** The only handle request code gets: a transaction already scoped to one tenant by RLS. */
export type TenantTx = Parameters<Parameters<PostgresJsDatabase['transaction']>[0]>[0];

export interface DatabaseHealth {
  latencyMs: number;
  vector: boolean;
}

export interface Database {
  /** Runs fn in one transaction whose first statement sets `app.current_tenant_id` transaction-locally. */
  withTenant<T>(tenantId: string, fn: (tx: TenantTx) => Promise<T>): Promise<T>;
  /** A round trip that needs no tenant: readiness only. */
  health(): Promise<DatabaseHealth>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** Pool size. One per Worker request: Hyperdrive does the pooling. */
  max?: number;
  statementTimeoutMs?: number;
  connectTimeoutSeconds?: number;
  applicationName?: string;
  /** A socket factory for runtimes without node:net (the Worker passes one over cloudflare:sockets). */
  socket?: (options: { host: string[]; port: number[] }) => Promise<unknown>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/** Connection-level failures (as opposed to a bad statement) that mean "the database is down". */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'ETIMEDOUT',
  'CONNECT_TIMEOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '53300', // too_many_connections
]);

export function isUnavailableError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || code.startsWith('08'))) return true;
  // workerd's socket shim reports refused/failed connects as plain errors without a code.
  return /connect|socket|network connection/i.test(error.message) && !('severity' in error);
}

export function createDatabase(connectionString: string, options: DatabaseOptions = {}): Database {
  const client = postgres(connectionString, {
    max: options.max ?? 1,
    // Skips a catalog round trip per connection; we use no custom types.
    fetch_types: false,
    connect_timeout: options.connectTimeoutSeconds ?? 5,
    onnotice: () => {},
    // Not in postgres.js's typings, but a documented option.
    ...(options.socket ? ({ socket: options.socket } as object) : {}),
    connection: {
      application_name: options.applicationName ?? 'meatymusic-api',
      statement_timeout: options.statementTimeoutMs ?? 5_000,
    },
  });
  const db: PostgresJsDatabase = drizzle(client);

  return {
    withTenant(tenantId, fn) {
      if (!isUuid(tenantId)) return Promise.reject(new TypeError('withTenant: tenantId must be a uuid'));
      return db.transaction(async (tx) => {
        await tx.execute(dsql`select set_config('app.current_tenant_id', ${tenantId}, true)`);
        return fn(tx);
      });
    },
    async health() {
      const started = performance.now();
      const [row] = await client<{ vector: boolean }[]>`
        select exists (select 1 from pg_extension where extname = 'vector') as vector`;
      return { latencyMs: Math.round((performance.now() - started) * 10) / 10, vector: row?.vector ?? false };
    },
    close: () => client.end({ timeout: 1 }),
  };
}
