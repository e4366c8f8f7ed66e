/** Summary statistics of timing samples. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) {
    return NaN;
  }
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (rank - lo);
}

export function mean(samples: readonly number[]): number {
  return samples.reduce((a, b) => a + b, 0) / samples.length;
}

export interface Summary {
  n: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  stdev: number;
}

export function summarize(samples: readonly number[]): Summary {
  const m = mean(samples);
  const variance = samples.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, samples.length - 1);
  return { n: samples.length, mean: m, p50: percentile(samples, 50), p90: percentile(samples, 90), p99: percentile(samples, 99), stdev: Math.sqrt(variance) };
}
