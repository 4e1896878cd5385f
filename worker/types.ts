import type { AuthVariables } from './middleware/auth';
import type { CorrelationVariables } from './middleware/correlation';
import type { DatabaseVariables } from './middleware/database';
import type { MetricsVariables } from './middleware/metrics';
import type { RedisVariables } from './middleware/redis';
import type { LoggerVariables } from './middleware/request-logger';
import type { SettingsVariables } from './middleware/settings';
import type { TenantVariables } from './middleware/tenant';
import type { TraceVariables } from './middleware/trace-id';

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
