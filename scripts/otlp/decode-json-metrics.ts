import { z } from 'zod';
import { attributeMap, attributes, nanos } from './decode-json';
import type { ReceivedMetricPoint } from './metric';

/** OTLP/HTTP JSON metrics (ExportMetricsServiceRequest): sums, gauges and explicit-bucket histograms. */

const int = z.union([z.string(), z.number()]).transform(Number);
const pointBase = {
  attributes,
  startTimeUnixNano: nanos.optional(),
  timeUnixNano: nanos,
};
const numberPoint = z.object({
  ...pointBase,
  asInt: int.optional(),
  asDouble: z.union([z.number(), z.string()]).transform(Number).optional(),
});
const histogramPoint = z.object({
  ...pointBase,
  count: int,
  sum: z.number().optional(),
  bucketCounts: z.array(int).default([]),
  explicitBounds: z.array(z.number()).default([]),
});
const temporality = z.number().int().optional();
const metric = z.object({
  name: z.string(),
  unit: z.string().default(''),
  description: z.string().default(''),
  sum: z
    .object({
      aggregationTemporality: temporality,
      isMonotonic: z.boolean().optional(),
      dataPoints: z.array(numberPoint),
    })
    .optional(),
  gauge: z.object({ dataPoints: z.array(numberPoint) }).optional(),
  histogram: z.object({ aggregationTemporality: temporality, dataPoints: z.array(histogramPoint) }).optional(),
});
const request = z.object({
  resourceMetrics: z
    .array(
      z.object({
        resource: z.object({ attributes }).optional(),
        scopeMetrics: z.array(z.object({ metrics: z.array(metric) })).optional(),
      }),
    )
    .optional(),
});

const TEMPORALITY = ['unspecified', 'delta', 'cumulative'] as const;

export function decodeJsonMetrics(body: string): ReceivedMetricPoint[] {
  const parsed = request.parse(JSON.parse(body));
  return (parsed.resourceMetrics ?? []).flatMap((rm) => {
    const resource = attributeMap(rm.resource?.attributes);
    return (rm.scopeMetrics ?? []).flatMap((sm) =>
      sm.metrics.flatMap((m): ReceivedMetricPoint[] => {
        const base = { name: m.name, unit: m.unit, description: m.description, resource };
        const times = (p: { attributes?: unknown; startTimeUnixNano?: string; timeUnixNano: string }) => ({
          attributes: attributeMap(p.attributes as Parameters<typeof attributeMap>[0]),
          startTimeUnixNano: p.startTimeUnixNano ?? '0',
          timeUnixNano: p.timeUnixNano,
        });
        if (m.histogram) {
          const temporality = TEMPORALITY[m.histogram.aggregationTemporality ?? 0] ?? 'unspecified';
          return m.histogram.dataPoints.map((p) => ({
            ...base,
            ...times(p),
            kind: 'histogram',
            temporality,
            monotonic: true,
            count: p.count,
            sum: p.sum ?? 0,
            bucketCounts: p.bucketCounts,
            explicitBounds: p.explicitBounds,
          }));
        }
        if (m.sum) {
          const temporality = TEMPORALITY[m.sum.aggregationTemporality ?? 0] ?? 'unspecified';
          return m.sum.dataPoints.map((p) => ({
            ...base,
            ...times(p),
            kind: 'sum',
            temporality,
            monotonic: m.sum?.isMonotonic ?? false,
            value: p.asInt ?? p.asDouble ?? 0,
          }));
        }
        return (m.gauge?.dataPoints ?? []).map((p) => ({
          ...base,
          ...times(p),
          kind: 'gauge',
          temporality: 'unspecified',
          monotonic: false,
          value: p.asInt ?? p.asDouble ?? 0,
        }));
      }),
    );
  });
}
