/**
 * The orchestrator's end of one page socket: numbered calls with deadlines and AbortSignals, replies validated at
 * the boundary, errors rebuilt into our classes, and a heartbeat that tells a hung page from a busy one. When the
 * socket closes (or the heartbeat gives up) every pending call fails at once with `E_CONNECTION_LOST`.
 */
import type WebSocket from 'ws';

import {
  AbortedError,
  assertTensorBytes,
  BATCH_ITEM_MAX_BYTES,
  type BrowserPoolError,
  ClosedError,
  ConnectionLostError,
  decodeFrame,
  DEFAULT_MAX_TENSOR_BYTES,
  describeIssues,
  deserializeError,
  encodeFrame,
  type FrameItem,
  itemTensorBytes,
  type NamedTensor,
  packBatch,
  type PageMessage,
  pageMessageSchema,
  ProtocolError,
  REPLY_TYPE,
  type ReplyByRequest,
  type RequestBody,
  type RequestType,
  TimeoutError,
  unpackBatch,
  validateTensor,
} from '../protocol';

export interface RpcChannelOptions {
  /** Deadline of a call that names none. @default 30_000 */
  defaultTimeoutMs?: number;
  /** How often a ping is sent. @default 1000 */
  heartbeatIntervalMs?: number;
  /**
   * Pongs that may be missed in a row before the page is declared hung and the socket closed. The page answers pings
   * between inference runs, so this times the interval must exceed the longest single run. While a blocking call is in
   * flight (a load, a session's first run) its own deadline applies instead. @default 10
   */
  maxMissedPongs?: number;
  /** Frames larger than this are written as WebSocket fragments instead of one joined buffer. @default 1 MiB */
  fragmentThresholdBytes?: number;
  /** Largest tensor payload of one call (all its tensors); larger fails with `E_TENSOR_TOO_LARGE`. @default 1 GiB */
  maxTensorBytes?: number;
}

export interface CallOptions {
  /** Deadline for this call in ms. @default the channel's `defaultTimeoutMs` */
  timeoutMs?: number;
  signal?: AbortSignal | undefined;
  /**
   * The page's main thread may be busy for long during this call (session creation, a first run compiling shaders):
   * while it is in flight, hung-page detection defers to the call's own deadline. Loads are unless this says false
   * (pages whose sessions live in workers answer pings during loads). @default false (true for loads)
   */
  blocking?: boolean;
}

export interface CallResult<K extends RequestType> {
  reply: ReplyByRequest[K];
  tensors: NamedTensor[];
}

export type ChannelState = { kind: 'open' } | { kind: 'closed'; cause: BrowserPoolError };

interface Pending {
  expected: string;
  resolve: (result: { reply: PageMessage; tensors: NamedTensor[] }) => void;
  reject: (error: BrowserPoolError) => void;
}

type CloseListener = (cause: BrowserPoolError) => void;

/** Calls carrying at least this many tensor bytes are judged by their own deadline, not the heartbeat. */
const LARGE_CALL_BYTES = 8 * 1024 * 1024;
type ProtocolErrorListener = (error: ProtocolError) => void;

export class RpcChannel {
  private stateValue: ChannelState = { kind: 'open' };
  private readonly pending = new Map<number, Pending>();
  private readonly closeListeners = new Set<CloseListener>();
  private readonly protocolErrorListeners = new Set<ProtocolErrorListener>();
  private readonly heartbeat: NodeJS.Timeout;
  private readonly options: Required<RpcChannelOptions>;
  private nextId = 1;
  private lastPongAt = Date.now();
  private lastBeatAt = Date.now();
  /** Blocking calls in flight (loads, first runs): the page's main thread is busy for seconds, silence is expected. */
  private blockingInFlight = 0;
  /** Frames queued behind the one sent first in this event-loop turn; flushed together as one batch frame. */
  private readonly outbox: FrameItem[] = [];
  private flushScheduled = false;

  constructor(
    private readonly socket: WebSocket,
    readonly label: string,
    options: RpcChannelOptions = {},
  ) {
    this.options = {
      defaultTimeoutMs: options.defaultTimeoutMs ?? 30_000,
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? 1000,
      maxMissedPongs: options.maxMissedPongs ?? 10,
      fragmentThresholdBytes: options.fragmentThresholdBytes ?? 1024 * 1024,
      maxTensorBytes: options.maxTensorBytes ?? DEFAULT_MAX_TENSOR_BYTES,
    };
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      this.onFrame(isBinary ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : data.toString('utf8'));
    });
    socket.on('close', (code: number, reason: Buffer) => {
      this.fail(new ConnectionLostError(`${label}: socket closed (code ${code}${reason.length > 0 ? `, ${reason.toString()}` : ''})`));
    });
    socket.on('error', (error: Error) => {
      this.fail(new ConnectionLostError(`${label}: socket error: ${error.message}`, { cause: error }));
    });
    this.heartbeat = setInterval(() => this.beat(), this.options.heartbeatIntervalMs);
    this.heartbeat.unref();
  }

  get state(): ChannelState {
    return this.stateValue;
  }

  /** Deadline of a call that names none. */
  get defaultTimeoutMs(): number {
    return this.options.defaultTimeoutMs;
  }

  /** Sends a request and resolves with its validated reply and tensors, or rejects with a typed error. */
  call<K extends RequestType>(
    body: RequestBody<K> & { type: K },
    tensors: readonly NamedTensor[] = [],
    options: CallOptions = {},
  ): Promise<CallResult<K>> {
    if (this.stateValue.kind === 'closed') {
      return Promise.reject(this.stateValue.cause);
    }
    const { signal } = options;
    if (signal?.aborted === true) {
      return Promise.reject(new AbortedError(`${body.type} aborted before it was sent`, { cause: signal.reason }));
    }
    try {
      tensors.forEach((t) => validateTensor(t.tensor, `tensor "${t.name}"`));
      assertTensorBytes(tensors, this.options.maxTensorBytes, `${body.type} call`);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    const id = this.nextId++;
    const timeoutMs = options.timeoutMs ?? this.options.defaultTimeoutMs;
    // A call with big tensors holds the socket for seconds: pings queue behind its frame, so its own deadline
    // judges it, as for loads.
    const isBlocking = (options.blocking ?? body.type === 'load') || tensors.reduce((n, t) => n + t.tensor.data.byteLength, 0) >= LARGE_CALL_BYTES;
    if (isBlocking) {
      this.blockingInFlight++;
    }
    return new Promise<CallResult<K>>((resolve, reject) => {
      const cleanup = (): void => {
        if (isBlocking && this.pending.has(id)) {
          this.blockingInFlight--;
          // Give the page a fresh heartbeat window once the blocking call is over.
          this.lastPongAt = Date.now();
        }
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.pending.delete(id);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new TimeoutError(`${this.label}: ${body.type} did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      const onAbort = (): void => {
        cleanup();
        reject(new AbortedError(`${body.type} aborted by the caller`, { cause: signal?.reason }));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, {
        expected: REPLY_TYPE[body.type],
        resolve: (r) => {
          cleanup();
          resolve(r as CallResult<K>);
        },
        reject: (e) => {
          cleanup();
          reject(e);
        },
      });
      this.enqueue({ message: { ...body, id }, tensors });
    });
  }

  /** Round trip of one ping, in ms. */
  async ping(options: CallOptions = {}): Promise<number> {
    const start = performance.now();
    await this.call({ type: 'ping' }, [], options);
    return performance.now() - start;
  }

  /**
   * Bytes arrived from the page (called per TCP chunk by the bridge): the page is alive even while a big frame is
   * still on its way and no pong can overtake it.
   */
  noteActivity(): void {
    this.lastPongAt = Date.now();
  }

  onClose(listener: CloseListener): () => void {
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  onProtocolError(listener: ProtocolErrorListener): () => void {
    this.protocolErrorListeners.add(listener);
    return () => this.protocolErrorListeners.delete(listener);
  }

  /** Closes the socket; pending calls fail with `E_CLOSED` (or `cause` when given). */
  close(cause?: BrowserPoolError): void {
    this.fail(cause ?? new ClosedError(`${this.label}: channel closed`));
  }

  /**
   * The first frame of an event-loop turn goes out at once (no added latency for a lone call); frames issued later in
   * the same turn wait for `setImmediate` and travel together in one batch frame.
   */
  private enqueue(item: FrameItem): void {
    if (itemTensorBytes(item) >= BATCH_ITEM_MAX_BYTES) {
      this.transmit([item]); // big tensors travel alone: a batch would only make one frame bigger
      return;
    }
    if (this.flushScheduled) {
      this.outbox.push(item);
      return;
    }
    this.transmit([item]);
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      const items = this.outbox.splice(0);
      if (items.length > 0 && this.stateValue.kind === 'open') {
        this.transmit(items);
      }
    });
  }

  private transmit(items: readonly FrameItem[]): void {
    const { message, tensors } = items.length === 1 ? items[0]! : packBatch(items);
    const frame = encodeFrame(message, tensors);
    const onSent = (error?: Error | null): void => {
      if (error instanceof Error) {
        this.fail(new ConnectionLostError(`${this.label}: send failed: ${error.message}`, { cause: error }));
      }
    };
    if (typeof frame === 'string') {
      this.socket.send(frame, onSent);
      return;
    }
    const total = frame.reduce((n, p) => n + p.byteLength, 0);
    if (total < this.options.fragmentThresholdBytes) {
      this.socket.send(Buffer.concat(frame), { binary: true }, onSent);
      return;
    }
    // Large frames: one WebSocket fragment per part, so tensor bytes are never copied into a joined buffer.
    frame.forEach((part, i) => {
      this.socket.send(part, { binary: true, fin: i === frame.length - 1 }, onSent);
    });
  }

  private onFrame(data: string | Uint8Array): void {
    let items: ReturnType<typeof unpackBatch>;
    try {
      items = unpackBatch(decodeFrame(data));
    } catch (error) {
      this.reportProtocolError(error, undefined);
      return;
    }
    for (const item of items) {
      this.onMessage(item);
    }
  }

  private reportProtocolError(error: unknown, rawId: unknown): void {
    const protocolError =
      error instanceof ProtocolError ? error : new ProtocolError(`${this.label}: ${(error as Error).message}`);
    if (typeof rawId === 'number') {
      this.pending.get(rawId)?.reject(protocolError);
    }
    for (const listener of this.protocolErrorListeners) {
      listener(protocolError);
    }
  }

  private onMessage(frame: ReturnType<typeof unpackBatch>[number]): void {
    let message: PageMessage;
    let tensors: NamedTensor[];
    let rawId: unknown;
    try {
      rawId = (frame.message as { id?: unknown } | null)?.id;
      const parsed = pageMessageSchema.safeParse(frame.message);
      if (!parsed.success) {
        throw new ProtocolError(`${this.label}: invalid frame from page: ${describeIssues(parsed.error)}`);
      }
      message = parsed.data;
      tensors = frame.tensors;
    } catch (error) {
      this.reportProtocolError(error, rawId);
      return;
    }
    if (message.type === 'hello') {
      return;
    }
    if (message.type === 'pong') {
      this.lastPongAt = Date.now();
    }
    if (message.id === null) {
      // An error the page could not tie to a request (it could not parse ours): surface it, nothing to settle.
      const error = message.type === 'error' ? deserializeError(message.error) : undefined;
      for (const listener of this.protocolErrorListeners) {
        listener(new ProtocolError(`${this.label}: page reported: ${error?.message ?? 'unknown error'}`));
      }
      return;
    }
    const pending = this.pending.get(message.id);
    if (pending === undefined) {
      return; // reply to a call that already timed out or was aborted
    }
    if (message.type === 'error') {
      pending.reject(deserializeError(message.error));
    } else if (message.type !== pending.expected) {
      pending.reject(new ProtocolError(`${this.label}: expected ${pending.expected}, got ${message.type}`));
    } else {
      pending.resolve({ reply: message, tensors });
    }
  }

  private beat(): void {
    const now = Date.now();
    const lagMs = now - this.lastBeatAt - this.options.heartbeatIntervalMs;
    this.lastBeatAt = now;
    if (lagMs > this.options.heartbeatIntervalMs) {
      // This timer fired late: Node's own event loop was blocked, so pongs could not be read. Not the page's fault.
      this.lastPongAt = now;
    }
    if (this.blockingInFlight > 0) {
      // A hung blocking call is caught by its own deadline; pings are still sent so the window restarts when it ends.
      this.lastPongAt = Math.max(this.lastPongAt, Date.now() - this.options.heartbeatIntervalMs);
    }
    const silentMs = Date.now() - this.lastPongAt;
    const limitMs = this.options.heartbeatIntervalMs * this.options.maxMissedPongs;
    if (silentMs > limitMs) {
      this.fail(
        new ConnectionLostError(
          `${this.label}: page stopped answering heartbeats (no pong for ${silentMs} ms, limit ${limitMs} ms)`,
        ),
      );
      return;
    }
    this.call({ type: 'ping' }, [], { timeoutMs: limitMs }).catch(() => {
      // A missed pong is judged by the silence above, not by this call's own failure.
    });
  }

  private fail(cause: BrowserPoolError): void {
    if (this.stateValue.kind === 'closed') {
      return;
    }
    this.stateValue = { kind: 'closed', cause };
    clearInterval(this.heartbeat);
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) {
      p.reject(cause);
    }
    if (this.socket.readyState === this.socket.OPEN || this.socket.readyState === this.socket.CONNECTING) {
      this.socket.terminate();
    }
    for (const listener of this.closeListeners) {
      listener(cause);
    }
  }
}
