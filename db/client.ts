import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { isUnavailableError } from './errors';
import { type Answer, answersOf, frame, type Opening } from './flight';
import { inlineParams } from './inline-params';
import { flightSpans, type SpanRunner, transactionSpan, untraced } from './tracing';

/**
 * What request code queries through: drizzle bound to one tenant-scoped transaction, without the raw
 * client and without nested transactions. A statement issued after its transaction ended is refused.
 */
export type TenantTx = Omit<PostgresJsDatabase, '$client' | 'transaction'>;

/** What a one-flight call's fn returns: one query, or a list of independent ones, none awaited. */
export type Statements = PromiseLike<unknown> | readonly PromiseLike<unknown>[] | [];
export type Answers<S> = S extends readonly PromiseLike<unknown>[]
  ? { -readonly [K in keyof S]: Awaited<S[K]> }
  : Awaited<S>;

export interface DatabaseHealth {
  latencyMs: number;
  vector: boolean;
}

export interface Database {
  /**
   * Runs fn in one transaction scoped to the tenant, for statements that depend on each other's
   * answers. BEGIN and the setting travel with fn's first statement and COMMIT goes alone, so n
   * statements awaited in turn cost n + 1 round trips (none if fn sends nothing).
   */
  withTenant<T>(tenantId: string, fn: (tx: TenantTx) => Promise<T>): Promise<T>;
  /**
   * Independent read-only statements in one tenant-scoped transaction, in one round trip: BEGIN, the
   * setting, the statements (in fn's order) and COMMIT are one message. fn returns the queries without
   * awaiting them; one that fn chained (`.then`) has started already, so it must come first.
   */
  readTenant<S extends Statements>(tenantId: string, fn: (tx: TenantTx) => S): Promise<Answers<S>>;
  /** As readTenant, for statements that write: the whole transaction in one round trip. */
  writeTenant<S extends Statements>(tenantId: string, fn: (tx: TenantTx) => S): Promise<Answers<S>>;
  /** A round trip that needs no tenant: readiness only. */
  health(): Promise<DatabaseHealth>;
  close(): Promise<void>;
}

/** What request code gets: tenant-scoped transactions and a readiness probe, never an unscoped handle. */
export type Db = Pick<Database, 'withTenant' | 'readTenant' | 'writeTenant' | 'health'>;

export interface DatabaseOptions {
  statementTimeoutMs?: number;
  connectTimeoutSeconds?: number;
  applicationName?: string;
  /** A socket factory for runtimes without node:net (the Worker passes one over cloudflare:sockets). */
  socket?: (options: { host: string[]; port: number[] }) => Promise<unknown>;
  /** Spans for transactions and statements (db/tracing.ts); none by default. */
  trace?: SpanRunner;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

const noop = () => {};

/** A statement drizzle handed over: its text (parameters inlined) and where its answer goes. */
interface Statement {
  text: string;
  /** drizzle asked for rows as arrays (`.values()`), as it does for every query whose columns it maps. */
  asArrays: boolean;
  settle(answer: Answer): void;
  fail(error: unknown): void;
}

/**
 * Where a transaction is. A statement is accepted only in `collecting` (a one-flight call gathering
 * its statements), `opening` or `open` (withTenant before and after its first statement went out).
 */
type State =
  | { name: 'collecting'; statements: Statement[] }
  | { name: 'opening' }
  | { name: 'open' }
  | { name: 'ended' };

/**
 * One connection per Database (per Worker request: Hyperdrive pools the real ones), one transaction
 * on it at a time, because two interleaved transactions would share one session.
 */
export function createDatabase(connectionString: string, options: DatabaseOptions = {}): Database {
  const connection = postgres(connectionString, {
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
  const trace = options.trace ?? untraced;

  /** Sends one message (see db/flight.ts) and hands each statement its answer. */
  const fly = async (opening: Opening | null, statements: Statement[], closing: 'commit' | null) => {
    const texts = statements.map((s) => s.text);
    const message = frame(opening, texts, closing);
    // The statements as spans name them: built only when there are spans to name.
    const traced = () => [
      ...(opening ? ['begin', 'select set_config(?, ?, true)'] : []),
      ...texts,
      ...(closing ? [closing] : []),
    ];
    try {
      const results = await flightSpans(trace, traced, connection.unsafe(message).values().execute());
      const answers = answersOf(results, opening, statements.length);
      for (const [i, statement] of statements.entries()) statement.settle(answers[i] as Answer);
    } catch (error) {
      for (const statement of statements) statement.fail(error);
      throw error;
    }
  };

  /**
   * A transaction's handle: drizzle over a client whose `unsafe` (all drizzle calls) turns each query
   * into a Statement and passes it to `accept`, refusing it once the transaction has ended.
   */
  const transaction = (tenantId: string, initial: State) => {
    if (!isUuid(tenantId)) throw new TypeError('database: tenantId must be a uuid');
    const tx = { state: initial, handle: undefined as unknown as TenantTx };
    const accept = (statement: Statement) => {
      const { state } = tx;
      if (state.name === 'collecting') state.statements.push(statement);
      else if (state.name === 'ended') throw new Error('database: statement issued outside withTenant/readTenant');
      else {
        const opening = state.name === 'opening' ? { tenantId, readOnly: false } : null;
        tx.state = { name: 'open' };
        // Failures reach the statement's own promise; this one only keeps them from going unhandled.
        fly(opening, [statement], null).catch(noop);
      }
    };
    const client = {
      options: connection.options,
      unsafe(text: string, params: unknown[] = []) {
        let settle!: (answer: Answer) => void;
        let fail!: (error: unknown) => void;
        const answered = new Promise<unknown>((resolve, reject) => {
          settle = (answer) => resolve(statement.asArrays ? rowsOf(answer, false) : rowsOf(answer, true));
          fail = reject;
        });
        const statement: Statement = { text: inlineParams(text, params), asArrays: false, settle, fail };
        accept(statement);
        const query = {
          values() {
            statement.asArrays = true;
            return query;
          },
          // biome-ignore lint/suspicious/noThenProperty: drizzle awaits what `unsafe` returns, as it would a postgres.js query.
          then: answered.then.bind(answered),
        };
        return query;
      },
    };
    tx.handle = drizzle({ client: client as unknown as postgres.Sql });
    return tx;
  };

  // One transaction at a time: each waits for the one before it to finish, however that ended.
  let previous: Promise<unknown> = Promise.resolve();
  const inTurn = <T>(run: () => Promise<T>): Promise<T> => {
    const result = previous.then(run, run);
    previous = result.catch(noop);
    return result;
  };

  /** After a failure: roll back, or, when the connection itself failed, drop it so nothing waits on it. */
  const abandon = async (error: unknown) => {
    if (isUnavailableError(error)) await connection.end({ timeout: 0 }).catch(noop);
    else await connection.unsafe('rollback').catch(noop);
  };

  const oneFlight = <S extends Statements>(
    readOnly: boolean,
    tenantId: string,
    fn: (tx: TenantTx) => S,
  ): Promise<Answers<S>> =>
    inTurn(async () => {
      const statements: Statement[] = [];
      const tx = transaction(tenantId, { name: 'collecting', statements });
      let answers: Promise<unknown>;
      try {
        answers = collect(fn(tx.handle), statements);
      } catch (error) {
        // Nothing was sent: the statements fn did hand over are failed, not left hanging.
        for (const statement of statements) statement.fail(error);
        throw error;
      } finally {
        // Whatever fn does later (a statement chained onto an answer) is refused: it would run after COMMIT.
        tx.state = { name: 'ended' };
      }
      answers.catch(noop); // awaited below, after the rollback a failure needs
      try {
        await fly({ tenantId, readOnly }, statements, 'commit');
      } catch (error) {
        await abandon(error);
        // What the caller sees is the statements' own errors (drizzle's, naming the failed query).
        await answers;
        throw error;
      }
      return (await answers) as Answers<S>;
    });

  const database: Database = {
    withTenant: (tenantId, fn) =>
      transactionSpan(trace, 'db.withTenant', tenantId, () =>
        inTurn(async () => {
          const tx = transaction(tenantId, { name: 'opening' });
          try {
            const result = await fn(tx.handle);
            const sent = tx.state.name === 'open';
            tx.state = { name: 'ended' };
            if (sent) {
              // COMMIT of a transaction that failed (fn caught a statement's error) answers ROLLBACK.
              const committed = await flightSpans(trace, () => ['commit'], connection.unsafe('commit').execute());
              if (committed.command !== 'COMMIT') throw new Error('database: the transaction was rolled back');
            }
            return result;
          } catch (error) {
            const sent = tx.state.name !== 'opening';
            tx.state = { name: 'ended' };
            if (sent) await abandon(error);
            throw error;
          }
        }),
      ),
    readTenant: (tenantId, fn) =>
      transactionSpan(trace, 'db.readTenant', tenantId, () => oneFlight(true, tenantId, fn)),
    writeTenant: (tenantId, fn) =>
      transactionSpan(trace, 'db.writeTenant', tenantId, () => oneFlight(false, tenantId, fn)),
    health: () =>
      inTurn(async () => {
        const started = performance.now();
        const [row] = await connection<{ vector: boolean }[]>`
          select exists (select 1 from pg_extension where extname = 'vector') as vector`;
        return { latencyMs: Math.round((performance.now() - started) * 10) / 10, vector: row?.vector ?? false };
      }),
    close: () => connection.end({ timeout: 1 }),
  };
  return database;
}

/**
 * Starts every query fn returned, in its order, so each hands its statement over, and checks that
 * each did so exactly once and in that order: an awaited query inside fn would go out on its own,
 * after COMMIT, and a statement out of order could read what it should follow.
 */
function collect(returned: Statements, statements: Statement[]): Promise<unknown> {
  const queries: readonly PromiseLike<unknown>[] = isList(returned) ? returned : [returned];
  // Queries fn already chained have handed their statements over; the rest do so as they start here.
  // Statements go out as handed over, so the chained ones must come first in fn's list.
  const chained = statements.length;
  let inOrder = true;
  const started = queries.map((query, i) => {
    const before = statements.length;
    const answer = Promise.resolve(query.then((value) => value));
    inOrder &&= statements.length - before === (i < chained ? 0 : 1);
    return answer;
  });
  if (!inOrder || statements.length !== queries.length) {
    for (const answer of started) answer.catch(noop);
    throw new Error('database: fn must return its queries un-awaited and in order, one statement each');
  }
  const all = Promise.all(started);
  return isList(returned) ? all : all.then(([only]) => only);
}

const isList = (value: Statements): value is readonly PromiseLike<unknown>[] => Array.isArray(value);

/** Rows as drizzle expects them: arrays for `.values()`, else objects; with postgres.js's count and command. */
function rowsOf(answer: Answer, asObjects: boolean) {
  const rows = asObjects
    ? answer.rows.map((row) => Object.fromEntries(answer.columns.map((name, i) => [name, row[i]])))
    : answer.rows;
  return Object.assign(rows, { count: answer.count, command: answer.command });
}
