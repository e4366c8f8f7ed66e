/**
 * Labelled synthetic series for detector quality: seeded noise around a level, with an optional step (the label),
 * outliers, and backend fallbacks. Synthetic on purpose: it measures the detectors, not a browser.
 */
import { seededRandom, type SeriesPoint } from '@browser-pool/db-integration';

export interface SeriesSpec {
  length: number;
  /** Noise as a coefficient of variation (0.02 = 2 %). */
  cv: number;
  /** Relative latency step (0.1 = +10 %) at `changeAt`; 0 for none. */
  step: number;
  changeAt: number;
  /** Share of points multiplied by 1.5-3x (one-off hiccups, not regressions). */
  outlierRate: number;
  /** A stretch that ran on WASM instead of WebGPU (at 2.5x latency): [start, end). */
  fallback?: [number, number];
  seed: number;
}

export interface LabelledSeries {
  spec: SeriesSpec;
  points: SeriesPoint[];
  /** Index of the true code regression, if any. */
  truth: number | undefined;
}

function gaussian(random: () => number): number {
  const u = Math.max(random(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

export function makeSeries(spec: SeriesSpec): LabelledSeries {
  const random = seededRandom(spec.seed);
  const points: SeriesPoint[] = [];
  for (let i = 0; i < spec.length; i++) {
    const fellBack = spec.fallback !== undefined && i >= spec.fallback[0] && i < spec.fallback[1];
    let level = 10 * (spec.step !== 0 && i >= spec.changeAt ? 1 + spec.step : 1);
    if (fellBack) {
      level *= 2.5;
    }
    let value = level * (1 + spec.cv * gaussian(random));
    if (random() < spec.outlierRate) {
      value *= 1.5 + 1.5 * random();
    }
    points.push({ at: i * 60_000, value, backend: fellBack ? 'wasm' : 'webgpu', adapter: fellBack ? undefined : 'ampere', isRealHardware: true });
  }
  return { spec, points, truth: spec.step !== 0 ? spec.changeAt : undefined };
}

/** The grid the closing note reports: noise CV 2-10 %, steps 0 (none) and 5-30 %, with and without outliers and fallbacks. */
export function labelledGrid(seriesPerCell: number, length = 60): LabelledSeries[] {
  const out: LabelledSeries[] = [];
  let seed = 1;
  for (const cv of [0.02, 0.05, 0.1]) {
    for (const step of [0, 0.05, 0.1, 0.2, 0.3]) {
      for (const outlierRate of [0, 0.05]) {
        for (const withFallback of [false, true]) {
          for (let r = 0; r < seriesPerCell; r++) {
            const changeAt = 20 + ((seed * 7) % 20);
            const fallbackStart = withFallback ? (changeAt > 35 ? 8 : 44) : 0;
            out.push(
              makeSeries({
                length,
                cv,
                step,
                changeAt,
                outlierRate,
                fallback: withFallback ? [fallbackStart, fallbackStart + 8] : undefined,
                seed: seed++,
              }),
            );
          }
        }
      }
    }
  }
  return out;
}
