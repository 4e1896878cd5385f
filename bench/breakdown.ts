import type { ReceivedSpan } from '../scripts/otlp-receiver';
import { fire, type Target } from './lib/cannon';
import { median, round } from './lib/stats';

export type SpanShare = { span: string; callsPerRequest: number; medianMsPerRequest: number };
export type Breakdown = { requests: number; requestMedianMs: number; spans: SpanShare[] };

/**
 * Where one request's time goes, from the API's own spans: `target` alone for `seconds` on one
 * connection, every exported trace of it grouped by span name (median per request of the summed
 * durations). Workers' clocks only move across I/O, so these are waits on Redis, Postgres and the like.
 */
export async function spanBreakdown(receiverUrl: string, target: Target, seconds: number): Promise<Breakdown> {
  await fetch(`${receiverUrl}/spans`, { method: 'DELETE' });
  await fire(target, { connections: 1, seconds });
  // Spans are exported after each response (waitUntil): give the last ones a moment.
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const spans = (await (await fetch(`${receiverUrl}/spans`)).json()) as ReceivedSpan[];

  const byTrace = new Map<string, ReceivedSpan[]>();
  for (const span of spans) byTrace.set(span.traceId, [...(byTrace.get(span.traceId) ?? []), span]);
  const path = new URL(target.url).pathname;
  const requests = [...byTrace.values()].filter((trace) =>
    trace.some((s) => s.parentSpanId === null && s.attributes['url.path'] === path),
  );
  const names = [...new Set(requests.flatMap((trace) => trace.filter((s) => s.parentSpanId).map((s) => s.name)))];
  const perRequest = (pick: (trace: ReceivedSpan[]) => ReceivedSpan[]) =>
    requests.map((trace) => pick(trace).reduce((n, s) => n + s.durationMs, 0));
  return {
    requests: requests.length,
    requestMedianMs: round(median(perRequest((trace) => trace.filter((s) => s.parentSpanId === null))), 2),
    spans: names
      .map((name) => ({
        span: name,
        callsPerRequest: round(
          requests.reduce((n, trace) => n + trace.filter((s) => s.name === name).length, 0) / requests.length,
          2,
        ),
        medianMsPerRequest: round(median(perRequest((trace) => trace.filter((s) => s.name === name))), 2),
      }))
      .sort((a, b) => b.medianMsPerRequest - a.medianMsPerRequest),
  };
}
