/** What the scan's main thread and its detection workers share (scan-workers.ts, scan-worker.ts). */
import type { DetectorName } from './findings';
import type { Metric } from './regression';
import type { SeriesRows } from './scan-detect';
import type { Environment, ScanColumns } from './scan-read';

export const WorkerState = { Booting: 0, Running: 1, Cancelled: 2 } as const;

/** A worker's place in one scan (the counters share memory). */
export interface WorkerBoot {
  id: number;
  /** next[0]: the next series to claim. */
  next: Int32Array;
  /**
   * states[id]: WorkerState (the worker moves Booting -> Running when its job arrives; the main thread Booting ->
   * Cancelled once done).
   */
  states: Int32Array;
}

/** The series to detect, sent to each worker once read (structured clone; the columns share memory). */
export interface WorkerSeries {
  columns: ScanColumns;
  tasks: SeriesRows[];
  environments: Environment[];
  metrics: Metric[];
  detectors: DetectorName[];
}

/** One scan's job for a worker: its place in the scan and the series. */
export interface WorkerJob {
  boot: WorkerBoot;
  series: WorkerSeries;
}
