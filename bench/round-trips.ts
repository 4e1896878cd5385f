import { eq, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { createDatabase } from '../db/client';
import { userPreferences } from '../db/schema';
import { readPreferences, writePreferences } from '../worker/preferences/store';
import { sequentialTrips, startTripProxy } from './lib/trip-proxy';

type Pair = { naive: number; ours: number };
export interface RoundTrips {
  /** On a new connection, as every Worker request has one: its first statements, nothing before them. */
  fresh: { read: Pair; write: Pair };
  /** The same operation again on that connection (statements already described, so fully pipelined). */
  reused: { read: Pair; write: Pair };
}

type Target = { tenantId: string; userId: string };
type Session = {
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
    read: () => db.readTenant(target.tenantId, (tx) => readPreferences(tx, target.userId)),
    write: () =>
      db.writeTenant(target.tenantId, (tx) => writePreferences(tx, target, { kind: 'none' }, { patch: bump({}) })),
    close: () => db.close(),
  };
}

/**
 * Counts sequential client-to-server flights (bytes sent before any answer arrives) through a
 * trip-counting proxy: each is one network round trip on the operation's critical path. The
 * connection is new and nothing runs on it first, so the count includes whatever postgres.js holds
 * back until the startup handshake is done; the handshake itself (which Hyperdrive answers next to
 * the Worker) is not counted.
 */
export async function measureRoundTrips(appUrl: string, target: Target): Promise<RoundTrips> {
  const url = new URL(appUrl);
  const proxy = await startTripProxy({
    target: { host: url.hostname, port: Number(url.port || 5432) },
    delayMs: 0,
    protocol: 'postgres',
  });
  url.host = `127.0.0.1:${proxy.port}`;
  const counted = async (run: () => Promise<unknown>) => {
    proxy.clear();
    const from = performance.now();
    await run();
    return sequentialTrips(proxy.trips(), from, performance.now());
  };
  const measure = async (open: (url: string, target: Target) => Session, op: 'read' | 'write') => {
    const session = open(url.toString(), target);
    try {
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
