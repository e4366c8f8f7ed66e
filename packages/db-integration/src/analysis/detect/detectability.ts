/**
 * The smallest step the detector finds 95 % of the time, from its calibrated cut-offs: a step of d noise sigmas with
 * n1 points before and n2 after moves a split t statistic (on the values, or on their normal scores, which on Gaussian
 * noise behave alike) to about d sqrt(n1 n2 / n) and the rank statistic to about d sqrt(3/pi) sqrt(n1 n2 / n)
 * (Gaussian noise, small d); the step is found when one passes its cut-off for that length. The rank statistics
 * cannot exceed what a perfectly ordered split gives, whatever the step (rank z: sqrt(3 n1 n2 / (n + 1))), which is
 * why stretches under 40 points also use the t on the values.
 */
import { criticalValues, LONG_VALUE_SEGMENT, seriesFactor, VALUE_T_BELOW, valueTCritical } from './critical-values';
import { MIN_SEGMENT, normalScores } from './split-stats';

/** The scores t of a perfectly ordered split: n1 lowest scores before, n2 highest after (its ceiling). */
function scoresCeiling(n1: number, n2: number): number {
  const n = n1 + n2;
  const scores = normalScores(Float64Array.from({ length: n }, (_, i) => i + 1));
  const part = (from: number, to: number): [number, number] => {
    let sum = 0;
    let sumSq = 0;
    for (let i = from; i < to; i++) {
      sum += scores[i]!;
      sumSq += scores[i]! ** 2;
    }
    return [sum / (to - from), sumSq - sum ** 2 / (to - from)];
  };
  const [m1, ss1] = part(0, n1);
  const [m2, ss2] = part(n1, n);
  return (m2 - m1) / Math.sqrt(((ss1 + ss2) / (n - 2)) * (1 / n1 + 1 / n2));
}

const Z_POWER = 1.645;

export interface DetectableStep {
  /** Smallest step in noise sigmas (noise sd of log values, about the noise CV). Infinity when no step can be found. */
  sigmas: number;
  /** The same as a relative change of the median, for the given noise CV (floored at the 2 % minimum effect). */
  relative: number;
}

/**
 * Smallest step found with 95 % probability in a series of `length` points with noise CV `noiseCv` whose change
 * leaves `pointsAfter` points at the new level (default: half the series, the most favourable place).
 */
export function smallestDetectableStep(length: number, noiseCv: number, pointsAfter = Math.floor(length / 2), minEffect = 0.02): DetectableStep {
  const n2 = pointsAfter;
  const n1 = length - n2;
  if (n1 < MIN_SEGMENT || n2 < MIN_SEGMENT) {
    return { sigmas: Infinity, relative: Infinity };
  }
  // A whole series' first test: the rank cut-offs scaled to its false-alarm budget (`seriesFactor`).
  const f = seriesFactor(length);
  const c = { rank: f * criticalValues(length).rank, t: f * criticalValues(length).t };
  const balance = Math.sqrt((n1 * n2) / length);
  // Noncentral t: the spread of t around its centre grows with it on few degrees of freedom.
  const tNeeded = (cut: number): number => (cut + Z_POWER * Math.sqrt(1 + (cut * cut) / (2 * (length - 2)))) / balance;
  const valueUsable = length < VALUE_T_BELOW || Math.min(n1, n2) >= LONG_VALUE_SEGMENT;
  const valueNeeded = valueUsable ? tNeeded(valueTCritical(length)) : Infinity;
  // A large step drives the scores t to its ceiling: it is found only where the ceiling passes the cut-off.
  const scoresNeeded = scoresCeiling(n1, n2) > c.t ? tNeeded(c.t) : Infinity;
  const rankCeiling = Math.sqrt((3 * n1 * n2) / (length + 1));
  const rankNeeded = c.rank + Z_POWER < rankCeiling ? (c.rank + Z_POWER) / (Math.sqrt(3 / Math.PI) * balance) : Infinity;
  const sigmas = Math.min(valueNeeded, scoresNeeded, rankNeeded);
  return { sigmas, relative: Math.max(minEffect, Math.expm1(sigmas * noiseCv)) };
}
