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
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) {
    return NaN;
  }
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/**
 * Sorted natively as a Float64Array (no comparator call per comparison: the report's trends and the detector's step
 * fits take thousands of medians). That orders values exactly as the comparator `(a, b) => a - b` does, but for NaN
 * (the comparator leaves it where it falls, the native sort puts it last) and -0 (equal to +0 for the comparator,
 * before it natively): inputs holding either keep the comparator sort.
 */
export function quantile(xs: readonly number[], q: number): number {
  for (const x of xs) {
    if (x !== x || (x === 0 && 1 / x < 0)) {
      return quantileSorted([...xs].sort((a, b) => a - b), q);
    }
  }
  return quantileSorted(Float64Array.from(xs).sort(), q);
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
 * Standard normal quantile (Acklam's rational approximation, relative error < 1.2e-9 on (0, 1)): the normal scores
 * of the change-point search are Phi^-1 of rank positions.
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) {
    return p === 0 ? -Infinity : p === 1 ? Infinity : NaN;
  }
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const tail = (q: number): number => (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  if (p < 0.02425) {
    return tail(Math.sqrt(-2 * Math.log(p)));
  }
  if (p > 1 - 0.02425) {
    return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  }
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
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
