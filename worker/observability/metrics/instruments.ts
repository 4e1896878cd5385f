/**
 * What the Worker counts. Names, units and attributes follow OpenTelemetry's semantic conventions
 * where they have one (HTTP server, database client); the rest live under `meatymusic.`.
 *
 * Every attribute value comes from a small closed set (a route template, a status code, a reason
 * code) except `tenant.id`, which is bounded by the number of tenants and kept on its own two counters.
 */

export type Instrument = {
  name: string;
  unit: string;
  description: string;
  /** Bucket upper bounds (histograms), or none for a monotonic counter. */
  bounds?: readonly number[];
};

// The semantic conventions' advisory boundaries for HTTP durations, in seconds.
const HTTP_BOUNDS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10] as const;
// Dependency calls at the edge are mostly sub-10 ms: finer at the low end than the conventions' advice.
const DB_BOUNDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] as const;

export const INSTRUMENTS = {
  httpDuration: {
    name: 'http.server.request.duration',
    unit: 's',
    description: 'Duration of HTTP server requests (its count is the request count)',
    bounds: HTTP_BOUNDS,
  },
  dbDuration: {
    name: 'db.client.operation.duration',
    unit: 's',
    description: 'Duration of database (postgresql) and Redis calls',
    bounds: DB_BOUNDS,
  },
  bypasses: {
    name: 'meatymusic.dependency.bypasses',
    unit: '{call}',
    description: 'Calls that went on without a dependency (fail-open)',
  },
  cacheLookups: {
    name: 'meatymusic.cache.lookups',
    unit: '{lookup}',
    description: 'Read-through cache lookups by cache and result',
  },
  rateLimitDecisions: {
    name: 'meatymusic.ratelimit.decisions',
    unit: '{decision}',
    description: 'Rate-limit decisions by scope',
  },
  authFailures: {
    name: 'meatymusic.auth.failures',
    unit: '{request}',
    description: 'Requests refused with 401, by reason',
  },
  webhookDeliveries: {
    name: 'meatymusic.webhook.deliveries',
    unit: '{delivery}',
    description: 'Webhook deliveries by source and outcome',
  },
  tenantRequests: {
    name: 'meatymusic.tenant.requests',
    unit: '{request}',
    description: 'Requests per tenant (usage)',
  },
  tenantWrites: {
    name: 'meatymusic.tenant.writes',
    unit: '{request}',
    description: 'Successful writes (POST, PUT, PATCH, DELETE) per tenant (usage)',
  },
} as const satisfies Record<string, Instrument>;
