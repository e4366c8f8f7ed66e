/**
 * Messages between the page's main thread and its session workers. Both ends are this page's own code, built
 * together, so these are plain types (as relay-messages.ts): what Node sends is validated once, at the socket.
 */
import type { Backend, NamedTensor, SerializedError, SessionInfo, SessionOptionsWire, WebgpuCapability, WorkerSnapshot } from '../../protocol';
import type { DirectReply, Handoff, ModelSource, RepliedDirectly, RunOutcome } from '../session-host';

export type WasmSource = NonNullable<WorkerSnapshot['wasm']>;

export interface WorkerOps {
  load: {
    /**
     * `keepBytes`: inline bytes arrive transferred (the page keeps no copy of its own); the worker answers with a copy
     * for the page to keep for reloads, made off the page's thread. `standby`: a spare's copy, run once after loading.
     */
    request: {
      sessionId: string;
      modelId: string;
      source: ModelSource;
      backend: Backend;
      options: SessionOptionsWire;
      keepBytes?: boolean;
      standby?: boolean;
    };
    /**
     * `modelBytes`: the serialized model's size (replica budgets count it). `kept`: the copy asked for by `keepBytes`,
     * in shared memory where the page is cross-origin isolated (sent to the next worker without a copy), else a
     * transferred ArrayBuffer.
     */
    result: SessionInfo & { modelBytes: number; kept?: Uint8Array };
  };
  /**
   * `reply`: answer Node directly (see {@link InitMessage.replyPort}); the result is then `{ replied: true }`.
   * `handoff`: kept outputs and handle inputs, by this worker's own handle ids (worker/handles.ts maps the page's).
   */
  run: {
    request: { sessionId: string; inputs: NamedTensor[]; outputNames?: string[]; reply?: DirectReply; handoff?: Handoff };
    result: RunOutcome | RepliedDirectly;
  };
  /** A kept tensor's bytes, in a buffer of their own (the handle stays live). */
  readHandle: { request: { handleId: string }; result: NamedTensor };
  /** Disposes kept tensors; the ids this worker held. */
  releaseHandles: { request: { handleIds: string[] }; result: string[] };
  loop: { request: { sessionId: string; inputs: NamedTensor[]; warmup: number; iterations: number }; result: number[] };
  release: { request: { sessionId: string }; result: null };
  /** WebGPU as seen from inside a worker (it can differ from the page's). */
  probe: { request: Record<string, never>; result: WebgpuCapability };
}
export type WorkerOp = keyof WorkerOps;

export interface InitMessage {
  kind: 'init';
  /** The page's `../ort/` URL: the worker loads onnxruntime-web and its wasm files from there. */
  ortBase: string;
  numThreads: number;
  /**
   * ORT's WASM, compiled once by the page: instantiated as is (shared compiled code, no compile per worker). Absent
   * when the page could not compile it; the worker then compiles its own.
   */
  wasmModule?: WebAssembly.Module;
  transport: 'relay' | 'direct';
  /** A spare: instantiate ORT's WASM (a tiny session) before saying `ready`, so it can take over a lost worker fast. */
  warmUp?: boolean;
  /** A port to the page's relay (absent with a direct socket): run replies go out through it, not the main thread. */
  replyPort?: MessagePort;
  /** Largest tensor payload of one reply (the page's limit, checked where the reply is encoded). */
  maxTensorBytes: number;
}

export type CallMessage = { [K in WorkerOp]: { kind: 'call'; op: K; call: number; request: WorkerOps[K]['request'] } }[WorkerOp];

/** `spin` and `crash` are fault hooks for tests and drills: an endless loop, an uncaught error. */
export type ToWorker = InitMessage | CallMessage | { kind: 'spin' } | { kind: 'crash' };

export type FromWorker =
  | { kind: 'ready' }
  /** ORT's WASM was instantiated: from the page's shared module, or compiled here (no module, or it failed). */
  | { kind: 'wasm'; source: WasmSource }
  | { kind: 'ok'; call: number; result: unknown }
  | { kind: 'error'; call: number; error: SerializedError };
