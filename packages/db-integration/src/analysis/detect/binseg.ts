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
 * start to the stretch end), so the calibrated cut-offs still decide. On a whole series shorter than 40 points, where
 * neither edge alone passes that test on its sub-stretch, the strongest box is kept when it passes its own cut-off
 * within the series' false-alarm budget (boxes.ts, `seriesFactor`). Where a box stood out (a level that comes back,
 * where further changes hide from two-way splits), change points proposed for the whole stretch at once are added
 * when the single-split test confirms them (proposals.ts). Where nothing at all was found in a stretch of
 * ALTERNATION_FROM-ALTERNATION_UP_TO points, a level that alternates (a regression, its fix and a revert) is tested as a
 * whole against its own calibrated cut-off (alternation.ts).
 */
import { ALTERNATION_FROM, ALTERNATION_UP_TO, alternationCritical, BULGE_Z, bulgeZ, strongestAlternation } from './alternation';
import { type Box, calibratedBox, proposedBoxes, strongestBoxes } from './boxes';
import { criticalValues, seriesFactor, valueTCritical } from './critical-values';
import { sortedAt } from './order-stats';
import { withProposals } from './proposals';
import { type Cut, MIN_SEGMENT, normalScores, ranksOf, scanSplits } from './split-stats';

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
 * The edges of a whole short series' calibrated box (boxes.ts) when each shifts the level by at least `minLogEffect`
 * (Hodges-Lehmann, the box against the piece beside it).
 */
function calibratedBoxEdges(ys: ArrayLike<number>, a: number, b: number, pooled: Box, factor: number, minLogEffect: number): [Cut, Cut] | undefined {
  const found = calibratedBox(ys, a, b, pooled, factor);
  if (found === undefined) {
    return undefined;
  }
  const [l, r] = found.box;
  if (Math.abs(shiftOf(ys, a, l, r)) < minLogEffect || Math.abs(shiftOf(ys, l, r, b)) < minLogEffect) {
    return undefined;
  }
  return [{ at: l, strength: found.t }, { at: r, strength: found.t }];
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
    const firstOfSeries = whole && options.wholeSeries === true;
    const factor = firstOfSeries ? seriesFactor(e - s) : 1;
    const single = significantSplit(ys, a, b, options.minLogEffect, ranks, factor);
    if (single !== undefined) {
      found.push(single);
      stack.push([a, single.at], [single.at, b]);
      continue;
    }
    // A box that does not stand out even by the single-split cut-off is noise: skip the two confirming searches.
    const cutoff = criticalValues(b - a).t;
    let edges: [Cut, Cut] | undefined;
    const boxes = strongestBoxes(ys, a, b, ranks);
    for (const { box, t } of proposedBoxes(boxes)) {
      if (t <= cutoff) {
        continue;
      }
      boxSeen = true;
      const width = box[1] - box[0];
      const left = confirmEdge(ys, [a, box[1]], [Math.max(a, box[0] - width), box[1]], options.minLogEffect);
      const right = confirmEdge(ys, [box[0], b], [box[0], Math.min(b, box[1] + width)], options.minLogEffect);
      if (left !== undefined && right !== undefined && left.at < right.at) {
        edges = [left, right];
        break;
      }
    }
    // The series' first test again (its budget covers this box: see `seriesFactor`).
    edges ??= firstOfSeries && boxes !== undefined ? calibratedBoxEdges(ys, a, b, boxes.pooled, factor, options.minLogEffect) : undefined;
    if (edges !== undefined) {
      boxSeen = true;
      found.push(...edges);
      stack.push([a, edges[0].at], [edges[0].at, edges[1].at], [edges[1].at, b]);
    }
  }
  found.sort((x, y) => x.at - y.at);
  const cuts = boxSeen ? withProposals(ys, s, e, found, (a, b) => significantSplit(ys, a, b, options.minLogEffect)).slice(0, maxCuts) : found;
  return cuts.length === 0 && e - s >= ALTERNATION_FROM && e - s <= ALTERNATION_UP_TO ? (alternationCuts(ys, s, e, options) ?? []) : cuts;
}
