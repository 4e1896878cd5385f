import { Hono } from 'hono';
import type { AppEnv } from '../types';

type Vector = 'available' | 'unavailable' | 'unknown';

type Check = { status: 'up' | 'down' | 'disabled'; latency_ms?: number; reason?: string };

const CHECK_TIMEOUT_MS = 2_000;

/** A probe that settles within the budget, so one hung dependency cannot hang readiness. */
async function probe(run: () => Promise<Omit<Check, 'status'>>): Promise<Check> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
  });
  try {
    return { status: 'up', ...(await Promise.race([run(), timeout])) };
  } catch (error) {
    return { status: 'down', reason: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}

export const health = new Hono<AppEnv>()
  // Liveness: touches no dependency, so a database outage never gets the Worker restarted.
  .get('/healthz', (c) => c.json({ status: 'ok' as const }))
  .get('/readyz', async (c) => {
    let hasVector: boolean | undefined;
    const [database, redis] = await Promise.all([
      probe(async () => {
        const h = await c.var.db.health();
        hasVector = h.vector;
        return { latency_ms: h.latencyMs };
      }),
      // Without an Upstash endpoint the API runs uncached and unlimited: reported, not a failure.
      c.var.redis.enabled ? probe(() => c.var.redis.health()) : ({ status: 'disabled' } as const),
    ]);
    const checks = { database, redis };
    const vector: Vector = hasVector === undefined ? 'unknown' : hasVector ? 'available' : 'unavailable';
    const ready = Object.values(checks).every((check) => check.status !== 'down');
    if (!ready) c.var.logger.warn('not ready', { checks });
    return c.json(
      { status: ready ? ('ready' as const) : ('unavailable' as const), checks, features: { vector } },
      ready ? 200 : 503,
    );
  });
