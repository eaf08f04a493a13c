/** Order statistics for benchmark samples. Pure. */

/**
 * Nearest-rank percentile (p in 0..100) of unsorted values: the smallest value with at least p% of the
 * samples at or below it. NaN for no samples.
 */
export function percentile(values: readonly number[], p: number): number {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile: p must be within 0..100, got ${p}`);
  const xs = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (xs.length === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * xs.length));
  return xs[rank - 1]!;
}

export interface Summary {
  n: number;
  mean: number;
  p50: number;
  p95: number;
  max: number;
}

export function summarize(values: readonly number[]): Summary {
  const xs = values.filter((v) => Number.isFinite(v));
  if (xs.length === 0) return { n: 0, mean: Number.NaN, p50: Number.NaN, p95: Number.NaN, max: Number.NaN };
  return {
    n: xs.length,
    mean: xs.reduce((s, v) => s + v, 0) / xs.length,
    p50: percentile(xs, 50),
    p95: percentile(xs, 95),
    max: xs.reduce((m, v) => (v > m ? v : m), -Infinity),
  };
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}
