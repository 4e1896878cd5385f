import type { MiddlewareHandler } from 'hono';
import { createDatabase, type Database } from '../../db/client';
import { isUnavailableError } from '../../db/errors';
import { openWorkersSocket } from '../../db/workers-socket';
import { DependencyError } from '../errors';
import { NO_METRICS } from '../observability/metrics/recorder';
import type { DatabaseVariables, MetricsVariables, SettingsVariables } from '../types';

/** `error.type` of a failed call: the outage class, else the SQLSTATE or the error's own code. */
const errorType = (error: unknown) =>
  isUnavailableError(error) ? 'unavailable' : String((error as { code?: unknown })?.code ?? 'error');

const unavailable = (error: unknown): never => {
  throw isUnavailableError(error) ? new DependencyError('database', error) : error;
};

/**
 * One postgres.js client per request over the Hyperdrive binding (Hyperdrive pools the real
 * connections). Opened on first use, so routes that never touch the database pay nothing.
 */
export function database(): MiddlewareHandler<{
  Variables: SettingsVariables & Partial<MetricsVariables> & DatabaseVariables;
}> {
  return async function database(c, next) {
    let client: Database | undefined;
    const open = () => {
      client ??= createDatabase(c.var.settings.db.hyperdrive.connectionString, {
        statementTimeoutMs: c.var.settings.db.statementTimeoutMs,
        socket: openWorkersSocket,
      });
      return client;
    };
    const metrics = c.var.metrics ?? NO_METRICS;
    c.set('db', {
      withTenant: (tenantId, fn) =>
        metrics.timed('postgresql', 'withTenant', () => open().withTenant(tenantId, fn), errorType).catch(unavailable),
      readTenant: (tenantId, fn) =>
        metrics.timed('postgresql', 'readTenant', () => open().readTenant(tenantId, fn), errorType).catch(unavailable),
      health: () => metrics.timed('postgresql', 'health', () => open().health(), errorType).catch(unavailable),
    });
    try {
      await next();
    } finally {
      if (client) c.executionCtx.waitUntil(client.close().catch(() => {}));
    }
  };
}
