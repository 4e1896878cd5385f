import type { Instrument } from './instruments';

export type AttributeValue = string | number | boolean;
export type Attributes = Record<string, AttributeValue>;

/** One time series' change since the last export: a counter's increase, or a histogram's new observations. */
export type Series = {
  instrument: Instrument;
  attributes: Attributes;
  /** Unix ms: the start of this delta window. */
  startMs: number;
  count: number;
  sum: number;
  /** Histograms only: observations per bucket, `bounds.length + 1` of them (the last is +Inf). */
  buckets?: number[];
  min?: number;
  max?: number;
};

export type Delta = { series: Series[]; endMs: number };

/**
 * The isolate's measurements since the last export, as delta temporality wants them: `take()` hands
 * over everything and starts afresh, `restore()` puts back a batch that could not be sent (its counts
 * add to whatever arrived meanwhile, so nothing is lost or counted twice while the backend is away).
 *
 *   recording ──take()──▶ exporting ──sent──▶ (gone)
 *       ▲                     │
 *       └──── restore() ◀── failed
 *
 * Series are capped: past `maxSeries`, new attribute sets of an instrument share one overflow series
 * (`otel.metric.overflow: true`, as the SDK specification does), so an unbounded label cannot exhaust memory.
 */
export class DeltaStore {
  #series = new Map<string, Series>();
  #lastEndMs = 0;

  constructor(readonly maxSeries = 2_000) {}

  get size(): number {
    return this.#series.size;
  }

  /** Adds 1 (or `value`) to a counter, or records `value` in a histogram. */
  record(instrument: Instrument, attributes: Attributes, value = 1): void {
    const series = this.#seriesFor(instrument, attributes);
    series.count += instrument.bounds ? 1 : value;
    if (!instrument.bounds || !series.buckets) return;
    series.sum += value;
    series.min = Math.min(series.min ?? value, value);
    series.max = Math.max(series.max ?? value, value);
    const bucket = instrument.bounds.findIndex((upper) => value <= upper);
    const at = bucket === -1 ? instrument.bounds.length : bucket;
    series.buckets[at] = (series.buckets[at] ?? 0) + 1;
  }

  take(): Delta | null {
    if (this.#series.size === 0) return null;
    const series = [...this.#series.values()];
    // Workers' clock stands still while code runs: make every window end after it starts.
    const startMs = Math.min(...series.map((s) => s.startMs));
    const endMs = Math.max(Date.now(), startMs + 1);
    this.#series = new Map();
    this.#lastEndMs = endMs;
    return { series, endMs };
  }

  restore(delta: Delta): void {
    for (const old of delta.series) {
      const series = this.#seriesFor(old.instrument, old.attributes);
      series.startMs = Math.min(series.startMs, old.startMs);
      series.count += old.count;
      series.sum += old.sum;
      if (old.min !== undefined) series.min = Math.min(series.min ?? old.min, old.min);
      if (old.max !== undefined) series.max = Math.max(series.max ?? old.max, old.max);
      const buckets = series.buckets;
      if (buckets)
        old.buckets?.forEach((n, i) => {
          buckets[i] = (buckets[i] ?? 0) + n;
        });
    }
  }

  #seriesFor(instrument: Instrument, attributes: Attributes): Series {
    let key = seriesKey(instrument, attributes);
    let series = this.#series.get(key);
    if (series) return series;
    if (this.#series.size >= this.maxSeries) {
      attributes = { 'otel.metric.overflow': true };
      key = seriesKey(instrument, attributes);
      series = this.#series.get(key);
      if (series) return series;
    }
    series = {
      instrument,
      attributes,
      // Never before the previous window's end: a collector drops deltas that overlap the last one.
      startMs: Math.max(Date.now(), this.#lastEndMs),
      count: 0,
      sum: 0,
      ...(instrument.bounds && { buckets: new Array<number>(instrument.bounds.length + 1).fill(0) }),
    };
    this.#series.set(key, series);
    return series;
  }
}

function seriesKey(instrument: Instrument, attributes: Attributes): string {
  const names = Object.keys(attributes).sort();
  return `${instrument.name}\u0000${names.map((n) => `${n}=${attributes[n]}`).join('\u0000')}`;
}
