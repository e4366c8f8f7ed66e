/**
 * Boxes: a level that leaves and comes back (a regression fixed a few points later, an improvement reverted). Binary
 * segmentation misses a short box in the middle of a stretch, since no single split separates it well; the search
 * (binseg.ts) proposes the strongest box and keeps its edges when the single-split test confirms each, or, on a whole
 * short series, when the box passes its own calibrated test (`calibratedBox`): there neither edge alone passes the
 * single-split cut-off on its sub-stretch, while the two changes together stand out.
 */
import { SERIES_LEVEL_BELOW } from './critical-values';
import { sortedAt } from './order-stats';
import { fitSine, stepsSquaresBic, waveSquaresBic } from './shape';
import { MIN_BOX, MIN_SEGMENT, normalScores, prefixSums, ranksOf } from './split-stats';

export interface Box {
  /** Offsets (from ys[0]) of the box's first point and of the first point after it. */
  box: [number, number];
  t: number;
}

export interface StrongestBoxes {
  /** By the pooled t of the box's normal scores against the rest's (a rank statistic). */
  pooled: Box;
  /** By the contrast over a noise sd from successive differences. */
  robust: Box;
}

/**
 * The boxes whose mean normal score differs most from the rest of ys[a, b), at least MIN_BOX points wide with
 * MIN_SEGMENT points outside each edge, on a grid of at most 40 positions; O(G^2 + n log n). Two proposals: by the
 * pooled t (the noise sd within the box and the rest), and by the contrast over a noise sd from successive
 * differences (robust: changes beyond the box inflate a pooled sd, so a box among further changes, a regression, its
 * fix and a revert, stands out only by this one). undefined when the stretch is too short for a box.
 */
export function strongestBoxes(ys: ArrayLike<number>, a: number, b: number, ranks?: Float64Array): StrongestBoxes | undefined {
  const n = b - a;
  if (n < 2 * MIN_SEGMENT + MIN_BOX) {
    return undefined;
  }
  // On normal scores, as the split test: a few outliers in a row do not make a box.
  const scores = normalScores(ranks ?? ranksOf(ys, a, b));
  const { cs, cs2 } = prefixSums(scores);
  const diffs = new Float64Array(n - 1);
  for (let i = 0; i + 1 < n; i++) {
    diffs[i] = Math.abs(scores[i + 1]! - scores[i]!);
  }
  const sigma = Math.max((1.4826 * sortedAt(diffs, [Math.floor((n - 1) / 2)])[0]!) / Math.SQRT2, 1e-12);
  const stride = Math.max(1, Math.ceil(n / 40));
  const pooled: Box = { box: [a, a], t: 0 };
  const robust: Box = { box: [a, a], t: 0 };
  for (let l = MIN_SEGMENT; l <= n - MIN_SEGMENT - MIN_BOX; l += stride) {
    for (let r = l + MIN_BOX; r <= n - MIN_SEGMENT; r += stride) {
      const n1 = r - l;
      const n2 = n - n1;
      const s1 = cs[r]! - cs[l]!;
      const s2 = cs[n]! - s1;
      const contrast = Math.abs(s1 / n1 - s2 / n2);
      const ss = cs2[n]! - (s1 * s1) / n1 - (s2 * s2) / n2;
      const inverse = 1 / n1 + 1 / n2;
      const t = contrast / Math.sqrt((Math.max(ss, 1e-300) / (n - 2)) * inverse);
      if (t > pooled.t) {
        pooled.t = t;
        pooled.box = [a + l, a + r];
      }
      const tr = contrast / (sigma * Math.sqrt(inverse));
      if (tr > robust.t) {
        robust.t = tr;
        robust.box = [a + l, a + r];
      }
    }
  }
  return { pooled, robust };
}

/** The distinct boxes proposed (one, with the larger t, when both statistics chose the same box). */
export function proposedBoxes(boxes: StrongestBoxes | undefined): Box[] {
  if (boxes === undefined) {
    return [];
  }
  const { pooled, robust } = boxes;
  if (pooled.box[0] === robust.box[0] && pooled.box[1] === robust.box[1]) {
    return [{ box: pooled.box, t: Math.max(pooled.t, robust.t) }];
  }
  return [pooled, robust];
}

/**
 * [n, 0.2 % cut-off of `strongestBoxes(...).pooled.t`]: simulateBoxCritical(n, 0.002, 100 000) (critical-sim.ts), each
 * row the larger of its own and the next row's simulated value (row 39: n = 40's 4.956; conservative against
 * simulation noise). Rank-based: it holds for every noise shape.
 */
const TABLE: readonly (readonly [number, number])[] = [
  [11, 4.621], [12, 4.787], [13, 4.903], [14, 4.986], [15, 5.046], [16, 5.090], [17, 5.111], [18, 5.111],
  [19, 5.024], [20, 5.100], [21, 5.100], [22, 5.051], [23, 5.025], [24, 5.025], [25, 5.044], [26, 5.044],
  [27, 5.035], [28, 5.006], [29, 5.006], [30, 4.997], [31, 4.997], [32, 4.991], [33, 4.991], [34, 4.950],
  [35, 4.950], [36, 4.988], [37, 4.988], [38, 4.955], [39, 4.956],
];

/** The first length the calibrated box test no longer runs on (a series' budget is spent below it: `seriesFactor`). */
export const CALIBRATED_BOX_BELOW = SERIES_LEVEL_BELOW;

/** Cut-off of `strongestBoxes(...).pooled.t` on a stretch of n points: the row at n or the next longer one. */
export function boxCritical(n: number): number {
  return TABLE.find(([len]) => len >= n)?.[1] ?? Infinity;
}

/**
 * How much better (Gaussian BIC) the box's three levels must fit than one wave of about the stretch's length: half a
 * cycle of a seasonal wave is a box too. Measured on the labelled series at 20 points (three seed sets): with a margin
 * of 6, seasonal series without a code change alarm about as often as before the box test (39, 46 and 43 of 210;
 * before, 39, 45 and 43); with 4, 1-3 more each; with no check at all, 30 more on the first set. On normal scores
 * instead of the values the check cost half the box's gain.
 */
const OVER_WAVE = 6;

/**
 * The pooled box of a whole short stretch ys[a, b) (b - a < CALIBRATED_BOX_BELOW) when its two changes stand out
 * together: its t passes `factor` times its 0.2 % cut-off, and its three levels fit better than a wave by OVER_WAVE.
 * The strength returned is the t over the scaled cut-off.
 */
export function calibratedBox(ys: ArrayLike<number>, a: number, b: number, pooled: Box, factor: number): Box | undefined {
  const n = b - a;
  const strength = pooled.t / (factor * boxCritical(n));
  if (n >= CALIBRATED_BOX_BELOW || !(strength > 1)) {
    return undefined;
  }
  const piece = Float64Array.from({ length: n }, (_, i) => ys[a + i]!);
  const cuts = [pooled.box[0] - a, pooled.box[1] - a];
  const wave = waveSquaresBic(piece, fitSine(piece, undefined, false).period, []);
  return stepsSquaresBic(piece, cuts) + OVER_WAVE < wave ? { box: pooled.box, t: strength } : undefined;
}
