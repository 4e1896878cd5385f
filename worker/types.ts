import type { Db } from '../db/client';
import type { Settings } from './config';
import type { Caller } from './identity';
import type { Logger } from './observability/logger';
import type { Metrics } from './observability/metrics/recorder';
import type { RedisAccess } from './redis/client';
import type { Membership } from './tenancy/membership-cache';

/**
 * What each middleware puts on the context, all in one place: middleware and routes import these,
 * this module imports no middleware, so the request path's layers never point back up.
 *
 * Read one with `c.get(name)`: Hono's `c.var` builds a new object of every variable on each access
 * (about 3.5 µs with this many, dozens of times per request), so it is only for taking several at once.
 */
export type SettingsVariables = { settings: Settings };
export type MetricsVariables = { metrics: Metrics };
export type TraceVariables = { traceId: string; spanId: string };
export type CorrelationVariables = { requestId: string; correlationId: string };
export type LoggerVariables = { logger: Logger };
export type DatabaseVariables = { db: Db };
export type RedisVariables = { redis: RedisAccess };
export type AuthVariables = { auth: Caller };
export type TenantVariables = Membership;

/** The Hono environment of the whole app: bindings plus what each middleware puts on the context. */
export type AppEnv = {
  Bindings: Env;
  Variables: SettingsVariables &
    MetricsVariables &
    CorrelationVariables &
    TraceVariables &
    LoggerVariables &
    DatabaseVariables &
    RedisVariables &
    AuthVariables &
    TenantVariables;
};
