/**
 * One request's way through the pool: input checks before admission, the admission bound, routing (waiting for a
 * launching connection until the deadline), the run on the chosen connection, retries elsewhere after connection
 * faults, and the events that record it. The pool owns connections and models; this owns what happens to a request.
 */
import {
  type BrowserPoolError,
  ClosedError,
  ErrorCode,
  HandleElsewhereError,
  isTensorHandle,
  NoConnectionError,
  QueueFullError,
  type RunInputs,
  type TensorHandle,
  type TensorMap,
} from '@browser-pool/browser-harness';

import type { Evictor } from './eviction';
import type { EmitPoolEvent, Fleet } from './fleet';
import { normalizeInputs } from './inputs';
import type { HandleRunOptions, InferenceResult } from './model-handle';
import type { ResolvedPoolOptions } from './options';
import { isConnectionFault, type PoolConnection } from './pool-connection';
import type { PoolModel } from './pool-model';
import { withRequestContext } from './request-error';
import type { RoutingDecision, RoutingPolicy } from './routing/policy';
import { checkRunOptions } from './run-options';
import { WaitingRoom } from './waiting-room';

export interface DispatcherDeps {
  options: ResolvedPoolOptions;
  policy: RoutingPolicy;
  /** The fleet while the pool is ready; undefined once it closed. */
  fleet: () => Fleet | undefined;
  emit: EmitPoolEvent;
  /** Told of each `E_WORKER_LOST`, so the page's worker replacement is reported (see WorkerWatch). */
  onWorkerLost?: (connection: PoolConnection) => void;
  /** Releases cold model copies on a connection over its model budget (see Evictor). */
  evictor?: Evictor;
}

export class Dispatcher {
  /** Requests admitted right now (queued + running). */
  admitted = 0;
  /** Requests that failed, including those refused at the boundary. */
  errors = 0;
  /** Requests whose connection is busy, waiting for a slot (see WaitingRoom). */
  private readonly room = new WaitingRoom();

  constructor(private readonly deps: DispatcherDeps) {}

  async execute(model: PoolModel, given: unknown, rawOptions: unknown, inputNames: readonly string[], outputNames: readonly string[]): Promise<InferenceResult> {
    const started = performance.now();
    const requestedBackend = model.backends[0] ?? 'wasm';
    let inputs: TensorMap;
    let handles: Record<string, TensorHandle>;
    let pinTo: string | undefined;
    let options: HandleRunOptions;
    try {
      // Checked before admission: a bad call costs no slot and never reaches a page.
      options = checkRunOptions(model.entry.name, rawOptions, outputNames);
      ({ plain: given, handles } = splitHandles(given));
      pinTo = pinnedConnection(handles, options.copyHandles === true);
      // Handles alone: their names, dtypes and shapes are checked by the page that holds them.
      const onlyHandles = Object.keys(handles).length > 0 && Object.keys(given as object).length === 0;
      inputs = onlyHandles ? {} : normalizeInputs(model.entry.name, given, inputNames.filter((n) => !(n in handles)));
    } catch (error) {
      this.errors++;
      const failed = withRequestContext(error, { model: model.entry.name, connectionId: undefined, browser: undefined, attempts: 0 });
      this.deps.emit('inference:failed', {
        model: model.entry.name,
        modelType: model.entry.modelType,
        connectionId: undefined,
        browser: undefined,
        requestedBackend,
        batchSize: 1,
        code: failed.code,
        message: failed.message,
        attempts: 0,
      });
      throw failed;
    }
    if (this.admitted >= this.deps.options.maxQueuedRequests) {
      this.errors++;
      throw new QueueFullError(
        `pool queue is full (${this.admitted} requests admitted, maxQueuedRequests ${this.deps.options.maxQueuedRequests}); retry later or raise the limit`,
      );
    }
    this.admitted++;
    const batchSize = batchOf(inputs);
    let last: PoolConnection | undefined;
    const deadline = Date.now() + (options.timeoutMs ?? this.deps.options.runTimeoutMs);
    const exclude = new Set<string>();
    const ticket = this.room.ticket();
    let attempts = 0;
    try {
      for (;;) {
        // Choosing and enqueueing happen in one synchronous stretch: a decision made before an await could be stale
        // by the time the request reaches the connection (it may have taken its last request meanwhile).
        if (pinTo !== undefined) {
          // Handles live in one page: only the connection holding them can run this request.
          for (const c of this.deps.fleet()?.all ?? []) {
            if (c.id !== pinTo) {
              exclude.add(c.id);
            }
          }
        }
        // Every connection it could use is full: wait without asking the policy (each settled call wakes the line;
        // a request that would find them all full again is not woken, so only those with a free slot ask it).
        const full = this.allFull(exclude);
        const decision = full ? undefined : this.chooseNow(model, exclude, this.room.ahead(ticket, model.key, options.priority ?? 0));
        if (decision === undefined && !full) {
          await this.waitForRoute(model, exclude, deadline);
          continue;
        }
        const connection = decision?.connection as PoolConnection | undefined;
        if (connection === undefined || connection.full) {
          // Late binding: wait in the pool's one line and ask again when a slot frees, rather than queue here.
          await this.room.wait(ticket, model.key, options.priority ?? 0, deadline, options.signal, `"${model.entry.name}"`, full ? () => this.allFull(exclude) : undefined);
          continue;
        }
        attempts++;
        last = connection;
        try {
          const runInputs: RunInputs = { ...inputs, ...handles };
          const running = connection.run(model, runInputs, {
            deadline,
            workerDeadline: this.workerDeadline(attempts, deadline),
            signal: options.signal,
            priority: options.priority,
            outputNames: options.outputNames,
            keep: options.keep,
            copyHandles: options.copyHandles,
          });
          // Placed (and counted as busy) synchronously by run(): a budget check now never releases this model.
          this.deps.evictor?.check(connection);
          const { result, loaded } = await running;
          connection.observe({ ok: true, endToEndMs: result.endToEndMs });
          const out: InferenceResult = {
            outputs: result.outputs,
            backend: loaded.session.backend,
            connectionId: connection.id,
            browser: connection.browser,
            attempts,
            handles: result.handles,
            copiedHandles: result.copiedHandles,
            timings: {
              computeMs: result.computeMs,
              handleMs: result.handleMs,
              endToEndMs: result.endToEndMs,
              totalMs: performance.now() - started,
              firstRun: result.firstRun,
              computeStartedAt: result.computeStartedAt,
            },
          };
          this.deps.emit('inference:completed', {
            model: model.entry.name,
            modelType: model.entry.modelType,
            connectionId: connection.id,
            browser: connection.browser,
            backend: out.backend,
            requestedBackend,
            batchSize,
            sessionOptions: model.sessionOptions,
            attempts,
            timings: out.timings,
          });
          return out;
        } catch (error) {
          connection.observe({ ok: false, error });
          if ((error as BrowserPoolError | undefined)?.code === ErrorCode.WorkerLost) {
            this.deps.onWorkerLost?.(connection);
          }
          if (pinTo !== undefined) {
            // Not retried elsewhere: the handles are on this connection. Lost with it: say so (E_HANDLE_LOST).
            for (const handle of Object.values(handles)) {
              handle.assertLive();
            }
            throw error;
          }
          if (this.shouldRetry(error, connection, exclude, attempts, deadline, options.signal)) {
            if (!isWorkerLoss(error, connection)) {
              exclude.add(connection.id);
            }
            this.deps.emit('inference:retry', { model: model.entry.name, fromConnectionId: connection.id, code: (error as BrowserPoolError).code, attempt: attempts });
            continue;
          }
          throw error;
        } finally {
          this.deps.evictor?.check(connection);
          this.room.wakeAll();
        }
      }
    } catch (error) {
      this.errors++;
      const failed = withRequestContext(error, { model: model.entry.name, connectionId: last?.id, browser: last?.browser, attempts });
      this.deps.emit('inference:failed', {
        model: model.entry.name,
        modelType: model.entry.modelType,
        connectionId: last?.id,
        browser: last?.browser,
        requestedBackend,
        batchSize,
        code: failed.code,
        message: failed.message,
        attempts,
      });
      throw failed;
    } finally {
      this.admitted--;
    }
  }

  /** The deadline of this attempt's page worker: room for a retry is left unless this is the last attempt allowed. */
  private workerDeadline(attempts: number, deadline: number): number {
    const now = Date.now();
    if (attempts > this.deps.options.maxRetries) {
      return deadline;
    }
    return Math.min(deadline, now + (this.deps.options.workerRunTimeoutMs ?? (deadline - now) / 2));
  }

  /**
   * A connection-level failure (lost, closed, breaker open, page fault) is retried elsewhere while the deadline lasts
   * and somewhere else exists; a request error (bad input, bad model) or a passed deadline is not.
   */
  private shouldRetry(error: unknown, connection: PoolConnection, exclude: ReadonlySet<string>, attempts: number, deadline: number, signal: AbortSignal | undefined): boolean {
    if (!isConnectionFault(error) || (error as BrowserPoolError).code === 'E_TIMEOUT') {
      return false;
    }
    if (attempts > this.deps.options.maxRetries || Date.now() >= deadline || signal?.aborted === true) {
      return false;
    }
    if (isWorkerLoss(error, connection)) {
      return true; // the page replaced the worker and reloads its sessions: this connection can take it again
    }
    const fleet = this.deps.fleet();
    return (
      (fleet?.all ?? []).some((c) => c.id !== connection.id && !exclude.has(c.id)) ||
      (fleet?.pendingLaunches ?? 0) > 0 ||
      connection.state.kind === 'closed' // a lost connection is being replaced
    );
  }

  /** Wakes the requests waiting for a slot: a connection came up or back into routing (a settled call wakes them too). */
  wake(): void {
    this.room.wakeAll();
  }

  /** Whether connections could take this request but every one of them has all its slots taken. */
  private allFull(exclude: ReadonlySet<string>): boolean {
    const usable = (this.deps.fleet()?.all ?? []).filter((c) => c.accepting && c.breaker !== 'open' && !exclude.has(c.id));
    return usable.length > 0 && usable.every((c) => c.full);
  }

  /** Asks the policy now. Synchronous on purpose: the caller enqueues in the same turn, so the next decision sees it. */
  private chooseNow(model: PoolModel, exclude: ReadonlySet<string>, waitingAhead = 0): RoutingDecision | undefined {
    const fleet = this.deps.fleet();
    if (fleet === undefined) {
      throw new ClosedError('pool closed');
    }
    return this.deps.policy.choose(fleet.all, {
      modelType: model.entry.modelType,
      modelKey: model.key,
      preference: model.preference,
      exclude,
      unavailable: fleet.unavailable,
      waitingAhead,
    });
  }

  /** Routes, and when nothing is eligible but a browser is being (re)launched, waits for it until the deadline. */
  async route(model: PoolModel, exclude: Set<string>, deadline: number): Promise<RoutingDecision> {
    for (;;) {
      const decision = this.chooseNow(model, exclude);
      if (decision !== undefined) {
        return decision;
      }
      await this.waitForRoute(model, exclude, deadline);
    }
  }

  /**
   * Waits while a connection is being launched or a host reconnects, waking at every change of the fleet (one shared
   * waiter list: no listener per request). Throws `E_NO_CONNECTION` when nothing is on its way, when the deadline
   * passes, or at once when no launch is in flight and the next reconnect attempt is due after the deadline (then
   * carrying the last launch error as its cause).
   */
  private async waitForRoute(model: PoolModel, exclude: ReadonlySet<string>, deadline: number): Promise<void> {
    const fleet = this.deps.fleet();
    const remaining = deadline - Date.now();
    const outlook = fleet?.outlook();
    const lastError = outlook?.lastError;
    let why: string | undefined;
    if (remaining <= 0) {
      why = 'deadline passed while waiting for a connection';
    } else if ((fleet?.pendingLaunches ?? 0) === 0) {
      why = 'no connection is ready and none is being launched';
    } else if (outlook !== undefined && outlook.launching === 0 && outlook.nextAttemptAt !== undefined && outlook.nextAttemptAt > deadline) {
      why = `every host is backing off; the next attempt is in ${Math.round(outlook.nextAttemptAt - Date.now())} ms, after this request's deadline`;
    }
    if (why !== undefined) {
      throw new NoConnectionError(`no connection can take "${model.entry.name}": ${why}${lastError === undefined ? '' : ` (last launch error: ${lastError.message})`}`, {
        cause: lastError,
        details: { excluded: [...exclude], unavailable: Object.fromEntries(fleet?.unavailable ?? []), lastLaunchError: lastError?.code },
      });
    }
    await fleet?.waitForChange(remaining);
  }
}

/** Takes tensor handles out of a run's inputs (each must still be usable); the rest is checked as tensors. */
function splitHandles(given: unknown): { plain: unknown; handles: Record<string, TensorHandle> } {
  if (typeof given !== 'object' || given === null || Array.isArray(given)) {
    return { plain: given, handles: {} };
  }
  const plain: Record<string, unknown> = {};
  const handles: Record<string, TensorHandle> = {};
  for (const [name, value] of Object.entries(given)) {
    if (isTensorHandle(value)) {
      value.assertLive();
      handles[name] = value;
    } else {
      plain[name] = value;
    }
  }
  return { plain, handles };
}

/** The one connection holding every handle input, unless copies are allowed; handles on two connections cannot both be local. */
function pinnedConnection(handles: Record<string, TensorHandle>, copy: boolean): string | undefined {
  const held = [...new Set(Object.values(handles).map((h) => h.connectionId))];
  if (copy || held.length === 0) {
    return undefined;
  }
  if (held.length > 1) {
    throw new HandleElsewhereError(`the run's handle inputs are held by different connections (${held.join(', ')}); pass copyHandles: true to copy them`, {
      details: { connections: held },
    });
  }
  return held[0];
}

/** Leading dimension of the first input: the batch size of models with a batch axis, 1 otherwise. */
function batchOf(inputs: TensorMap): number {
  const first = Object.values(inputs)[0];
  return first !== undefined && first.dims.length > 1 ? (first.dims[0] ?? 1) : 1;
}

/** A page worker was replaced (harness.pageWorkers): the connection itself is fine and may be retried as well. */
function isWorkerLoss(error: unknown, connection: PoolConnection): boolean {
  return (error as BrowserPoolError | undefined)?.code === ErrorCode.WorkerLost && connection.accepting;
}
