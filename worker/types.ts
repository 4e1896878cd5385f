import type { AuthVariables } from './middleware/auth';
import type { CorrelationVariables } from './middleware/correlation';
import type { DatabaseVariables } from './middleware/database';
import type { LoggerVariables } from './middleware/request-logger';
import type { SettingsVariables } from './middleware/settings';
import type { TenantVariables } from './middleware/tenant';

export type TraceVariables = { traceId?: string; spanId?: string };

/** The Hono environment of the whole app: bindings plus what each middleware puts on the context. */
export type AppEnv = {
  Bindings: Env;
  Variables: SettingsVariables &
    CorrelationVariables &
    TraceVariables &
    LoggerVariables &
    DatabaseVariables &
    AuthVariables &
    TenantVariables;
};
