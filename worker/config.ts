import { z } from 'zod';
import { signalUrl } from './observability/otlp-url';

/**
 * The one place that reads the Worker's bindings and vars. Everything else takes `Settings`.
 * Vars arrive as strings, so booleans and numbers are coerced here. Nothing defaults to development:
 * a Worker that names no ENVIRONMENT runs under production's rules, and development values come only
 * from the dev stack and the tests (`--var`, `.dev.vars`, test bindings).
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

const optionalUrl = z.preprocess((v) => (v === '' ? undefined : v), z.url().optional());
const optionalString = z.preprocess((v) => (v === '' ? undefined : v), z.string().optional());

/** `k=v,k2=v2`, the OTEL_EXPORTER_OTLP_HEADERS format. */
const keyValues = z
  .string()
  .optional()
  .transform((v, ctx) => {
    const out: Record<string, string> = {};
    for (const pair of (v ?? '').split(',').filter((p) => p.trim())) {
      const at = pair.indexOf('=');
      if (at < 1) {
        ctx.addIssue({ code: 'custom', message: `expected key=value, got "${pair}"` });
        return z.NEVER;
      }
      out[decodeURIComponent(pair.slice(0, at).trim())] = decodeURIComponent(pair.slice(at + 1).trim());
    }
    return out;
  });

/**
 * Secrets a deployed Worker (staging, production) refuses to start without. Each env of wrangler.toml
 * lists the same names under `secrets.required`, which `npm run deploy:check` compares with this list.
 */
export const DEPLOYED_SECRETS = [
  'CLERK_JWT_KEY',
  'CLERK_WEBHOOK_SECRET',
  'UPSTASH_REDIS_REST_URL',
  'UPSTASH_REDIS_REST_TOKEN',
] as const;

const DEPLOYED = new Set(['staging', 'production']);

const varsSchema = z.object({
  ENVIRONMENT: z.enum(['development', 'test', 'staging', 'production']).default('production'),
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
  // Only where every caller is ours (say, behind a service binding): a caller's sampled flag then wins.
  OTEL_TRUST_PARENT_SAMPLING: flag(false),
  CACHE_TENANT_TTL_SECONDS: z.coerce.number().int().min(1).max(86_400).default(300),
  // 0 turns the preferences read cache off (reads go to the database; Redis still serves the rest).
  CACHE_PREFERENCES_TTL_SECONDS: z.coerce.number().int().min(0).max(86_400).default(60),
  // Unset: otlp when an endpoint is set, else console in development and none elsewhere.
  OBS_OTEL_EXPORTER_TYPE: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z.enum(['otlp', 'console', 'none']).optional(),
  ),
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalUrl,
  OTEL_EXPORTER_OTLP_HEADERS: keyValues,
  OBS_METRICS_ENABLED: flag(true),
  // Where metrics go when not `<OTEL_EXPORTER_OTLP_ENDPOINT>/v1/metrics`: a backend that ingests delta temporality.
  OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: optionalUrl,
  // Milliseconds a finished request waits before exporting, so a busy isolate sends one export per interval.
  OTEL_METRIC_EXPORT_INTERVAL: z.coerce.number().int().min(0).max(10_000).default(1_000),
  UPSTASH_REDIS_REST_URL: optionalUrl,
  UPSTASH_REDIS_REST_TOKEN: optionalString,
  // Namespace for every key the API writes: `production`, `staging`, `staging:preview-<alias>`.
  REDIS_KEY_PREFIX: z
    .string()
    .regex(/^([a-z0-9][a-z0-9_-]*(:[a-z0-9][a-z0-9_-]*)*)?$/, 'lower-case segments separated by ":"')
    .max(80)
    .default(''),
  REDIS_TIMEOUT_MS: z.coerce.number().int().min(10).max(10_000).default(250),
  RATE_LIMIT_ENABLED: flag(true),
  // Cloudflare's edge-local limiter (wrangler.toml [[ratelimits]]), keyed by client before authentication.
  CLIENT_LIMITER: z
    .custom<RateLimit>((v) => typeof v === 'object' && v !== null && 'limit' in v, 'a rate limiting binding')
    .optional(),
  RATE_LIMIT_CLIENT_ENABLED: flag(true),
  RATE_LIMIT_USER_PER_MINUTE: z.coerce.number().int().min(1).max(100_000).default(120),
  RATE_LIMIT_TENANT_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(1_200),
  CLERK_JWT_KEY: optionalString,
  CLERK_SECRET_KEY: optionalString,
  CLERK_AUTHORIZED_PARTIES: csv,
  CLERK_WEBHOOK_SECRET: optionalString,
  AUTH_CLOCK_SKEW_MS: z.coerce.number().int().min(0).max(60_000).default(5_000),
  DEV_AUTH_BYPASS: flag(false),
  DEV_USER_EMAIL: z.email().default('dev@meatymusic.local'),
  DEV_ORG_ID: z.string().min(1).max(128).default('org_dev'),
  DEV_ORG_NAME: z.string().min(1).max(200).default('MeatyMusic Dev'),
  TRIAL_DAYS: z.coerce.number().int().min(0).max(365).default(14),
});

type Vars = z.infer<typeof varsSchema>;

type Exporter = NonNullable<Vars['OBS_OTEL_EXPORTER_TYPE']>;

/** A setting at odds with the others, named by its var (none for what no one var is at fault for). */
type Problem = [name: keyof Vars | null, message: string];

/**
 * What the Worker runs with: the vars, checked one by one and then together, in the nested shape
 * the code reads. Its output type is `Settings`.
 */
const settingsSchema = varsSchema.transform((e, ctx) => {
  const exporter: Exporter =
    e.OBS_OTEL_EXPORTER_TYPE ??
    (e.OTEL_EXPORTER_OTLP_ENDPOINT ? 'otlp' : e.ENVIRONMENT === 'development' ? 'console' : 'none');
  const problems = conflicts(e, exporter);
  for (const [name, message] of problems) ctx.addIssue({ code: 'custom', path: name ? [name] : [], message });
  if (problems.length) return z.NEVER;
  return {
    environment: e.ENVIRONMENT,
    isDevelopment: e.ENVIRONMENT === 'development',
    service: {
      name: 'meatymusic-api' as const,
      title: 'MeatyMusic AMCS API',
      description: 'Agentic Music Creation System',
      version: e.SERVICE_VERSION,
    },
    cors: { origins: e.CORS_ORIGINS },
    db: { hyperdrive: e.HYPERDRIVE, statementTimeoutMs: e.DB_STATEMENT_TIMEOUT_MS },
    obs: {
      logLevel: e.LOG_LEVEL,
      tracingEnabled: e.OBS_TRACING_ENABLED,
      sampleRatio: e.OTEL_SAMPLE_RATIO,
      trustParentSampling: e.OTEL_TRUST_PARENT_SAMPLING,
      /** Where spans go: OBS_OTEL_EXPORTER_TYPE, or what the endpoint and environment imply. */
      exporter,
      /** OTLP/HTTP traces endpoint (required when the exporter is otlp). */
      otlp: e.OTEL_EXPORTER_OTLP_ENDPOINT
        ? { endpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT, headers: e.OTEL_EXPORTER_OTLP_HEADERS }
        : null,
      /** OTLP/HTTP metrics export; null when off or when there is no endpoint. */
      metrics: metricsExport(e),
    },
    cache: { tenantTtlSeconds: e.CACHE_TENANT_TTL_SECONDS, preferencesTtlSeconds: e.CACHE_PREFERENCES_TTL_SECONDS },
    /** Null when no Upstash endpoint is configured: cache and rate limits are then off. */
    redis:
      e.UPSTASH_REDIS_REST_URL && e.UPSTASH_REDIS_REST_TOKEN
        ? {
            url: e.UPSTASH_REDIS_REST_URL,
            token: e.UPSTASH_REDIS_REST_TOKEN,
            timeoutMs: e.REDIS_TIMEOUT_MS,
            keyPrefix: e.REDIS_KEY_PREFIX,
          }
        : null,
    rateLimit: {
      enabled: e.RATE_LIMIT_ENABLED,
      userPerMinute: e.RATE_LIMIT_USER_PER_MINUTE,
      tenantPerMinute: e.RATE_LIMIT_TENANT_PER_MINUTE,
      /** The per-client limiter that runs before authentication; null when off or not bound. */
      client: e.RATE_LIMIT_CLIENT_ENABLED ? (e.CLIENT_LIMITER ?? null) : null,
    },
    auth: {
      /** PEM public key for networkless verification; JWKS via the secret key otherwise. */
      // Secrets pasted into one-line env files carry literal "\n"; the PEM parser needs real newlines.
      jwtKey: e.CLERK_JWT_KEY?.replaceAll('\\n', '\n'),
      secretKey: e.CLERK_SECRET_KEY,
      authorizedParties: e.CLERK_AUTHORIZED_PARTIES,
      clockSkewMs: e.AUTH_CLOCK_SKEW_MS,
      webhookSecret: e.CLERK_WEBHOOK_SECRET,
      /** Only ever non-null in development (see conflicts). */
      // The user id comes from the X-Dev-User header; these say where that user lands.
      devBypass: e.DEV_AUTH_BYPASS ? { email: e.DEV_USER_EMAIL, orgId: e.DEV_ORG_ID, orgName: e.DEV_ORG_NAME } : null,
    },
    tenancy: { trialDays: e.TRIAL_DAYS },
  };
});

export type Settings = z.output<typeof settingsSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(readonly issues: string[]) {
    super(`Invalid Worker configuration: ${issues.join('; ')}`);
  }
}

export function parseSettings(env: Record<string, unknown>): Settings {
  const parsed = settingsSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)),
    );
  }
  return parsed.data;
}

/**
 * Vars each valid alone but not together, and what staging and production must have on top. Every
 * gap is named, so one failed start (or `npm run deploy:check`) lists all of them.
 */
function conflicts(e: Vars, exporter: Exporter): Problem[] {
  const problems: Problem[] = [];
  if (e.DEV_AUTH_BYPASS && e.ENVIRONMENT !== 'development') {
    problems.push(['DEV_AUTH_BYPASS', `must not be enabled when ENVIRONMENT is ${e.ENVIRONMENT}`]);
  }
  if (exporter === 'otlp' && !e.OTEL_EXPORTER_OTLP_ENDPOINT) {
    problems.push(['OTEL_EXPORTER_OTLP_ENDPOINT', 'required when OBS_OTEL_EXPORTER_TYPE is otlp']);
  }
  if (e.UPSTASH_REDIS_REST_URL && !e.UPSTASH_REDIS_REST_TOKEN) {
    problems.push(['UPSTASH_REDIS_REST_TOKEN', 'required when UPSTASH_REDIS_REST_URL is set']);
  }
  if (!DEPLOYED.has(e.ENVIRONMENT)) return problems;
  // Empty counts as missing: the schema reads an empty secret as unset.
  const missing = DEPLOYED_SECRETS.filter((name) => e[name] === undefined);
  if (missing.length) problems.push([null, `missing required secrets: ${missing.join(', ')}`]);
  for (const name of ['CORS_ORIGINS', 'CLERK_AUTHORIZED_PARTIES'] as const) {
    // CLERK_AUTHORIZED_PARTIES: without it `azp` goes unchecked, and a token minted for any app of the
    // same Clerk instance would pass.
    const values = e[name];
    if (values.length === 0) problems.push([name, `required in ${e.ENVIRONMENT} (the site's https origins)`]);
    const plain = values.filter((origin) => !origin.startsWith('https://'));
    if (plain.length) problems.push([name, `only https origins in ${e.ENVIRONMENT}, not ${plain.join(', ')}`]);
  }
  // A staging Worker, or one of its previews, can then never touch production's keys.
  if (e.REDIS_KEY_PREFIX !== e.ENVIRONMENT && !e.REDIS_KEY_PREFIX.startsWith(`${e.ENVIRONMENT}:`)) {
    problems.push(['REDIS_KEY_PREFIX', `must be "${e.ENVIRONMENT}" or start with "${e.ENVIRONMENT}:"`]);
  }
  return problems;
}

function metricsExport(e: Vars) {
  const base = e.OTEL_EXPORTER_OTLP_ENDPOINT;
  const url = e.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT ?? (base && signalUrl(base, 'metrics'));
  if (!e.OBS_METRICS_ENABLED || !url) return null;
  return { url, headers: e.OTEL_EXPORTER_OTLP_HEADERS, exportDelayMs: e.OTEL_METRIC_EXPORT_INTERVAL };
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
