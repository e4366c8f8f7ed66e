/**
 * Warm-up at the start of a stretch: first runs that compiled shaders or filled caches are slower than the rest and
 * are set aside, unless the slow points are one level (then what follows them is an improvement, reported).
 */
import { stdev } from '../stats';
import { MIN_SEGMENT } from './split-stats';

/** Noise sd of ys from the median absolute first difference (robust to one step among them). */
function diffSigma(ys: Float64Array): number {
  const diffs = Float64Array.from({ length: ys.length - 1 }, (_, i) => Math.abs(ys[i + 1]! - ys[i]!)).sort();
  return (1.4826 * diffs[Math.floor(diffs.length / 2)]!) / Math.SQRT2;
}

/**
 * Range of the slow leading points, in noise sds, up to which they are a level (an improvement after them), not a
 * warm-up. A warm-up fades: its first run is the slowest (3x, 2x, 1.5x, ... in the labelled bench), so its points
 * spread over many noise sds; points at one level spread as the noise does (5 Gaussian draws: a range above 4.5 sd
 * about 1 % of the time); fewer than 3 points, or points each faster than the one before, may be either and stay
 * warm-up. Before this, every first change down within 5 points of a slow start was warm-up: at 20 points, where an
 * improvement can come 5 points in, the labelled grid found 0.77 of its 5 sd improvements (now 0.97; F1 of that cell
 * 0.863 -> 0.917, on fresh seeds 0.791 -> 0.840; no other cell moved by more than one finding).
 */
const LEVEL_RANGE_SDS = 4.5;
/** Smallest drop, in noise sds, after a level at the start that is taken for an improvement rather than a warm-up. */
const LEVEL_DROP_SDS = 3;

/**
 * Whether ys[from, to) can be warm-up rather than a level: fewer than MIN_SEGMENT points (too few to tell), each point
 * faster than the one before, or a spread wider than LEVEL_RANGE_SDS noise sds.
 */
function fades(ys: Float64Array, from: number, to: number, sigma: number): boolean {
  if (to - from < MIN_SEGMENT) {
    return true;
  }
  let lo = Infinity;
  let hi = -Infinity;
  let falling = true;
  for (let i = from; i < to; i++) {
    lo = Math.min(lo, ys[i]!);
    hi = Math.max(hi, ys[i]!);
    falling &&= i === from || ys[i]! < ys[i - 1]!;
  }
  return falling || hi - lo > LEVEL_RANGE_SDS * sigma;
}

/**
 * ys[0, at) is one level `drop` above the points after it (an improvement), not a warm-up. The noise sd is the plain
 * one of the points after (not a robust one: the gap between the two modes of cache hit/miss noise is noise here).
 */
export function levelBefore(ys: Float64Array, at: number, afterYs: Float64Array, drop: number): boolean {
  const sigma = stdev(Array.from(afterYs));
  return drop >= LEVEL_DROP_SDS * sigma && !fades(ys, 0, at, sigma);
}

/**
 * Leading points (at most `max`) far slower than everything after them: first runs that compiled shaders or filled
 * caches. "Far" is 4 noise sds above the median of the points just after them (not of the whole rest: a later
 * improvement would pull that median down), the noise sd from their first differences. Slow points at one level
 * (`fades` false) are not set aside: that is an improvement after them.
 */
export function leadingSlowPoints(ys: Float64Array, max: number): number {
  const rest = ys.subarray(Math.min(max, ys.length), Math.min(ys.length, max + Math.max(2 * MIN_SEGMENT, 3 * max)));
  if (rest.length < 2 * MIN_SEGMENT) {
    return 0;
  }
  const sorted = Float64Array.from(rest).sort();
  const med = sorted[Math.floor(sorted.length / 2)]!;
  const sigma = diffSigma(rest);
  let k = 0;
  while (k < max && k < ys.length && ys[k]! > med + 4 * sigma) {
    k++;
  }
  if (k < MIN_SEGMENT) {
    return k;
  }
  const slow = Float64Array.from(ys.subarray(0, k)).sort();
  return levelBefore(ys, k, rest, slow[Math.floor(k / 2)]! - med) ? 0 : k;
}
