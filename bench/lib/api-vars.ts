import type { Identity } from './identity';

export type ApiVarsOptions = {
  identity: Identity;
  upstash: { url: string; token: string };
  /** Where spans go (the local OTLP receiver); null turns tracing off. */
  otlpEndpoint: string | null;
  corsOrigins?: string[];
  extra?: Record<string, string>;
};

/**
 * `--var`s for the API under load: real token verification, Redis for membership cache, preferences
 * cache and rate limiting, with limits raised so the limiter does its full work but never refuses.
 */
export function apiVars({ identity, upstash, otlpEndpoint, corsOrigins = [], extra = {} }: ApiVarsOptions) {
  return {
    ENVIRONMENT: 'development',
    LOG_LEVEL: 'info',
    ...identity.workerVars,
    UPSTASH_REDIS_REST_URL: upstash.url,
    UPSTASH_REDIS_REST_TOKEN: upstash.token,
    RATE_LIMIT_ENABLED: 'true',
    // The edge's per-client limit would see the benchmark's one client as a flood.
    RATE_LIMIT_CLIENT_ENABLED: 'false',
    RATE_LIMIT_USER_PER_MINUTE: '100000',
    RATE_LIMIT_TENANT_PER_MINUTE: '1000000',
    ...(otlpEndpoint ? { OTEL_EXPORTER_OTLP_ENDPOINT: otlpEndpoint } : { OBS_TRACING_ENABLED: 'false' }),
    ...(corsOrigins.length ? { CORS_ORIGINS: corsOrigins.join(',') } : {}),
    ...extra,
  };
}
