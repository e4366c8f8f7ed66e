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
 * Used where a wave explained away every step the search found (stretch.ts), with the step's size floor. Labelled grid
 * (20 per cell): seasonal F1 at 60 points 0.655 -> 0.670, at 200 points 0.911 -> 0.923, multi-step at 60 0.892 ->
 * 0.893, alarms unchanged, no other cell changed; on fresh seeds seasonal 60 0.625 -> 0.635, 200 0.871 -> 0.915 (its
 * alarms 2 -> 3 of 210 there).
 */
import { EVIDENCE_POINTS, shiftInterval } from './intervals';
import { type Fit, fitWaveWithSteps, sineBasis, solve, waveSums } from './shape';

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
  const [, sin, cos] = sineBasis(n, period, false) as [Float64Array, Float64Array, Float64Array];
  const { ss, sc, cc, s1, c1, y1, ys1, yc1, yy } = waveSums(ys, sin, cos);
  const a = [[n, s1, c1], [s1, ss, sc], [c1, sc, cc]];
  const beta = solve(a, [y1, ys1, yc1]);
  // The inverse of the wave's normal matrix, column by column.
  const inv = [solve(a, [1, 0, 0]), solve(a, [0, 1, 0]), solve(a, [0, 0, 1])];
  if (beta === undefined || inv.some((col) => col === undefined)) {
    return { wave: Infinity, step: Infinity, at: 0 };
  }
  const [i0, i1, i2] = inv as [number[], number[], number[]];
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

/**
 * The one step on top of a wave that `waveStepTest` finds in ys, when it passes its calibrated cut-off and the size
 * floor: for the step fitted with the wave on zs (ys or its block medians) and for the size reported (the
 * Hodges-Lehmann shift of the points either side, findings.ts), as for every step the search finds. `at` is its offset
 * in ys, `atZ` in zs.
 */
export function stepOnWave(ys: Float64Array, zs: Float64Array, minLogEffect: number): { at: number; atZ: number; joint: Fit } | undefined {
  const n = ys.length;
  const m = zs.length;
  const scale = m / n;
  const test = waveStepTest(ys);
  const atZ = Math.round(test.at * scale);
  if (!(test.t > waveStepCritical(n) && atZ > 0 && atZ < m)) {
    return undefined;
  }
  const joint = fitWaveWithSteps(zs, test.period * scale, [atZ]);
  const around = (from: number, to: number): number[] => Array.from(ys.subarray(Math.max(0, from), Math.min(n, to)));
  const reported = shiftInterval(around(test.at - EVIDENCE_POINTS, test.at), around(test.at, test.at + EVIDENCE_POINTS)).shift;
  return Math.abs(joint.coef[3]!) >= minLogEffect && Math.abs(reported) >= minLogEffect ? { at: test.at, atZ, joint } : undefined;
}
