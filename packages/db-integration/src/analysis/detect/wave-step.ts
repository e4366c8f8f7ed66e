/**
 * Is there a level change on top of a wave? With one cycle of a wave in a stretch, a wave fitted alone absorbs most
 * of a mid-series step, and the steps the search finds on the raw values are the wave's halves, so comparing shapes by
 * BIC keeps a real step only when it is large. This is the likelihood-ratio test of "a wave plus one level change
 * anywhere" against "a wave", both by least squares with the period free in 0.65-1.25x the stretch (the range of
 * `fitSine`; a grid of 0.05, then 0.01 around the best of each fit: a period off by 0.025x leaves enough of a large
 * wave for a step to take): t = sqrt((SSE_wave - SSE_wave+step) / (SSE_wave+step / (n - 6))), compared with a
 * cut-off calibrated by simulation (`waveStepCritical`). O(n) per period (the step's column summed from the end,
 * each place's fit from the wave's own by a rank-one update).
 *
 * Used (stretch.ts) where a wave explained away every step the search found; where the search kept one step that
 * the test puts elsewhere; and where the search found nothing but a wave stands out (`waveF`). Labelled grid (20 per
 * cell), first use: seasonal F1 at 60 points 0.655 -> 0.670, at 200 points 0.911 -> 0.923, multi-step at 60 0.892 ->
 * 0.893, alarms unchanged, no other cell changed; on fresh seeds seasonal 60 0.625 -> 0.635, 200 0.871 -> 0.915 (its
 * alarms 2 -> 3 of 210 there). The other two uses, with steps on a wave sized net of it (`waveStepSizes`, which the
 * size floor now reads instead of the points either side): seasonal at 200 points 0.923 -> 0.949, at 60 0.672 ->
 * 0.684, no other cell changed; on two fresh seed sets seasonal 200 0.865 -> 0.899 and 0.907 -> 0.923, 60 0.602 ->
 * 0.613 and 0.630 -> 0.645, one more alarm in 450 improvement series at 200 points and one in 210 seasonal ones at 60
 * (one fewer in the other set).
 */
import { Z95 } from './intervals';
import { type Fit, fitWaveWithSteps, sineBasis, solve, waveBasis, waveSums } from './shape';

/** Fewest points on each side of the step (as the change-point search's MIN_SEGMENT). */
const MIN_STEP_SIDE = 3;

export interface WaveStep {
  /** The step's statistic (see above); 0 when no fit was possible. */
  t: number;
  /** First point at the new level of the best step. */
  at: number;
  /** Period of the wave fitted with that step. */
  period: number;
}

/** Least-squares residual sums of one period: the wave alone, and the wave with the best step (and where it is). */
function fitsAt(ys: ArrayLike<number>, period: number): { wave: number; step: number; at: number } {
  const n = ys.length;
  const { sin, cos, normal, inverse } = waveBasis(n, period);
  const { y1, ys1, yc1, yy } = waveSums(ys, sin, cos);
  const beta = solve(normal, [y1, ys1, yc1]);
  if (beta === undefined || inverse === undefined) {
    return { wave: Infinity, step: Infinity, at: 0 };
  }
  const [i0, i1, i2] = inverse;
  // Least squares: the residual sum of squares is y'y - coef'X'y.
  const wave = yy - (beta[0]! * y1 + beta[1]! * ys1 + beta[2]! * yc1);
  // A step column t (1 from c on) added to the wave: the residual sum falls by r^2 / d, r = t'y - t'X beta and
  // d = t't - t'X (X'X)^-1 X't (the step's part not explained by the wave), O(1) per c.
  let step = Infinity;
  let at = 0;
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
    const d = t1 - (t1 * (i0[0]! * t1 + i1[0]! * ts + i2[0]! * tc) + ts * (i0[1]! * t1 + i1[1]! * ts + i2[1]! * tc) + tc * (i0[2]! * t1 + i1[2]! * ts + i2[2]! * tc));
    if (!(d > 1e-9 * t1)) {
      continue;
    }
    const r = ty - (t1 * beta[0]! + ts * beta[1]! + tc * beta[2]!);
    const sse = wave - (r * r) / d;
    if (sse < step) {
      step = sse;
      at = c;
    }
  }
  return { wave, step, at };
}

/**
 * [n, t]: for a stretch of n points that holds a wave (period 0.65-1.25x n, random phase, amplitude 3 noise sds) and
 * Gaussian noise but no step, `waveStepTest(ys).t` exceeds t with probability 0.002, as each split test of the search
 * (`simulateWaveStepCritical(n, 0.002, 6000, 3)`, critical-sim.ts). Without a wave the quantiles are lower (3.90-4.02 at
 * 40-200 points: a free period has nothing to take from a step); with a wave they hardly depend on its size once the
 * period is refined (n = 200: 4.30, 4.36, 4.35 for amplitudes 2, 3, 4; 2 000 draws each). Each row is the larger of its
 * own and the next row's simulated value; between rows the larger neighbour.
 */
const WAVE_STEP_T: readonly (readonly [number, number])[] = [
  [40, 4.502], [60, 4.263], [100, 4.258], [150, 4.355], [200, 4.361], [300, 4.361], [400, 4.213],
];

/** Cut-off of `waveStepTest`'s t for a stretch of n points (the table's ends beyond it). */
export function waveStepCritical(n: number): number {
  let previous = WAVE_STEP_T[0]![1];
  for (const [len, t] of WAVE_STEP_T) {
    if (n === len) {
      return t;
    }
    if (n < len) {
      return Math.max(previous, t);
    }
    previous = t;
  }
  return previous;
}

/** The best wave-plus-one-step fit of ys against the best wave alone (least squares). */
export function waveStepTest(values: ArrayLike<number>): WaveStep {
  const n = values.length;
  // Centred: the residual sums are differences of sums of squares, which a large level would swamp.
  let mean = 0;
  for (let i = 0; i < n; i++) {
    mean += values[i]! / n;
  }
  const ys = Float64Array.from({ length: n }, (_, i) => values[i]! - mean);
  const fits = new Map<number, ReturnType<typeof fitsAt>>();
  const fitOf = (hundredths: number): ReturnType<typeof fitsAt> => {
    let f = fits.get(hundredths);
    if (f === undefined) {
      f = fitsAt(ys, (hundredths / 100) * n);
      fits.set(hundredths, f);
    }
    return f;
  };
  const bestOf = (candidates: readonly number[], key: 'wave' | 'step'): number =>
    candidates.reduce((x, y) => (fitOf(y)[key] < fitOf(x)[key] ? y : x));
  const coarse = Array.from({ length: 13 }, (_, i) => 65 + 5 * i);
  const refine = (h: number): number[] => Array.from({ length: 9 }, (_, i) => h - 4 + i).filter((x) => x >= 65 && x <= 125);
  const wave = bestOf(refine(bestOf(coarse, 'wave')), 'wave');
  const step = bestOf(refine(bestOf(coarse, 'step')), 'step');
  const w = fitOf(wave).wave;
  const s = fitOf(step);
  if (!(s.step > 0) || !Number.isFinite(w)) {
    return { t: 0, at: s.at, period: (step / 100) * n };
  }
  return { t: Math.sqrt(Math.max(0, w - s.step) / (s.step / (n - 6))), at: s.at, period: (step / 100) * n };
}

/** A step's size net of the wave it stands on (log units), with a ~95 % interval, and the wave's period (points). */
export interface WaveStepSize {
  shift: number;
  low: number;
  high: number;
  period: number;
}

/** Least-squares fit of a wave of `period` (a level, a sine, a cosine) plus a level change at each cut. */
function waveWithStepsLs(ys: ArrayLike<number>, period: number, cuts: readonly number[]): { coef: number[]; sse: number; inverse: number[][] } | undefined {
  const n = ys.length;
  const cols = [...sineBasis(n, period, false), ...cuts.map((c) => Float64Array.from({ length: n }, (_, i) => (i >= c ? 1 : 0)))];
  const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
    let sum = 0;
    for (let i = 0; i < n; i++) {
      sum += a[i]! * b[i]!;
    }
    return sum;
  };
  const xtx = cols.map((a) => cols.map((b) => dot(a, b)));
  const coef = solve(xtx, cols.map((a) => dot(a, ys)));
  // The rows of (X'X)^-1 of the step terms: each coefficient's variance is the residual variance times its diagonal.
  const inverse = cuts.map((_, j) => solve(xtx, cols.map((__, r) => (r === 3 + j ? 1 : 0))));
  if (coef === undefined || inverse.some((row) => row === undefined)) {
    return undefined;
  }
  let sse = 0;
  for (let i = 0; i < n; i++) {
    let fitted = 0;
    for (let r = 0; r < cols.length; r++) {
      fitted += coef[r]! * cols[r]![i]!;
    }
    sse += (ys[i]! - fitted) ** 2;
  }
  return { coef, sse, inverse: inverse as number[][] };
}

/** Chi-squared (1 degree of freedom) 95 % quantile: the profile-likelihood bound on the wave's period. */
const CHI2_1_95 = 3.841;

/**
 * The size of each step at `cuts` net of the wave it stands on, by least squares of a wave plus the steps. The wave's
 * period is not known, and a step's size depends on it (a wave of another period takes more or less of the step), so
 * the interval is the union of each period's ~95 % interval (the residual variance's; t on n - 3 - steps degrees of
 * freedom, taken as normal: n >= 40 here) over the periods of 0.65-1.25x the stretch (steps of 0.01) that the data
 * do not reject (profile likelihood: n ln(SSE / SSE_best) <= 3.84); the size is the best period's. A step on a wave
 * cannot be sized by the points either side of it, as other steps are (findings.ts): over a rising half of the wave
 * they show the step plus the rise, over a falling half the step less the fall (a 2 sd regression on a 1.5 sd wave
 * read as anything from a tenth to twice its size, or as an improvement).
 */
export function waveStepSizes(ys: ArrayLike<number>, cuts: readonly number[]): WaveStepSize[] {
  const n = ys.length;
  const fits: { period: number; fit: NonNullable<ReturnType<typeof waveWithStepsLs>> }[] = [];
  for (let hundredths = 65; hundredths <= 125; hundredths++) {
    const period = (hundredths / 100) * n;
    const fit = waveWithStepsLs(ys, period, cuts);
    if (fit !== undefined) {
      fits.push({ period, fit });
    }
  }
  if (fits.length === 0) {
    return cuts.map(() => ({ shift: 0, low: 0, high: 0, period: n }));
  }
  const best = fits.reduce((a, b) => (b.fit.sse < a.fit.sse ? b : a));
  const plausible = fits.filter((f) => n * Math.log(f.fit.sse / Math.max(best.fit.sse, 1e-300)) <= CHI2_1_95);
  return cuts.map((_, j) => {
    let low = Infinity;
    let high = -Infinity;
    for (const { fit } of plausible) {
      const shift = fit.coef[3 + j]!;
      const half = Z95 * Math.sqrt((fit.sse / Math.max(1, n - 3 - cuts.length)) * Math.max(0, fit.inverse[j]![3 + j]!));
      low = Math.min(low, shift - half);
      high = Math.max(high, shift + half);
    }
    return { shift: best.fit.coef[3 + j]!, low, high, period: best.period };
  });
}

/**
 * The one step on top of a wave that `waveStepTest` finds in ys, when it passes its calibrated cut-off and the size
 * floor, both for the step fitted with the wave on zs (ys or its block medians: a robust fit) and for the size
 * reported (`waveStepSizes` on ys). `at` is its offset in ys, `atZ` in zs. `test`: `waveStepTest(ys)`, when the caller has it.
 */
export function stepOnWave(ys: Float64Array, zs: Float64Array, minLogEffect: number, test = waveStepTest(ys)): { at: number; atZ: number; joint: Fit; size: WaveStepSize } | undefined {
  const n = ys.length;
  const m = zs.length;
  const scale = m / n;
  const atZ = Math.round(test.at * scale);
  if (!(test.t > waveStepCritical(n) && atZ > 0 && atZ < m)) {
    return undefined;
  }
  const joint = fitWaveWithSteps(zs, test.period * scale, [atZ]);
  const [size] = waveStepSizes(ys, [test.at]) as [WaveStepSize];
  return Math.abs(joint.coef[3]!) >= minLogEffect && Math.abs(size.shift) >= minLogEffect ? { at: test.at, atZ, joint, size } : undefined;
}

/** Periods `waveOverStepsF` tries: 0.65-1.25x in steps of 0.05. */
const OVER_STEPS_PERIODS = 13;

/** `waveOverStepsF`'s cut-off: about 1 % without a wave (Bonferroni over its periods, as WAVE_F). */
export const WAVE_OVER_STEPS_F = Math.log(OVER_STEPS_PERIODS / 0.01);

/**
 * Largest F of a least-squares wave fitted together with level changes at `cuts` over those level changes alone:
 * whether a wave stands beside the steps a stretch's shape kept, so that they are sized net of it (wave-sizing.ts). Unlike `waveF`,
 * which centres each piece between the cuts first and so takes a long half-cycle on each side of a cut for the pieces'
 * levels, the steps and the wave share the fit.
 */
export function waveOverStepsF(values: ArrayLike<number>, cuts: readonly number[]): number {
  const n = values.length;
  const k = cuts.length;
  // Centred (as `waveStepTest`): the residual sums are differences of sums of squares.
  let mean = 0;
  for (let i = 0; i < n; i++) {
    mean += values[i]! / n;
  }
  const ys = Float64Array.from({ length: n }, (_, i) => values[i]! - mean);
  // Sums from each cut to the end: a step column's products with the level, y and the other steps.
  const fromCut = (col: (i: number) => number): number[] =>
    cuts.map((c) => {
      let sum = 0;
      for (let i = c; i < n; i++) {
        sum += col(i);
      }
      return sum;
    });
  const t1 = fromCut(() => 1);
  const ty = fromCut((i) => ys[i]!);
  const tt = cuts.map((a) => cuts.map((b) => n - Math.max(a, b)));
  // The steps alone: least squares of a level and the step columns.
  const stepsNormal = [[n, ...t1], ...cuts.map((_, j) => [t1[j]!, ...tt[j]!])];
  let yy = 0;
  let y1 = 0;
  for (let i = 0; i < n; i++) {
    yy += ys[i]! * ys[i]!;
    y1 += ys[i]!;
  }
  const stepsRhs = [y1, ...ty];
  const stepsCoef = solve(stepsNormal, stepsRhs);
  if (stepsCoef === undefined) {
    return 0;
  }
  const steps = yy - stepsCoef.reduce((acc, b, r) => acc + b * stepsRhs[r]!, 0);
  let best = 0;
  for (let p = 0; p < OVER_STEPS_PERIODS; p++) {
    const { sin, cos, normal } = waveBasis(n, ((65 + 5 * p) / 100) * n);
    const ts = fromCut((i) => sin[i]!);
    const tc = fromCut((i) => cos[i]!);
    const { ys1, yc1 } = waveSums(ys, sin, cos);
    // X = [1, sin, cos, steps]: X'X and X'y from the sums; the residual sum of squares is y'y - coef'X'y.
    const xtx = [
      [...normal[0]!, ...t1],
      [...normal[1]!, ...ts],
      [...normal[2]!, ...tc],
      ...cuts.map((_, j) => [t1[j]!, ts[j]!, tc[j]!, ...tt[j]!]),
    ];
    const rhs = [y1, ys1, yc1, ...ty];
    const coef = solve(xtx, rhs);
    if (coef === undefined) {
      continue;
    }
    const sse = yy - coef.reduce((acc, b, r) => acc + b * rhs[r]!, 0);
    if (sse > 0) {
      best = Math.max(best, (steps - sse) / 2 / (sse / Math.max(1, n - 3 - k)));
    }
  }
  return best;
}

/** Periods `waveF` tries: 0.65-1.25x in steps of 0.1 (a wave between two of them still fits either well). */
const WAVE_F_PERIODS = 7;

/**
 * Largest F of a least-squares wave (a level, a sine and a cosine; WAVE_F_PERIODS periods) over a flat
 * line, on ys less the means between `cuts`: whether there is a wave for a step to stand on at all. With Gaussian
 * noise and no wave, F at one period is about chi^2_2 / 2 over the residual variance, above f with probability about
 * e^-f; WAVE_F puts that at 1 % over the periods (Bonferroni). A screen only (`stepOnWave` decides): it spares the
 * wave-plus-step test where there is no wave, on most of a scan's stretches. O(n) per period.
 */
export const WAVE_F = Math.log(WAVE_F_PERIODS / 0.01);

export function waveF(values: ArrayLike<number>, cuts: readonly number[] = []): number {
  const n = values.length;
  const ys = new Float64Array(n);
  const bounds = [0, ...cuts, n];
  for (let j = 0; j + 1 < bounds.length; j++) {
    let sum = 0;
    for (let i = bounds[j]!; i < bounds[j + 1]!; i++) {
      sum += values[i]!;
    }
    const mean = sum / (bounds[j + 1]! - bounds[j]!);
    for (let i = bounds[j]!; i < bounds[j + 1]!; i++) {
      ys[i] = values[i]! - mean;
    }
  }
  let y1 = 0;
  let yy = 0;
  for (let i = 0; i < n; i++) {
    y1 += ys[i]!;
    yy += ys[i]! * ys[i]!;
  }
  const flat = yy - (y1 * y1) / n;
  let best = 0;
  for (let twentieths = 13; twentieths <= 25; twentieths += 2) {
    const { sin, cos, inverse } = waveBasis(n, (twentieths / 20) * n);
    if (inverse === undefined) {
      continue;
    }
    let ys1 = 0;
    let yc1 = 0;
    for (let i = 0; i < n; i++) {
      ys1 += ys[i]! * sin[i]!;
      yc1 += ys[i]! * cos[i]!;
    }
    const b = [y1, ys1, yc1];
    // Least squares: the residual sum of squares is y'y - coef'X'y, coef = (X'X)^-1 X'y.
    let explained = 0;
    for (let r = 0; r < 3; r++) {
      explained += b[r]! * (inverse[0][r]! * b[0]! + inverse[1][r]! * b[1]! + inverse[2][r]! * b[2]!);
    }
    const wave = yy - explained;
    if (wave > 0) {
      best = Math.max(best, (flat - wave) / 2 / (wave / (n - 3)));
    }
  }
  return best;
}
