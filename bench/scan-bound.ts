/**
 * What a one-step scan can reach on the labelled series: the reference the detector-quality table is read against.
 * - `scanBound`: the smallest step the Gaussian max-t scan finds 95 % of the time at a given false-alarm rate.
 * - `scanCeiling`: the F1 of that scan on a family's cells when its cut-off is calibrated on the family's own
 *   change-free series (1 % alarmed, by construction): an upper reference for any detector that, like ours, must find
 *   one step at an unknown place with the noise estimated from the same points. Single-step families only.
 */
import { type Detection, seededRandom } from '@browser-pool/db-integration';

import { scoreSeries } from './detector-quality';
import { type Family, labelledGrid, makeSeries } from './labelled-series';

/** Largest |pooled two-sample t| over the splits of ys with at least 3 points each side. */
function maxSplitT(ys: Float64Array): { t: number; at: number } {
  const n = ys.length;
  let sum = 0;
  let sumSq = 0;
  for (const y of ys) {
    sum += y;
    sumSq += y * y;
  }
  let prefix = 0;
  let prefixSq = 0;
  let best = { t: 0, at: 0 };
  for (let k = 1; k <= n - 3; k++) {
    prefix += ys[k - 1]!;
    prefixSq += ys[k - 1]! ** 2;
    if (k < 3) {
      continue;
    }
    const m1 = prefix / k;
    const m2 = (sum - prefix) / (n - k);
    const ss = prefixSq - k * m1 * m1 + (sumSq - prefixSq) - (n - k) * m2 * m2;
    const t = Math.abs(m2 - m1) / Math.sqrt((Math.max(ss, 1e-300) / (n - 2)) * (1 / k + 1 / (n - k)));
    if (t > best.t) {
      best = { t, at: k };
    }
  }
  return best;
}

/**
 * The bound for any scan that, like ours, tries every split and estimates the noise from the same points: the
 * smallest step (noise sds, Gaussian noise) that the Gaussian max-t scan (the likelihood-ratio scan for one step)
 * finds within 2 points of its place 95 % of the time, at `alpha` false alarms per change-free series of n points,
 * with `after` points after the step. Simulated (seeded; 20 000 null series, 4 000 per step size tried).
 */
export function scanBound(n: number, after: number, alpha = 0.01): number {
  const random = seededRandom(4242 + n);
  const gaussian = (): number => Math.sqrt(-2 * Math.log(Math.max(random(), 1e-12))) * Math.cos(2 * Math.PI * random());
  const ys = new Float64Array(n);
  const nullT = Float64Array.from({ length: 20_000 }, () => {
    for (let i = 0; i < n; i++) {
      ys[i] = gaussian();
    }
    return maxSplitT(ys).t;
  }).sort();
  const cut = nullT[Math.ceil((1 - alpha) * nullT.length) - 1]!;
  const power = (d: number): number => {
    let hit = 0;
    for (let r = 0; r < 4000; r++) {
      for (let i = 0; i < n; i++) {
        ys[i] = gaussian() + (i >= n - after ? d : 0);
      }
      const s = maxSplitT(ys);
      hit += s.t > cut && Math.abs(s.at - (n - after)) <= 2 ? 1 : 0;
    }
    return hit / 4000;
  };
  let lo = 0;
  let hi = 8;
  while (hi - lo > 0.05) {
    const mid = (lo + hi) / 2;
    if (power(mid) >= 0.95) {
      hi = mid;
    } else {
      lo = mid;
    }
  }
  return hi;
}


/** Families with at most one step (where a one-step scan is the right reference). */
export const ONE_STEP_FAMILIES: readonly Family[] = ['gaussian', 'heavy-tails', 'lognormal', 'bimodal-30/70', 'bimodal-50/50', 'improvement'];

/** Change-free series drawn to calibrate the scan's cut-off per family and length (seeds apart from the grid's). */
const CALIBRATION_SERIES = 3000;

/**
 * F1 (k >= 2 and k = 0 series, as the table) of the max-t scan on log values, its cut-off the 99th percentile of its
 * statistic on the family's own change-free series at that length: one finding at the best split when above it.
 */
export function scanCeiling(family: Family, length: number, perCell: number): number {
  const logs = (values: readonly { value: number }[]): Float64Array => Float64Array.from(values, (p) => Math.log(p.value));
  const nullT = Float64Array.from({ length: CALIBRATION_SERIES }, (_, r) => maxSplitT(logs(makeSeries(family, length, 0.05, 0, 9_000_000 + r).points)).t).sort();
  const cut = nullT[Math.ceil(0.99 * nullT.length) - 1]!;
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (const s of labelledGrid(perCell).filter((x) => x.family === family && x.length === length && (x.stepSigmas === 0 || x.stepSigmas >= 2))) {
    const ys = logs(s.points);
    const best = maxSplitT(ys);
    const found: Detection[] = [];
    if (best.t > cut) {
      let before = 0;
      let after = 0;
      for (let i = 0; i < ys.length; i++) {
        if (i < best.at) {
          before += ys[i]! / best.at;
        } else {
          after += ys[i]! / (ys.length - best.at);
        }
      }
      const kind = after > before ? 'regression' : 'improvement';
      found.push({ index: best.at, detector: 'rank-changepoint', kind, severity: 'low', baseline: before, current: after, changePct: after - before, pValue: undefined, detail: '' });
    }
    const r = scoreSeries(s, found);
    tp += r.tp;
    fp += r.fp;
    fn += r.fn;
  }
  return 2 * tp + fp + fn === 0 ? 1 : (2 * tp) / (2 * tp + fp + fn);
}
