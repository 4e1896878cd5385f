import { context, ROOT_CONTEXT } from '@opentelemetry/api';
import type { Logger } from '../logger';
import { throttledWarning } from '../throttled-warning';
import type { Attributes, DeltaStore } from './delta-store';
import { encodeMetrics } from './otlp-json';

export type MetricsExporterOptions = {
  /** The OTLP/HTTP metrics URL (`…/v1/metrics`). */
  url: string;
  headers: Record<string, string>;
  /**
   * How long a finished request waits before exporting. Requests finishing within it find their
   * measurements already taken by the first to wake, so a busy isolate sends one export per window.
   */
  delayMs: number;
  timeoutMs?: number;
  resource: Attributes;
  logger: Logger;
};

/**
 * Sends the isolate's deltas as OTLP/HTTP JSON. Called from each request's `waitUntil`, after the
 * response has gone: the export costs the caller no time. Every measurement is taken by the flush of
 * the request that made it at the latest, so none is left behind when the isolate is evicted; a failed
 * export is put back and goes with the next one.
 */
export function createMetricsExporter(store: DeltaStore, options: MetricsExporterOptions) {
  const { url, headers, delayMs, timeoutMs = 5_000, resource, logger } = options;
  const warn = throttledWarning(logger, 'metrics export failed', 'series');
  return async function flush(): Promise<void> {
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    const delta = store.take();
    if (!delta) return;
    try {
      // The root context: outside the request's trace, so the export is not a span of every trace.
      const response = await context.with(ROOT_CONTEXT, () =>
        fetch(url, {
          method: 'POST',
          headers: { ...headers, 'Content-Type': 'application/json' },
          body: JSON.stringify(encodeMetrics(delta, resource, 'meatymusic-api')),
          signal: AbortSignal.timeout(timeoutMs),
        }),
      );
      await response.body?.cancel();
      if (response.ok) return;
      const error = new Error(`${url} answered ${response.status}`);
      // A refusal of the batch itself (bad request, unauthorised) would be refused again: dropped.
      if (response.status < 500 && response.status !== 429) return warn(error, delta.series.length);
      throw error;
    } catch (error) {
      store.restore(delta);
      warn(error, store.size);
    }
  };
}
