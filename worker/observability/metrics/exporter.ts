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
   * How long after a response the export waits. Requests finishing meanwhile schedule nothing: the
   * waiting export takes their measurements too, so a busy isolate sends one export per interval.
   */
  delayMs: number;
  timeoutMs?: number;
  resource: Attributes;
  logger: Logger;
};

/**
 * Sends the isolate's deltas as OTLP/HTTP JSON, after the response has gone: the export costs the
 * caller no time. `exportSoon()` at the end of each request returns the export to pass to that
 * request's `waitUntil`, or nothing when one is already waiting (it has not taken its measurements
 * yet, so this request's go with it). Either way every measurement is taken by an export that a live
 * request's `waitUntil` holds, so none is left behind when the isolate is evicted; a failed export is
 * put back and goes with the next one.
 *
 *   idle ──exportSoon()──▶ waiting (delayMs) ──take()──▶ idle (the POST runs on)
 */
export function createMetricsExporter(store: DeltaStore, options: MetricsExporterOptions) {
  const { url, headers, delayMs, timeoutMs = 5_000, resource, logger } = options;
  const warn = throttledWarning(logger, 'metrics export failed', 'series');
  let waitingSince: number | null = null;

  const exportNow = async (): Promise<void> => {
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    waitingSince = null;
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

  return {
    exportSoon(): Promise<void> | null {
      // A waiting export whose request was cut short (the runtime gave up on it) would block all later ones.
      const stuck = waitingSince !== null && Date.now() - waitingSince > delayMs + timeoutMs;
      if (waitingSince !== null && !stuck) return null;
      waitingSince = Date.now();
      return exportNow();
    },
  };
}

export type MetricsExporter = ReturnType<typeof createMetricsExporter>;
