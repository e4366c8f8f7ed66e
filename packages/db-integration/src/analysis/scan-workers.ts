/**
 * Detection of the scan's series across threads: the main thread and worker threads claim series one at a time from a
 * shared counter (so a worker still starting up takes none, and a slow thread takes fewer), reading the rows from the
 * scan's SharedArrayBuffer columns without a copy; findings come back per series and are put back in series order, so
 * the result is the same as detecting in one thread. Workers are started (`startWorkers`) as soon as the scan knows how
 * many points it will read, so their start overlaps the read of the rows; each waits for its series in a message. The
 * main thread starts detecting at once and, while a worker is not yet started, looks at its event loop every few
 * series. A worker that cannot start or dies leaves its series to the main thread; the result says how many series
 * each thread did and why a worker failed. After the scan its healthy workers are parked, warm, for the next scan in
 * the same process (a server, a watcher, the bench's rescans): on the 1M-row bench database on 2 cores, rescans with
 * one worker took 0.82-1.02 s (detection 0.46-0.57 s) against 1.16-1.34 s (0.72-0.82 s) with a fresh one each time.
 */
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

import { build } from 'esbuild';

import type { DetectorName } from './findings';
import type { Detection, Metric } from './regression';
import { detectSeries, type SeriesRows } from './scan-detect';
import type { ScanData } from './scan-read';
import { type WorkerJob, type WorkerSeries, WorkerState } from './scan-worker-init';

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
  id: number;
  /** Kept warm from an earlier scan (its JIT has compiled the detectors). */
  warm: boolean;
  /** This scan's job was posted to it. */
  handed: boolean;
  /** Settles when the worker says it finished this scan's job, fails or exits. */
  settled: Promise<void>;
  /** Stops listening to the worker for this scan (settling `settled`). */
  release: () => void;
  failed: boolean;
}

/**
 * Workers kept between scans, their JIT warm: the next scan takes them first. A fresh worker detects at 2-2.5x a warm
 * one's cost per series while its JIT compiles (measured on the 1M-row bench database, 2 cores: 1.95 ms a series
 * against 0.77), and its compiler threads slow the main thread beside it. Parked workers are unref'd (they keep no
 * process alive) and end after IDLE_MS unused.
 */
const parked: Worker[] = [];
const parkTimers = new Map<Worker, ReturnType<typeof setTimeout>>();
/** How long a parked worker waits for another scan before it ends (60 s). */
export const IDLE_MS = 60_000;

function park(worker: Worker): void {
  worker.unref();
  const timer = setTimeout(() => {
    unpark(worker);
    void worker.terminate();
  }, IDLE_MS);
  timer.unref();
  parkTimers.set(worker, timer);
  parked.push(worker);
}

function unpark(worker: Worker): void {
  clearTimeout(parkTimers.get(worker));
  parkTimers.delete(worker);
  const at = parked.indexOf(worker);
  if (at !== -1) {
    parked.splice(at, 1);
  }
}

/** Warm workers parked now. */
export function parkedWorkers(): number {
  return parked.length;
}

/**
 * Ends the parked workers now (a server shutting down; they would end by themselves after IDLE_MS). Each leaves the
 * pool as any worker that ends while parked does: by its exit event.
 */
export async function endParkedWorkers(): Promise<void> {
  await Promise.all([...parked].map((worker) => worker.terminate()));
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
  /** Settles once every worker is there (warm, or constructed; or bundling failed); `constructed` is then true. */
  started: Promise<void>;
  constructed: boolean;
  /** Series of the scan (Infinity until they are handed out): no worker is constructed once all are claimed. */
  total: number;
  /** Where a worker's findings go (set when the series are handed out). */
  sink: (i: number, found: Detection[][]) => void;
}

/** Takes `worker` into `pool` as thread `id`, listening for this scan's messages until it finishes, fails or exits. */
function enlist(pool: Workers, worker: Worker, id: number, warm: boolean): void {
  pool.done.push(0);
  const thread: Thread = { worker, id, warm, handed: false, failed: false, settled: Promise.resolve(), release: () => undefined };
  thread.settled = new Promise<void>((resolve) => {
    const stop = (): void => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
      resolve();
    };
    const onMessage = (m: Message): void => {
      if ('finished' in m) {
        stop();
      } else {
        pool.sink(m.i, m.found);
        pool.done[id]!++;
      }
    };
    const onError = (error: Error): void => {
      thread.failed = true;
      pool.errors.push(`worker ${id}: ${error.message}`);
      stop();
    };
    const onExit = (): void => {
      thread.failed = true;
      stop();
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    thread.release = stop;
  });
  pool.threads.push(thread);
}

/** Starts `count` detection workers now (warm parked ones first); they wait for their series (`detectAcrossThreads`). */
export function startWorkers(count: number): Workers {
  const pool: Workers = {
    count,
    next: new Int32Array(new SharedArrayBuffer(4)),
    states: new Int32Array(new SharedArrayBuffer(4 * Math.max(1, count))),
    threads: [],
    done: [],
    errors: [],
    started: Promise.resolve(),
    constructed: true,
    total: Infinity,
    sink: () => undefined,
  };
  while (pool.threads.length < count && parked.length > 0) {
    const worker = parked.pop()!;
    unpark(worker);
    // Ended, its exit event not yet seen (threadId is -1 once a worker has stopped): not taken.
    if (worker.threadId === -1) {
      continue;
    }
    worker.ref();
    enlist(pool, worker, pool.threads.length, true);
  }
  const start = (source: string): void => {
    // Nothing left to claim (the main thread was quicker than the bundling): no worker.
    for (let id = pool.threads.length; id < count && Atomics.load(pool.next, 0) < pool.total; id++) {
      const worker = new Worker(source, { eval: true });
      // A worker that ends while parked (killed, out of memory) is not taken by a later scan.
      worker.once('exit', () => unpark(worker));
      enlist(pool, worker, id, false);
    }
    pool.constructed = true;
  };
  if (pool.threads.length < count) {
    pool.constructed = false;
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
  // Every thread there is now or will be has its job: the main thread stops looking at its event loop.
  let allHanded = false;
  const handOut = (): void => {
    if (shared) {
      const series: WorkerSeries = { columns: data.columns, tasks, environments: data.environments, metrics, detectors };
      for (const thread of pool.threads.filter((t) => !t.handed)) {
        thread.handed = true;
        const job: WorkerJob = { boot: { id: thread.id, next, states }, series };
        thread.worker.postMessage(job);
      }
    }
  };
  // Warm workers get their series now, the others (bundling still under way) as soon as they are constructed.
  handOut();
  allHanded = pool.constructed;
  const started = pool.started.then(() => {
    handOut();
    allHanded = true;
  });
  if (!mainThread) {
    await started;
  }
  if (mainThread || pool.threads.length === 0) {
    let done = 0;
    for (let i = Atomics.add(next, 0, 1); i < tasks.length; i = Atomics.add(next, 0, 1)) {
      found[i] = detectSeries(data.columns, tasks[i]!, data.environments, metrics, detectors);
      mainDone[0]!++;
      if (!allHanded && ++done % YIELD_EVERY === 0) {
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
  }
  await started;
  if (!mainThread) {
    await Promise.all(pool.threads.map((t) => t.settled));
  }
  // Workers that have not taken their job yet are cancelled: a warm one answers at once, a fresh one still starting
  // is not waited for (ended). The others finish the series they hold. Then the healthy ones are parked, warm.
  await Promise.all(
    pool.threads.map((t) => {
      if (!t.handed) {
        t.release();
        return t.settled;
      }
      if (Atomics.compareExchange(states, t.id, WorkerState.Booting, WorkerState.Cancelled) === WorkerState.Booting && !t.warm) {
        t.failed = true;
        return t.worker.terminate();
      }
      return t.settled;
    }),
  );
  for (const t of pool.threads) {
    if (t.failed) {
      void t.worker.terminate();
    } else {
      park(t.worker);
    }
  }
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
