/**
 * One connection as the pool runs it: a p-queue bounding concurrent work on the page, a circuit breaker, the model
 * sessions that live there (created on first use, each trying the model's backends in order), and what was observed
 * (latency, failures, health). Scheduling across connections is the pool's job; this runs one job on one connection.
 */
import {
  type BrowserKind,
  BrowserPoolError,
  type Connection,
  ConnectionLostError,
  ErrorCode,
  type RunInputs,
  type RunResult,
  type TensorMap,
} from '@browser-pool/browser-harness';
import PQueue from 'p-queue';

import { type Breaker, type BreakerState, isBusyTimeout } from './breaker';
import { ewma, healthScore } from './health';
import { type HeldCopy, type LoadedModel, ModelSessions } from './model-sessions';
import type { PoolModel } from './pool-model';
import { addBeforeDeadline } from './queue-deadline';
import type { ConnectionView } from './routing/policy';
import { beforeDeadline, judgedTimeout } from './timeout-judgement';

export type { HeldCopy, LoadedModel } from './model-sessions';

export type PoolConnectionState =
  | { kind: 'ready' }
  /** Failed a known-answer check: out of routing until it passes one or its replacement is up. */
  | { kind: 'quarantined'; reason: string }
  | { kind: 'draining'; reason: string }
  | { kind: 'closed'; cause: BrowserPoolError };

export interface ConnectionRunOptions {
  priority?: number | undefined;
  signal?: AbortSignal | undefined;
  deadline: number;
  /** Pages with workers: when the worker running it is given up on (`E_WORKER_LOST`, retried). @default `deadline` */
  workerDeadline?: number | undefined;
  outputNames?: readonly string[] | undefined;
  keep?: readonly string[] | undefined;
  copyHandles?: boolean | undefined;
}

export interface ConnectionStats {
  completed: number;
  failed: number;
  consecutiveFailures: number;
  latencyMs: number | undefined;
  pingMs: number | undefined;
  knownAnswerOk: boolean | undefined;
  /** Page JS heap in bytes at the last health sample; undefined where the browser does not expose it. */
  memoryBytes: number | undefined;
  lastActivityAt: number;
  launchedAt: number;
}

/**
 * Failures that mean "this connection is in trouble" (count toward health; the request may go elsewhere). A timeout
 * while the page went on answering other calls is not one: the page works, the deadline was short for its queue.
 */
export function isConnectionFault(error: unknown): boolean {
  return (
    error instanceof BrowserPoolError &&
    !isBusyTimeout(error) &&
    [ErrorCode.ConnectionLost, ErrorCode.WorkerLost, ErrorCode.Closed, ErrorCode.Timeout, ErrorCode.Protocol, ErrorCode.Inference, ErrorCode.CircuitOpen].includes(
      error.code as never,
    )
  );
}

export class PoolConnection implements ConnectionView {
  private stateValue: PoolConnectionState = { kind: 'ready' };
  /** Set when the pool itself drains or closes this connection: its close is planned, not a crash. */
  private retiring = false;
  private readonly queue: PQueue;
  private readonly models: ModelSessions;
  /** EWMA of each model's in-page compute time here (ms), by model key: what routing expects a call to cost. */
  private readonly computeEwma = new Map<string, number>();
  /** When each model's compute EWMA here last took a sample (performance.now()). */
  private readonly computeAt = new Map<string, number>();
  /** Inference calls queued and running here, by model key, and in all. */
  private readonly calls = new Map<string, number>();
  private inflight = 0;
  /** Calls the page answered (runs and loads that succeeded): a timeout with this moving meanwhile is not the page's fault. */
  private answered = 0;
  /** Model copies released here for the memory budget (see Evictor). */
  evictions = 0;
  /** Inference requests taken (the recycling cap counts these; health checks do not count). */
  private served = 0;
  readonly stats: ConnectionStats;

  constructor(
    readonly connection: Connection,
    private readonly breakerImpl: Breaker,
    /** Requests run at once per session thread (the page's workers, or its main thread). */
    concurrency: number,
    loadTimeoutMs: number,
    /** Replacements of this browser slot so far (health input). */
    readonly drops: number,
    /** Heap size at which this connection is recycled (health input); 0 when there is no limit. */
    private readonly memoryLimitBytes = 0,
    /**
     * Inferences this connection takes before it stops taking work and `onWorn` asks for its recycling (a cap, not a
     * periodic check); 0 disables.
     */
    private readonly recycle: { afterInferences: number; onWorn: (reason: string) => void } = { afterInferences: 0, onWorn: () => undefined },
  ) {
    this.queue = new PQueue({ concurrency: concurrency * this.capacity });
    this.models = new ModelSessions(connection, loadTimeoutMs);
    const now = Date.now();
    this.stats = {
      completed: 0,
      failed: 0,
      consecutiveFailures: 0,
      latencyMs: undefined,
      pingMs: undefined,
      knownAnswerOk: undefined,
      memoryBytes: undefined,
      lastActivityAt: now,
      launchedAt: now,
    };
    connection.onClose((cause) => {
      this.stateValue = { kind: 'closed', cause };
      this.models.clear();
      void this.queue.onIdle().then(() => this.breakerImpl.shutdown());
    });
  }

  get id(): string {
    return this.connection.id;
  }
  get browser(): BrowserKind {
    return this.connection.browser;
  }
  get capabilities(): Connection['capabilities'] {
    return this.connection.capabilities;
  }
  get state(): PoolConnectionState {
    return this.stateValue;
  }
  get accepting(): boolean {
    return this.stateValue.kind === 'ready';
  }
  get breaker(): BreakerState {
    return this.breakerImpl.state;
  }
  get outstanding(): number {
    return this.queue.size + this.queue.pending;
  }
  /** Inference calls it runs at once: `connectionConcurrency` per session thread. */
  get slots(): number {
    return this.queue.concurrency;
  }
  /** Every slot taken by an inference call: the pool holds further calls back (late binding) rather than queue them here. */
  get full(): boolean {
    return this.inflight >= this.slots;
  }
  /** Session threads that run calls at the same time: the page's workers (harness.pageWorkers), else 1. */
  get capacity(): number {
    return Math.max(1, this.connection.capabilities.workers?.count ?? 0);
  }
  get healthScore(): number {
    const total = this.stats.completed + this.stats.failed;
    return healthScore({
      consecutiveFailures: this.stats.consecutiveFailures,
      errorRate: total === 0 ? 0 : this.stats.failed / total,
      pingMs: this.stats.pingMs,
      knownAnswerOk: this.stats.knownAnswerOk,
      drops: this.drops,
      breakerOpen: this.breakerImpl.state === 'open',
      memoryPressure:
        this.memoryLimitBytes > 0 && this.stats.memoryBytes !== undefined ? this.stats.memoryBytes / this.memoryLimitBytes : undefined,
    });
  }
  get latencyMs(): number | undefined {
    return this.stats.latencyMs;
  }
  get callsByModel(): ReadonlyMap<string, number> {
    return this.calls;
  }
  get computeMs(): ReadonlyMap<string, number> {
    return this.computeEwma;
  }
  get computeSampledAt(): ReadonlyMap<string, number> {
    return this.computeAt;
  }
  get loadMs(): ReadonlyMap<string, number> {
    return this.models.loadMs;
  }
  get loading(): ReadonlyMap<string, number> {
    return this.models.loading;
  }
  get modelCount(): number {
    return this.models.count;
  }
  get modelKeys(): string[] {
    return this.models.keys;
  }
  hasModel(key: string): boolean {
    return this.models.has(key);
  }
  /** Bytes of the model files placed here (loaded or loading). */
  get heldBytes(): number {
    return this.models.heldBytes;
  }
  heldCopies(): HeldCopy[] {
    return this.models.heldCopies((key) => this.calls.has(key));
  }

  onBreakerChange(listener: (state: BreakerState) => void): void {
    this.breakerImpl.onStateChange(listener);
  }

  /** Creates the model's session here on first use, trying its backends in order; later calls share it. */
  ensureModel(model: PoolModel, signal?: AbortSignal): Promise<LoadedModel> {
    return this.models.ensure(model, signal);
  }

  /** Queues one inference here (bounded by the connection's concurrency) and runs it through the breaker. */
  async run(model: PoolModel, inputs: RunInputs, options: ConnectionRunOptions): Promise<{ result: RunResult; loaded: LoadedModel }> {
    if (this.stateValue.kind !== 'ready') {
      throw new ConnectionLostError(`connection ${this.id} is ${this.stateValue.kind}; it takes no new work`);
    }
    this.served++;
    const cap = this.recycle.afterInferences;
    if (cap > 0 && this.served >= cap) {
      // Synchronously, before the next routing decision: the N-th request is this connection's last.
      const reason = `served ${this.served} inferences (recycleAfterInferences ${cap})`;
      this.stateValue = { kind: 'draining', reason };
      this.recycle.onWorn(reason);
    }
    // Placed here as soon as routed (not when a queue slot frees): the next routing decision, in this same turn,
    // sees the model on this connection and keeps its calls together. The request itself awaits the load below.
    this.ensureModel(model).catch(() => undefined);
    this.calls.set(model.key, (this.calls.get(model.key) ?? 0) + 1);
    this.inflight++;
    const done = (): void => {
      this.inflight--;
      this.models.touch(model);
      const left = (this.calls.get(model.key) ?? 1) - 1;
      if (left > 0) {
        this.calls.set(model.key, left);
      } else {
        this.calls.delete(model.key);
      }
    };
    const running = this.enqueue(model, inputs, options);
    running.then(done, done);
    return running;
  }

  /** The known-answer check: runs here even while quarantined (passing it is the way back into routing). */
  healthRun(model: PoolModel, inputs: TensorMap, deadline: number): Promise<{ result: RunResult; loaded: LoadedModel }> {
    if (this.stateValue.kind === 'closed') {
      return Promise.reject(this.stateValue.cause);
    }
    return this.enqueue(model, inputs, { deadline, priority: -1 });
  }

  /** Takes the connection out of routing after a failed known-answer check. */
  quarantine(reason: string): void {
    if (this.stateValue.kind === 'ready') {
      this.stateValue = { kind: 'quarantined', reason };
    }
  }

  /** Back into routing after passing a known-answer check. */
  release(): void {
    if (this.stateValue.kind === 'quarantined') {
      this.stateValue = { kind: 'ready' };
    }
  }

  /** Queued until a slot frees, for no longer than the request's deadline (see {@link addBeforeDeadline}). */
  private enqueue(model: PoolModel, inputs: RunInputs, options: ConnectionRunOptions): Promise<{ result: RunResult; loaded: LoadedModel }> {
    // Enqueued synchronously (before any await), so `outstanding` counts it for the very next routing decision.
    return addBeforeDeadline(this.queue, () => this.runQueued(model, inputs, options), {
      deadline: options.deadline,
      signal: options.signal,
      priority: options.priority ?? 0,
      label: `connection ${this.id}`,
    });
  }

  private runQueued(model: PoolModel, inputs: RunInputs, options: ConnectionRunOptions): Promise<{ result: RunResult; loaded: LoadedModel }> {
    if (this.stateValue.kind === 'closed') {
      // Queued before the connection died: fail fast with the cause (retryable elsewhere), never hang.
      return Promise.reject(this.stateValue.cause);
    }
    return this.breakerImpl.fire(async () => {
      const answeredBefore = this.answered;
      // The load is shared by every request for this model here: no single request's signal may cancel it, but
      // each waits for it only until its own deadline or abort.
      const loaded = await beforeDeadline(this.ensureModel(model), options.deadline, `connection ${this.id}: waiting for "${model.entry.name}" to load`, options.signal);
      const budgetMs = options.deadline - Date.now();
      let result: RunResult;
      try {
        result = await this.connection.run(loaded.session.sessionId, inputs, {
          timeoutMs: Math.max(1, budgetMs),
          workerTimeoutMs: Math.max(1, (options.workerDeadline ?? options.deadline) - Date.now()),
          signal: options.signal,
          ...(options.outputNames === undefined ? {} : { outputNames: options.outputNames }),
          ...(options.keep === undefined ? {} : { keep: options.keep }),
          ...(options.copyHandles === true ? { copyHandles: true } : {}),
        });
      } catch (error) {
        // What a call of the model is expected to cost here: its compute time, else (no call finished yet) its load.
        const expectedMs = this.computeEwma.get(model.key) ?? this.models.loadMs.get(model.key);
        throw judgedTimeout(error, this.answered - answeredBefore, budgetMs, expectedMs);
      }
      this.answered++;
      if (!result.firstRun) {
        this.computeEwma.set(model.key, ewma(this.computeEwma.get(model.key), result.computeMs));
        this.computeAt.set(model.key, performance.now());
      }
      return { result, loaded };
    });
  }

  /** Records the outcome of a run for health and routing. */
  observe(outcome: { ok: true; endToEndMs: number } | { ok: false; error: unknown }): void {
    this.stats.lastActivityAt = Date.now();
    if (outcome.ok) {
      this.stats.completed++;
      this.stats.consecutiveFailures = 0;
      this.stats.latencyMs = ewma(this.stats.latencyMs, outcome.endToEndMs);
    } else if (isConnectionFault(outcome.error)) {
      this.stats.failed++;
      this.stats.consecutiveFailures++;
    }
  }

  /** Releases the model's session here, if it has one. */
  async releaseModel(key: string): Promise<void> {
    const loaded = this.models.forget(key);
    if (loaded !== undefined && this.stateValue.kind === 'ready') {
      const session = (await loaded.catch(() => undefined))?.session;
      if (session !== undefined) {
        await this.connection.release(session.sessionId).catch(() => undefined);
      }
    }
  }

  /** Stops taking work, waits for what is queued and running, then closes the browser. */
  async drain(reason: string): Promise<void> {
    this.retiring = true;
    if (this.stateValue.kind === 'ready' || this.stateValue.kind === 'quarantined') {
      this.stateValue = { kind: 'draining', reason };
    }
    await this.queue.onIdle();
    await this.close();
  }

  /**
   * Closes the browser. Work still queued here is not dropped (p-queue's clear() would leave its promises pending
   * forever): each task runs, sees the closed state and fails with the close cause, which the pool retries elsewhere.
   */
  async close(): Promise<void> {
    this.retiring = true;
    await this.connection.close();
  }

  /** Whether the connection's end was decided by the pool (drain, scale-down, recycle, close). */
  get planned(): boolean {
    return this.retiring;
  }
}
