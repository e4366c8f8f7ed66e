/**
 * Messages between the page's main thread and its session workers. Both ends are this page's own code, built
 * together, so these are plain types (as relay-messages.ts): what Node sends is validated once, at the socket.
 */
import type { Backend, NamedTensor, SerializedError, SessionInfo, SessionOptionsWire, WebgpuCapability } from '../../protocol';
import type { ModelSource, RunOutcome } from '../session-host';

export interface WorkerOps {
  load: {
    request: { sessionId: string; modelId: string; source: ModelSource; backend: Backend; options: SessionOptionsWire };
    /** `modelBytes`: the serialized model's size (replica budgets count it). */
    result: SessionInfo & { modelBytes: number };
  };
  run: { request: { sessionId: string; inputs: NamedTensor[]; outputNames?: string[] }; result: RunOutcome };
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
  transport: 'relay' | 'direct';
  /** A spare: instantiate ORT's WASM (a tiny session) before saying `ready`, so it can take over a lost worker fast. */
  warmUp?: boolean;
}

export type CallMessage = { [K in WorkerOp]: { kind: 'call'; op: K; call: number; request: WorkerOps[K]['request'] } }[WorkerOp];

/** `spin` and `crash` are fault hooks for tests and drills: an endless loop, an uncaught error. */
export type ToWorker = InitMessage | CallMessage | { kind: 'spin' } | { kind: 'crash' };

export type FromWorker =
  | { kind: 'ready' }
  | { kind: 'ok'; call: number; result: unknown }
  | { kind: 'error'; call: number; error: SerializedError };
