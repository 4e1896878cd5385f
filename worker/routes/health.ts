import { Hono } from 'hono';
import { isStatementTimeout } from '../../db/errors';
import { isTimeout, withTimeout } from '../timeout';
import type { AppEnv } from '../types';

type Vector = 'available' | 'unavailable' | 'unknown';

/** `reason` is a class, not the error's text: /readyz is public, the text (hosts, roles) goes to the log. */
type Check = { status: 'up' | 'down' | 'disabled'; latency_ms?: number; reason?: 'timeout' | 'unavailable' };
type Probe = { check: Check; detail?: string };

const CHECK_TIMEOUT_MS = 2_000;

/** A probe that settles within the budget, so one hung dependency cannot hang readiness. */
async function probe(run: () => Promise<{ latency_ms: number }>): Promise<Probe> {
  try {
    return { check: { status: 'up', ...(await withTimeout(run(), CHECK_TIMEOUT_MS)) } };
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    const timedOut = isTimeout(error) || isStatementTimeout(error);
    return { check: { status: 'down', reason: timedOut ? 'timeout' : 'unavailable' }, detail };
  }
}

export const health = new Hono<AppEnv>()
  // Liveness: touches no dependency, so a database outage never gets the Worker restarted.
  .get('/healthz', (c) => c.json({ status: 'ok' as const }))
  .get('/readyz', async (c) => {
    let hasVector: boolean | undefined;
    const [database, redis] = await Promise.all([
      probe(async () => {
        const h = await c.get('db').health();
        hasVector = h.vector;
        return { latency_ms: h.latencyMs };
      }),
      // Without an Upstash endpoint the API runs uncached and unlimited: reported, not a failure.
      c.get('redis').enabled ? probe(() => c.get('redis').health()) : ({ check: { status: 'disabled' } } as Probe),
    ]);
    const checks = { database: database.check, redis: redis.check };
    const vector: Vector = hasVector === undefined ? 'unknown' : hasVector ? 'available' : 'unavailable';
    const ready = Object.values(checks).every((check) => check.status !== 'down');
    if (!ready) c.get('logger').warn('not ready', { checks, database: database.detail, redis: redis.detail });
    return c.json(
      { status: ready ? ('ready' as const) : ('unavailable' as const), checks, features: { vector } },
      ready ? 200 : 503,
    );
  });
