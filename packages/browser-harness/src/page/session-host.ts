/**
 * What the rpc server needs from whoever holds the page's ORT sessions: the main thread's own `SessionManager`
 * (pageWorkers 0), or `WorkerSessions`, which routes each session to a dedicated Web Worker.
 */
import type { Backend, KeptTensor, NamedTensor, SessionInfo, SessionOptionsWire, WorkerSnapshot } from '../protocol';

/** Where a load gets its model: fetched from a URL, or bytes that came with the request. */
export type ModelSource = { kind: 'url'; url: string } | { kind: 'inline'; bytes: Uint8Array };

export interface RunOutcome {
  outputs: NamedTensor[];
  computeMs: number;
  /** When `session.run` began: ms since the Unix epoch by this thread's clock. */
  computeStartedAt: number;
  firstRun: boolean;
  /** Outputs kept in the page as handles (`keep`). */
  kept?: KeptTensor[];
  /** Handle inputs copied inside the page to reach this session's backend. */
  copiedHandles?: string[];
}

/** A run's request id and arrival (ms since the epoch): what a worker needs to encode the run's reply itself. */
export interface DirectReply {
  id: number;
  arrivedAt: number;
}

/** A run answered by the worker that ran it, straight to the relay: nothing is left for the rpc server to send. */
export interface RepliedDirectly {
  replied: true;
}

/** Facts about one call that only worker-backed hosts use. */
export interface CallContext {
  /** Set for a plain run: a worker with its own port to the relay answers Node itself. */
  reply?: DirectReply;
  /** `performance.now()` by which the call must be answered; past it, the worker holding the session is replaced. */
  expiresAt?: number | undefined;
  /** The request's tensors sit in a frame buffer no other request shares: it may be transferred, not copied. */
  ownsBuffers?: boolean;
}

/** A run's tensor-handle part: outputs to keep in the page, inputs given as handles, copies allowed. */
export interface Handoff {
  keep: readonly string[];
  handleInputs: readonly { name: string; handleId: string }[];
  copyHandles: boolean;
}

/**
 * Tensor handles (`keep`, handle inputs): the main thread's `SessionManager` holds them itself; `WorkerSessions` keeps
 * each in the worker whose session made it and maps page-level handle ids to it (worker/handles.ts).
 */
export interface HandleHost {
  runKeeping(sessionId: string, inputs: readonly NamedTensor[], handoff: Handoff, outputNames?: readonly string[], context?: CallContext): Promise<RunOutcome>;
  readHandle(handleId: string): Promise<NamedTensor>;
  /** Drops the handles (ids never issued or already released are ignored); the ids dropped by this call. */
  releaseHandles(handleIds: readonly string[]): string[];
}

export interface SessionHost extends HandleHost {
  /** Whether calls to different sessions run at the same time (then requests of one batch are dispatched together). */
  readonly concurrent: boolean;
  load(modelId: string, source: ModelSource, backend: Backend, options: SessionOptionsWire, context?: CallContext): Promise<SessionInfo>;
  run(sessionId: string, inputs: readonly NamedTensor[], outputNames?: readonly string[], context?: CallContext): Promise<RunOutcome | RepliedDirectly>;
  loop(sessionId: string, inputs: readonly NamedTensor[], warmup: number, iterations: number, context?: CallContext): Promise<number[]>;
  release(sessionId: string): Promise<void>;
  /** The workers and what they hold; empty where sessions live on the main thread. */
  workers(): WorkerSnapshot[];
}
