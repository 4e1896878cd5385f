import { DrizzleQueryError, eq } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { driverError, isStatementTimeout, isUnavailableError } from '../../db/errors';
import { users } from '../../db/schema';

const quiet = { max: 1, onnotice: () => {}, fetch_types: false } as const;
const owner = postgres(inject('ownerDatabaseUrl'), quiet);
afterAll(() => owner.end());

/** What `run` was rejected with. */
async function failure(run: () => PromiseLike<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error('expected the statement to fail');
}

describe('database errors are told apart by class', () => {
  it('a refused connection under drizzle is unavailable, and reported without the statement or its parameters', async () => {
    // Nothing listens on port 1.
    const client = postgres('postgres://nobody@127.0.0.1:1/none', { ...quiet, connect_timeout: 2 });
    try {
      const error = await failure(() =>
        drizzle(client).select().from(users).where(eq(users.email, 'private@example.com')),
      );
      expect(error).toBeInstanceOf(DrizzleQueryError);
      expect(String(error)).toContain('private@example.com');
      expect(isUnavailableError(error)).toBe(true);
      const reported = driverError(error);
      expect(reported).toBe((error as DrizzleQueryError).cause);
      expect(String(reported)).not.toContain('private@example.com');
      expect(String(reported)).not.toContain('select');
    } finally {
      await client.end({ timeout: 0 });
    }
  });

  it('a server refusing the session (53300, too many connections) is unavailable', async () => {
    const role = `meatymusic_no_sessions_${process.pid}`;
    await owner.unsafe(`create role ${role} login connection limit 0`);
    const url = new URL(inject('ownerDatabaseUrl'));
    url.username = role;
    const refused = postgres(url.toString(), quiet);
    try {
      const error = await failure(() => refused`select 1`);
      expect(error).toBeInstanceOf(postgres.PostgresError);
      expect(error).toMatchObject({ code: '53300' });
      expect(isUnavailableError(error)).toBe(true);
    } finally {
      await refused.end({ timeout: 0 });
      await owner.unsafe(`drop role ${role}`);
    }
  });

  it('a session the server terminates mid-statement is unavailable', async () => {
    const victim = postgres(inject('ownerDatabaseUrl'), quiet);
    try {
      const [{ pid }] = await victim<[{ pid: number }]>`select pg_backend_pid() as pid`;
      const running = failure(() => victim`select pg_sleep(10)`);
      await expect
        .poll(async () => (await owner`select 1 from pg_stat_activity where pid = ${pid} and state = 'active'`).length)
        .toBe(1);
      await owner`select pg_terminate_backend(${pid})`;
      expect(isUnavailableError(await running)).toBe(true);
    } finally {
      await victim.end({ timeout: 0 });
    }
  });

  it('statement_timeout is a statement timeout, not an outage; a bad statement is neither', async () => {
    const impatient = postgres(inject('ownerDatabaseUrl'), { ...quiet, connection: { statement_timeout: 50 } });
    try {
      const timedOut = await failure(() => impatient`select pg_sleep(1)`);
      expect(isStatementTimeout(timedOut)).toBe(true);
      expect(isUnavailableError(timedOut)).toBe(false);
      const bad = await failure(() => impatient`select 1 / 0`);
      expect(bad).toBeInstanceOf(postgres.PostgresError);
      expect(isStatementTimeout(bad)).toBe(false);
      expect(isUnavailableError(bad)).toBe(false);
    } finally {
      await impatient.end();
    }
  });

  it('only an error without a code is judged by its text (workerd sockets give nothing else)', () => {
    expect(isUnavailableError(new Error('Network connection lost.'))).toBe(true);
    const coded = Object.assign(new Error('a connection-sounding message'), { code: 'UNSAFE_TRANSACTION' });
    expect(isUnavailableError(coded)).toBe(false);
  });
});
