/**
 * Detector quality on labelled series: precision, recall, F1 and false-alarm rate of the classic threshold rule,
 * a lookback z-score and our fallback-aware rank change-point detector.
 */
import {
  type Detection,
  detectRegressions,
  thresholdDetector,
  zScoreDetector,
} from '@browser-pool/db-integration';

import { labelledGrid, type LabelledSeries } from './labelled-series';

export type DetectorFn = (s: LabelledSeries) => Detection[];

export const DETECTORS: Record<string, DetectorFn> = {
  'classic threshold': (s) => thresholdDetector(s.points.map((p) => p.value), 'latency'),
  'lookback z-score': (s) => zScoreDetector(s.points.map((p) => p.value), 'latency'),
  'ours (rank change point, fallback-aware)': (s) => detectRegressions(s.points, 'webgpu', 'latency', 'rank-changepoint'),
};

export interface Quality {
  tp: number;
  fp: number;
  fn: number;
  precision: number;
  recall: number;
  f1: number;
  /** Series without a true regression in which the detector raised at least one alarm. */
  falseAlarmRate: number;
}

/** A detection within `tolerance` points of the true change is a hit (the margin used by change-point benchmarks such as TCPDBench); every other one is a false alarm. */
export function score(series: readonly LabelledSeries[], detect: DetectorFn, tolerance = 5): Quality {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let nullSeries = 0;
  let nullAlarmed = 0;
  for (const s of series) {
    const alarms = detect(s).filter((d) => d.kind === 'regression');
    let hit = false;
    let falseAlarms = 0;
    for (const d of alarms) {
      if (s.truth !== undefined && !hit && Math.abs(d.index - s.truth) <= tolerance) {
        hit = true;
      } else {
        falseAlarms++;
      }
    }
    tp += hit ? 1 : 0;
    fn += s.truth !== undefined && !hit ? 1 : 0;
    fp += falseAlarms;
    if (s.truth === undefined) {
      nullSeries++;
      nullAlarmed += falseAlarms > 0 ? 1 : 0;
    }
  }
  const precision = tp + fp === 0 ? 1 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 1 : tp / (tp + fn);
  return { tp, fp, fn, precision, recall, f1: precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall), falseAlarmRate: nullSeries === 0 ? 0 : nullAlarmed / nullSeries };
}

export function gridQuality(seriesPerCell: number): { detector: string; all: Quality; detectable: Quality }[] {
  const grid = labelledGrid(seriesPerCell);
  // "Detectable": the step is at least twice the noise CV (a 5 % step under 10 % noise is below what any detector
  // can separate from noise on 20-point windows); reported separately, never instead of the full grid.
  const detectable = grid.filter((s) => s.spec.step === 0 || s.spec.step >= 2 * s.spec.cv);
  return Object.entries(DETECTORS).map(([detector, fn]) => ({ detector, all: score(grid, fn), detectable: score(detectable, fn) }));
}
