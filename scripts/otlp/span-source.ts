import { z } from 'zod';

/** What a check needs to know of an exported span, wherever it was read from. */
export interface ExportedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  name: string;
  serviceName: string | null;
}

/** Where exported spans can be read back: the local receiver or Jaeger's query API. */
export interface SpanSource {
  describe: string;
  spansOf(traceId: string): Promise<ExportedSpan[]>;
}

const receiverSpans = z.array(
  z.object({
    traceId: z.string(),
    spanId: z.string(),
    parentSpanId: z.string().nullable(),
    name: z.string(),
    resource: z.record(z.string(), z.unknown()),
  }),
);

/** scripts/otlp-receiver.ts: `GET /spans` lists everything it has received. */
export function receiverSource(baseUrl: string): SpanSource {
  return {
    describe: `OTLP receiver at ${baseUrl}`,
    async spansOf(traceId) {
      const spans = receiverSpans.parse(await getJson(`${baseUrl}/spans`));
      return spans
        .filter((s) => s.traceId.toLowerCase() === traceId)
        .map((s) => ({
          traceId: s.traceId.toLowerCase(),
          spanId: s.spanId,
          parentSpanId: s.parentSpanId,
          name: s.name,
          serviceName: typeof s.resource['service.name'] === 'string' ? s.resource['service.name'] : null,
        }));
    },
  };
}

const jaegerTrace = z.object({
  data: z.array(
    z.object({
      spans: z.array(
        z.object({
          traceID: z.string(),
          spanID: z.string(),
          operationName: z.string(),
          references: z.array(z.object({ refType: z.string(), spanID: z.string() })).default([]),
          processID: z.string(),
        }),
      ),
      processes: z.record(z.string(), z.object({ serviceName: z.string() })),
    }),
  ),
});

/** Jaeger's query API (`GET /api/traces/<id>`), behind the collector in docker-compose. */
export function jaegerSource(baseUrl: string): SpanSource {
  return {
    describe: `Jaeger at ${baseUrl}`,
    async spansOf(traceId) {
      const response = await fetch(`${baseUrl}/api/traces/${traceId}`, { signal: AbortSignal.timeout(5_000) });
      // Jaeger answers 404 for a trace it has not (yet) stored.
      if (response.status === 404) return [];
      if (!response.ok) throw new Error(`GET ${response.url} -> ${response.status}`);
      const { data } = jaegerTrace.parse(await response.json());
      return data.flatMap((t) =>
        t.spans.map((s) => ({
          traceId: s.traceID.padStart(32, '0'),
          spanId: s.spanID.padStart(16, '0'),
          parentSpanId: s.references.find((r) => r.refType === 'CHILD_OF')?.spanID.padStart(16, '0') ?? null,
          name: s.operationName,
          serviceName: t.processes[s.processID]?.serviceName ?? null,
        })),
      );
    },
  };
}

async function getJson(url: string): Promise<unknown> {
  const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  if (!response.ok) throw new Error(`GET ${url} -> ${response.status}`);
  return response.json();
}
