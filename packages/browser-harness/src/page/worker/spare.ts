/**
 * One warm spare session worker per page: started in the background, it imports onnxruntime-web and instantiates its
 * WASM before it is needed, so a worker lost to a missed deadline or a crash is replaced by one that only has to
 * reload the sessions (the replacement's cost drops from importing and compiling ORT to loading the models).
 */
import type { FromWorker, WasmSource } from './messages';

/**
 * A worker handed over by {@link SpareWorker.take}: `warm` says it already reported ready (ORT's WASM instantiated),
 * `wasm` where that WASM came from.
 */
export interface AdoptedWorker {
  worker: Worker;
  warm: boolean;
  wasm?: WasmSource;
}

interface Spare extends AdoptedWorker {
  dispose: () => void;
}

export class SpareWorker {
  private spare: Spare | undefined;

  /** `spawn(true)` starts a worker and sends it a spare's init. */
  constructor(private readonly spawn: (warmUp: boolean) => Worker) {}

  /** Starts a spare unless one exists. Called at page start and once a promoted spare holds its sessions again. */
  replenish(): void {
    if (this.spare !== undefined) {
      return;
    }
    const worker = this.spawn(true);
    const spare: Spare = { worker, warm: false, dispose: () => undefined };
    const onMessage = (event: MessageEvent<FromWorker>): void => {
      if (event.data.kind === 'ready') {
        spare.warm = true;
      } else if (event.data.kind === 'wasm') {
        spare.wasm = event.data.source;
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
    return { worker: spare.worker, warm: spare.warm, ...(spare.wasm === undefined ? {} : { wasm: spare.wasm }) };
  }

  /** Whether a spare exists and has reported ready. */
  get state(): 'none' | 'warming' | 'warm' {
    return this.spare === undefined ? 'none' : this.spare.warm ? 'warm' : 'warming';
  }
}
