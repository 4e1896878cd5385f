import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { tenantSpan, traceSql } from '../worker/observability/db-spans';
import { isUnavailableError } from './errors';
import { inlineParams } from './inline-params';

/**
 * What request code queries through: drizzle over a connection whose current transaction is scoped
 * to one tenant by RLS; without the raw client and without nested transactions (a BEGIN inside
 * would end the scoped one). Statements issued outside withTenant/readTenant are refused.
 */
export type TenantTx = Omit<PostgresJsDatabase, '$client' | 'transaction'>;

export interface DatabaseHealth {
  latencyMs: number;
  vector: boolean;
}

export interface Database {
  /**
   * Runs fn in one transaction scoped to the tenant (`set_config('app.current_tenant_id', id, true)`).
   * BEGIN and the setting travel with fn's first statement, so n dependent statements cost n + 1 round trips.
   */
  withTenant<T>(tenantId: string, fn: (tx: TenantTx) => Promise<T>): Promise<T>;
  /**
   * One read-only statement in a tenant-scoped transaction, in a single round trip: BEGIN, the setting,
   * the statement and COMMIT are pipelined. fn must return the (not yet awaited) query.
   */
  readTenant<T>(tenantId: string, fn: (tx: TenantTx) => PromiseLike<T>): Promise<T>;
  /** A round trip that needs no tenant: readiness only. */
  health(): Promise<DatabaseHealth>;
  close(): Promise<void>;
}

/** What request code gets: tenant-scoped transactions and a readiness probe, never an unscoped handle. */
export type Db = Pick<Database, 'withTenant' | 'readTenant' | 'health'>;

export interface DatabaseOptions {
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

const noop = () => {};

/**
 * One connection per Database (per Worker request: Hyperdrive pools the real ones). Transactions on
 * it are serialised, because statements of two interleaved transactions would share one session.
 */
export function createDatabase(connectionString: string, options: DatabaseOptions = {}): Database {
  const connection = postgres(connectionString, {
    // Exactly one: transactions are opened with a plain BEGIN, which postgres.js allows only then.
    max: 1,
    // Skips a catalog round trip per connection; we use no custom types.
    fetch_types: false,
    connect_timeout: options.connectTimeoutSeconds ?? 5,
    onnotice: noop,
    connection: {
      application_name: options.applicationName ?? 'meatymusic-api',
      statement_timeout: options.statementTimeoutMs ?? 5_000,
    },
    // Not in postgres.js's typings, but a documented option.
    ...(options.socket ? ({ socket: options.socket } as object) : {}),
  });
  const client = traceSql(connection);

  // postgres.js sends a query when it is first awaited, which for drizzle's queries is a microtask
  // later. Sending it the moment drizzle builds it keeps statements in program order on the wire,
  // which is what lets COMMIT be pipelined right behind a read.
  let issued = 0;
  let inline = false;
  // True from BEGIN until COMMIT/ROLLBACK is sent: a statement outside it would run with no tenant
  // (RLS: zero rows) or, in readTenant, after COMMIT; refusing it turns that into a loud error.
  let scoped = false;
  const eager = new Proxy(client, {
    get(target, prop, receiver) {
      if (prop !== 'unsafe') return Reflect.get(target, prop, receiver);
      return (query: string, params: unknown[] = [], options?: postgres.UnsafeQueryOptions) => {
        if (!scoped) throw new Error('database: statement issued outside withTenant/readTenant');
        issued++;
        if (inline && params.length) return target.unsafe(inlineParams(query, params)).execute();
        return target.unsafe(query, params as postgres.ParameterOrJSON<never>[], options).execute();
      };
    },
  });
  const db = drizzle(eager);

  let tail: Promise<unknown> = Promise.resolve();
  const serial = <T>(run: () => Promise<T>): Promise<T> => {
    const result = tail.then(run, run);
    tail = result.catch(noop);
    return result;
  };

  const open = (tenantId: string, mode: '' | ' read only') => {
    if (!isUuid(tenantId)) throw new TypeError('withTenant: tenantId must be a uuid');
    const opened = Promise.all([
      client.unsafe(`begin${mode}`).execute(),
      // Inlined, not a parameter: postgres.js describes every new parameterised statement first, one
      // more round trip per connection. Safe because isUuid admits only hex digits and dashes.
      client.unsafe(`select set_config('app.current_tenant_id', '${tenantId}', true)`).execute(),
    ]);
    opened.catch(noop); // observed by the caller; a failure here also fails the first statement
    scoped = true;
    return opened;
  };
  const end = (statement: 'commit' | 'rollback') => {
    scoped = false;
    return client.unsafe(statement).execute();
  };
  const rollback = () => end('rollback').then(noop, noop);
  // When the connection itself failed, statements still queued would wait for a reconnect that the
  // failed request has no use for: drop the connection so every one of them settles now.
  const abandon = async (error: unknown) => {
    if (isUnavailableError(error)) await client.end({ timeout: 0 }).catch(noop);
    else await rollback();
  };

  const database: Database = {
    withTenant: (tenantId, fn) =>
      serial(async () => {
        const opened = open(tenantId, '');
        // A failed BEGIN/set_config fails the transaction at once, whatever fn is waiting on.
        const openFailed = opened.then(() => new Promise<never>(noop));
        try {
          const result = await Promise.race([fn(db), openFailed]);
          // COMMIT of a transaction that failed (fn caught a statement's error) answers ROLLBACK.
          const [committed] = await Promise.all([end('commit'), opened]);
          if (committed.command !== 'COMMIT') throw new Error('database: the transaction was rolled back');
          return result;
        } catch (error) {
          await abandon(error);
          throw error;
        }
      }),
    readTenant: (tenantId, fn) =>
      serial(async () => {
        const opened = open(tenantId, ' read only');
        const before = issued;
        // `then` now, so the statement is queued before COMMIT (see `eager`), and without parameters,
        // so postgres.js does not stop to describe it (see inlineParams).
        inline = true;
        let result: Promise<Awaited<ReturnType<typeof fn>>>;
        try {
          result = Promise.resolve(fn(db).then((value) => value));
        } catch (error) {
          // Building the statement threw (before anything was sent but BEGIN): close what we opened.
          await rollback();
          throw error;
        } finally {
          inline = false;
        }
        if (issued !== before + 1) {
          // An `await` inside fn would send its statement after COMMIT, outside the tenant's scope.
          result.then(noop, noop);
          await rollback();
          throw new Error('readTenant: fn must return exactly one query, not awaited');
        }
        const committed = end('commit');
        try {
          const [, value] = await Promise.all([opened, result, committed]);
          return value;
        } catch (error) {
          await abandon(error);
          throw error;
        }
      }),
    health: () =>
      serial(async () => {
        const started = performance.now();
        const [row] = await client<{ vector: boolean }[]>`
          select exists (select 1 from pg_extension where extname = 'vector') as vector`;
        return { latencyMs: Math.round((performance.now() - started) * 10) / 10, vector: row?.vector ?? false };
      }),
    close: () => client.end({ timeout: 1 }),
  };
  return {
    ...database,
    withTenant: (tenantId, fn) => tenantSpan('db.withTenant', tenantId, () => database.withTenant(tenantId, fn)),
    readTenant: (tenantId, fn) => tenantSpan('db.readTenant', tenantId, () => database.readTenant(tenantId, fn)),
  };
}
