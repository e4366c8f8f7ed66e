/** Small, dependency-free statistics used by the recorder and the analyses. Inputs are never mutated. */

export function mean(xs: readonly number[]): number {
  return xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length;
}

export function stdev(xs: readonly number[]): number {
  if (xs.length < 2) {
    return 0;
  }
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
}

/** Linear-interpolated quantile (q in 0..1) of an ascending-sorted array. */
export function quantileSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) {
    return NaN;
  }
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export function quantile(xs: readonly number[], q: number): number {
  return quantileSorted([...xs].sort((a, b) => a - b), q);
}

export function median(xs: readonly number[]): number {
  return quantile(xs, 0.5);
}

/** Median absolute deviation, scaled to estimate sigma under normal noise. */
export function mad(xs: readonly number[]): number {
  const m = median(xs);
  return 1.4826 * median(xs.map((x) => Math.abs(x - m)));
}

/** Standard normal CDF (Abramowitz-Stegun 7.1.26 via erf; |error| < 1.5e-7). */
export function normalCdf(z: number): number {
  const t = 1 / (1 + (0.3275911 * Math.abs(z)) / Math.SQRT2);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-(z * z) / 2);
  return z >= 0 ? 0.5 * (1 + y) : 0.5 * (1 - y);
}

/**
 * Mann-Whitney U test of `b` against `a` (normal approximation with tie correction). Positive z means `b` tends to
 * be larger. Robust to outliers: it uses ranks only.
 */
export function mannWhitney(a: readonly number[], b: readonly number[]): { z: number; pTwoSided: number } {
  const n1 = a.length;
  const n2 = b.length;
  if (n1 === 0 || n2 === 0) {
    return { z: 0, pTwoSided: 1 };
  }
  const all = [...a.map((v) => ({ v, g: 0 })), ...b.map((v) => ({ v, g: 1 }))].sort((x, y) => x.v - y.v);
  let rankSumB = 0;
  let tieTerm = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j + 1 < all.length && all[j + 1]!.v === all[i]!.v) {
      j++;
    }
    const rank = (i + j) / 2 + 1;
    const t = j - i + 1;
    tieTerm += t ** 3 - t;
    for (let k = i; k <= j; k++) {
      if (all[k]!.g === 1) {
        rankSumB += rank;
      }
    }
    i = j + 1;
  }
  const n = n1 + n2;
  const u = rankSumB - (n2 * (n2 + 1)) / 2;
  const mu = (n1 * n2) / 2;
  const sigma = Math.sqrt(((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1))));
  const z = sigma === 0 ? 0 : (u - mu) / sigma;
  return { z, pTwoSided: 2 * (1 - normalCdf(Math.abs(z))) };
}

/** Deterministic PRNG (mulberry32) so that bootstrap intervals and synthetic series are reproducible. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Percentile bootstrap interval of `stat(a, b)` (e.g. a ratio of medians); `level` 0.95 by default. */
export function bootstrapInterval(
  a: readonly number[],
  b: readonly number[],
  stat: (a: readonly number[], b: readonly number[]) => number,
  options: { iterations?: number; level?: number; seed?: number } = {},
): [number, number] {
  const iterations = options.iterations ?? 1000;
  const level = options.level ?? 0.95;
  const random = seededRandom(options.seed ?? 42);
  const resample = (xs: readonly number[]): number[] => xs.map(() => xs[Math.floor(random() * xs.length)]!);
  const stats: number[] = [];
  for (let i = 0; i < iterations; i++) {
    stats.push(stat(resample(a), resample(b)));
  }
  stats.sort((x, y) => x - y);
  return [quantileSorted(stats, (1 - level) / 2), quantileSorted(stats, 1 - (1 - level) / 2)];
}

/** Theil-Sen slope: the median of pairwise slopes, robust to outliers. */
export function theilSen(xs: readonly number[], ys: readonly number[]): number {
  const slopes: number[] = [];
  for (let i = 0; i < xs.length; i++) {
    for (let j = i + 1; j < xs.length; j++) {
      if (xs[j] !== xs[i]) {
        slopes.push((ys[j]! - ys[i]!) / (xs[j]! - xs[i]!));
      }
    }
  }
  return slopes.length === 0 ? 0 : median(slopes);
}
