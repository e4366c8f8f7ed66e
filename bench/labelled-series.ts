/**
 * Labelled synthetic series for detector quality. Synthetic on purpose: it measures the detectors, not a browser.
 *
 * Every value is level * exp(noiseCv * e), with e a standardized draw (mean 0, sd 1) of the family's noise shape, so
 * the *noise scale* is the sd of the log noise (about the CV) for every family, heavy-tailed and bimodal ones
 * included. Step sizes are multiples k of that scale: a step of k is a level change of exp(k * noiseCv).
 *
 * Families (each at lengths 20, 60, 200; noise CV 2, 5, 10 %; k = 0 (no change), 1, 2, 3, 5):
 * - gaussian, heavy-tails (Student t, 3 df), lognormal (skewed: exp(0.8 Z)), bimodal-30/70 and bimodal-50/50 (cache
 *   miss/hit mixtures: two modes ~2 sd apart, narrow within): one step regression of k at a random point;
 * - seasonal: a sine wave of amplitude 1.5 noise sd and period 0.8-1.2x the series length, plus the step;
 * - drift: a linear creep from a random point in the first 40 % to the end, total 3k noise sd (no step);
 * - multi-step: regression, fix (back to the old level), and at 60+ points a revert of the fix (regression again);
 * - warm-up: the first 2-5 points 3x, 2x, 1.5x, 1.25x, 1.1x slower, plus the step later;
 * - fallback-start / -middle / -end: 20 % of the points (at least 3) ran on WASM, 1.5-3x slower; no code change;
 * - improvement: one step *down* of k.
 * Changes lie at least max(5, 20 % of the length) points from either end (a change with fewer points after it is not
 * yet detectable by anything that requires persistence); the steps of a multi-step are >= 5 points apart.
 */
import { seededRandom, type SeriesPoint } from '@browser-pool/db-integration';

export const FAMILIES = [
  'gaussian', 'heavy-tails', 'lognormal', 'bimodal-30/70', 'bimodal-50/50', 'seasonal', 'drift', 'multi-step', 'warm-up',
  'fallback-start', 'fallback-middle', 'fallback-end', 'improvement',
] as const;
export type Family = (typeof FAMILIES)[number];

export const LENGTHS = [20, 60, 200] as const;
export const NOISE_CVS = [0.02, 0.05, 0.1] as const;
export const STEP_SIGMAS = [0, 1, 2, 3, 5] as const;

/** A true event: a code change (step or drift) or an environment change, by the first index at the new state. */
export interface Truth {
  kind: 'regression' | 'improvement' | 'drift' | 'environment';
  index: number;
  /** Drift: exclusive end. */
  end?: number;
}

export interface LabelledSeries {
  family: Family;
  length: number;
  noiseCv: number;
  /** k: the step (drift: total / 3) in noise sds; 0 for a series without a code change. */
  stepSigmas: number;
  points: SeriesPoint[];
  truth: Truth[];
}

function gaussian(random: () => number): number {
  const u = Math.max(random(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** Standardized noise draws (mean 0, sd 1) of each shape. */
function noiseOf(family: Family, random: () => number): number {
  switch (family) {
    case 'heavy-tails': {
      const z = gaussian(random);
      const chi = gaussian(random) ** 2 + gaussian(random) ** 2 + gaussian(random) ** 2;
      return z / Math.sqrt(chi / 3) / Math.sqrt(3); // t(3) has variance 3
    }
    case 'lognormal': {
      const s = 0.8;
      const mean = Math.exp((s * s) / 2);
      const sd = Math.sqrt((Math.exp(s * s) - 1) * Math.exp(s * s));
      return (Math.exp(s * gaussian(random)) - mean) / sd;
    }
    case 'bimodal-30/70':
    case 'bimodal-50/50': {
      const p = family === 'bimodal-30/70' ? 0.3 : 0.5;
      const w = 0.15;
      const gap = Math.sqrt((1 - w * w) / (p * (1 - p)));
      return ((random() < p ? 1 : 0) - p) * gap + w * gaussian(random);
    }
    default:
      return gaussian(random);
  }
}

const between = (random: () => number, lo: number, hi: number): number => lo + Math.floor(random() * (hi - lo + 1));

/** One labelled series of a family. Deterministic in `seed`. */
export function makeSeries(family: Family, length: number, noiseCv: number, stepSigmas: number, seed: number): LabelledSeries {
  const random = seededRandom(seed);
  const edge = Math.max(5, Math.round(0.2 * length));
  const step = stepSigmas * noiseCv;
  const logLevel = new Float64Array(length);
  const backend: string[] = new Array<string>(length).fill('webgpu');
  const truth: Truth[] = [];
  const stepAt = (at: number, size: number, kind: Truth['kind']): void => {
    for (let i = at; i < length; i++) {
      logLevel[i]! += size;
    }
    truth.push({ kind, index: at });
  };
  const fallback = ['fallback-start', 'fallback-middle', 'fallback-end'].includes(family);
  if (fallback) {
    const len = Math.max(3, Math.round(0.2 * length));
    const start = family === 'fallback-start' ? 0 : family === 'fallback-end' ? length - len : between(random, Math.round(0.35 * length), Math.round(0.45 * length));
    const slower = Math.log(1.5 + 1.5 * random());
    for (let i = start; i < start + len; i++) {
      backend[i] = 'wasm';
      logLevel[i]! += slower;
    }
    truth.push({ kind: 'environment', index: start });
  } else if (stepSigmas > 0) {
    if (family === 'drift') {
      const start = between(random, 0, Math.floor(0.4 * length));
      const slope = (3 * step) / (length - 1 - start);
      for (let i = start; i < length; i++) {
        logLevel[i]! += slope * (i - start);
      }
      truth.push({ kind: 'drift', index: start, end: length });
    } else if (family === 'multi-step') {
      const cuts = length < 60 ? [between(random, 5, 7), between(random, 12, 15)] : [0.25, 0.5, 0.75].map((q) => Math.round(q * length) + between(random, -2, 2));
      cuts.forEach((at, j) => stepAt(at, j % 2 === 0 ? step : -step, j % 2 === 0 ? 'regression' : 'improvement'));
    } else if (family === 'improvement') {
      stepAt(between(random, edge, length - edge), -step, 'improvement');
    } else {
      const lo = family === 'warm-up' ? Math.max(edge, 10) : edge;
      stepAt(between(random, lo, length - edge), step, 'regression');
    }
  }
  if (family === 'warm-up') {
    const w = between(random, 2, 5);
    [3, 2, 1.5, 1.25, 1.1].slice(0, w).forEach((m, i) => {
      logLevel[i]! += Math.log(m);
    });
  }
  if (family === 'seasonal') {
    const period = length * (0.8 + 0.4 * random());
    const phase = 2 * Math.PI * random();
    for (let i = 0; i < length; i++) {
      logLevel[i]! += 1.5 * noiseCv * Math.sin((2 * Math.PI * i) / period + phase);
    }
  }
  const points: SeriesPoint[] = [];
  for (let i = 0; i < length; i++) {
    const value = 10 * Math.exp(logLevel[i]! + noiseCv * noiseOf(family, random));
    const wasm = backend[i] === 'wasm';
    points.push({ at: i * 3_600_000, value, backend: backend[i]!, adapter: wasm ? undefined : 'ampere', isRealHardware: true });
  }
  return { family, length, noiseCv, stepSigmas: fallback ? 0 : stepSigmas, points, truth };
}

/**
 * The labelled grid: every family x length x noise x step size, `perCell` series per cell, and 3.5x as many series
 * without a code change (so the false-alarm rate per family and length rests on >= 200 series at perCell 20).
 * Fallback families carry only their environment change (every k is generated as 0). Another `firstSeed` draws a fresh
 * grid of the same design (to check that a change to a detector holds beyond the seeds it was tried on).
 */
export function labelledGrid(perCell: number, firstSeed = 1): LabelledSeries[] {
  const out: LabelledSeries[] = [];
  let seed = firstSeed;
  for (const family of FAMILIES) {
    const fallback = family.startsWith('fallback');
    for (const length of LENGTHS) {
      for (const cv of NOISE_CVS) {
        for (const k of fallback ? [0] : STEP_SIGMAS) {
          const count = k === 0 ? Math.round(perCell * 3.5) : perCell;
          for (let r = 0; r < count; r++) {
            out.push(makeSeries(family, length, cv, k, seed++));
          }
        }
      }
    }
  }
  return out;
}
