/**
 * Robust fits of the shapes a stretch of log-values can take: flat, piecewise constant (steps), a line or a hinge
 * (a drift, possibly starting late), and smooth curves (a cubic, one sine wave of period 0.65-1.25x the stretch: the
 * seasonality a step detector must not alarm on). Every fit minimizes absolute residuals (iteratively reweighted
 * least squares), so heavy tails and outliers do not decide the shape; shapes are compared by a Laplace BIC.
 */
import { median } from '../stats';

export interface Fit {
  /** Sum of absolute residuals. */
  cost: number;
  /** Free parameters (a change-point location counts as one). */
  params: number;
  fitted: Float64Array;
}

/** Laplace-likelihood BIC: 2n ln(mean |residual|) + params ln n (lower is better). */
export function bic(fit: Fit, n: number): number {
  return 2 * n * Math.log(Math.max(fit.cost / n, 1e-12)) + fit.params * Math.log(n);
}

export function solve(a: number[][], b: number[]): number[] | undefined {
  const k = b.length;
  const m = a.map((row, i) => [...row, b[i]!]);
  for (let c = 0; c < k; c++) {
    let p = c;
    for (let r = c + 1; r < k; r++) {
      if (Math.abs(m[r]![c]!) > Math.abs(m[p]![c]!)) {
        p = r;
      }
    }
    if (Math.abs(m[p]![c]!) < 1e-12) {
      return undefined;
    }
    [m[c], m[p]] = [m[p]!, m[c]!];
    for (let r = 0; r < k; r++) {
      if (r !== c) {
        const f = m[r]![c]! / m[c]![c]!;
        for (let j = c; j <= k; j++) {
          m[r]![j]! -= f * m[c]![j]!;
        }
      }
    }
  }
  return m.map((row, i) => row[k]! / row[i]!);
}

/** Least-absolute-deviation regression of ys on the given basis columns (IRLS; a few passes suffice for a shape choice). */
export function fitBasis(ys: ArrayLike<number>, basis: readonly Float64Array[], params: number, iterations = 5): Fit & { coef: number[] } {
  const n = ys.length;
  const k = basis.length;
  const w = new Float64Array(n).fill(1);
  let coef: number[] = new Array<number>(k).fill(0);
  const fitted = new Float64Array(n);
  // Normal equations, one sum per entry over the points in order: the same additions, in the same order, as
  // accumulating point by point (so the same fits), as sequential loops over typed arrays.
  // (w * b_r) is formed once per row r and point (JS multiplies left to right, so the products are the same), and
  // the fitted values are accumulated column by column (each point still adds its terms in the order r = 0..k-1).
  const af = new Float64Array(k * k);
  const bf = new Float64Array(k);
  const wb = new Float64Array(n);
  for (let it = 0; it < iterations; it++) {
    for (let r = 0; r < k; r++) {
      const br = basis[r]!;
      let sb = 0;
      for (let i = 0; i < n; i++) {
        wb[i] = w[i]! * br[i]!;
        sb += wb[i]! * ys[i]!;
      }
      bf[r] = sb;
      for (let c = r; c < k; c++) {
        const bc = basis[c]!;
        let sa = 0;
        for (let i = 0; i < n; i++) {
          sa += wb[i]! * bc[i]!;
        }
        af[r * k + c] = sa;
      }
    }
    const a: number[][] = [];
    const b: number[] = [];
    for (let r = 0; r < k; r++) {
      const row: number[] = [];
      for (let c = 0; c < k; c++) {
        row.push(c >= r ? af[r * k + c]! : af[c * k + r]!);
      }
      a.push(row);
      b.push(bf[r]!);
    }
    const next = solve(a, b);
    if (next === undefined) {
      break;
    }
    coef = next;
    fitted.fill(0);
    for (let r = 0; r < k; r++) {
      const br = basis[r]!;
      const cr = coef[r]!;
      for (let i = 0; i < n; i++) {
        fitted[i] = fitted[i]! + cr * br[i]!;
      }
    }
    let scale = 0;
    for (let i = 0; i < n; i++) {
      scale += Math.abs(ys[i]! - fitted[i]!);
    }
    // Floor the weights' denominator at a small share of the mean residual: exact fits must not divide by zero.
    const floor = Math.max((scale / n) * 0.01, 1e-12);
    for (let i = 0; i < n; i++) {
      w[i] = 1 / Math.max(Math.abs(ys[i]! - fitted[i]!), floor);
    }
  }
  let cost = 0;
  for (let i = 0; i < n; i++) {
    cost += Math.abs(ys[i]! - fitted[i]!);
  }
  return { cost, params, fitted, coef };
}

/** Piecewise constant at the medians between `cuts` (offsets of the first point of each new level). */
export function fitSteps(ys: ArrayLike<number>, cuts: readonly number[]): Fit {
  const n = ys.length;
  const bounds = [0, ...cuts, n];
  const fitted = new Float64Array(n);
  let cost = 0;
  for (let j = 0; j + 1 < bounds.length; j++) {
    const piece = Array.prototype.slice.call(ys, bounds[j], bounds[j + 1]) as number[];
    const m = median(piece);
    for (let i = bounds[j]!; i < bounds[j + 1]!; i++) {
      fitted[i] = m;
      cost += Math.abs(ys[i]! - m);
    }
  }
  return { cost, params: 1 + 2 * cuts.length, fitted };
}

/** A basis column (a plain loop: `Float64Array.from` with a mapping function cost a third of the shape fits). */
function column(n: number, f: (i: number) => number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = f(i);
  }
  return out;
}

export function fitLine(ys: ArrayLike<number>): Fit & { slope: number; intercept: number } {
  const n = ys.length;
  const f = fitBasis(ys, [column(n, () => 1), column(n, (i) => i)], 2);
  return { ...f, intercept: f.coef[0]!, slope: f.coef[1]! };
}

/**
 * A line in the values themselves, returned on the log scale: an additive creep (a leak of so many MB per run, a
 * latency that grows by so many ms per build), which over a large change is far from a line in the logs (64 -> 263
 * MB is a concave curve there, which a staircase of steps fitted better: 8 "regressions" for one leak). Fitted
 * (least absolute deviations, as `fitLine`) on the values scaled by their geometric mean; `slope` is the mean log
 * change per point. A line that reaches zero or below has no log: cost Infinity.
 */
export function fitValueLine(ys: ArrayLike<number>): Fit & { slope: number } {
  const n = ys.length;
  let ref = 0;
  for (let i = 0; i < n; i++) {
    ref += ys[i]! / n;
  }
  const values = Float64Array.from({ length: n }, (_, i) => Math.exp(ys[i]! - ref));
  const f = fitBasis(values, [column(n, () => 1), column(n, (i) => i)], 2);
  const fitted = new Float64Array(n);
  let cost = 0;
  for (let i = 0; i < n; i++) {
    if (!(f.fitted[i]! > 0)) {
      return { cost: Infinity, params: 2, fitted, slope: 0 };
    }
    fitted[i] = Math.log(f.fitted[i]!) + ref;
    cost += Math.abs(ys[i]! - fitted[i]!);
  }
  return { cost, params: 2, fitted, slope: n > 1 ? (fitted[n - 1]! - fitted[0]!) / (n - 1) : 0 };
}

/** Flat until `start`, then a line: the best start on a grid of at most 10 candidates, refined once. */
export function fitHinge(ys: ArrayLike<number>): Fit & { slope: number; start: number } {
  const n = ys.length;
  const one = column(n, () => 1);
  let best: (Fit & { slope: number; start: number }) | undefined;
  const tryStart = (start: number): void => {
    const f = fitBasis(ys, [one, column(n, (i) => Math.max(0, i - start))], 3);
    if (best === undefined || f.cost < best.cost) {
      best = { ...f, slope: f.coef[1]!, start };
    }
  };
  const candidates = Math.min(10, Math.max(1, Math.floor(n / 4)));
  const spacing = (0.75 * n) / candidates;
  for (let c = 0; c < candidates; c++) {
    tryStart(Math.floor(c * spacing));
  }
  // Then halfway to each neighbour of the best grid start.
  const coarse = best!.start;
  for (const start of [Math.floor(coarse - spacing / 2), Math.floor(coarse + spacing / 2)]) {
    if (start > 0 && start < n - 3) {
      tryStart(start);
    }
  }
  return best!;
}

function cubicBasis(n: number): Float64Array[] {
  const x = (i: number): number => (2 * i) / Math.max(1, n - 1) - 1;
  return [column(n, () => 1), column(n, x), column(n, (i) => x(i) ** 2), column(n, (i) => x(i) ** 3)];
}

export function fitCubic(ys: ArrayLike<number>): Fit {
  return fitBasis(ys, cubicBasis(ys.length), 4);
}

/** Gaussian-likelihood BIC of fitted values: n ln(mean squared residual) + params ln n (same scale as `bic`). */
function squaresBic(ys: ArrayLike<number>, fitted: ArrayLike<number>, params: number): number {
  const n = ys.length;
  let ss = 0;
  for (let i = 0; i < n; i++) {
    ss += (ys[i]! - fitted[i]!) ** 2;
  }
  return n * Math.log(Math.max(ss / n, 1e-24)) + params * Math.log(n);
}

/** Least-squares steps (means between `cuts`), by the Gaussian BIC. */
export function stepsSquaresBic(ys: ArrayLike<number>, cuts: readonly number[]): number {
  const n = ys.length;
  const bounds = [0, ...cuts, n];
  const fitted = new Float64Array(n);
  for (let j = 0; j + 1 < bounds.length; j++) {
    let sum = 0;
    for (let i = bounds[j]!; i < bounds[j + 1]!; i++) {
      sum += ys[i]!;
    }
    fitted.fill(sum / (bounds[j + 1]! - bounds[j]!), bounds[j], bounds[j + 1]);
  }
  return squaresBic(ys, fitted, 1 + 2 * cuts.length);
}

/** The best least-squares smooth curve (cubic, or a sine wave plus a line of PERIOD_RATIOS), by the Gaussian BIC. */
export function smoothSquaresBic(ys: ArrayLike<number>): number {
  const n = ys.length;
  // One IRLS pass with unit weights is ordinary least squares.
  let best = squaresBic(ys, fitBasis(ys, cubicBasis(n), 4, 1).fitted, 4);
  for (const r of PERIOD_RATIOS) {
    best = Math.min(best, squaresBic(ys, fitBasis(ys, sineBasis(n, r * n), 5, 1).fitted, 5));
  }
  return best;
}

const sineBases = new Map<string, Float64Array[]>();

/**
 * Basis of one sine wave of the given period around a level, plus a line when `line` (cached: the scan fits the same
 * lengths again and again).
 */
export function sineBasis(n: number, period: number, line = true): Float64Array[] {
  const key = `${n}|${period}|${line}`;
  let basis = sineBases.get(key);
  if (basis === undefined) {
    const wave = [column(n, () => 1), column(n, (i) => Math.sin((2 * Math.PI * i) / period)), column(n, (i) => Math.cos((2 * Math.PI * i) / period))];
    basis = line ? [...wave, column(n, (i) => i / n)] : wave;
    if (sineBases.size < 1000) {
      sineBases.set(key, basis);
    }
  }
  return basis;
}

/** A wave without a line at n points and a period: its sine and cosine, their sums, and its normal matrix's inverse. */
export interface WaveBasis {
  sin: Float64Array;
  cos: Float64Array;
  /** The normal matrix of (1, sin, cos), and its inverse column by column (undefined where singular). */
  normal: number[][];
  inverse: [number[], number[], number[]] | undefined;
}

/** By n, then by period (numbers: building a string key cost more than the sums it looked up). */
const waveBases = new Map<number, Map<number, WaveBasis>>();
let waveBasesHeld = 0;

/**
 * `sineBasis(n, period, false)` with what least squares on it needs that does not depend on the data (cached: the
 * wave tests try the same 13-22 periods of the same few lengths on every stretch). The sums are accumulated point by
 * point in order (each sum on its own, so the same values as summing them together).
 */
export function waveBasis(n: number, period: number): WaveBasis {
  let byPeriod = waveBases.get(n);
  if (byPeriod === undefined) {
    byPeriod = new Map();
    waveBases.set(n, byPeriod);
  }
  let basis = byPeriod.get(period);
  if (basis === undefined) {
    const [, sin, cos] = sineBasis(n, period, false) as [Float64Array, Float64Array, Float64Array];
    let ss = 0;
    let sc = 0;
    let cc = 0;
    let s1 = 0;
    let c1 = 0;
    for (let i = 0; i < n; i++) {
      ss += sin[i]! * sin[i]!;
      sc += sin[i]! * cos[i]!;
      cc += cos[i]! * cos[i]!;
      s1 += sin[i]!;
      c1 += cos[i]!;
    }
    const normal = [[n, s1, c1], [s1, ss, sc], [c1, sc, cc]];
    const columns = [solve(normal, [1, 0, 0]), solve(normal, [0, 1, 0]), solve(normal, [0, 0, 1])];
    basis = { sin, cos, normal, inverse: columns.some((c) => c === undefined) ? undefined : (columns as [number[], number[], number[]]) };
    if (waveBasesHeld < 4000) {
      byPeriod.set(period, basis);
      waveBasesHeld++;
    }
  }
  return basis;
}

/** Periods tried first, as multiples of the stretch length; the best is then refined to the nearest 0.05. */
const PERIOD_RATIOS = [0.65, 0.8, 1, 1.25];

/**
 * Whether a wave fitted to n points has the shortest period `fitSine` allows: the data would take a shorter one, as
 * a regression, its fix and a revert (a square wave of half the length) would.
 */
export const atShortestPeriod = (wave: { period: number }, n: number): boolean => wave.period <= PERIOD_RATIOS[0]! * n + 1e-9;

/**
 * One sine wave (plus a line when `line`), the period chosen among 0.65-1.25x the stretch length: at least most of a
 * full wave, since half a wave of a longer period is an S-curve that would pass for a smoothed step, and not much
 * shorter, since a regression, its fix and a revert evenly spaced are a square wave of half the length. Without the
 * line a wave must come back to where it started, which a step does not: that is what tells seasonality from a step.
 * Without `ratios`, the best of PERIOD_RATIOS is refined by trying 0.05 either side within 0.65-1.25 (a period off
 * by more leaves a wave in the residuals that a step search then splits).
 */
export function fitSine(ys: ArrayLike<number>, ratios?: readonly number[], line = true): Fit & { period: number } {
  const n = ys.length;
  let best: (Fit & { period: number }) | undefined;
  const tryRatio = (r: number): void => {
    const period = r * n;
    const f = fitBasis(ys, sineBasis(n, period, line), line ? 5 : 4);
    if (best === undefined || f.cost < best.cost) {
      best = { ...f, period };
    }
  };
  (ratios ?? PERIOD_RATIOS).forEach(tryRatio);
  if (ratios === undefined) {
    const r = best!.period / n;
    // Within the range: a period of 0.6x let a wave take a regression, its fix and a revert 15 points apart in 60 for
    // seasonality (multi-step F1 at 60 points .865 -> .882 once kept out).
    [r - 0.05, r + 0.05].filter((x) => x >= PERIOD_RATIOS[0]! - 1e-9 && x <= PERIOD_RATIOS[PERIOD_RATIOS.length - 1]! + 1e-9).forEach(tryRatio);
  }
  return best!;
}

/** A wave without a line (see `fitSine`) plus a level change at each cut; the step terms' coefficients follow the wave's three. */
export function fitWaveWithSteps(ys: ArrayLike<number>, period: number, cuts: readonly number[]): Fit & { coef: number[] } {
  const n = ys.length;
  const steps = cuts.map((c) => column(n, (i) => (i >= c ? 1 : 0)));
  return fitBasis(ys, [...sineBasis(n, period, false), ...steps], 4 + 2 * cuts.length, 20);
}

/** `fitWaveWithSteps` by least squares, by the Gaussian BIC. */
export function waveSquaresBic(ys: ArrayLike<number>, period: number, cuts: readonly number[]): number {
  const n = ys.length;
  const steps = cuts.map((c) => column(n, (i) => (i >= c ? 1 : 0)));
  return squaresBic(ys, fitBasis(ys, [...sineBasis(n, period, false), ...steps], 4 + 2 * cuts.length, 1).fitted, 4 + 2 * cuts.length);
}

/** A line, flat until `hingeStart` then a line, or `valueLine` (`fitValueLine`, already fitted): the best Gaussian BIC (see `fitHinge`). */
export function driftSquaresBic(ys: ArrayLike<number>, hingeStart: number, valueLine: Fit): number {
  const n = ys.length;
  const one = column(n, () => 1);
  const line = squaresBic(ys, fitBasis(ys, [one, column(n, (i) => i)], 2, 1).fitted, 2);
  const additive = Number.isFinite(valueLine.cost) ? squaresBic(ys, valueLine.fitted, 2) : Infinity;
  return Math.min(line, additive, squaresBic(ys, fitBasis(ys, [one, column(n, (i) => Math.max(0, i - hingeStart))], 3, 1).fitted, 3));
}

/** Fewest points on each side of the step `wavePeriodWithStep` allows (as the change-point search's MIN_SEGMENT). */
const MIN_STEP_SIDE = 3;

/** The data's sums the least-squares fit of a level plus one sine wave needs (X'y and y'y), in one pass; the basis's own are `waveBasis`'s. */
export interface WaveSums {
  y1: number;
  ys1: number;
  yc1: number;
  yy: number;
}

export function waveSums(ys: ArrayLike<number>, sin: Float64Array, cos: Float64Array): WaveSums {
  const w: WaveSums = { y1: 0, ys1: 0, yc1: 0, yy: 0 };
  for (let i = 0; i < ys.length; i++) {
    const y = ys[i]!;
    w.y1 += y;
    w.ys1 += sin[i]! * y;
    w.yc1 += cos[i]! * y;
    w.yy += y * y;
  }
  return w;
}

/**
 * The period, 0.65-1.25x the stretch in steps of 0.05 (the range of `fitSine`), of the wave that together with at most
 * one level change anywhere leaves the smallest squared residuals. A wave fitted alone bends towards a real step on
 * top of it (its period moves to where half a wave mimics the step, and the steps searched over it then form a
 * staircase), so the period of a wave with steps is chosen with a step allowed for. Least squares, the step's column
 * summed from the end: O(n) per period.
 */
export function wavePeriodWithStep(ys: ArrayLike<number>): number {
  const n = ys.length;
  let bestSse = Infinity;
  let bestPeriod = n;
  for (let twentieths = 13; twentieths <= 25; twentieths++) {
    const period = (twentieths / 20) * n;
    const { sin, cos, normal } = waveBasis(n, period);
    const [s1, c1, ss, sc, cc] = [normal[0]![1]!, normal[0]![2]!, normal[1]![1]!, normal[1]![2]!, normal[2]![2]!];
    const { y1, ys1, yc1, yy } = waveSums(ys, sin, cos);
    // Sums over the points at the new level (c to the end), for a step at c with >= MIN_STEP_SIDE points each side.
    let t1 = 0;
    let ts = 0;
    let tc = 0;
    let ty = 0;
    for (let c = n - 1; c >= MIN_STEP_SIDE; c--) {
      t1 += 1;
      ts += sin[c]!;
      tc += cos[c]!;
      ty += ys[c]!;
      if (n - c < MIN_STEP_SIDE) {
        continue;
      }
      const b = [y1, ys1, yc1, ty];
      const coef = solve([[n, s1, c1, t1], [s1, ss, sc, ts], [c1, sc, cc, tc], [t1, ts, tc, t1]], b);
      if (coef === undefined) {
        continue;
      }
      // Least squares: the residual sum of squares is y'y - coef'X'y.
      const sse = yy - (coef[0]! * b[0]! + coef[1]! * b[1]! + coef[2]! * b[2]! + coef[3]! * b[3]!);
      if (sse < bestSse) {
        bestSse = sse;
        bestPeriod = period;
      }
    }
  }
  return bestPeriod;
}
