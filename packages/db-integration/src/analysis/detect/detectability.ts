/**
 * The smallest step the detector finds 95 % of the time, from its calibrated cut-offs: a step of d noise sigmas with
 * n1 points before and n2 after moves the split t statistic to about d sqrt(n1 n2 / n) and the rank statistic to
 * about d sqrt(3/pi) sqrt(n1 n2 / n) (Gaussian noise, small d); the step is found when either passes its cut-off for
 * that length. The rank statistic cannot exceed sqrt(3 n1 n2 / (n + 1)) whatever the step, which is why short series
 * rely on the t statistic.
 */
import { criticalValues } from './critical-values';
import { MIN_SEGMENT } from './split-stats';

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
  const c = criticalValues(length);
  const balance = Math.sqrt((n1 * n2) / length);
  // Noncentral t: the spread of t around its centre grows with it on few degrees of freedom.
  const tNeeded = (c.t + Z_POWER * Math.sqrt(1 + (c.t * c.t) / (2 * (length - 2)))) / balance;
  const rankCeiling = Math.sqrt((3 * n1 * n2) / (length + 1));
  const rankNeeded = c.rank + Z_POWER < rankCeiling ? (c.rank + Z_POWER) / (Math.sqrt(3 / Math.PI) * balance) : Infinity;
  const sigmas = Math.min(tNeeded, rankNeeded);
  return { sigmas, relative: Math.max(minEffect, Math.expm1(sigmas * noiseCv)) };
}
