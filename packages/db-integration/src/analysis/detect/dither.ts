/**
 * Log values of a stretch, with ties broken. Browser timers are coarse: performance.now() is coarsened to 100 us (5 us
 * where a page is cross-origin isolated), Firefox has rounded it to 1 ms by default and rounds it to 100 ms under
 * resistFingerprinting, so the latency of a model that runs in a few ms, and the median of a window of such runs,
 * takes only a few values. Every cut-off of the search assumes continuous noise: a run of the upper value has no
 * spread within it, the t of a box around it is unbounded, and 1-2.5 % of change-free quantized series were alarmed,
 * with steps one quantum in size ("2 -> 3 ms, +50 %"). Where equal values follow each other, each value is moved by a
 * uniform amount within half the quantum either way (the smallest gap between distinct values, and no more than the
 * smallest value, so every value stays positive): subtractive dither, which gives tied points back a spread like the
 * one the rounding took away; data without such runs is left as it is. Seeded, so the same points always give the
 * same findings. Reported sizes still come from the raw values.
 */
import { seededRandom } from '../stats';

/** Seed of the dither (any fixed value: findings must not change from one scan of the same points to the next). */
const DITHER_SEED = 20_261_130;

/**
 * The quantum of values that repeat next to each other (the smallest gap between distinct values), or undefined: a
 * run of equal values is what has no spread (values tied only far apart are left alone). The check is one pass; only
 * a series with such a run is sorted (a sort per stretch was a tenth of the 1M-row scan's detection).
 */
function quantumOf(values: ArrayLike<number>): number | undefined {
  let run = false;
  for (let i = 1; i < values.length && !run; i++) {
    run = values[i] === values[i - 1];
  }
  if (!run) {
    return undefined;
  }
  const sorted = Float64Array.from(values).sort();
  let gap = Infinity;
  for (let i = 1; i < sorted.length; i++) {
    const d = sorted[i]! - sorted[i - 1]!;
    if (d > 0 && d < gap) {
      gap = d;
    }
  }
  return Number.isFinite(gap) ? Math.min(gap, sorted[0]!) : undefined;
}

/** log of each value (all must be positive), dithered within half their quantum where values repeat. */
export function ditheredLogs(values: ArrayLike<number>): Float64Array {
  const n = values.length;
  const ys = new Float64Array(n);
  const q = quantumOf(values);
  const random = q === undefined ? undefined : seededRandom(DITHER_SEED);
  for (let i = 0; i < n; i++) {
    ys[i] = Math.log(random === undefined ? values[i]! : values[i]! + (random() - 0.5) * q!);
  }
  return ys;
}
