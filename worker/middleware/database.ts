import { SpanKind } from '@opentelemetry/api';
import type { MiddlewareHandler } from 'hono';
import { createDatabase, type Database } from '../../db/client';
import { isUnavailableError } from '../../db/errors';
import type { SpanRunner } from '../../db/tracing';
import { openWorkersSocket } from '../../db/workers-socket';
import { DependencyError } from '../errors';
import { NO_METRICS } from '../observability/metrics/recorder';
import { inSpan } from '../observability/spans';
import type { DatabaseVariables, MetricsVariables, SettingsVariables } from '../types';

/** `error.type` of a failed call: the outage class, else the SQLSTATE or the error's own code. */
const errorType = (error: unknown) =>
  isUnavailableError(error) ? 'unavailable' : String((error as { code?: unknown })?.code ?? 'error');

const traceDatabase: SpanRunner = (name, attributes, fn) => inSpan(name, { kind: SpanKind.CLIENT, attributes }, fn);

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
      client ??= createDatabase(c.get('settings').db.hyperdrive.connectionString, {
        statementTimeoutMs: c.get('settings').db.statementTimeoutMs,
        socket: openWorkersSocket,
        // Spans cost CPU on every statement: none at all when tracing is off.
        trace: c.get('settings').obs.tracingEnabled ? traceDatabase : undefined,
      });
      return client;
    };
    const metrics = c.get('metrics') ?? NO_METRICS;
    c.set('db', {
      withTenant: (tenantId, fn) =>
        metrics.timed('postgresql', 'withTenant', () => open().withTenant(tenantId, fn), errorType).catch(unavailable),
      readTenant: (tenantId, fn) =>
        metrics.timed('postgresql', 'readTenant', () => open().readTenant(tenantId, fn), errorType).catch(unavailable),
      writeTenant: (tenantId, fn) =>
        metrics
          .timed('postgresql', 'writeTenant', () => open().writeTenant(tenantId, fn), errorType)
          .catch(unavailable),
      health: () => metrics.timed('postgresql', 'health', () => open().health(), errorType).catch(unavailable),
    });
    try {
      await next();
    } finally {
      if (client) c.executionCtx.waitUntil(client.close().catch(() => {}));
    }
  };
}
