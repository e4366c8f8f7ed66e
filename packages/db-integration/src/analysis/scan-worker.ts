/**
 * A detection worker of the regression scan (started by scan-workers.ts before the rows are read, or kept warm from
 * an earlier scan): for each scan's job, claims series from the shared counter and posts each one's findings, until
 * none is left or the main thread has already cancelled it, then says it finished and waits for the next job.
 */
import { parentPort } from 'node:worker_threads';

import { detectSeries } from './scan-detect';
import { type WorkerJob, WorkerState } from './scan-worker-init';

parentPort!.on('message', ({ boot, series }: WorkerJob) => {
  if (Atomics.compareExchange(boot.states, boot.id, WorkerState.Booting, WorkerState.Running) === WorkerState.Booting) {
    for (let i = Atomics.add(boot.next, 0, 1); i < series.tasks.length; i = Atomics.add(boot.next, 0, 1)) {
      parentPort!.postMessage({ i, found: detectSeries(series.columns, series.tasks[i]!, series.environments, series.metrics, series.detectors) });
    }
  }
  parentPort!.postMessage({ finished: true });
});
