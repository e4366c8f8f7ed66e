/**
 * What happened inside one stretch where the environment was constant, on log values (so steps and drifts are
 * relative and multiplicative noise is additive): warm-up points at the start are set aside, change points are
 * searched, and the shape that explains the stretch best (Laplace BIC) decides what is reported:
 * - steps (piecewise constant) -> one step per change point, after pruning change points BIC does not keep;
 * - a line or a hinge (flat, then a line) -> one drift, however many change points the search found on it;
 * - a smooth curve (cubic, one sine wave of period 0.65-1.25x the stretch) -> nothing: seasonality, not a change.
 * With no change point, a significant monotone trend (Spearman) that a line explains better than flat or smooth
 * curves is a drift. A step can also stand on a wave (seasonality with a period near the stretch's length): the
 * calibrated wave-plus-step test (wave-step.ts) looks for one there, and a step on a wave is sized net of it.
 */
import { binarySegmentation } from './binseg';
import { atShortestPeriod, bic, driftSquaresBic, fitCubic, fitHinge, fitLine, fitSine, fitSteps, fitValueLine, fitWaveWithSteps, smoothSquaresBic, stepsSquaresBic, wavePeriodWithStep, waveSquaresBic } from './shape';
import { MIN_SEGMENT, ranksOf, scanSplits } from './split-stats';
import { stepsOverWave } from './steps-over-wave';
import { leadingSlowPoints, levelBefore } from './warm-up';
import { MIN_WAVE_POINTS, sizedOnWave } from './wave-sizing';
import { stepOnWave, WAVE_F, waveF, type WaveStepSize, waveStepTest } from './wave-step';

export type StretchEvent =
  /** `wave`: the step stands on a wave; its size is net of the wave (`waveStepSizes`). */
  | { type: 'step'; at: number; before: [number, number]; after: [number, number]; strength: number; wave?: WaveStepSize }
  | { type: 'drift'; start: number; end: number; slopePerPoint: number };

export interface StretchOptions {
  minLogEffect: number;
  /** Most leading points that can be warm-up (a first change down within them is not reported). @default 5 */
  warmupMax?: number;
  /** |Spearman z| a trend needs without any change point. @default 3.3 */
  trendZ?: number;
  /** The stretch is a whole series (no environment change splits it): see `seriesFactor` (critical-values.ts). */
  wholeSeries?: boolean;
}

/** Most points the shape fits see: longer stretches are reduced to block medians (shape, not location, is decided). */
const SHAPE_POINTS = 120;

function blockMedians(ys: Float64Array, blocks: number): Float64Array {
  const out = new Float64Array(blocks);
  const n = ys.length;
  const scratch = new Float64Array(Math.ceil(n / blocks) + 1);
  for (let b = 0; b < blocks; b++) {
    const from = Math.floor((b * n) / blocks);
    const len = Math.floor(((b + 1) * n) / blocks) - from;
    // Insertion sort: blocks are a few points long, where a typed-array sort call costs more than the sorting.
    for (let i = 0; i < len; i++) {
      const x = ys[from + i]!;
      let j = i - 1;
      while (j >= 0 && scratch[j]! > x) {
        scratch[j + 1] = scratch[j]!;
        j--;
      }
      scratch[j + 1] = x;
    }
    out[b] = len % 2 === 1 ? scratch[(len - 1) / 2]! : (scratch[len / 2 - 1]! + scratch[len / 2]!) / 2;
  }
  return out;
}

function spearmanZ(ys: Float64Array, ranks?: Float64Array): number {
  const n = ys.length;
  if (n < 4) {
    return 0;
  }
  const r = ranks ?? ranksOf(ys, 0, n);
  let d2 = 0;
  for (let i = 0; i < n; i++) {
    d2 += (r[i]! - (i + 1)) ** 2;
  }
  return (1 - (6 * d2) / (n * (n * n - 1))) * Math.sqrt(n - 1);
}

/** Trend within the pieces between `cuts`: their Spearman z values combined (Stouffer, weights sqrt of length). */
function withinTrendZ(ys: Float64Array, cuts: readonly number[]): number {
  const bounds = [0, ...cuts, ys.length];
  let num = 0;
  let den = 0;
  for (let j = 0; j + 1 < bounds.length; j++) {
    const len = bounds[j + 1]! - bounds[j]!;
    if (len >= 4) {
      num += Math.sqrt(len) * spearmanZ(ys.subarray(bounds[j], bounds[j + 1]));
      den += len;
    }
  }
  return den === 0 ? 0 : num / Math.sqrt(den);
}

type Shape = { kind: 'steps'; cuts: number[]; wave?: WaveStepSize } | { kind: 'drift'; start: number; slope: number } | { kind: 'smooth' } | { kind: 'flat' };

/** `f`'s value, computed on the first call only. */
function once<T>(f: () => T): () => T {
  let value: { v: T } | undefined;
  return () => (value ??= { v: f() }).v;
}

/** The best shape of ys given candidate cuts (offsets), by BIC; cuts BIC does not keep are pruned first. */
function bestShape(ys: Float64Array, cuts: number[], options: { minLogEffect: number }): Shape {
  const n = ys.length;
  const scale = n > SHAPE_POINTS ? SHAPE_POINTS / n : 1;
  const zs = scale < 1 ? blockMedians(ys, SHAPE_POINTS) : ys;
  const m = zs.length;
  let kept = [...new Set(cuts.map((c) => Math.round(c * scale)).filter((c) => c > 0 && c < m))].sort((a, b) => a - b);
  let stepsBic = bic(fitSteps(zs, kept), m);
  for (let pruned = true; pruned && kept.length > 0; ) {
    pruned = false;
    for (let i = 0; i < kept.length; i++) {
      const without = kept.filter((_, j) => j !== i);
      const b = bic(fitSteps(zs, without), m);
      // Dropped only when squared residuals agree: a step as large as the gap between the modes of cache hit/miss
      // noise leaves the absolute residuals about their medians unchanged.
      if (b < stepsBic && stepsSquaresBic(zs, without) < stepsSquaresBic(zs, kept)) {
        kept = without;
        stepsBic = b;
        pruned = true;
        break;
      }
    }
  }
  // Each fit is made when first needed, so a single step without a trend in its two pieces is decided without the
  // drift fits (the same fits, so the same shapes: on the 1M-row scan the hinges took ~65 ms of ~900 ms of
  // single-threaded detection, now ~8). The hinge is always fitted with the line: a drift that starts late is far from
  // a line (which then loses to a staircase), not from a hinge.
  const drift = once(() => {
    // A line in the logs (a creep by so many % per point) or in the values (by so many ms or MB per point).
    const valueLine = fitValueLine(zs);
    const line = [fitLine(zs), valueLine].reduce((a, b) => (b.cost < a.cost ? b : a));
    const hinge = fitHinge(zs);
    return { line, valueLine, hinge, lineBic: bic(line, m), hingeBic: bic(hinge, m) };
  });
  const driftBic = (): number => Math.min(drift().lineBic, drift().hingeBic);
  const cubic = once(() => fitCubic(zs));
  const cubicBic = once(() => bic(cubic(), m));
  const smoothBic = once(() => Math.min(cubicBic(), bic(fitSine(zs), m)));
  // The search already found the steps significant: a smooth curve replaces them only when clearly better (on short
  // stretches a cubic bends to fit a real step); a line or hinge needs only to be better, or drifts would come back
  // as staircases.
  const margin = 2 * Math.log(m);
  // A drift keeps moving between the cuts; a step is flat on both sides. A single cut is where a line and a step are
  // most alike, so there a drift must also show a trend within the two pieces (Stouffer-combined Spearman z in the
  // drift's direction above 2). Staircases of short pieces are left to BIC: their pieces are too short to show it.
  // Under MIN_WAVE_POINTS points the pieces of a single cut are short too: there a drift that fits better than the
  // step by 1.5 margins in absolute and in squared residuals need not show that trend (labelled grid, drift at 20
  // points: 0.908 -> 0.917 on seed 1, 0.876 -> 0.888 and 0.900 -> 0.924 on fresh seeds; no step found in another
  // cell was lost; by one margin, +0.02-0.035 but a step lost in each of five other 20-point cells).
  const trendZ = kept.length === 1 ? withinTrendZ(zs, kept) : 0;
  const slope = (): number => (drift().hingeBic < drift().lineBic ? drift().hinge.slope : drift().line.slope);
  const squaresDrift = once(() => driftSquaresBic(zs, drift().hinge.start, drift().valueLine));
  const clearlyDrift = (): boolean => m < MIN_WAVE_POINTS && stepsBic > driftBic() + 1.5 * margin && stepsSquaresBic(zs, kept) > squaresDrift() + 1.5 * margin;
  const drifting = kept.length !== 1 || (Math.abs(trendZ) > 2 && Math.sign(slope()) * trendZ > 2) || clearlyDrift();
  const toSteps = (found: readonly number[]): Extract<Shape, { kind: 'steps' }> => {
    const keptSet = new Set(found);
    // Map back to the original offsets: the search's own locations where its block survived, else the block's start.
    const own = cuts.filter((c) => keptSet.has(Math.round(c * scale)));
    const ownBlocks = new Set(own.map((c) => Math.round(c * scale)));
    return { kind: 'steps', cuts: [...own, ...found.filter((c) => !ownBlocks.has(c)).map((c) => Math.round(c / scale))].sort((a, b) => a - b) };
  };
  // Up (1) or down (-1) at each kept cut, by the steps' levels.
  const directions = once(() => {
    const fitted = fitSteps(zs, kept).fitted;
    return kept.map((c) => Math.sign(fitted[c]! - fitted[c - 1]!));
  });
  // A wave (period near the stretch length: seasonality) is split by the search into an up and a down step, and a
  // wave on top of a real step into a staircase. The alternative to the steps found is a wave plus the steps found
  // over it (`stepsOverWave`); unless the steps alone are better by the margin, the wave and its steps are kept:
  // between a wave and a regression-and-fix box that look alike, nothing is reported rather than a false alarm.
  const wave = kept.length > 0 && m >= MIN_WAVE_POINTS ? fitSine(zs, undefined, false) : undefined;
  let stepCuts = kept;
  let stepCutsBic = stepsBic;
  let overWave = false;
  // BIC of the wave alone when it explained the steps away (no step kept over it).
  let waveInstead: number | undefined;
  // The one step the wave-plus-step test found over a wave that explained the searched steps away.
  let waveStep: { at: number; size: WaveStepSize } | undefined;
  // A single cut matters against a wave only if the wave alone is about as good; two or more may be a wave's staircase.
  if (wave !== undefined && (kept.length >= 2 || bic(wave, m) < stepsBic + margin)) {
    const period = wavePeriodWithStep(zs);
    const found = stepsOverWave(zs, period, kept, options.minLogEffect, margin, bic(wave, m));
    // A single cut is a wave's half or a step: there the wave must be better outright (a step is no less likely), by
    // absolute and by squared residuals (see `stepsNotWorse` below). The alternatives: the wave with the steps found
    // over it, else the wave alone (steps over a wave that fail the squared residuals do not make the wave fail).
    const single = kept.length < 2;
    // A wave that takes the shortest period allowed is chasing a faster up and down than seasonality of the
    // stretch's length: a regression, its fix and a revert. There it too must be better outright, without the margin.
    // On the labelled grid the best wave alone sat at that edge in all 171 multi-step series at 60 points that came
    // here, and in 7 of 414 seasonal ones. Multi-step F1 at 60 points 0.893 -> 0.926, at 200 0.992 -> 0.995; seasonal
    // 60 0.670 -> 0.669, 200 unchanged, alarms unchanged (on fresh seeds multi-step 60 0.889 -> 0.924, seasonal 60 and
    // 200 0.638 -> 0.631 and 0.912 -> 0.904: 7 more steps reported on series that hold one).
    const outright = single || atShortestPeriod(wave, m);
    const alternatives: { cuts: number[]; absBic: number; squaresBic: number }[] = [];
    if (found.length > 0) {
      alternatives.push({ cuts: found, absBic: bic(fitWaveWithSteps(zs, period, found), m), squaresBic: waveSquaresBic(zs, period, found) });
    }
    alternatives.push({ cuts: [], absBic: bic(wave, m), squaresBic: waveSquaresBic(zs, wave.period, []) });
    const stepsSquares = stepsSquaresBic(zs, kept);
    // Two or more steps also give way to a wave that squared residuals prefer (absolute ones kept staircases on waves):
    // by the margin where the steps alternate three or more times (a regression, its fix and a revert), at all where
    // a wave makes the same pattern: two steps (a box, up then down, is half a cycle), or three or more with two
    // neighbours in one direction (down, down, up, up: a wave's staircase). Fresh seeds, seasonal at 200 points: by the
    // margin for all, 0.899 -> 0.907 and 0.923 -> 0.929; at all for these patterns, -> 0.930 and 0.942 (60: +0.003 and
    // +0.005), no cell lost. Three real regressions in a row (findings.test.ts), and 2-3 sd boxes in 60 and 200 points
    // of noise, were found as often as before; a 2 sd box over half of 60 points was taken for half a wave 27 times in
    // 60 before and after (by the margin in absolute residuals: without it, 5 times, but seasonal 60 alarmed twice as
    // often).
    const alternating = kept.length >= 3 && directions().every((d, j) => j === 0 || d !== directions()[j - 1]);
    const squaresMargin = alternating ? margin : 0;
    const better = alternatives.find(
      (a) => (a.absBic < stepsBic + (outright ? 0 : margin) || (!single && a.squaresBic + squaresMargin < stepsSquares)) && (!single || a.squaresBic < stepsSquares),
    );
    if (better !== undefined) {
      overWave = true;
      stepCuts = better.cuts;
      stepCutsBic = better.cuts.length === 0 ? Infinity : better.absBic;
      waveInstead = better.cuts.length === 0 ? bic(wave, m) : undefined;
    }
    // The wave explained every step away: one step may still stand on top of it (`waveStepTest`, calibrated).
    if (overWave && stepCuts.length === 0) {
      const found = stepOnWave(ys, zs, options.minLogEffect);
      if (found !== undefined) {
        stepCuts = [found.atZ];
        stepCutsBic = bic(found.joint, m);
        waveStep = found;
      }
    }
  }
  // A single step that a wave did not explain away may still stand on one, elsewhere: the search's one cut is then
  // often where the wave's half rises. The wave-plus-step test's step (significant by its own calibrated cut-off)
  // replaces it when the test puts it elsewhere and its fit beats the step alone outright by absolute residuals and by
  // the margin by squared ones (bimodal noise misleads the first: by it alone, on fresh seeds, bimodal 50/50 at 60
  // points lost two findings in 180 series; by the margin on both, seasonal at 200 points kept one more misplaced step
  // in 180 series, at 60 points 1-2 more). Where the test agrees with the cut, the cut stays (sized net of the wave if
  // one stands out: `stepsOnWave`).
  const lone = wave !== undefined && !overWave && kept.length === 1 ? waveStepTest(ys) : undefined;
  if (lone !== undefined && Math.abs(lone.at - toSteps(kept).cuts[0]!) > MIN_SEGMENT) {
    const found = stepOnWave(ys, zs, options.minLogEffect, lone);
    if (
      found !== undefined &&
      bic(found.joint, m) < stepsBic &&
      waveSquaresBic(zs, (found.size.period * m) / n, [found.atZ]) + margin < stepsSquaresBic(zs, kept)
    ) {
      overWave = true;
      stepCuts = [found.atZ];
      stepCutsBic = bic(found.joint, m);
      waveStep = found;
    }
  }
  // Steps beat a smooth curve when they are not clearly worse by absolute residuals or by squared ones: the median
  // of cache hit/miss noise lies anywhere between its two modes, so absolute residuals barely tell a sharp step from
  // a curve through it there, while squared residuals (which heavy tails mislead) do.
  const stepsNotWorse = (): boolean => stepsBic <= smoothBic() + margin || stepsSquaresBic(zs, kept) <= smoothSquaresBic(zs) + margin;
  // A single step against a drift likewise (a drift there has also shown a trend within the two pieces). Two or more
  // steps all in one direction are a drift's staircase as much as a wave's: they must beat the drift by squared
  // residuals too (labelled grid, seed 1 and two fresh seed sets: drift at 20 points 0.884 -> 0.908, unchanged,
  // 0.883 -> 0.900; at 60 0.962 -> 0.981 twice and 0.904 -> 0.940; one series each lost its step in three other cells;
  // two real regressions in a row in 20 or 60 points were found 1-2 times fewer in 60, a drift reported instead).
  const oneWay = (): boolean => !overWave && kept.length >= 2 && directions().every((d) => d === directions()[0]);
  const stepBeatsDrift = (): boolean =>
    !drifting ||
    (stepCutsBic <= driftBic() && !(oneWay() && stepsSquaresBic(zs, kept) > squaresDrift())) ||
    (!overWave && kept.length === 1 && stepsSquaresBic(zs, kept) <= squaresDrift());
  if (stepCuts.length > 0 && stepBeatsDrift() && (overWave || stepsNotWorse())) {
    return waveStep !== undefined ? { kind: 'steps', cuts: [waveStep.at], wave: waveStep.size } : toSteps(stepCuts);
  }
  // Against a drift, a wave has no line of its own: seasonality comes back to where it started (a wave plus a line that
  // beats the line is a drift with a wiggle). Labelled grid: drift at 20 points 0.878 -> 0.884, no other cell moved.
  const curveBic = (): number => Math.min(cubicBic(), bic(wave ?? fitSine(zs, undefined, false), m));
  // Where a wave explained the steps away, a drift is that wave's alternative too: it is reported only when it fits
  // better than the wave (a line or hinge through a wave otherwise fits its rising or falling half).
  // A cubic that beats the line but is itself monotone (its range at most CREEP_RANGE times its change from end to end)
  // is a creep that speeds up or slows down, not seasonality: a drift. Before, such a stretch read as a smooth curve,
  // nothing reported: a +35 % creep over 180 points at 2 % noise (its fallback window cut out, a 1.5 sd jump at the
  // join) went unreported. Labelled grid: drift 20 on fresh seeds 0.894 -> 0.900 and 0.924 -> 0.936, drift 200 0.992
  // -> 0.994, one more false step in seasonal 200 on one set (0.953 -> 0.950); change-free Gaussian 60- and 200-point
  // series and seasonal 200-point ones alarm as often as before.
  const curvedCreep = (): boolean => {
    if (cubicBic() > curveBic()) {
      return false;
    }
    const f = cubic().fitted;
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of f) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    const total = Math.abs(f[m - 1]! - f[0]!);
    return total >= options.minLogEffect && hi - lo <= CREEP_RANGE * total;
  };
  if (drifting && (driftBic() <= curveBic() + margin || curvedCreep()) && driftBic() < bic(fitSteps(zs, []), m) && !(waveInstead !== undefined && driftBic() > waveInstead)) {
    const { line, hinge, lineBic, hingeBic } = drift();
    return hingeBic < lineBic
      ? { kind: 'drift', start: Math.round(hinge.start / scale), slope: hinge.slope * scale }
      : { kind: 'drift', start: 0, slope: line.slope * scale };
  }
  return smoothBic() < driftBic() ? { kind: 'smooth' } : { kind: 'flat' };
}

/** Share of a stretch at either end where a step found on a wave alone (no change point searched) is not reported. */
const WAVE_STEP_EDGE = 0.1;

/** How far a monotone-looking cubic's range may exceed its end-to-end change (a wiggle at the ends) for a creep. */
const CREEP_RANGE = 1.1;

/** Stretches longer than this are searched on block medians (see `analyseStretch`). */
const COMPRESS_ABOVE = 400;
const COMPRESSED_POINTS = 200;

/** The split nearest `approx` (within one block each way) where the means of `w` points either side differ most. */
function refineCut(ys: Float64Array, approx: number, lo: number, hi: number, w: number): number {
  let best = approx;
  let bestGap = -1;
  for (let p = Math.max(lo + 1, approx - w); p <= Math.min(hi - 1, approx + w); p++) {
    const a = Math.max(lo, p - w);
    const b = Math.min(hi, p + w);
    let left = 0;
    let right = 0;
    for (let i = a; i < p; i++) {
      left += ys[i]!;
    }
    for (let i = p; i < b; i++) {
      right += ys[i]!;
    }
    const gap = Math.abs(right / (b - p) - left / (p - a));
    if (gap > bestGap) {
      bestGap = gap;
      best = p;
    }
  }
  return best;
}

/**
 * Events in ys (offsets relative to ys) and where the measured part starts after warm-up. A stretch longer than
 * COMPRESS_ABOVE points is analysed as the medians of COMPRESSED_POINTS consecutive blocks (medians of disjoint blocks
 * of independent noise are independent, so the calibrated cut-offs still hold for the block series) and each change
 * is then placed on the full series within a block: the scan's cost per long series drops several-fold while a
 * 1000-point series still resolves changes a few points apart.
 */
export function analyseStretch(ys: Float64Array, options: StretchOptions): { warmupEnd: number; events: StretchEvent[] } {
  const n = ys.length;
  if (n <= COMPRESS_ABOVE) {
    return analyseShort(ys, options);
  }
  const size = Math.ceil(n / COMPRESSED_POINTS);
  const blocks = Math.ceil(n / size);
  const zs = blockMedians(ys, blocks);
  const edge = (b: number): number => Math.min(n, Math.round((b * n) / blocks));
  const inner = analyseShort(zs, { ...options, warmupMax: 1 });
  const cutAt = new Map<number, number>([[0, 0]]);
  const place = (b: number): number => {
    let at = cutAt.get(b);
    if (at === undefined) {
      at = b >= blocks ? n : refineCut(ys, edge(b), Math.max(0, edge(b - 1)), Math.min(n, edge(b + 1)), size);
      cutAt.set(b, at);
    }
    return at;
  };
  const events = inner.events.map((ev): StretchEvent =>
    ev.type === 'step'
      ? {
          type: 'step',
          at: place(ev.at),
          before: [place(ev.before[0]), place(ev.before[1])],
          after: [place(ev.after[0]), place(ev.after[1])],
          strength: ev.strength,
          // Sized on the block medians: the wave's period back in points.
          ...(ev.wave === undefined ? {} : { wave: { ...ev.wave, period: (ev.wave.period * n) / blocks } }),
        }
      : { type: 'drift', start: edge(ev.start), end: n, slopePerPoint: (ev.slopePerPoint * blocks) / n },
  );
  return { warmupEnd: edge(inner.warmupEnd), events };
}

function analyseShort(ys: Float64Array, options: StretchOptions): { warmupEnd: number; events: StretchEvent[] } {
  const warmupMax = options.warmupMax ?? 5;
  let start = leadingSlowPoints(ys, warmupMax);
  // Ranked once for the first search and the trend test (the scan's most common path: no change at all).
  const firstStart = start;
  const ranks = ranksOf(ys, start, ys.length);
  let cuts = binarySegmentation(ys, start, ys.length, { ...options, ranks }).map((c) => c.at);
  // Warm-up: a first change *down* within the first points (slow first runs: JIT, shader compilation, caches).
  for (let guard = 0; guard < 2 && cuts.length > 0 && cuts[0]! - start <= warmupMax; guard++) {
    const at = cuts[0]!;
    const before = Array.from(ys.subarray(start, at)).sort((a, b) => a - b);
    const afterYs = ys.subarray(at, Math.min(ys.length, at + 3 * (at - start) + 5));
    const after = Array.from(afterYs).sort((a, b) => a - b);
    // Not a warm-up: a change up, or one level from the stretch's first point to the change down (an improvement; a
    // warm-up's first points are its slowest, even where its fading tail alone looks level).
    const drop = before[Math.floor(before.length / 2)]! - after[Math.floor(after.length / 2)]!;
    if (drop <= 0) {
      break;
    }
    if (afterYs.length > 2 && levelBefore(ys, at, afterYs, drop)) {
      // One level from the first point: nothing of it was warm-up, the points set aside as slow included.
      if (start > 0) {
        start = 0;
        cuts = binarySegmentation(ys, 0, ys.length, options).map((c) => c.at);
      }
      break;
    }
    start = at;
    cuts = binarySegmentation(ys, start, ys.length, options).map((c) => c.at);
  }
  // A warm-up fades: the points after the slow ones the search split off can still be a little slow (1.25x, 1.1x),
  // too little for a split of their own but enough, in a short stretch before a later step up, to make a U that a
  // curve fits better than the step. So in a stretch under MIN_WAVE_POINTS points, once a warm-up is seen, all of the
  // first `warmupMax` points are set aside (longer stretches have enough points for that tail not to matter).
  if (start > 0 && start < warmupMax && ys.length < MIN_WAVE_POINTS && ys.length - warmupMax >= 2 * MIN_SEGMENT) {
    start = warmupMax;
    cuts = binarySegmentation(ys, start, ys.length, options).map((c) => c.at);
  }
  const body = ys.subarray(start);
  const n = body.length;
  const local = cuts.map((c) => c - start);
  let shape: Shape;
  if (local.length > 0) {
    shape = bestShape(body, local, options);
  } else if (Math.abs(spearmanZ(body, start === firstStart ? ranks : undefined)) > (options.trendZ ?? 3.3)) {
    // A step too small for the search also makes a monotone trend: it is a drift only if no single step fits better.
    const split = scanSplits(body, 0, n, MIN_SEGMENT);
    shape = bestShape(body, [], options);
    if (shape.kind === 'drift' && split !== undefined && bic(fitSteps(body, [split.tAt]), n) < Math.min(bic(fitLine(body), n), bic(fitHinge(body), n))) {
      shape = { kind: 'flat' };
    }
  } else {
    shape = { kind: 'flat' };
  }
  // The search found nothing, but a wave may hide a step: the wave-plus-step test, where a wave stands out at all
  // (`waveF`), for a step at least WAVE_STEP_EDGE of the stretch from either end (nearer the ends a wave's phase and
  // a warm-up's fading tail pass for a step: without that, 6-9 more false improvements at the start of warm-up
  // series at 60 and 200 points).
  if (local.length === 0 && shape.kind === 'flat' && n >= MIN_WAVE_POINTS && waveF(body) > WAVE_F) {
    const found = stepOnWave(body, body, options.minLogEffect);
    const edge = Math.max(Math.ceil(WAVE_STEP_EDGE * n), warmupMax + MIN_SEGMENT);
    if (found !== undefined && found.at >= edge && n - found.at >= edge) {
      shape = { kind: 'steps', cuts: [found.at], wave: found.size };
    }
  }
  const events: StretchEvent[] = [];
  if (shape.kind === 'steps') {
    const { cuts, waves } = shape.wave !== undefined ? { cuts: shape.cuts, waves: [shape.wave] } : sizedOnWave(body, shape.cuts, options.minLogEffect);
    const bounds = [0, ...cuts, n];
    for (let j = 1; j + 1 < bounds.length; j++) {
      const step: StretchEvent = { type: 'step', at: start + bounds[j]!, before: [start + bounds[j - 1]!, start + bounds[j]!], after: [start + bounds[j]!, start + bounds[j + 1]!], strength: 1 };
      events.push(waves === undefined ? step : { ...step, wave: waves[j - 1]! });
    }
  } else if (shape.kind === 'drift' && Math.abs(shape.slope * (n - shape.start)) >= options.minLogEffect) {
    events.push({ type: 'drift', start: start + shape.start, end: start + n, slopePerPoint: shape.slope });
  }
  return { warmupEnd: start, events };
}
