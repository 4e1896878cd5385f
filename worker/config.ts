import { z } from 'zod';

/**
 * The one place that reads the Worker's bindings and vars. Everything else takes `Settings`.
 * Vars arrive as strings, so booleans and numbers are coerced here, with defaults that suit local dev.
 */

const flag = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', ''])
    .optional()
    .transform((v) => (v === undefined || v === '' ? fallback : v === 'true' || v === '1'));

const csv = z
  .string()
  .optional()
  .transform((v) =>
    (v ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );

const envSchema = z.object({
  ENVIRONMENT: z.enum(['development', 'test', 'staging', 'production']).default('development'),
  SERVICE_VERSION: z.string().min(1).default('0.0.0'),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  CORS_ORIGINS: csv.pipe(z.array(z.url({ protocol: /^https?$/ }))),
  // `in`, not a read: the binding's getters do I/O, which is refused while the isolate starts.
  HYPERDRIVE: z.custom<Hyperdrive>(
    (v) => typeof v === 'object' && v !== null && 'connectionString' in v,
    'a Hyperdrive binding',
  ),
  DB_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
  OBS_TRACING_ENABLED: flag(true),
  OTEL_SAMPLE_RATIO: z.coerce.number().min(0).max(1).default(1),
  CACHE_TENANT_TTL_SECONDS: z.coerce.number().int().min(1).max(86_400).default(300),
  CACHE_PREFERENCES_TTL_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
});

export type Environment = z.infer<typeof envSchema>['ENVIRONMENT'];

export interface Settings {
  environment: Environment;
  isDevelopment: boolean;
  service: { name: 'meatymusic-api'; title: string; description: string; version: string };
  cors: { origins: string[] };
  db: { hyperdrive: Hyperdrive; statementTimeoutMs: number };
  obs: { logLevel: z.infer<typeof envSchema>['LOG_LEVEL']; tracingEnabled: boolean; sampleRatio: number };
  cache: { tenantTtlSeconds: number; preferencesTtlSeconds: number };
}

export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(readonly issues: string[]) {
    super(`Invalid Worker configuration: ${issues.join('; ')}`);
  }
}

export function parseSettings(env: Record<string, unknown>): Settings {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.') || 'env'}: ${i.message}`));
  }
  const e = parsed.data;
  return {
    environment: e.ENVIRONMENT,
    isDevelopment: e.ENVIRONMENT === 'development',
    service: {
      name: 'meatymusic-api',
      title: 'MeatyMusic AMCS API',
      description: 'Agentic Music Creation System',
      version: e.SERVICE_VERSION,
    },
    cors: { origins: e.CORS_ORIGINS },
    db: { hyperdrive: e.HYPERDRIVE, statementTimeoutMs: e.DB_STATEMENT_TIMEOUT_MS },
    obs: { logLevel: e.LOG_LEVEL, tracingEnabled: e.OBS_TRACING_ENABLED, sampleRatio: e.OTEL_SAMPLE_RATIO },
    cache: { tenantTtlSeconds: e.CACHE_TENANT_TTL_SECONDS, preferencesTtlSeconds: e.CACHE_PREFERENCES_TTL_SECONDS },
  };
}

// The env object is stable for an isolate's lifetime, so each one is parsed once.
const cache = new WeakMap<object, Settings>();

export function getSettings(env: Env): Settings {
  let settings = cache.get(env);
  if (!settings) {
    settings = parseSettings(env as unknown as Record<string, unknown>);
    cache.set(env, settings);
  }
  return settings;
}
