/**
 * A detection worker of the regression scan (started by scan-workers.ts before the rows are read): waits for the
 * series, claims them from the shared counter and posts each one's findings, until none is left or the main thread
 * has already cancelled it.
 */
import { parentPort, workerData } from 'node:worker_threads';

import { detectSeries } from './scan-detect';
import { type WorkerBoot, type WorkerSeries, WorkerState } from './scan-worker-init';

const boot = workerData as WorkerBoot;
parentPort!.once('message', (series: WorkerSeries) => {
  if (Atomics.compareExchange(boot.states, boot.id, WorkerState.Booting, WorkerState.Running) === WorkerState.Booting) {
    for (let i = Atomics.add(boot.next, 0, 1); i < series.tasks.length; i = Atomics.add(boot.next, 0, 1)) {
      parentPort!.postMessage({ i, found: detectSeries(series.columns, series.tasks[i]!, series.environments, series.metrics, series.detectors) });
    }
  }
  parentPort!.postMessage({ finished: true });
});
