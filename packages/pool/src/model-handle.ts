/** What `pool.getModel()` returns: a model the pool runs on whichever connection is best at each call. */
import { type Backend, type BrowserKind, ClosedError, type TensorHandle, type TensorMap, type WebgpuCapability } from '@browser-pool/browser-harness';
import type { ModelType } from '@browser-pool/models';

import type { RoutingSource } from './pool-model';

/** A backend that was tried and skipped before the one that ran. */
export interface BackendFallback {
  backend: Backend;
  code: string;
  reason: string;
}

/** Where the model was placed first: browser and backend requested vs actual, why, and whether it is real hardware. */
export interface Placement {
  connectionId: string;
  browser: BrowserKind;
  browserVersion: string;
  /** The model type's preferred browser, and why another was used when it was. */
  preferredBrowser: BrowserKind | undefined;
  browserFallbackReason: string | undefined;
  requestedBackends: Backend[];
  /** Whether stored history or the static affinity ordered browsers and backends, and why. */
  routing: RoutingSource;
  backend: Backend;
  fallbacks: BackendFallback[];
  /** The WebGPU adapter when the backend is webgpu. */
  adapter: WebgpuCapability | undefined;
  /** wasm counts as real (CPU by design); webgpu on a software adapter does not. */
  isRealHardware: boolean;
  softwareReason: string | undefined;
}

export interface InferenceTimings {
  /** `session.run` time inside the page. */
  computeMs: number;
  /** In-page handling: decode, checks, conversion, compute. */
  handleMs: number;
  /** The successful attempt, Node call to Node reply. */
  endToEndMs: number;
  /** From `run()` being called to its result, queueing and retries included. */
  totalMs: number;
  firstRun: boolean;
  /** When `session.run` began in the page (ms since the Unix epoch, by the page thread's or worker's clock). */
  computeStartedAt?: number | undefined;
}

export interface InferenceResult {
  outputs: TensorMap;
  backend: Backend;
  connectionId: string;
  browser: BrowserKind;
  /** 1 when the first connection answered; more when connection failures were retried elsewhere. */
  attempts: number;
  timings: InferenceTimings;
  /** Outputs kept in the page (`keep`): pass them as inputs of a model on the same connection; release them when done. */
  handles: Record<string, TensorHandle>;
  /** Handle inputs that were copied (`copyHandles`): through Node from another connection, or inside the page. */
  copiedHandles: { name: string; via: 'node' | 'page' }[];
}

/** An onnxruntime-web / onnxruntime-common `Tensor` (structurally: type, dims, data on the CPU). */
export interface OrtTensorInput {
  readonly type: string;
  readonly dims: readonly number[];
  readonly data: unknown;
  readonly location?: string;
}

export interface HandleRunOptions {
  /** Deadline of the whole call, retries included. @default the pool's runTimeoutMs */
  timeoutMs?: number;
  /** Cancels the call; a request still queued is removed and never runs. */
  signal?: AbortSignal;
  /** Higher runs first among queued requests on a connection. @default 0 */
  priority?: number;
  /** @default all outputs */
  outputNames?: readonly string[];
  /**
   * Outputs kept in the page as `TensorHandle`s (`result.handles`) instead of sent to Node. A run given handles as
   * inputs is pinned to the connection holding them and not retried elsewhere.
   */
  keep?: readonly string[];
  /** Copy handles held by another connection (through Node) or on another backend (inside the page), recorded in `copiedHandles`, instead of `E_HANDLE_ELSEWHERE`. */
  copyHandles?: boolean;
}

/** Runs one request; `inputs` is checked by the pool (anything may arrive from untyped callers). */
export type Executor = (inputs: unknown, options: HandleRunOptions) => Promise<InferenceResult>;

export class ModelHandle {
  private released = false;

  constructor(
    readonly name: string,
    readonly modelType: ModelType,
    readonly placement: Placement,
    readonly inputNames: readonly string[],
    readonly outputNames: readonly string[],
    /** Where the first load went: model fetch and session creation in the page (ms). */
    readonly loadTimings: { fetchMs: number; createMs: number },
    private readonly executor: Executor,
    private readonly onRelease: () => Promise<void>,
  ) {}

  /**
   * Runs one inference on the best connection for this model now, retrying elsewhere on connection failures.
   * `inputs` maps each input name to a tensor `{ dtype, dims, data }` or an onnxruntime `Tensor`.
   * @throws InvalidInputError naming the input and what was expected; a failed request's error carries
   *   `details.connectionId`, `details.browser` and `details.attempts`.
   */
  run(inputs: TensorMap | Record<string, OrtTensorInput | TensorHandle>, options: HandleRunOptions = {}): Promise<InferenceResult> {
    if (this.released) {
      return Promise.reject(new ClosedError(`model handle "${this.name}" was released; get a new one with pool.getModel()`));
    }
    return this.executor(inputs, options);
  }

  /** Frees the model's sessions in every page once no other handle uses it. Safe to call twice. */
  async release(): Promise<void> {
    if (!this.released) {
      this.released = true;
      await this.onRelease();
    }
  }
}
