/**
 * One warm spare session worker per page: started in the background, it imports onnxruntime-web and instantiates its
 * WASM before it is needed, so a worker lost to a missed deadline or a crash is replaced by one that only has to
 * reload the sessions (the replacement's cost drops from importing and compiling ORT to loading the models).
 */
import type { FromWorker, InitMessage } from './messages';

/** A worker handed over by {@link SpareWorker.take}: `warm` says it already reported ready (ORT's WASM instantiated). */
export interface AdoptedWorker {
  worker: Worker;
  warm: boolean;
}

interface Spare {
  worker: Worker;
  warm: boolean;
  dispose: () => void;
}

export class SpareWorker {
  private spare: Spare | undefined;

  constructor(
    private readonly spawn: () => Worker,
    private readonly init: InitMessage,
  ) {}

  /** Starts a spare unless one exists. Called at page start and once a promoted spare holds its sessions again. */
  replenish(): void {
    if (this.spare !== undefined) {
      return;
    }
    const worker = this.spawn();
    const spare: Spare = { worker, warm: false, dispose: () => undefined };
    const onMessage = (event: MessageEvent<FromWorker>): void => {
      if (event.data.kind === 'ready') {
        spare.warm = true;
      }
    };
    // A spare that dies before it is needed is dropped; the next replenish starts another (no tight restart loop).
    const onError = (event: ErrorEvent): void => {
      event.preventDefault();
      worker.terminate();
      if (this.spare === spare) {
        this.spare = undefined;
      }
    };
    spare.dispose = () => {
      worker.removeEventListener('message', onMessage);
      worker.removeEventListener('error', onError);
    };
    worker.addEventListener('message', onMessage);
    worker.addEventListener('error', onError);
    worker.postMessage({ ...this.init, warmUp: true } satisfies InitMessage);
    this.spare = spare;
  }

  /**
   * The spare, warm or still warming (either way ahead of a fresh worker), or undefined when there is none. The caller
   * must add its listeners before yielding: a `ready` not yet seen here is then delivered to it.
   */
  take(): AdoptedWorker | undefined {
    const spare = this.spare;
    if (spare === undefined) {
      return undefined;
    }
    this.spare = undefined;
    spare.dispose();
    return { worker: spare.worker, warm: spare.warm };
  }

  /** Whether a spare exists and has reported ready. */
  get state(): 'none' | 'warming' | 'warm' {
    return this.spare === undefined ? 'none' : this.spare.warm ? 'warm' : 'warming';
  }
}
