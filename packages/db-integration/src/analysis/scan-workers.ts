/**
 * Detection of the scan's series across threads: the main thread and `workers` worker threads claim series one at a
 * time from a shared counter (so a worker still starting up takes none, and a slow thread takes fewer), reading the
 * rows from the scan's SharedArrayBuffer columns without a copy; findings come back per series and are put back in
 * series order, so the result is the same as detecting in one thread. A worker that cannot start (no TypeScript
 * loader, a failed import) or dies leaves its series to the main thread; the result says how many series each
 * thread did.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

import type { DetectorName } from './findings';
import type { Detection, Metric } from './regression';
import { detectSeries, type SeriesRows } from './scan-detect';
import type { Environment, ScanColumns, ScanData } from './scan-read';

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

export interface Detected {
  /** [series][metric]: findings, in series and metric order. */
  found: Detection[][][];
  /** Series detected by the main thread, then by each worker started. */
  seriesByThread: number[];
  /** Why a worker failed (it could not load, or threw), if one did. */
  workerErrors: string[];
}

type Message = { i: number; found: Detection[][] } | { finished: true };

/**
 * The worker's entry: the worker file is TypeScript, loaded through tsx's `tsImport` (resolved from here), since the
 * loader this process may run under does not reach a worker's entry. Undefined when tsx cannot be found (no workers).
 */
function workerSource(): string | undefined {
  try {
    // The ESM build of tsx's API (what its package.json exports for `import`): its CommonJS build does not load in a worker's eval.
    const manifest = createRequire(import.meta.url).resolve('tsx/package.json');
    const target = (JSON.parse(readFileSync(manifest, 'utf8')) as { exports: Record<string, { import: { default: string } }> }).exports['./esm/api']!.import.default;
    const api = pathToFileURL(join(dirname(manifest), target)).href;
    const entry = new URL('./scan-worker.ts', import.meta.url).href;
    return `import(${JSON.stringify(api)}).then(({ tsImport }) => tsImport(${JSON.stringify(entry)}, ${JSON.stringify(entry)}))`;
  } catch {
    return undefined;
  }
}

/** `mainThread` false: the main thread only waits (its event loop stays free) unless no worker can do the work. */
export async function detectAcrossThreads(data: ScanData, metrics: Metric[], detectors: DetectorName[], workers: number, mainThread = true): Promise<Detected> {
  const tasks: SeriesRows[] = data.series.map((s) => ({ from: s.from, to: s.to, requestedBackend: s.meta.requested_backend }));
  const found: (Detection[][] | undefined)[] = new Array<Detection[][] | undefined>(tasks.length);
  const seriesByThread = [0];
  const workerErrors: string[] = [];
  const source = workers > 0 && data.columns.at.buffer instanceof SharedArrayBuffer ? workerSource() : undefined;
  const next = new Int32Array(new SharedArrayBuffer(4));
  const states = new Int32Array(new SharedArrayBuffer(4 * Math.max(1, workers)));
  const threads: { worker: Worker; settled: Promise<void> }[] = [];
  for (let id = 0; id < workers && source !== undefined; id++) {
    const init: WorkerInit = { id, columns: data.columns, tasks, environments: data.environments, metrics, detectors, next, states };
    const worker = new Worker(source, { eval: true, workerData: init });
    seriesByThread.push(0);
    const settled = new Promise<void>((resolve) => {
      worker.on('message', (m: Message) => {
        if ('finished' in m) {
          resolve();
        } else {
          found[m.i] = m.found;
          seriesByThread[id + 1]!++;
        }
      });
      worker.on('error', (error) => {
        workerErrors.push(`worker ${id}: ${error.message}`);
        resolve();
      });
      worker.on('exit', () => resolve());
    });
    threads.push({ worker, settled });
  }
  if (mainThread || threads.length === 0) {
    for (let i = Atomics.add(next, 0, 1); i < tasks.length; i = Atomics.add(next, 0, 1)) {
      found[i] = detectSeries(data.columns, tasks[i]!, data.environments, metrics, detectors);
      seriesByThread[0]!++;
    }
  } else {
    await Promise.all(threads.map((t) => t.settled));
  }
  // Workers still starting up are cancelled; the others finish the series they hold.
  await Promise.all(
    threads.map(({ worker, settled }, id) => (Atomics.compareExchange(states, id, WorkerState.Booting, WorkerState.Cancelled) === WorkerState.Booting ? worker.terminate() : settled)),
  );
  await Promise.all(threads.map(({ worker }) => worker.terminate()));
  // Series a worker claimed but never answered (it failed) are detected here.
  for (let i = 0; i < tasks.length; i++) {
    if (found[i] === undefined) {
      found[i] = detectSeries(data.columns, tasks[i]!, data.environments, metrics, detectors);
      seriesByThread[0]!++;
    }
  }
  return { found: found as Detection[][][], seriesByThread, workerErrors };
}
