/** The p-th percentile (0-100) by nearest rank; NaN for no samples. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

export const median = (values: readonly number[]) => percentile(values, 50);

/** Rounded for reports: 0.1 ms resolution is all a shared machine's timings can carry. */
export const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;
