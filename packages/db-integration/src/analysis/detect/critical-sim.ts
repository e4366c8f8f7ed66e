/**
 * Monte Carlo null distribution of the largest split statistics of `scanSplits` over a stretch of n independent
 * points: what `critical-values.ts` was generated from (and what its test re-checks). The rank statistic is
 * distribution-free under the null, so Gaussian draws calibrate it for every noise shape; the t statistic is
 * calibrated under Gaussian noise and its behaviour under other shapes is measured by the labelled bench.
 */
import { seededRandom } from '../stats';
import { strongestAlternation } from './alternation';
import { boxCritical, CALIBRATED_BOX_BELOW, calibratedBox, strongestBoxes } from './boxes';
import { criticalValues } from './critical-values';
import { MIN_SEGMENT, normalScores, ranksOf, scanSplits } from './split-stats';
import { waveStepTest } from './wave-step';

function gaussian(random: () => number): number {
  const u = Math.max(random(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** Upper `1 - alpha` quantiles of max |rank z| and max |t| over splits, from `sims` simulated null stretches. */
export function simulateCritical(n: number, alpha: number, sims: number, seed = 1): { rank: number; t: number } {
  const random = seededRandom(seed + n * 7919);
  const ranks = new Float64Array(sims);
  const ts = new Float64Array(sims);
  const ys = new Float64Array(n);
  for (let r = 0; r < sims; r++) {
    for (let i = 0; i < n; i++) {
      ys[i] = gaussian(random);
    }
    const scan = scanSplits(ys, 0, n, MIN_SEGMENT)!;
    ranks[r] = Math.abs(scan.rankZ);
    ts[r] = Math.abs(scan.t);
  }
  ranks.sort();
  ts.sort();
  const at = Math.min(sims - 1, Math.ceil((1 - alpha) * sims) - 1);
  return { rank: ranks[at]!, t: ts[at]! };
}

/**
 * The factor f such that a stretch of n independent Gaussian points without a change is split, by the rank z or the
 * scores t against f times its 0.2 % cut-off, or boxed (`calibratedBox` at factor f), with probability `alpha`: the
 * upper `1 - alpha` quantile of the largest statistic over its cut-off. What `seriesFactor` (critical-values.ts) was
 * generated from.
 */
export function simulateSeriesFactor(n: number, alpha: number, sims: number, seed = 12345): number {
  const random = seededRandom(seed + n * 7919);
  const c = criticalValues(n);
  const ratios = new Float64Array(sims);
  const ys = new Float64Array(n);
  for (let r = 0; r < sims; r++) {
    for (let i = 0; i < n; i++) {
      ys[i] = gaussian(random);
    }
    const scan = scanSplits(ys, 0, n, MIN_SEGMENT)!;
    const split = Math.max(Math.abs(scan.rankZ) / c.rank, Math.abs(scan.t) / c.t);
    const box = n < CALIBRATED_BOX_BELOW ? strongestBoxes(ys, 0, n) : undefined;
    // The box counts where it would be taken at some factor: where its three levels beat the wave (`calibratedBox` at
    // factor ~0). Below 0.8 it cannot matter: every factor is above 0.85.
    const boxRatio = box === undefined ? 0 : box.pooled.t / boxCritical(n);
    ratios[r] = boxRatio > split && boxRatio > 0.8 && calibratedBox(ys, 0, n, box!.pooled, 1e-9) !== undefined ? boxRatio : split;
  }
  ratios.sort();
  return ratios[Math.min(sims - 1, Math.ceil((1 - alpha) * sims) - 1)]!;
}

/**
 * Upper `1 - alpha` quantile of `waveStepTest(ys).t` over `sims` stretches of n points holding a wave of `amplitude`
 * noise sds (period uniform in 0.65-1.25x n, phase uniform) plus Gaussian noise, no step: what `waveStepCritical`
 * (wave-step.ts) was generated from.
 */
export function simulateWaveStepCritical(n: number, alpha: number, sims: number, amplitude: number, seed = 777): number {
  const random = seededRandom(seed + n);
  const ts = new Float64Array(sims);
  const ys = new Float64Array(n);
  for (let r = 0; r < sims; r++) {
    const period = n * (0.65 + 0.6 * random());
    const phase = 2 * Math.PI * random();
    for (let i = 0; i < n; i++) {
      ys[i] = gaussian(random) + amplitude * Math.sin((2 * Math.PI * i) / period + phase);
    }
    ts[r] = waveStepTest(ys).t;
  }
  ts.sort();
  return ts[Math.min(sims - 1, Math.ceil((1 - alpha) * sims) - 1)]!;
}

/**
 * Upper `1 - alpha` quantile of `strongestAlternation(...).t` over `sims` stretches of n independent points: what
 * `alternationCritical` (alternation.ts) was chosen from. Rank-based, so Gaussian draws calibrate it for every noise
 * shape.
 */
export function simulateAlternationCritical(n: number, alpha: number, sims: number, seed = 7): number {
  const random = seededRandom(seed + n);
  const ts = new Float64Array(sims);
  const ys = new Float64Array(n);
  for (let r = 0; r < sims; r++) {
    for (let i = 0; i < n; i++) {
      ys[i] = gaussian(random);
    }
    ts[r] = strongestAlternation(normalScores(ranksOf(ys, 0, n)))!.t;
  }
  ts.sort();
  return ts[Math.min(sims - 1, Math.ceil((1 - alpha) * sims) - 1)]!;
}

/**
 * Upper `1 - alpha` quantile of `strongestBoxes(...).pooled.t` over `sims` stretches of n independent points: what
 * `boxCritical` (boxes.ts) was generated from. Rank-based, so Gaussian draws calibrate it for every noise shape.
 */
export function simulateBoxCritical(n: number, alpha: number, sims: number, seed = 31): number {
  const random = seededRandom(seed + n * 7919);
  const ts = new Float64Array(sims);
  const ys = new Float64Array(n);
  for (let r = 0; r < sims; r++) {
    for (let i = 0; i < n; i++) {
      ys[i] = gaussian(random);
    }
    ts[r] = strongestBoxes(ys, 0, n)!.pooled.t;
  }
  ts.sort();
  return ts[Math.min(sims - 1, Math.ceil((1 - alpha) * sims) - 1)]!;
}
