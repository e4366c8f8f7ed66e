/**
 * A level that alternates: one level, another, the first again, the other again (a regression, its fix and a revert).
 * Two-way splits miss it (no single split separates the two levels: at the middle change both sides hold half of
 * each) and a box is diluted by the second stretch at its level among "the rest". The statistic here compares the
 * two levels directly: the pooled t of pieces 1 and 3 against pieces 2 and 4, at its largest over the three change
 * places (each piece at least MIN_PIECE points, places on a grid of at most GRID positions; O(GRID^3), a constant).
 * On normal scores of the ranks, so its null distribution is the same for every continuous noise shape.
 */
import { prefixSums } from './split-stats';

/** Fewest points in each of the four pieces (as a box's MIN_BOX: a few clustered outliers are not a level). */
export const MIN_PIECE = 5;
/** Most change places tried per change (a stride over longer stretches). */
const GRID = 40;
/** Shortest and longest stretch the search runs on (see `binarySegmentation`). */
export const ALTERNATION_FROM = 40;
export const ALTERNATION_UP_TO = 120;

/**
 * Cut-off of the largest t for a stretch of n points: a stretch of independent points exceeds it with probability
 * <= 0.2 %. The simulated 0.2 % quantile (`simulateAlternationCritical`, 20 000 Gaussian stretches per length, two
 * seeds) was 5.33-5.37 at 40 points, where the grid has every place (stride 1), and 4.92-5.27 from 41 to 120 points
 * (stride 2 and 3: fewer places; 41, 44, 45, 50, 55, 60, 70, 80, 81, 90, 100, 110 and 120 simulated): each cut-off
 * is above every quantile of its stride.
 */
export function alternationCritical(n: number): number {
  return n <= GRID ? 5.4 : 5.3;
}

/**
 * `bulgeZ` above which an alternation is taken for two cycles of a wave, not for steps: 2 (flat pieces exceed it 3-5 %
 * of the time: 2 000 simulated regression-fix-revert series at 40, 60 and 100 points, 2-5 noise sds). Without it the
 * search raised alarms on 57 % of 40-point series holding two cycles of a 1.5 sd wave (27 % before the search); with
 * it 47 %. (A wave's period outside 0.65-1.25x the stretch is not modelled at all: README, "Not modelled".)
 */
export const BULGE_Z = 2;

export interface Alternation {
  /** Offsets of the three changes, relative to the stretch's start. */
  cuts: [number, number, number];
  t: number;
}

/**
 * How much the four pieces bulge the way half-cycles of a wave do: in each piece, the mean of its middle half less the
 * mean of its outer quarters, turned toward the piece's level (up in a piece at the higher level, down in one at the
 * lower) and over its standard error (the piece's own spread about those two means); the four combined (Stouffer).
 * Flat pieces (a regression, its fix and a revert) give about N(0, 1); two cycles of a wave, whose pieces are humps,
 * give a large positive z.
 */
export function bulgeZ(scores: ArrayLike<number>, cuts: readonly number[]): number {
  const bounds = [0, ...cuts, scores.length];
  const mean = (lo: number, hi: number): number => {
    let sum = 0;
    for (let i = lo; i < hi; i++) {
      sum += scores[i]!;
    }
    return sum / (hi - lo);
  };
  const levels = bounds.slice(0, -1).map((lo, j) => mean(lo, bounds[j + 1]!));
  const oddHigher = levels[0]! + levels[2]! > levels[1]! + levels[3]!;
  let sum = 0;
  for (let j = 0; j + 1 < bounds.length; j++) {
    const [lo, hi] = [bounds[j]!, bounds[j + 1]!];
    const quarter = Math.floor((hi - lo) / 4);
    const [midLo, midHi] = [lo + quarter, hi - quarter];
    const middle = mean(midLo, midHi);
    const outer = (mean(lo, hi) * (hi - lo) - middle * (midHi - midLo)) / (hi - lo - (midHi - midLo));
    let ss = 0;
    for (let i = lo; i < hi; i++) {
      ss += (scores[i]! - (i >= midLo && i < midHi ? middle : outer)) ** 2;
    }
    const se = Math.sqrt((ss / (hi - lo - 2)) * (1 / (midHi - midLo) + 1 / (hi - lo - (midHi - midLo))));
    const toward = (j % 2 === 0) === oddHigher ? 1 : -1;
    sum += se > 0 ? (toward * (middle - outer)) / se : 0;
  }
  return sum / 2;
}

/** The strongest alternation of a stretch's normal scores, or undefined when the stretch is too short for one. */
export function strongestAlternation(scores: ArrayLike<number>): Alternation | undefined {
  const n = scores.length;
  if (n < 4 * MIN_PIECE) {
    return undefined;
  }
  const { cs, cs2 } = prefixSums(scores);
  const stride = Math.max(1, Math.ceil(n / GRID));
  let best: Alternation | undefined;
  for (let a = MIN_PIECE; a <= n - 3 * MIN_PIECE; a += stride) {
    for (let b = a + MIN_PIECE; b <= n - 2 * MIN_PIECE; b += stride) {
      for (let c = b + MIN_PIECE; c <= n - MIN_PIECE; c += stride) {
        // Pieces 1 and 3 ([0, a) and [b, c)) against pieces 2 and 4.
        const n1 = a + c - b;
        const n2 = n - n1;
        const s1 = cs[a]! + cs[c]! - cs[b]!;
        const s2 = cs[n]! - s1;
        const ss = cs2[n]! - (s1 * s1) / n1 - (s2 * s2) / n2;
        const t = Math.abs(s1 / n1 - s2 / n2) / Math.sqrt((Math.max(ss, 1e-300) / (n - 2)) * (1 / n1 + 1 / n2));
        if (best === undefined || t > best.t) {
          best = { cuts: [a, b, c], t };
        }
      }
    }
  }
  return best;
}
