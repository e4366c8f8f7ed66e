/**
 * One warm spare session worker per page: started in the background, it imports onnxruntime-web and instantiates its
 * WASM before it is needed, so a worker lost to a missed deadline or a crash is replaced by one that only has to
 * reload the sessions (the replacement's cost drops from importing and compiling ORT to loading the models).
 *
 * The spare also holds standby copies of the page's WASM sessions, as many as a byte budget allows (the page's replica
 * budget): a lost worker whose sessions the spare already holds is replaced with no reload at all, so its retried
 * calls run at once. Measured (bench --suite workers, stuck model): with ORT's WASM shared, reloading bert-tiny on the
 * spare was still 0.2-0.6 s of a 0.7-1.7 s recovery on a busy 2-core machine. Standby loads run one at a time and
 * only while the page's workers have no calls (`idle`): on a small machine they would slow the page's real work.
 */
import type { FromWorker, ToWorker, WasmSource, WorkerOps } from './messages';
import type { Spawner } from './spawn';

type LoadRequest = WorkerOps['load']['request'];

/** How often a standby load waiting for the page to be idle looks again. */
const IDLE_CHECK_MS = 250;

/**
 * A worker handed over by {@link SpareWorker.take}: `warm` says it already reported ready (ORT's WASM instantiated),
 * `wasm` where that WASM came from, `holds` the sessions it has loaded (under their page ids).
 */
export interface AdoptedWorker {
  worker: Worker;
  warm: boolean;
  wasm?: WasmSource;
  holds: ReadonlySet<string>;
}

interface Spare extends AdoptedWorker {
  holds: Set<string>;
  /** Calls made to it (negative numbers: the host that adopts it numbers its own from 1 and ignores these). */
  calls: Map<number, (ok: boolean) => void>;
  dispose: () => void;
}

export class SpareWorker {
  private spare: Spare | undefined;
  /** Sessions the spare should hold, with their serialized size. */
  private readonly standby = new Map<string, { request: LoadRequest; bytes: number }>();
  private nextCall = -1;
  /** Standby copies still to load on the current spare, and whether one is loading or a check is scheduled. */
  private pending: LoadRequest[] = [];
  private pumping = false;

  /**
   * `spawner.spawn(true)` starts a worker and sends it a spare's init; `budgetBytes` bounds the standby copies (serialized
   * model bytes; 0: none).
   */
  constructor(
    private readonly spawner: Spawner,
    private readonly budgetBytes: number,
    /** Whether the page's workers have no calls in flight (standby loads wait for it). */
    private readonly idle: () => boolean = () => true,
  ) {}

  /** Starts a spare unless one exists. Called at page start and once a promoted spare holds its sessions again. */
  replenish(): void {
    if (this.spare !== undefined) {
      return;
    }
    const worker = this.spawner.spawn(true);
    const spare: Spare = { worker, warm: false, holds: new Set(), calls: new Map(), dispose: () => undefined };
    const onMessage = (event: MessageEvent<FromWorker>): void => {
      const message = event.data;
      if (message.kind === 'ready') {
        spare.warm = true;
        this.pending = [...this.standby.values()].map((s) => s.request);
        this.pump();
      } else if (message.kind === 'wasm') {
        spare.wasm = message.source;
      } else {
        const settle = spare.calls.get(message.call);
        spare.calls.delete(message.call);
        settle?.(message.kind === 'ok');
      }
    };
    // A spare that dies before it is needed is dropped; the next replenish starts another (no tight restart loop).
    const onError = (event: ErrorEvent): void => {
      event.preventDefault();
      this.spawner.end(worker);
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
   * A session now loaded on some worker: the spare loads a standby copy if the budget has room. WASM sessions only: a
   * WebGPU or WebNN copy would hold device memory and its warm-up run would compete for the one device (with a
   * software adapter here, a second first run on it pushed another worker's WebGPU run past its 30 s deadline).
   */
  mirror(request: LoadRequest, bytes: number): void {
    if (request.backend !== 'wasm') {
      return;
    }
    let used = 0;
    for (const s of this.standby.values()) {
      used += s.bytes;
    }
    if (used + bytes > this.budgetBytes) {
      return;
    }
    this.standby.set(request.sessionId, { request, bytes });
    if (this.spare?.warm === true) {
      this.pending.push(request);
      this.pump();
    }
  }

  /** A session released: its standby copy goes too. */
  forget(sessionId: string): void {
    if (!this.standby.delete(sessionId) || this.spare === undefined) {
      return;
    }
    this.pending = this.pending.filter((r) => r.sessionId !== sessionId);
    this.spare.holds.delete(sessionId);
    this.post(this.spare, { op: 'release', request: { sessionId } }, () => undefined);
  }

  /**
   * The spare, warm or still warming (either way ahead of a fresh worker), or undefined when there is none. The caller
   * must add its listeners before yielding: a `ready` not yet seen here is then delivered to it. Standby loads still
   * under way are not in `holds` (the caller loads those sessions itself).
   */
  take(): AdoptedWorker | undefined {
    const spare = this.spare;
    if (spare === undefined) {
      return undefined;
    }
    this.spare = undefined;
    this.pending = [];
    this.pumping = false; // a standby load in flight on it is the adopter's now
    spare.dispose();
    return { worker: spare.worker, warm: spare.warm, holds: spare.holds, ...(spare.wasm === undefined ? {} : { wasm: spare.wasm }) };
  }

  /** Loads the next pending standby copy once the page is idle; one at a time (each load re-checks). */
  private pump(): void {
    if (this.pumping) {
      return;
    }
    const spare = this.spare;
    const next = this.pending[0];
    if (spare === undefined || next === undefined) {
      return;
    }
    this.pumping = true;
    if (!this.idle()) {
      setTimeout(() => {
        if (this.spare === spare) {
          this.pumping = false; // (else `take` already reset it)
          this.pump();
        }
      }, IDLE_CHECK_MS);
      return;
    }
    this.pending.shift();
    this.post(spare, { op: 'load', request: { ...next, keepBytes: false, standby: true } }, (ok) => {
      if (ok && this.standby.has(next.sessionId)) {
        spare.holds.add(next.sessionId);
      }
      this.pumping = false;
      this.pump();
    });
  }

  private post(spare: Spare, call: { op: 'load'; request: LoadRequest } | { op: 'release'; request: { sessionId: string } }, done: (ok: boolean) => void): void {
    const id = this.nextCall--;
    spare.calls.set(id, done);
    spare.worker.postMessage({ kind: 'call', call: id, ...call } satisfies ToWorker);
  }
}
