import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { Redis } from '@upstash/redis/cloudflare';
import type { Settings } from '../config';
import type { Logger } from '../observability/logger';
import { type Metrics, NO_METRICS } from '../observability/metrics/recorder';
import { inSpan } from '../observability/spans';
import { isTimeout, withTimeout } from '../timeout';

export type RedisSettings = NonNullable<Settings['redis']>;

/** Why a caller went on without Redis. `disabled`: no endpoint configured, which is not worth a log line. */
export type BypassReason = 'disabled' | 'timeout' | 'unavailable';
export type Bypassed = { bypassed: true; reason: BypassReason };
export type RedisResult<T> = { bypassed: false; value: T } | Bypassed;

export type RunOptions = {
  /** Try even after an earlier call of this request failed: for invalidations, where a stale entry costs more. */
  evenAfterFailure?: boolean;
};

/** What request code gets: Redis calls that cannot fail the request or outlast the time budget. */
export interface RedisAccess {
  readonly enabled: boolean;
  /** The request's metrics, for what is built on this accessor (the read-through cache). */
  readonly metrics: Metrics;
  /**
   * The name Redis stores for `name`: under REDIS_KEY_PREFIX, so environments and previews sharing a
   * Redis never see each other's entries or counters. Every key the API writes goes through here.
   */
  key(name: string): string;
  /**
   * Runs `fn` against the request's client, bounded by the budget. On any failure it logs at warn,
   * marks its span and the request's, and returns a bypass; later calls in the same request are bypassed at once,
   * so a slow Redis costs a request one budget at most.
   */
  run<T>(operation: string, fn: (client: Redis) => Promise<T>, options?: RunOptions): Promise<RedisResult<T>>;
  /**
   * Starts one MGET of keys the request will read (known from its token) without waiting for it, so
   * it shares a round trip with whatever is awaited next (the rate limit). `get` answers from it.
   */
  readAhead(names: string[]): void;
  /** One key's value: from the read-ahead when it covered `name` (once), else a GET of its own. */
  get(operation: string, name: string): Promise<RedisResult<unknown>>;
  /** Runs after the response has gone (waitUntil): for writes the answer does not depend on, like cache fills. */
  later(operation: string, fn: (client: Redis) => Promise<unknown>): void;
  /** A PING for readiness, regardless of earlier failures; throws when Redis does not answer in time. */
  health(): Promise<{ latency_ms: number }>;
}

const DISABLED: Bypassed = { bypassed: true, reason: 'disabled' };

export type RedisAccessOptions = {
  /** The request's metrics (calls, bypasses, cache lookups). */
  metrics?: Metrics;
  /** Keeps work alive after the response: the request's `waitUntil` in the Worker. */
  defer?: (work: Promise<unknown>) => void;
};

export function createRedisAccess(
  settings: RedisSettings | null,
  logger: Logger,
  { metrics = NO_METRICS, defer = (work) => void work }: RedisAccessOptions = {},
): RedisAccess {
  let client: Redis | undefined;
  let failure: Bypassed | undefined;
  let ahead = new Map<string, Promise<RedisResult<unknown>>>();

  const connect = (config: RedisSettings) => {
    client ??= new Redis({
      url: config.url,
      token: config.token,
      enableTelemetry: false,
      // Replies as plain JSON, not base64: decoding every reply costs CPU on each request, and every
      // value here is JSON the API wrote itself (UTF-8), which is all base64 protects.
      responseEncoding: false,
      // The client's default is 5 retries with backoff (~4 s): longer than any request may wait.
      retry: { retries: 0 },
      // A function, so each HTTP call gets a fresh signal and an abort throws; a plain signal makes
      // the client answer `{result: <reason>}` as if Redis had replied.
      signal: () => AbortSignal.timeout(config.timeoutMs),
    });
    return client;
  };

  const prefix = settings?.keyPrefix ? `${settings.keyPrefix}:` : '';

  return {
    enabled: settings !== null,
    metrics,

    key: (name) => prefix + name,

    async run<T>(
      operation: string,
      fn: (client: Redis) => Promise<T>,
      options: RunOptions = {},
    ): Promise<RedisResult<T>> {
      if (!settings) return DISABLED;
      if (failure && !options.evenAfterFailure) {
        metrics.bypass('redis', failure.reason);
        return failure;
      }
      const request = trace.getActiveSpan();
      return inSpan<RedisResult<T>>(
        `redis ${operation}`,
        { kind: SpanKind.CLIENT, attributes: { 'db.system.name': 'redis', 'db.operation.name': operation } },
        async (span) => {
          try {
            const value = await metrics.timed(
              'redis',
              operation,
              () => withTimeout(fn(connect(settings)), settings.timeoutMs),
              (error) => (isTimeout(error) ? 'timeout' : 'unavailable'),
            );
            return { bypassed: false as const, value };
          } catch (error) {
            const reason = isTimeout(error) ? 'timeout' : 'unavailable';
            const message = error instanceof Error ? error.message : String(error);
            // Calls in flight together (the read-ahead beside the limit) fail together: one line for
            // them. A call made despite an earlier failure (an invalidation) is worth its own.
            const first = !failure || options.evenAfterFailure === true;
            failure = { bypassed: true, reason };
            metrics.bypass('redis', reason);
            span.setAttribute('redis.bypassed', true);
            span.setStatus({ code: SpanStatusCode.ERROR, message: `redis ${reason}: ${message}` });
            request?.setAttribute('redis.degraded', true);
            if (first)
              logger.warn('redis bypassed: serving without it', { redis_operation: operation, reason, error: message });
            return failure;
          }
        },
      );
    },

    readAhead(names) {
      if (!settings || names.length === 0) return;
      const all = this.run('cache.read_ahead', (redis) => redis.mget<unknown[]>(...names.map(this.key)));
      ahead = new Map(
        names.map((name, i) => [
          name,
          all.then((r): RedisResult<unknown> => (r.bypassed ? r : { bypassed: false, value: r.value[i] ?? null })),
        ]),
      );
    },

    get(operation, name) {
      const read = ahead.get(name);
      ahead.delete(name);
      return read ?? this.run(operation, (redis) => redis.get<unknown>(this.key(name)));
    },

    later(operation, fn) {
      if (settings) defer(this.run(operation, fn));
    },

    async health() {
      if (!settings) throw new Error('redis is not configured');
      const started = performance.now();
      await withTimeout(connect(settings).ping(), settings.timeoutMs);
      return { latency_ms: Math.round((performance.now() - started) * 10) / 10 };
    },
  };
}
