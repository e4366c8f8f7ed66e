/**
 * Binary segmentation with calibrated cut-offs: the strongest split of a stretch is a change point when its rank z
 * or the t of its normal scores exceeds the critical value for that stretch length (each at 0.2 %, so a stretch
 * without a change is split with probability <= 0.4 % whatever its length and noise shape: both are rank statistics),
 * or, on stretches under 40 points, the t of the values does (Gaussian-calibrated, 0.2 %), and the Hodges-Lehmann
 * shift across it is at least `minEffect`; both sides are then searched again.
 *
 * Plain binary segmentation misses a short box (a regression fixed a few points later) in the middle of a long
 * stretch: no single split separates it well. When the best single split fails, the strongest box (t statistic of
 * the inside against the outside, on a grid of at most 40 positions) is proposed, and its two edges are kept only if
 * each passes the single-split test on the stretch that contains that edge alone (start to the box's end, box's
 * start to the stretch end), so the calibrated cut-offs still decide. Where a box stood out (a level that comes back,
 * where further changes hide from two-way splits), change points proposed for the whole stretch at once are added
 * when the single-split test confirms them (proposals.ts). Where nothing at all was found in a stretch of
 * ALTERNATION_FROM-ALTERNATION_UP_TO points, a level that alternates (a regression, its fix and a revert) is tested as a
 * whole against its own calibrated cut-off (alternation.ts).
 */
import { ALTERNATION_FROM, ALTERNATION_UP_TO, alternationCritical, BULGE_Z, bulgeZ, strongestAlternation } from './alternation';
import { criticalValues, seriesFactor, valueTCritical } from './critical-values';
import { sortedAt } from './order-stats';
import { withProposals } from './proposals';
import { type Cut, MIN_SEGMENT, normalScores, prefixSums, ranksOf, scanSplits } from './split-stats';

export interface BinsegOptions {
  /** Smallest |log-ratio| shift (Hodges-Lehmann) across a split that counts as a change (log(1.02): 2 %). */
  minLogEffect: number;
  /** Most change points kept (the strongest first). @default 20 */
  maxCuts?: number;
  /** The stretch is a whole series (no environment change splits it): its first test uses `seriesFactor`. */
  wholeSeries?: boolean;
  /** Ranks of the whole stretch searched, when the caller has them (saves the first sort). */
  ranks?: Float64Array;
}

/** Points of each side the effect floor compares (evenly spread over the side): the estimate sorts their pairs. */
const EFFECT_POINTS = 40;

/**
 * Hodges-Lehmann shift of ys[at, b) against ys[a, at): the median of the pairwise differences, on at most
 * EFFECT_POINTS points per side. Unlike the difference of medians it does not depend on where each side's median
 * falls between the two modes of cache hit/miss noise (a step as large as the gap between the modes can leave both
 * medians on the shared mode: no difference at all).
 */
function shiftOf(ys: ArrayLike<number>, a: number, at: number, b: number): number {
  const pick = (s: number, e: number): number[] => {
    const k = Math.min(EFFECT_POINTS, e - s);
    return Array.from({ length: k }, (_, i) => ys[s + Math.floor((i * (e - s)) / k)]!);
  };
  const before = pick(a, at);
  const after = pick(at, b);
  const diffs = new Float64Array(before.length * after.length);
  let k = 0;
  for (const y of after) {
    for (const x of before) {
      diffs[k++] = y - x;
    }
  }
  const mid = (diffs.length - 1) / 2;
  const [m0, m1] = sortedAt(diffs, [Math.floor(mid), Math.ceil(mid)]);
  return (m0! + m1!) / 2;
}

/** The best split of ys[a, b) when it passes its cut-off and shifts the level by at least `minLogEffect`. */
function significantSplit(ys: ArrayLike<number>, a: number, b: number, minLogEffect: number, ranks?: Float64Array, factor = 1): Cut | undefined {
  const scan = scanSplits(ys, a, b, MIN_SEGMENT, ranks);
  if (scan === undefined) {
    return undefined;
  }
  const c = criticalValues(b - a);
  const cv = valueTCritical(b - a);
  // Strict: for short stretches the rank cut-offs equal the largest attainable values, so they never fire there.
  const strengths: [number, number][] = [
    [Math.abs(scan.rankZ) / (factor * c.rank), scan.rankAt],
    [Math.abs(scan.t) / (factor * c.t), scan.tAt],
    [Math.abs(scan.valueT) / cv, scan.valueAt],
  ];
  const [strength, offset] = strengths.reduce((x, y) => (y[0] > x[0] ? y : x));
  if (!(strength > 1)) {
    return undefined;
  }
  const at = a + offset;
  const effect = Math.abs(shiftOf(ys, a, at, b));
  return effect < minLogEffect ? undefined : { at, strength };
}

/** Narrowest box proposed: 3 clustered outliers of skewed noise must not pass for a regression and its fix. */
const MIN_BOX = 5;

interface Box {
  box: [number, number];
  t: number;
}

/**
 * The boxes whose mean normal score differs most from the rest of ys[a, b), on a grid; O(G^2 + n log n). Two
 * proposals: by the pooled t (the noise sd within the box and the rest), and by the contrast over a noise sd from
 * successive differences (robust: changes beyond the box inflate a pooled sd, so a box among further changes, a
 * regression, its fix and a revert, stands out only by this one). Only proposals: the edges are confirmed by the
 * calibrated single-split test.
 */
function strongestBoxes(ys: ArrayLike<number>, a: number, b: number, ranks?: Float64Array): Box[] {
  const n = b - a;
  if (n < 2 * MIN_SEGMENT + MIN_BOX) {
    return [];
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
  if (pooled.box[0] === robust.box[0] && pooled.box[1] === robust.box[1]) {
    return [{ box: pooled.box, t: Math.max(pooled.t, robust.t) }];
  }
  return [pooled, robust];
}

/**
 * A box edge confirmed by the single-split test on `wide` (the stretch's end to the far side of the box), or, when a
 * further change beyond the box dilutes that, on `narrow` (the box and as many points again beyond the edge).
 */
function confirmEdge(ys: ArrayLike<number>, wide: [number, number], narrow: [number, number], minLogEffect: number): Cut | undefined {
  const found = significantSplit(ys, wide[0], wide[1], minLogEffect);
  if (found !== undefined || (narrow[0] === wide[0] && narrow[1] === wide[1])) {
    return found;
  }
  return significantSplit(ys, narrow[0], narrow[1], minLogEffect);
}

/**
 * Where neither a split nor a box was found: the three changes of the strongest alternation (alternation.ts) when its
 * t passes its cut-off and each change shifts the level by at least `minLogEffect` (Hodges-Lehmann, between the pieces
 * either side of it). A regression, its fix and a revert 15 points apart in 60 points hid from both at 2 noise sds.
 */
function alternationCuts(ys: ArrayLike<number>, s: number, e: number, options: BinsegOptions): Cut[] | undefined {
  const scores = normalScores(options.ranks ?? ranksOf(ys, s, e));
  const found = strongestAlternation(scores);
  const cutoff = alternationCritical(e - s);
  if (found === undefined || !(found.t > cutoff)) {
    return undefined;
  }
  // Pieces that bulge like half-cycles are two cycles of a wave, not a regression, its fix and a revert.
  if (bulgeZ(scores, found.cuts) > BULGE_Z) {
    return undefined;
  }
  // Each change placed on the full series, between its neighbours (the grid has a stride from 41 points on).
  const bounds = [s, ...found.cuts.map((c) => s + c), e];
  for (let j = 1; j + 1 < bounds.length; j++) {
    bounds[j] = bounds[j - 1]! + scanSplits(ys, bounds[j - 1]!, bounds[j + 1]!, MIN_SEGMENT)!.tAt;
  }
  for (let j = 1; j + 1 < bounds.length; j++) {
    if (Math.abs(shiftOf(ys, bounds[j - 1]!, bounds[j]!, bounds[j + 1]!)) < options.minLogEffect) {
      return undefined;
    }
  }
  return bounds.slice(1, -1).map((at) => ({ at, strength: found.t / cutoff }));
}

/** Change points of ys[s, e) (offsets relative to 0 of ys), sorted. O(n log n) per level of recursion. */
export function binarySegmentation(ys: ArrayLike<number>, s: number, e: number, options: BinsegOptions): Cut[] {
  const found: Cut[] = [];
  const stack: [number, number][] = [[s, e]];
  const maxCuts = options.maxCuts ?? 20;
  // A box stood out somewhere (a level that comes back): see proposals.ts.
  let boxSeen = false;
  while (stack.length > 0 && found.length < maxCuts) {
    const [a, b] = stack.pop()!;
    const whole = a === s && b === e;
    const ranks = whole ? options.ranks : undefined;
    // A whole short series spends the series' false-alarm budget on its first test (see `seriesFactor`).
    const single = significantSplit(ys, a, b, options.minLogEffect, ranks, whole && options.wholeSeries === true ? seriesFactor(e - s) : 1);
    if (single !== undefined) {
      found.push(single);
      stack.push([a, single.at], [single.at, b]);
      continue;
    }
    // A box that does not stand out even by the single-split cut-off is noise: skip the two confirming searches.
    const cutoff = criticalValues(b - a).t;
    for (const { box, t } of strongestBoxes(ys, a, b, ranks)) {
      if (t <= cutoff) {
        continue;
      }
      boxSeen = true;
      const width = box[1] - box[0];
      const left = confirmEdge(ys, [a, box[1]], [Math.max(a, box[0] - width), box[1]], options.minLogEffect);
      const right = confirmEdge(ys, [box[0], b], [box[0], Math.min(b, box[1] + width)], options.minLogEffect);
      if (left !== undefined && right !== undefined && left.at < right.at) {
        found.push(left, right);
        stack.push([a, left.at], [left.at, right.at], [right.at, b]);
        break;
      }
    }
  }
  found.sort((x, y) => x.at - y.at);
  const cuts = boxSeen ? withProposals(ys, s, e, found, (a, b) => significantSplit(ys, a, b, options.minLogEffect)).slice(0, maxCuts) : found;
  return cuts.length === 0 && e - s >= ALTERNATION_FROM && e - s <= ALTERNATION_UP_TO ? (alternationCuts(ys, s, e, options) ?? []) : cuts;
}
