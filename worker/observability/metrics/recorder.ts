import type { DeltaStore } from './delta-store';
import { INSTRUMENTS } from './instruments';

export type DbSystem = 'postgresql' | 'redis';
export type CacheResult = 'hit' | 'miss' | 'bypassed';
export type RateLimitDecision = 'allowed' | 'rejected' | 'bypassed';

/**
 * What request code records, one line at each place a decision is made. Requests, auth failures,
 * webhook outcomes and tenant usage are not here: the metrics middleware derives them from the
 * response once it is known.
 */
export interface Metrics {
  /** Runs a database or Redis call and records its duration, with `error.type` when it throws. */
  timed<T>(
    system: DbSystem,
    operation: string,
    call: () => Promise<T>,
    errorType?: (error: unknown) => string,
  ): Promise<T>;
  /** The request went on without the dependency (fail-open). */
  bypass(system: DbSystem, reason: string): void;
  cacheLookup(cache: string, result: CacheResult): void;
  rateLimit(scope: string, decision: RateLimitDecision): void;
}

const defaultErrorType = (error: unknown) => (error instanceof Error ? error.name : 'unknown');

export function createRecorder(store: DeltaStore): Metrics {
  return {
    async timed(system, operation, call, errorType = defaultErrorType) {
      const attributes = { 'db.system.name': system, 'db.operation.name': operation };
      const started = performance.now();
      try {
        const value = await call();
        store.record(INSTRUMENTS.dbDuration, attributes, seconds(started));
        return value;
      } catch (error) {
        store.record(INSTRUMENTS.dbDuration, { ...attributes, 'error.type': errorType(error) }, seconds(started));
        throw error;
      }
    },
    bypass(system, reason) {
      store.record(INSTRUMENTS.bypasses, { 'db.system.name': system, 'bypass.reason': reason });
    },
    cacheLookup(cache, result) {
      store.record(INSTRUMENTS.cacheLookups, { 'cache.name': cache, 'cache.result': result });
    },
    rateLimit(scope, decision) {
      store.record(INSTRUMENTS.rateLimitDecisions, { 'rate_limit.scope': scope, 'rate_limit.decision': decision });
    },
  };
}

/** For when metrics are off: call sites stay unconditional. */
export const NO_METRICS: Metrics = {
  timed: (_system, _operation, call) => call(),
  bypass() {},
  cacheLookup() {},
  rateLimit() {},
};

export type FinishedRequest = {
  method: string;
  /** The route template; undefined when no route matched. */
  route: string | undefined;
  status: number;
  seconds: number;
  /** The error response's code (`rate_limited`, `token_expired`...), when there is one. */
  errorCode: string | undefined;
  tenantId: string | undefined;
};

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH']);
const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const WEBHOOK_ROUTE = /^\/v1\/webhooks\/([^/]+)$/;

/** Everything known once the response is: the request itself, and what its status says. */
export function recordRequest(store: DeltaStore, r: FinishedRequest): void {
  // The conventions' answer to arbitrary methods: one `_OTHER` series, not one per verb a client makes up.
  const method = KNOWN_METHODS.has(r.method) ? r.method : '_OTHER';
  store.record(
    INSTRUMENTS.httpDuration,
    {
      'http.request.method': method,
      'http.response.status_code': r.status,
      ...(r.route && { 'http.route': r.route }),
      ...(r.status >= 500 && { 'error.type': r.errorCode ?? String(r.status) }),
    },
    r.seconds,
  );
  if (r.status === 401) {
    store.record(INSTRUMENTS.authFailures, { 'auth.failure.reason': r.errorCode ?? 'unauthorized' });
  }
  const source = r.route && WEBHOOK_ROUTE.exec(r.route)?.[1];
  if (source) {
    const outcome = r.status < 400 ? 'accepted' : (r.errorCode ?? String(r.status));
    store.record(INSTRUMENTS.webhookDeliveries, { 'webhook.source': source, 'webhook.outcome': outcome });
  }
  if (r.tenantId) {
    store.record(INSTRUMENTS.tenantRequests, { 'tenant.id': r.tenantId });
    if (WRITES.has(method) && r.status < 400) store.record(INSTRUMENTS.tenantWrites, { 'tenant.id': r.tenantId });
  }
}

const seconds = (started: number) => (performance.now() - started) / 1000;
