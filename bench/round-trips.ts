import { eq, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { createDatabase } from '../db/client';
import { userPreferences } from '../db/schema';
import { startTcpProxy } from '../scripts/tcp-proxy';
import { readPreferences, writePreferences } from '../worker/preferences/store';

type Pair = { naive: number; ours: number };
export interface RoundTrips {
  /** First use of each statement on a connection: every Worker request, whose connection is new. */
  fresh: { read: Pair; write: Pair };
  /** The same statements again on that connection (already described, so fully pipelined). */
  reused: { read: Pair; write: Pair };
}

type Target = { tenantId: string; userId: string };
type Session = {
  warm(): Promise<unknown>;
  read(): Promise<unknown>;
  write(): Promise<unknown>;
  close(): Promise<void>;
};

const bump = (current: Record<string, unknown>) => ({ ...current, default_bpm: 60 + Math.floor(Math.random() * 200) });

/** The textbook drizzle transaction: BEGIN, set_config, statement(s), COMMIT, each awaited in turn. */
function naiveSession(url: string, target: Target): Session {
  const raw = postgres(url, { max: 1, fetch_types: false, onnotice: () => {} });
  const db = drizzle(raw);
  const scoped = <T>(fn: (tx: Parameters<Parameters<typeof db.transaction>[0]>[0]) => Promise<T>) =>
    db.transaction(async (tx) => {
      await tx.execute(sql`select set_config('app.current_tenant_id', ${target.tenantId}, true)`);
      return fn(tx);
    });
  const byUser = eq(userPreferences.userId, target.userId);
  return {
    warm: () => raw`select 1`,
    read: () => scoped((tx) => tx.select().from(userPreferences).where(byUser)),
    write: () =>
      scoped(async (tx) => {
        const [row] = await tx.select().from(userPreferences).where(byUser).for('update');
        await tx
          .update(userPreferences)
          .set({ preferences: bump(row?.preferences ?? {}), version: sql`${userPreferences.version} + 1` })
          .where(byUser);
      }),
    close: () => raw.end(),
  };
}

function ourSession(url: string, target: Target): Session {
  const db = createDatabase(url);
  return {
    warm: () => db.health(),
    read: () => db.readTenant(target.tenantId, (tx) => readPreferences(tx, target.userId)),
    write: () => db.withTenant(target.tenantId, (tx) => writePreferences(tx, target, { kind: 'none' }, bump)),
    close: () => db.close(),
  };
}

/**
 * Counts client→server flights (bytes sent before any answer arrives) through a TCP proxy: each
 * flight is one network round trip on the request's critical path. Connection setup is excluded.
 */
export async function measureRoundTrips(appUrl: string, target: Target): Promise<RoundTrips> {
  let flights = 0;
  let last: 'up' | 'down' = 'down';
  const url = new URL(appUrl);
  const proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 5432) }, (direction) => {
    if (direction === 'up' && last === 'down') flights++;
    last = direction;
  });
  url.host = `127.0.0.1:${proxy.port}`;
  const counted = async (run: () => Promise<unknown>) => {
    flights = 0;
    await run();
    return flights;
  };
  const measure = async (open: (url: string, target: Target) => Session, op: 'read' | 'write') => {
    const session = open(url.toString(), target);
    try {
      await session.warm();
      return { fresh: await counted(session[op]), reused: await counted(session[op]) };
    } finally {
      await session.close();
    }
  };

  try {
    const [nr, or, nw, ow] = [
      await measure(naiveSession, 'read'),
      await measure(ourSession, 'read'),
      await measure(naiveSession, 'write'),
      await measure(ourSession, 'write'),
    ];
    return {
      fresh: { read: { naive: nr.fresh, ours: or.fresh }, write: { naive: nw.fresh, ours: ow.fresh } },
      reused: { read: { naive: nr.reused, ours: or.reused }, write: { naive: nw.reused, ours: ow.reused } },
    };
  } finally {
    await proxy.close();
  }
}
