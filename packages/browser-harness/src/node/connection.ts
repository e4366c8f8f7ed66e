/**
 * One worker page in one browser, as application code sees it: its capabilities and typed calls to load, run and
 * release models. Runs are timed end to end here and in-page there, so bridge overhead is visible per call.
 */
import {
  type Backend,
  BrowserPoolError,
  type Capabilities,
  ConnectionLostError,
  ErrorCode,
  HandleElsewhereError,
  type NamedTensor,
  type SessionInfo,
  type SessionOptionsWire,
  type Tensor,
  type TensorMap,
  TimeoutError,
  type WorkerSnapshot,
} from '../protocol';
import type { BrowserKind, FaultInjector, LaunchedPage } from './drivers/types';
import type { CallOptions } from './rpc-channel';
import { OVERTAKEN, RunOrder } from './run-order';
import { type HandleOwner, isTensorHandle, TensorHandle } from './tensor-handle';

/** A run's inputs: tensors from Node, or handles to tensors kept in this connection's page. */
export type RunInputs = Record<string, Tensor | TensorHandle>;

/** Where the page gets model bytes: fetched from a URL (page server), or carried over the socket. */
export type PageModelSource = { kind: 'url'; url: string } | { kind: 'bytes'; bytes: Uint8Array };

export type ConnectionState = { kind: 'ready' } | { kind: 'closed'; cause: BrowserPoolError };

export interface RunOptions extends CallOptions {
  /** Only these outputs are computed and returned. @default all outputs */
  outputNames?: readonly string[];
  /**
   * Pages with workers: the time the worker holding the session gets before it is replaced and the call fails with
   * the retryable `E_WORKER_LOST`. Shorter than `timeoutMs`, it leaves the caller time to retry within its own
   * deadline. Capped at `timeoutMs`. @default the call's `timeoutMs`
   */
  workerTimeoutMs?: number | undefined;
  /** Outputs kept in the page as `TensorHandle`s (in `RunResult.handles`) instead of sent back. */
  keep?: readonly string[];
  /**
   * A handle from another connection, or a GPU-buffer handle fed to a non-WebGPU session, is copied (read back
   * through Node, or inside the page) and the copy is recorded in `RunResult.copiedHandles`; without it such a
   * handle is `E_HANDLE_ELSEWHERE`. @default false
   */
  copyHandles?: boolean;
}

export interface RunResult {
  outputs: TensorMap;
  /** `session.run` time inside the page. */
  computeMs: number;
  /** In-page time from request arrival to reply (decode, input checks, conversion, compute). */
  handleMs: number;
  /** From the call in Node to its reply in Node: compute plus framing, socket and scheduling. */
  endToEndMs: number;
  firstRun: boolean;
  /**
   * When `session.run` began in the page (ms since the Unix epoch, by the clock of the page thread or worker that
   * ran it); undefined from pages that do not report it.
   */
  computeStartedAt: number | undefined;
  /** Outputs kept in the page (`keep`). */
  handles: Record<string, TensorHandle>;
  /** Inputs given as handles that had to be copied (`copyHandles`): `node` through Node, `page` inside the page. */
  copiedHandles: { name: string; via: 'node' | 'page' }[];
}

export class Connection implements HandleOwner {
  private readonly ranSessions = new Set<string>();
  private readonly runOrder = new RunOrder();
  /** Live tensor handles this page holds, by handle id. */
  private readonly handles = new Map<string, TensorHandle>();
  readonly id: string;
  readonly browser: BrowserKind;
  readonly browserVersion: string;
  readonly pid: number | undefined;

  constructor(
    private readonly launched: LaunchedPage,
    init: { id: string; browser: BrowserKind },
    readonly capabilities: Capabilities,
  ) {
    this.id = init.id;
    this.browser = init.browser;
    this.browserVersion = launched.browserVersion;
    this.pid = launched.pid;
    launched.onExit((reason) => {
      this.exitReason = reason;
      // The socket usually closes first; this covers a browser that dies before its socket notices.
      launched.channel.close(new ConnectionLostError(`connection ${init.id}: ${reason}`));
    });
    launched.channel.onClose((cause) => {
      for (const handle of this.handles.values()) {
        handle.end({ kind: 'lost', cause });
      }
      this.handles.clear();
    });
  }

  /** Causes real faults on purpose (tests, chaos drills). */
  get faults(): FaultInjector {
    return this.launched.faults;
  }

  /** Why the browser went away, when it did (process exit, page crash). */
  exitReason: string | undefined;

  /** The page's session workers at the last `workers()` call (undefined before one, or on pages without workers). */
  lastWorkers: WorkerSnapshot[] | undefined;

  /** Whether this page holds its sessions in Web Workers (harness.pageWorkers >= 1). */
  get hasWorkers(): boolean {
    return (this.capabilities.workers?.count ?? 0) > 0;
  }

  /**
   * Pages with workers get each call's deadline (the worker holding the session is replaced if it misses it) and
   * answer pings during loads and first runs, so those are not exempt from the heartbeat.
   */
  private forWorkers(call: CallOptions, workerTimeoutMs?: number): { deadline: { deadlineMs?: number }; options: CallOptions } {
    if (!this.hasWorkers) {
      return { deadline: {}, options: call };
    }
    const timeoutMs = call.timeoutMs ?? this.launched.channel.defaultTimeoutMs;
    return {
      deadline: { deadlineMs: Math.min(workerTimeoutMs ?? timeoutMs, timeoutMs) },
      options: { ...call, blocking: false },
    };
  }

  get state(): ConnectionState {
    const s = this.launched.channel.state;
    return s.kind === 'open' ? { kind: 'ready' } : s;
  }

  async load(
    modelId: string,
    source: PageModelSource,
    backend: Backend,
    options: SessionOptionsWire = {},
    call: CallOptions = {},
  ): Promise<SessionInfo> {
    const { deadline, options: callOptions } = this.forWorkers(call);
    const { reply } =
      source.kind === 'url'
        ? await this.launched.channel.call({ type: 'load', modelId, source, backend, options, ...deadline }, [], callOptions)
        : await this.launched.channel.call(
            { type: 'load', modelId, source: { kind: 'inline' }, backend, options, ...deadline },
            [{ name: 'model', tensor: { dtype: 'uint8', dims: [source.bytes.byteLength], data: source.bytes } }],
            callOptions,
          );
    return reply.session;
  }

  async run(sessionId: string, inputs: RunInputs, options: RunOptions = {}): Promise<RunResult> {
    const start = performance.now();
    const { outputNames, workerTimeoutMs, keep, copyHandles, ...call } = options;
    // Tensors are validated once, by the channel, before the call is sent; handles here.
    const named: NamedTensor[] = [];
    const handleInputs: { name: string; handleId: string }[] = [];
    const copiedHandles: RunResult['copiedHandles'] = [];
    for (const [name, value] of Object.entries(inputs)) {
      if (!isTensorHandle(value)) {
        named.push({ name, tensor: value });
        continue;
      }
      value.assertLive();
      if (value.owner === this) {
        handleInputs.push({ name, handleId: value.handleId });
      } else if (copyHandles === true) {
        named.push({ name, tensor: await value.owner.readHandle(value) });
        copiedHandles.push({ name, via: 'node' });
      } else {
        throw new HandleElsewhereError(
          `input "${name}" is a tensor handle held by connection ${value.connectionId}, not ${this.id}: ` +
            'run on the connection holding it, or pass copyHandles: true to copy it through Node',
          { details: { handleId: value.handleId, heldBy: value.connectionId, connectionId: this.id } },
        );
      }
    }
    const handoff = {
      ...(keep === undefined || keep.length === 0 ? {} : { keep: [...keep] }),
      ...(handleInputs.length === 0 ? {} : { handleInputs }),
      ...(copyHandles === true ? { copyHandles: true } : {}),
    };
    // A session's first run may compile shaders for seconds (WebGPU on a software adapter): a blocking call.
    const { deadline, options: callOptions } = this.forWorkers({ ...call, blocking: !this.ranSessions.has(sessionId) }, workerTimeoutMs);
    const place = this.runOrder.send(sessionId);
    const { reply, tensors } = await this.launched.channel
      .call(
        { type: 'run', sessionId, ...(outputNames === undefined ? {} : { outputNames: [...outputNames] }), ...handoff, ...deadline },
        named,
        callOptions,
      )
      .catch((error: unknown) => this.handleGone(this.lostOrLate(error, sessionId, place)));
    this.runOrder.answer(sessionId, place);
    this.ranSessions.add(sessionId);
    const endToEndMs = performance.now() - start;
    const outputs: TensorMap = {};
    for (const { name, tensor } of tensors) {
      outputs[name] = tensor;
    }
    const handles: Record<string, TensorHandle> = {};
    for (const kept of reply.handles ?? []) {
      const handle = new TensorHandle(this, kept);
      this.handles.set(kept.handleId, handle);
      handles[kept.name] = handle;
    }
    for (const name of reply.copiedHandles ?? []) {
      copiedHandles.push({ name, via: 'page' });
    }
    const { computeMs, handleMs, firstRun, computeStartedAt } = reply.timings;
    return { outputs, computeMs, handleMs, endToEndMs, firstRun, computeStartedAt, handles, copiedHandles };
  }

  /** A kept tensor's bytes, brought to Node (read back from the GPU where it lives there); the handle stays live. */
  async readHandle(handle: TensorHandle, call: CallOptions = {}): Promise<Tensor> {
    this.assertOwn(handle);
    const { tensors } = await this.launched.channel.call({ type: 'handle', read: handle.handleId }, [], call).catch((error: unknown) => this.handleGone(error));
    const read = tensors[0];
    if (read === undefined) {
      throw new HandleElsewhereError(`the page sent no tensor for handle ${handle.handleId}`);
    }
    return read.tensor;
  }

  /** Frees kept tensors in the page (GPU buffers too); a later use of them is `E_HANDLE_RELEASED`. */
  async releaseHandles(handles: readonly TensorHandle[], call: CallOptions = {}): Promise<void> {
    const mine = handles.filter((h) => h.owner === this && h.state.kind === 'live');
    for (const handle of mine) {
      handle.end({ kind: 'released' });
      this.handles.delete(handle.handleId);
    }
    if (mine.length > 0 && this.state.kind === 'ready') {
      await this.launched.channel.call({ type: 'handle', release: mine.map((h) => h.handleId) }, [], call);
    }
  }

  /** Live handles this connection's page holds. */
  get liveHandles(): number {
    return this.handles.size;
  }

  /** Live handles kept by one session's runs (releasing the session releases them). */
  liveHandlesOf(sessionId: string): number {
    return [...this.handles.values()].filter((h) => h.sessionId === sessionId).length;
  }

  /** A run's timeout, marked as lost by the page where a later run on its session was answered first (run-order.ts). */
  private lostOrLate(error: unknown, sessionId: string, place: number): unknown {
    if (!(error instanceof TimeoutError) || !this.runOrder.overtaken(sessionId, place)) {
      return error;
    }
    return new TimeoutError(`${error.message}; a later call on the same session was answered meanwhile, so the page lost this one`, {
      cause: error,
      details: { ...error.details, [OVERTAKEN]: true },
    });
  }

  /**
   * Rethrows a call's error; where the page said a handle is gone (released with its session, or lost with the page
   * worker that held it), Node's handle is marked released too, so it no longer counts as live.
   */
  private handleGone(error: unknown): never {
    const handleId = error instanceof BrowserPoolError && error.code === ErrorCode.HandleReleased ? error.details?.['handleId'] : undefined;
    const handle = typeof handleId === 'string' ? this.handles.get(handleId) : undefined;
    if (handle !== undefined) {
      handle.end({ kind: 'released' });
      this.handles.delete(handle.handleId);
    }
    throw error;
  }

  private assertOwn(handle: TensorHandle): void {
    handle.assertLive();
    if (handle.owner !== this) {
      throw new HandleElsewhereError(`tensor handle ${handle.handleId} is held by connection ${handle.connectionId}, not ${this.id}`);
    }
  }

  /** In-page tight loop over the same inputs; returns each measured iteration's ms (the no-bridge baseline). */
  async loop(sessionId: string, inputs: TensorMap, warmup: number, iterations: number, call: CallOptions = {}): Promise<number[]> {
    const named = Object.entries(inputs).map(([name, tensor]) => ({ name, tensor }));
    const { deadline, options: callOptions } = this.forWorkers(call);
    const { reply } = await this.launched.channel.call({ type: 'loop', sessionId, warmup, iterations, ...deadline }, named, callOptions);
    return reply.samplesMs;
  }

  async release(sessionId: string, call: CallOptions = {}): Promise<void> {
    // The page frees the session's kept tensors with it.
    for (const handle of [...this.handles.values()].filter((h) => h.sessionId === sessionId)) {
      handle.end({ kind: 'released' });
      this.handles.delete(handle.handleId);
    }
    this.runOrder.forget(sessionId);
    await this.launched.channel.call({ type: 'release', sessionId }, [], call);
  }

  /** JS heap in use by the page in bytes, or undefined where the browser does not expose it (Firefox). */
  async memory(call: CallOptions = {}): Promise<number | undefined> {
    const { reply } = await this.launched.channel.call({ type: 'memory' }, [], call);
    return reply.jsHeapUsedBytes ?? undefined;
  }

  /** The page's session workers (count, sessions, state, respawns); empty on pages without workers. */
  async workers(call: CallOptions = {}): Promise<WorkerSnapshot[]> {
    const { reply } = await this.launched.channel.call({ type: 'workers' }, [], call);
    this.lastWorkers = reply.workers;
    return reply.workers;
  }

  /** Heartbeat round trip in ms. */
  ping(call: CallOptions = {}): Promise<number> {
    return this.launched.channel.ping(call);
  }

  /**
   * Declares the connection failed (a hung page, a wrong answer): the socket closes, pending calls fail with `cause`
   * and close listeners run; the browser itself is shut by `close()`.
   */
  fail(cause: BrowserPoolError): void {
    this.launched.channel.close(cause);
  }

  onClose(listener: (cause: BrowserPoolError) => void): () => void {
    return this.launched.channel.onClose(listener);
  }

  async close(): Promise<void> {
    await this.launched.close();
  }
}
