/**
 * The main thread's handle on one session worker: numbered calls, a watchdog per call, and replacement. A worker
 * that misses a call's deadline, or crashes, is terminated at once (the only way to stop a thread stuck in WASM);
 * its in-flight calls fail with `E_WORKER_LOST` (retryable), and a fresh worker reloads its sessions under the same
 * ids, from the bytes or URL they were loaded from, so Node's session ids stay valid. The replacement is the page's
 * warm spare when there is one (ORT's WASM already instantiated: only the sessions are reloaded), else a fresh worker.
 */
import {
  deserializeError,
  SessionNotFoundError,
  WorkerLostError,
  type WorkerSnapshot,
} from '../../protocol';
import type { RepliedDirectly, RunOutcome } from '../session-host';
import type { FromWorker, ToWorker, WasmSource, WorkerOp, WorkerOps } from './messages';
import type { AdoptedWorker, SpareWorker } from './spare';
import type { Spawner } from './spawn';
import { buffersOf } from './transfer';

/** A session this worker holds (or is loading): everything needed to load it again in a fresh worker. */
export interface PlacedSession {
  request: WorkerOps['load']['request'];
  /** The original load's deadline, reused for reloads; undefined: no watchdog. */
  loadDeadlineMs: number | undefined;
  loaded: boolean;
  /** An extra copy of a session another worker holds (made for a growing queue; dropped when cold). */
  replica?: boolean;
}

interface InFlight {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout> | undefined;
}

type HostState = { kind: 'starting' } | { kind: 'ready' } | { kind: 'respawning' };

interface CallOptions {
  transfer?: Transferable[];
  expiresAt?: number | undefined;
  /** Reload calls of a respawn: sent at once, not after the respawn they belong to. */
  restoring?: boolean;
}

/** A worker that dies before it ever started (a broken script) is respawned with backoff, not in a tight loop. */
const START_BACKOFF_MS = [0, 100, 500, 2000, 5000];

export class WorkerHost {
  readonly sessions = new Map<string, PlacedSession>();
  private worker: Worker;
  private generation = 0;
  private readonly inFlight = new Map<number, InFlight>();
  private nextCall = 1;
  /** Calls made and not settled (counted synchronously, before any wait, so routing sees them at once). */
  private pending = 0;
  private state: HostState = { kind: 'starting' };
  private respawns = 0;
  private failedStarts = 0;
  /** Whether the current worker said it is ready (loaded ORT); one lost before that counts as a failed start. */
  private started = false;
  private lastLoss: NonNullable<WorkerSnapshot['lastLoss']> | undefined;
  /** Where the current worker's ORT WASM came from, once instantiated. */
  private wasm: WasmSource | undefined;
  /** Settles when the current worker holds every placed session again; calls wait for it. */
  private restored: Promise<void> = Promise.resolve();

  constructor(
    readonly index: number,
    /** Starts a worker and sends it its init (`warmUp`: a spare's); ends a lost one (its relay port closed too). */
    private readonly spawner: Spawner,
    private readonly spares?: SpareWorker,
    /** Told of each loss, after its calls failed: what the worker held in memory (tensor handles) went with it. */
    private readonly onLost?: (host: WorkerHost, reason: string) => void,
  ) {
    this.worker = this.start();
  }

  get load(): number {
    return this.sessions.size * 1000 + this.inFlight.size;
  }

  /** Calls made to this worker and not answered yet, those still waiting for a respawn included. */
  get busy(): number {
    return this.pending;
  }

  get ready(): boolean {
    return this.state.kind === 'ready';
  }

  /** `transfer`: buffers of the request to move (inline bytes sent with `keepBytes`). */
  async loadSession(placed: PlacedSession, expiresAt: number | undefined, transfer: Transferable[] = []): Promise<Omit<WorkerOps['load']['result'], 'kept'>> {
    this.sessions.set(placed.request.sessionId, placed);
    try {
      const { kept, ...info } = await this.call('load', placed.request, { expiresAt, transfer });
      if (kept !== undefined) {
        // The bytes sent were moved to the worker: reloads and replicas use the worker's copy from now on.
        placed.request = { ...placed.request, source: { kind: 'inline', bytes: kept }, keepBytes: false };
      }
      placed.loaded = true;
      return info;
    } catch (error) {
      this.sessions.delete(placed.request.sessionId);
      throw error;
    }
  }

  run(request: WorkerOps['run']['request'], expiresAt: number | undefined): Promise<RunOutcome | RepliedDirectly> {
    return this.call('run', request, { expiresAt, transfer: buffersOf(request.inputs) });
  }

  loop(request: WorkerOps['loop']['request'], expiresAt: number | undefined): Promise<number[]> {
    return this.call('loop', request, { expiresAt, transfer: buffersOf(request.inputs) });
  }

  /** `expiresAt`: a run waits on this read (a copy between workers); the holder is replaced if it misses it. */
  readHandle(handleId: string, expiresAt?: number): Promise<WorkerOps['readHandle']['result']> {
    return this.call('readHandle', { handleId }, { expiresAt });
  }

  releaseHandles(handleIds: string[]): Promise<string[]> {
    return this.call('releaseHandles', { handleIds });
  }

  async release(sessionId: string): Promise<void> {
    this.sessions.delete(sessionId);
    await this.call('release', { sessionId }).catch((error: unknown) => {
      // Released while its worker was being replaced: the fresh worker never reloaded it, which is the point.
      if (!(error instanceof SessionNotFoundError)) {
        throw error;
      }
    });
  }

  probe(): Promise<WorkerOps['probe']['result']> {
    return this.call('probe', {});
  }

  /** Fault hooks (tests, drills): an endless loop or an uncaught error inside this worker. */
  inject(fault: 'spin' | 'crash'): void {
    this.post({ kind: fault });
  }

  snapshot(): WorkerSnapshot {
    return {
      index: this.index,
      state: this.state.kind,
      sessions: [...this.sessions.values()].map((s) => ({
        sessionId: s.request.sessionId,
        modelId: s.request.modelId,
        ...(s.replica === true ? { replica: true } : {}),
      })),
      inFlight: this.inFlight.size,
      respawns: this.respawns,
      ...(this.wasm === undefined ? {} : { wasm: this.wasm }),
      ...(this.lastLoss === undefined ? {} : { lastLoss: { ...this.lastLoss } }),
    };
  }

  private async call<K extends WorkerOp>(op: K, request: WorkerOps[K]['request'], options: CallOptions = {}): Promise<WorkerOps[K]['result']> {
    this.pending++;
    try {
      return await this.send(op, request, options);
    } finally {
      this.pending--;
    }
  }

  private async send<K extends WorkerOp>(op: K, request: WorkerOps[K]['request'], options: CallOptions): Promise<WorkerOps[K]['result']> {
    if (options.restoring !== true) {
      // A respawn may itself be replaced by another: wait until the latest one is done.
      for (let waited: Promise<void> | undefined; waited !== this.restored; ) {
        waited = this.restored;
        await waited;
      }
    }
    const { expiresAt } = options;
    if (expiresAt !== undefined && expiresAt <= performance.now()) {
      // Expired while waiting for a respawn: the new worker is not at fault, so it is not replaced for it. The call
      // never started, and the loss is why: retryable, as the calls the lost worker held.
      throw new WorkerLostError(`${op} reached its deadline while page worker ${this.index} was still being respawned; it never started`, {
        details: { worker: this.index, reason: 'still being respawned' },
      });
    }
    return new Promise<WorkerOps[K]['result']>((resolve, reject) => {
      const call = this.nextCall++;
      const timer =
        expiresAt === undefined
          ? undefined
          : setTimeout(() => this.lose(`missed the deadline of a ${op} call`), expiresAt - performance.now());
      // The worker is our own code, built with this page: its results are trusted to match the op.
      this.inFlight.set(call, { resolve: resolve as (value: unknown) => void, reject, timer });
      this.post({ kind: 'call', op, call, request } as ToWorker, options.transfer);
    });
  }

  private post(message: ToWorker, transfer: Transferable[] = []): void {
    this.worker.postMessage(message, transfer);
  }

  /** Wires up a worker: a fresh one (sent its init here), or an adopted spare (already initialised, maybe warm). */
  private start(adopted?: AdoptedWorker): Worker {
    const worker = adopted?.worker ?? this.spawner.spawn(false);
    const generation = ++this.generation;
    this.started = adopted?.warm ?? false;
    this.wasm = adopted?.wasm;
    if (this.started) {
      this.failedStarts = 0;
    }
    // Events of a terminated worker's generation are ignored: its calls were already failed.
    worker.addEventListener('message', (event: MessageEvent<FromWorker>) => {
      if (generation === this.generation) {
        this.onMessage(event.data);
      }
    });
    worker.addEventListener('error', (event: ErrorEvent) => {
      event.preventDefault();
      if (generation === this.generation) {
        this.lose(`crashed (${event.message === '' ? 'uncaught error' : event.message})`);
      }
    });
    worker.addEventListener('messageerror', () => {
      if (generation === this.generation) {
        this.lose('sent a message that could not be read');
      }
    });
    return worker;
  }

  private onMessage(message: FromWorker): void {
    if (message.kind === 'wasm') {
      this.wasm = message.source;
      return;
    }
    if (message.kind === 'ready') {
      this.started = true;
      this.failedStarts = 0;
      if (this.state.kind === 'starting') {
        this.state = { kind: 'ready' };
      }
      return;
    }
    const pending = this.inFlight.get(message.call);
    if (pending === undefined) {
      return;
    }
    this.inFlight.delete(message.call);
    clearTimeout(pending.timer);
    if (message.kind === 'ok') {
      pending.resolve(message.result);
    } else {
      pending.reject(deserializeError(message.error));
    }
  }

  private lose(reason: string): void {
    const lostAt = performance.now();
    this.spawner.end(this.worker);
    this.generation++;
    if (!this.started) {
      this.failedStarts++;
    }
    this.respawns++;
    const loss: NonNullable<WorkerSnapshot['lastLoss']> = { reason, respawnMs: null };
    this.lastLoss = loss;
    this.state = { kind: 'respawning' };
    const calls = [...this.inFlight.values()];
    this.inFlight.clear();
    for (const c of calls) {
      clearTimeout(c.timer);
      c.reject(
        new WorkerLostError(`page worker ${this.index} ${reason}; it was terminated and is being respawned with its sessions (the page stays connected)`, {
          details: { worker: this.index, reason },
        }),
      );
    }
    this.restored = this.respawn(loss, lostAt);
    this.onLost?.(this, reason);
  }

  private async respawn(loss: NonNullable<WorkerSnapshot['lastLoss']>, lostAt: number): Promise<void> {
    // Taken before any wait, so its `ready` (if still to come) reaches this host's listener.
    const adopted = this.spares?.take();
    const backoff = START_BACKOFF_MS[Math.min(this.failedStarts, START_BACKOFF_MS.length - 1)] ?? 0;
    if (backoff > 0 && adopted === undefined) {
      await new Promise((resolve) => setTimeout(resolve, backoff));
    }
    loss.replacement = adopted === undefined ? 'fresh' : adopted.warm ? 'warm spare' : 'warming spare';
    this.worker = this.start(adopted);
    // The spare's standby copies: those of this worker's sessions need no reload, the others' are dropped.
    const held = adopted?.holds ?? new Set<string>();
    for (const sessionId of held) {
      if (this.sessions.get(sessionId)?.loaded !== true) {
        void this.call('release', { sessionId }, { restoring: true }).catch(() => undefined);
      }
    }
    const reloads = [...this.sessions.values()].filter((s) => s.loaded && !held.has(s.request.sessionId));
    loss.standby = [...this.sessions.values()].filter((s) => s.loaded).length - reloads.length;
    for (const placed of reloads) {
      const expiresAt = placed.loadDeadlineMs === undefined ? undefined : performance.now() + placed.loadDeadlineMs;
      try {
        await this.call('load', placed.request, { restoring: true, expiresAt });
      } catch (error) {
        if (error instanceof WorkerLostError) {
          return; // lost again while reloading: that respawn takes over
        }
        // It cannot come back (its URL is gone, say): later calls to it fail with E_SESSION_NOT_FOUND.
        this.sessions.delete(placed.request.sessionId);
      }
    }
    this.state = { kind: 'ready' };
    loss.respawnMs = performance.now() - lostAt;
    // The next spare starts only now: on a small machine it would compete with the reloads for the cores.
    this.spares?.replenish();
  }
}
