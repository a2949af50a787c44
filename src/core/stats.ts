// Percentiles and summaries. Quantiles use simple-statistics' quantileSorted (nearest rank on the
// sorted sample), so a p99 over 100 values is the 99th smallest.
import { quantileSorted } from 'simple-statistics';

export interface Percentiles {
  readonly count: number;
  readonly p50: number | null;
  readonly p90: number | null;
  readonly p99: number | null;
  readonly max: number | null;
}

const round = (x: number): number => Math.round(x * 10) / 10;

export function percentiles(values: readonly number[]): Percentiles {
  if (values.length === 0) return { count: 0, p50: null, p90: null, p99: null, max: null };
  const sorted = [...values].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50: round(quantileSorted(sorted, 0.5)),
    p90: round(quantileSorted(sorted, 0.9)),
    p99: round(quantileSorted(sorted, 0.99)),
    max: round(sorted[sorted.length - 1]!),
  };
}
