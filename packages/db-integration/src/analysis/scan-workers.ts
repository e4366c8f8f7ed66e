/**
 * Detection of the scan's series across threads: the main thread and `workers` worker threads claim series one at a
 * time from a shared counter (so a worker still starting up takes none, and a slow thread takes fewer), reading the
 * rows from the scan's SharedArrayBuffer columns without a copy; findings come back per series and are put back in
 * series order, so the result is the same as detecting in one thread. The main thread starts detecting at once and
 * looks at its event loop every few series, so workers start as soon as their code is bundled and answers arrive
 * meanwhile. A worker that cannot start or dies leaves its series to the main thread; the result says how many
 * series each thread did and why a worker failed.
 */
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

import { build } from 'esbuild';

import type { DetectorName } from './findings';
import type { Detection, Metric } from './regression';
import { detectSeries, type SeriesRows } from './scan-detect';
import type { ScanData } from './scan-read';
import { type WorkerInit, WorkerState } from './scan-worker-init';

export interface Detected {
  /** [series][metric]: findings, in series and metric order. */
  found: Detection[][][];
  /** Series detected by the main thread, then by each worker started. */
  seriesByThread: number[];
  /** Why a worker failed (it could not load, or threw), if one did. */
  workerErrors: string[];
}

type Message = { i: number; found: Detection[][] } | { finished: true };

let bundled: Promise<string> | undefined;

/**
 * The worker's code: scan-worker.ts and what it imports (the detectors; no package) bundled into one CommonJS text
 * by esbuild, once per process (~0.1 s, in esbuild's own process). This package runs from its TypeScript sources,
 * and a worker started on a .ts file through tsx's loader took 1.5-2.6 s to start here (each worker transpiling
 * every module again); from the bundle, 0.06-0.3 s.
 */
function workerCode(): Promise<string> {
  bundled ??= build({
    entryPoints: [fileURLToPath(new URL('./scan-worker.ts', import.meta.url))],
    bundle: true,
    write: false,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    logLevel: 'silent',
  }).then((out) => out.outputFiles[0]!.text);
  return bundled;
}

/** Series the main thread detects between two looks at its event loop (until every worker is started). */
const YIELD_EVERY = 8;

/** `mainThread` false: the main thread only waits (its event loop stays free) unless no worker can do the work. */
export async function detectAcrossThreads(data: ScanData, metrics: Metric[], detectors: DetectorName[], workers: number, mainThread = true): Promise<Detected> {
  const tasks: SeriesRows[] = data.series.map((s) => ({ from: s.from, to: s.to, requestedBackend: s.meta.requested_backend }));
  const found: (Detection[][] | undefined)[] = new Array<Detection[][] | undefined>(tasks.length);
  const seriesByThread = [0];
  const workerErrors: string[] = [];
  const next = new Int32Array(new SharedArrayBuffer(4));
  const states = new Int32Array(new SharedArrayBuffer(4 * Math.max(1, workers)));
  const threads: { worker: Worker; settled: Promise<void> }[] = [];
  const start = (source: string): void => {
    // Nothing left to claim (the main thread was quicker than the bundling): no worker.
    for (let id = 0; id < workers && Atomics.load(next, 0) < tasks.length; id++) {
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
  };
  const started =
    workers > 0 && data.columns.at.buffer instanceof SharedArrayBuffer
      ? workerCode().then(start, (error: unknown) => {
          workerErrors.push(`workers not started: bundling scan-worker.ts failed: ${(error as Error).message}`);
        })
      : Promise.resolve();
  if (!mainThread) {
    await started;
  }
  if (mainThread || threads.length === 0) {
    let done = 0;
    for (let i = Atomics.add(next, 0, 1); i < tasks.length; i = Atomics.add(next, 0, 1)) {
      found[i] = detectSeries(data.columns, tasks[i]!, data.environments, metrics, detectors);
      seriesByThread[0]!++;
      if (threads.length < workers && ++done % YIELD_EVERY === 0) {
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
  }
  await started;
  if (!mainThread) {
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
