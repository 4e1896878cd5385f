import type { Attributes } from './span';

/** One data point as received, flattened: a counter's (or gauge's) value, or a histogram's buckets. */
export type ReceivedMetricPoint = {
  name: string;
  unit: string;
  description: string;
  kind: 'sum' | 'gauge' | 'histogram';
  temporality: 'delta' | 'cumulative' | 'unspecified';
  monotonic: boolean;
  attributes: Attributes;
  resource: Attributes;
  startTimeUnixNano: string;
  timeUnixNano: string;
  /** Sum and gauge points. */
  value?: number;
  /** Histogram points: `bucketCounts` has one more entry than `explicitBounds` (the +Inf bucket). */
  count?: number;
  sum?: number;
  bucketCounts?: number[];
  explicitBounds?: number[];
};
