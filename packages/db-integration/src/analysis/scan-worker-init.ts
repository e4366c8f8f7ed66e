/** What the scan's main thread and its detection workers share (scan-workers.ts, scan-worker.ts). */
import type { DetectorName } from './findings';
import type { Metric } from './regression';
import type { SeriesRows } from './scan-detect';
import type { Environment, ScanColumns } from './scan-read';

export const WorkerState = { Booting: 0, Running: 1, Cancelled: 2 } as const;

/** What a worker gets (structured clone; the columns and counters share memory). */
export interface WorkerInit {
  id: number;
  columns: ScanColumns;
  tasks: SeriesRows[];
  environments: Environment[];
  metrics: Metric[];
  detectors: DetectorName[];
  /** next[0]: the next series to claim. */
  next: Int32Array;
  /** states[id]: WorkerState (the worker moves Booting -> Running; the main thread Booting -> Cancelled once done). */
  states: Int32Array;
}
