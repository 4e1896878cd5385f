import type { MiddlewareHandler } from 'hono';
import { createDatabase, type Database, isUnavailableError } from '../../db/client';
import { openWorkersSocket } from '../../db/workers-socket';
import { DependencyError } from '../errors';
import type { SettingsVariables } from './settings';

/** What handlers get: tenant-scoped transactions and a readiness probe, never an unscoped handle. */
export type Db = Pick<Database, 'withTenant' | 'readTenant' | 'prewarm' | 'health'>;
export type DatabaseVariables = { db: Db };

const unavailable = (error: unknown): never => {
  throw isUnavailableError(error) ? new DependencyError('database', error) : error;
};

/**
 * One postgres.js client per request over the Hyperdrive binding (Hyperdrive pools the real
 * connections). Opened on first use, so routes that never touch the database pay nothing.
 */
export function database(): MiddlewareHandler<{ Variables: SettingsVariables & DatabaseVariables }> {
  return async function database(c, next) {
    let client: Database | undefined;
    const open = () => {
      client ??= createDatabase(c.var.settings.db.hyperdrive.connectionString, {
        statementTimeoutMs: c.var.settings.db.statementTimeoutMs,
        socket: openWorkersSocket,
      });
      return client;
    };
    c.set('db', {
      withTenant: (tenantId, fn) => open().withTenant(tenantId, fn).catch(unavailable),
      readTenant: (tenantId, fn) => open().readTenant(tenantId, fn).catch(unavailable),
      prewarm: () => open().prewarm(),
      health: () => open().health().catch(unavailable),
    });
    try {
      await next();
    } finally {
      if (client) c.executionCtx.waitUntil(client.close().catch(() => {}));
    }
  };
}

/**
 * Opens the request's connection as soon as the caller is authenticated, so the handshake runs while
 * Redis answers the tenant lookup and rate limit instead of after them. Never before authentication:
 * an anonymous flood must not open database connections.
 */
export function connectEarly(): MiddlewareHandler<{ Variables: DatabaseVariables }> {
  return async function connectEarly(c, next) {
    c.var.db.prewarm();
    await next();
  };
}
