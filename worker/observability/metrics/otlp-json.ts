import type { Attributes, AttributeValue, Delta, Series } from './delta-store';

/**
 * An ExportMetricsServiceRequest in OTLP/HTTP's JSON encoding
 * (https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding): 64-bit integers as strings,
 * enums as numbers. Built by hand: the SDK's metric pipeline (readers, views, timers) has no place
 * in an isolate that lives for one request, and this is one small object.
 */

const DELTA = 1; // AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA

export function encodeMetrics(delta: Delta, resource: Attributes, scope: string): unknown {
  const byInstrument = Map.groupBy(delta.series, (s) => s.instrument);
  const time = nanos(delta.endMs);
  return {
    resourceMetrics: [
      {
        resource: { attributes: keyValues(resource) },
        scopeMetrics: [
          {
            scope: { name: scope },
            metrics: [...byInstrument].map(([instrument, series]) => {
              const base = { name: instrument.name, unit: instrument.unit, description: instrument.description };
              const point = (s: Series) => ({
                attributes: keyValues(s.attributes),
                startTimeUnixNano: nanos(s.startMs),
                timeUnixNano: time,
              });
              if (instrument.bounds) {
                return {
                  ...base,
                  histogram: {
                    aggregationTemporality: DELTA,
                    dataPoints: series.map((s) => ({
                      ...point(s),
                      count: String(s.count),
                      sum: s.sum,
                      bucketCounts: (s.buckets ?? []).map(String),
                      explicitBounds: instrument.bounds,
                      ...(s.min !== undefined && { min: s.min, max: s.max }),
                    })),
                  },
                };
              }
              return {
                ...base,
                sum: {
                  aggregationTemporality: DELTA,
                  isMonotonic: true,
                  dataPoints: series.map((s) => ({ ...point(s), asInt: String(s.count) })),
                },
              };
            }),
          },
        ],
      },
    ],
  };
}

const nanos = (ms: number) => `${Math.round(ms)}000000`;

function keyValues(attributes: Attributes) {
  return Object.entries(attributes).map(([key, value]) => ({ key, value: anyValue(value) }));
}

function anyValue(value: AttributeValue) {
  if (typeof value === 'boolean') return { boolValue: value };
  if (typeof value === 'number') return Number.isInteger(value) ? { intValue: String(value) } : { doubleValue: value };
  return { stringValue: value };
}
