/**
 * Detection of the scan's series across threads: the main thread and worker threads claim series one at a time from a
 * shared counter (so a worker still starting up takes none, and a slow thread takes fewer), reading the rows from the
 * scan's SharedArrayBuffer columns without a copy; findings come back per series and are put back in series order, so
 * the result is the same as detecting in one thread. Workers are started (`startWorkers`) as soon as the scan knows how
 * many points it will read, so their start overlaps the read of the rows; each waits for its series in a message. The
 * main thread starts detecting at once and, while a worker is not yet started, looks at its event loop every few
 * series. A worker that cannot start or dies leaves its series to the main thread; the result says how many series
 * each thread did and why a worker failed.
 */
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

import { build } from 'esbuild';

import type { DetectorName } from './findings';
import type { Detection, Metric } from './regression';
import { detectSeries, type SeriesRows } from './scan-detect';
import type { ScanData } from './scan-read';
import { type WorkerBoot, type WorkerSeries, WorkerState } from './scan-worker-init';

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

interface Thread {
  worker: Worker;
  settled: Promise<void>;
}

/** Detection workers being started (see `startWorkers`); `detectAcrossThreads` hands them their series. */
export interface Workers {
  count: number;
  next: Int32Array;
  states: Int32Array;
  threads: Thread[];
  /** Series each started worker detected. */
  done: number[];
  errors: string[];
  /** Settles once every worker is constructed (or bundling failed); `constructed` is then true. */
  started: Promise<void>;
  constructed: boolean;
  /** Series of the scan (Infinity until they are handed out): no worker is constructed once all are claimed. */
  total: number;
  /** Where a worker's findings go (set when the series are handed out). */
  sink: (i: number, found: Detection[][]) => void;
}

/** Starts `count` detection workers now; they wait for their series (`detectAcrossThreads`). */
export function startWorkers(count: number): Workers {
  const pool: Workers = {
    count,
    next: new Int32Array(new SharedArrayBuffer(4)),
    states: new Int32Array(new SharedArrayBuffer(4 * Math.max(1, count))),
    threads: [],
    done: [],
    errors: [],
    started: Promise.resolve(),
    constructed: count === 0,
    total: Infinity,
    sink: () => undefined,
  };
  const start = (source: string): void => {
    // Nothing left to claim (the main thread was quicker than the bundling): no worker.
    for (let id = 0; id < count && Atomics.load(pool.next, 0) < pool.total; id++) {
      const boot: WorkerBoot = { id, next: pool.next, states: pool.states };
      const worker = new Worker(source, { eval: true, workerData: boot });
      pool.done.push(0);
      const settled = new Promise<void>((resolve) => {
        worker.on('message', (m: Message) => {
          if ('finished' in m) {
            resolve();
          } else {
            pool.sink(m.i, m.found);
            pool.done[id]!++;
          }
        });
        worker.on('error', (error) => {
          pool.errors.push(`worker ${id}: ${error.message}`);
          resolve();
        });
        worker.on('exit', () => resolve());
      });
      pool.threads.push({ worker, settled });
    }
    pool.constructed = true;
  };
  if (count > 0) {
    pool.started = workerCode().then(start, (error: unknown) => {
      pool.errors.push(`workers not started: bundling scan-worker.ts failed: ${(error as Error).message}`);
      pool.constructed = true;
    });
  }
  return pool;
}

/** Series the main thread detects between two looks at its event loop (until every worker is started). */
const YIELD_EVERY = 8;

/**
 * `workers`: those `startWorkers` started (or a count, started now). `mainThread` false: the main thread only waits
 * (its event loop stays free) unless no worker can do the work. Workers need the columns in SharedArrayBuffers;
 * otherwise the main thread detects everything.
 */
export async function detectAcrossThreads(data: ScanData, metrics: Metric[], detectors: DetectorName[], workers: Workers | number, mainThread = true): Promise<Detected> {
  const pool = typeof workers === 'number' ? startWorkers(workers) : workers;
  const tasks: SeriesRows[] = data.series.map((s) => ({ from: s.from, to: s.to, requestedBackend: s.meta.requested_backend }));
  const found: (Detection[][] | undefined)[] = new Array<Detection[][] | undefined>(tasks.length);
  const mainDone = [0];
  const shared = data.columns.at.buffer instanceof SharedArrayBuffer;
  const { next, states } = pool;
  pool.total = tasks.length;
  if (!shared) {
    // Nothing for a worker to read without a copy: every series is the main thread's.
    Atomics.store(next, 0, tasks.length);
  }
  pool.sink = (i, f) => {
    found[i] = f;
  };
  let handed = false;
  const handOut = (): void => {
    handed = true;
    if (shared) {
      const series: WorkerSeries = { columns: data.columns, tasks, environments: data.environments, metrics, detectors };
      pool.threads.forEach(({ worker }) => worker.postMessage(series));
    }
  };
  // Workers constructed already get their series now, the others (bundling still under way) as soon as they are.
  if (pool.constructed) {
    handOut();
  }
  const started = pool.started.then(() => {
    if (!handed) {
      handOut();
    }
  });
  if (!mainThread) {
    await started;
  }
  if (mainThread || pool.threads.length === 0) {
    let done = 0;
    for (let i = Atomics.add(next, 0, 1); i < tasks.length; i = Atomics.add(next, 0, 1)) {
      found[i] = detectSeries(data.columns, tasks[i]!, data.environments, metrics, detectors);
      mainDone[0]!++;
      if (!handed && ++done % YIELD_EVERY === 0) {
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
  }
  await started;
  if (!mainThread) {
    await Promise.all(pool.threads.map((t) => t.settled));
  }
  // Workers that have not taken their series yet are cancelled; the others finish the series they hold.
  await Promise.all(
    pool.threads.map(({ worker, settled }, id) => (Atomics.compareExchange(states, id, WorkerState.Booting, WorkerState.Cancelled) === WorkerState.Booting ? worker.terminate() : settled)),
  );
  await Promise.all(pool.threads.map(({ worker }) => worker.terminate()));
  // Series a worker claimed but never answered (it failed) are detected here.
  for (let i = 0; i < tasks.length; i++) {
    if (found[i] === undefined) {
      found[i] = detectSeries(data.columns, tasks[i]!, data.environments, metrics, detectors);
      mainDone[0]!++;
    }
  }
  return { found: found as Detection[][][], seriesByThread: [...mainDone, ...pool.done], workerErrors: pool.errors };
}

/** Stops workers that were started for a scan that then failed before detection. */
export async function stopWorkers(pool: Workers): Promise<void> {
  pool.total = 0;
  await pool.started;
  await Promise.all(pool.threads.map(({ worker }) => worker.terminate()));
}
