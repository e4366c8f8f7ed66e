/**
 * A detection worker of the regression scan (started by scan-workers.ts): claims series from the shared counter and
 * posts each one's findings, until none is left or the main thread has already cancelled it.
 */
import { parentPort, workerData } from 'node:worker_threads';

import { detectSeries } from './scan-detect';
import { type WorkerInit, WorkerState } from './scan-worker-init';

const init = workerData as WorkerInit;
if (Atomics.compareExchange(init.states, init.id, WorkerState.Booting, WorkerState.Running) === WorkerState.Booting) {
  for (let i = Atomics.add(init.next, 0, 1); i < init.tasks.length; i = Atomics.add(init.next, 0, 1)) {
    parentPort!.postMessage({ i, found: detectSeries(init.columns, init.tasks[i]!, init.environments, init.metrics, init.detectors) });
  }
}
parentPort!.postMessage({ finished: true });
