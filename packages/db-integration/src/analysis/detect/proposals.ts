/**
 * Global proposals for a stretch with several changes (a regression, its fix and a revert): binary segmentation
 * splits a stretch in two, and a level that comes back (0, k, 0, k) leaves no single split that stands out, nor a
 * box whose edges pass on the stretch around them. Optimal partitioning (on a grid of positions) of the normal
 * scores of the ranks (so the noise's shape does not matter; the noise sd from successive differences, so the changes
 * do not inflate it) places all changes at once. Its change points are only proposals: each is kept when the
 * calibrated single-split test confirms it on the stretch between its neighbours (the search's own cuts and the other
 * proposals), near where it was proposed; an unconfirmed proposal is dropped, the weakest first, and the rest are
 * tested again with their new neighbours.
 *
 * Run only where a box stood out (its t above the single-split cut-off), about 1.6 % of the 1M-row scan's searches:
 * the common path, a series without a change, costs nothing more. Labelled grid (20 per cell): multi-step F1 at 60
 * points 0.882 -> 0.892, seasonal 200 0.902 -> 0.911, no other cell changed. Run also where the search found two or
 * more changes, it gained nothing more and alarmed one more seasonal series of 210 at 60 points.
 */
import { sortedAt } from './order-stats';
import { type Cut, MIN_SEGMENT, normalScores, prefixSums, ranksOf } from './split-stats';

/** Penalty per change, times log(n), on normal scores over their noise sd. */
const PENALTY = 2;
/** A confirmed split may lie this many points from the proposal. */
const TOLERANCE = 2;

/** Most positions a change may take in the optimal partitioning (evenly spread): its cost is their number squared. */
const GRID = 40;

/**
 * Optimal partitioning (Jackson et al. 2005; the exact search PELT prunes) of xs, changes only at GRID evenly spread
 * positions at least MIN_SEGMENT apart: cost the squared deviations from each segment's mean over sigma^2, `penalty`
 * per change; returns the first offset of each new segment. O(n + GRID^2).
 */
function optimalPartition(xs: Float64Array, sigma: number, penalty: number): number[] {
  const n = xs.length;
  const { cs, cs2 } = prefixSums(xs);
  const g = Math.min(GRID, n);
  const at = Int32Array.from({ length: g + 1 }, (_, j) => Math.round((j * n) / g));
  const inv = 1 / (sigma * sigma);
  const f = new Float64Array(g + 1).fill(Infinity);
  const last = new Int32Array(g + 1);
  f[0] = -penalty;
  for (let j = 1; j <= g; j++) {
    const t = at[j]!;
    let best = Infinity;
    for (let i = 0; i < j && t - at[i]! >= MIN_SEGMENT; i++) {
      const tau = at[i]!;
      const sum = cs[t]! - cs[tau]!;
      const c = f[i]! + (cs2[t]! - cs2[tau]! - (sum * sum) / (t - tau)) * inv;
      if (c < best) {
        best = c;
        last[j] = i;
      }
    }
    f[j] = best + penalty;
  }
  const cuts: number[] = [];
  for (let j = last[g]!; j > 0; j = last[j]!) {
    cuts.push(at[j]!);
  }
  return cuts.reverse();
}

/** Cuts of ys[s, e): the search's `found` (kept as they are) and the confirmed proposals, sorted. */
export function withProposals(ys: ArrayLike<number>, s: number, e: number, found: readonly Cut[], confirm: (a: number, b: number) => Cut | undefined): Cut[] {
  const n = e - s;
  if (n < 4 * MIN_SEGMENT) {
    return [...found];
  }
  const scores = normalScores(ranksOf(ys, s, e));
  const diffs = new Float64Array(n - 1);
  for (let i = 0; i + 1 < n; i++) {
    diffs[i] = Math.abs(scores[i + 1]! - scores[i]!);
  }
  const sigma = (1.4826 * sortedAt(diffs, [Math.floor((n - 1) / 2)])[0]!) / Math.SQRT2;
  if (!(sigma > 0)) {
    return [...found];
  }
  const cs = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) {
    cs[i + 1] = cs[i]! + scores[i]!;
  }
  // The grid's spacing adds to how far the confirmed split may lie from a proposal.
  const tolerance = TOLERANCE + Math.ceil(n / GRID);
  const kept = found.map((c) => c.at);
  const near = (at: number): boolean => kept.some((k) => Math.abs(k - at) < MIN_SEGMENT);
  let proposals = optimalPartition(scores, sigma, PENALTY * Math.log(n))
    .map((c) => c + s)
    .filter((at) => !near(at));
  if (proposals.length === 0) {
    return [...found];
  }
  // Dropping one proposal changes only its neighbours' stretches: the other confirmations are looked up again.
  const tested = new Map<number, Cut | undefined>();
  const confirmOnce = (a: number, b: number): Cut | undefined => {
    const key = a * (e + 1) + b;
    if (!tested.has(key)) {
      tested.set(key, confirm(a, b));
    }
    return tested.get(key);
  };
  for (;;) {
    const all = [s, ...kept, ...proposals, e].sort((x, y) => x - y);
    const failed: { at: number; contrast: number }[] = [];
    const confirmed: Cut[] = [];
    for (const at of proposals) {
      const j = all.indexOf(at);
      const a = all[j - 1]!;
      const b = all[j + 1]!;
      const cut = confirmOnce(a, b);
      if (cut !== undefined && Math.abs(cut.at - at) <= tolerance) {
        confirmed.push(cut);
      } else {
        const n1 = at - a;
        const n2 = b - at;
        const contrast = Math.abs((cs[b - s]! - cs[at - s]!) / n2 - (cs[at - s]! - cs[a - s]!) / n1) * Math.sqrt((n1 * n2) / (n1 + n2));
        failed.push({ at, contrast });
      }
    }
    if (failed.length === 0) {
      const out = [...found];
      for (const cut of confirmed) {
        if (out.every((c) => Math.abs(c.at - cut.at) >= MIN_SEGMENT)) {
          out.push(cut);
        }
      }
      return out.sort((x, y) => x.at - y.at);
    }
    const weakest = failed.reduce((x, y) => (y.contrast < x.contrast ? y : x));
    proposals = proposals.filter((at) => at !== weakest.at);
  }
}
