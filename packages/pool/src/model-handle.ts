/** What `pool.getModel()` returns: a model loaded on one connection, with where and how it actually runs. */
import type {
  Backend,
  Connection,
  SessionInfo,
  TensorMap,
  WebgpuCapability,
} from '@browser-pool/browser-harness';
import type { ModelType } from '@browser-pool/models';

/** A backend that was tried and skipped before the one that ran. */
export interface BackendFallback {
  backend: Backend;
  code: string;
  reason: string;
}

/** Where the model runs: requested vs actual backend, why, and whether it is real hardware. */
export interface Placement {
  connectionId: string;
  browser: string;
  browserVersion: string;
  requestedBackends: Backend[];
  backend: Backend;
  fallbacks: BackendFallback[];
  /** The WebGPU adapter when the backend is webgpu. */
  adapter: WebgpuCapability | undefined;
  /** false for wasm (CPU by design) is not a fallback; false for webgpu means a software adapter. */
  isRealHardware: boolean;
  /** Why the result is not real accelerator hardware, when it is not. */
  softwareReason: string | undefined;
}

export interface InferenceTimings {
  /** `session.run` time inside the page. */
  computeMs: number;
  /** Node call to Node reply: compute + framing + socket. */
  endToEndMs: number;
  firstRun: boolean;
}

export interface InferenceResult {
  outputs: TensorMap;
  backend: Backend;
  timings: InferenceTimings;
}

export interface HandleRunOptions {
  /** @default the pool's runTimeoutMs */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** @default all outputs */
  outputNames?: readonly string[];
}

export class ModelHandle {
  private released = false;

  constructor(
    readonly name: string,
    readonly modelType: ModelType,
    readonly placement: Placement,
    readonly session: SessionInfo,
    private readonly connection: Connection,
    private readonly defaultTimeoutMs: number,
    private readonly onRun: (result: InferenceResult) => void,
  ) {}

  get inputNames(): string[] {
    return this.session.inputs.map((i) => i.name);
  }

  get outputNames(): string[] {
    return this.session.outputNames;
  }

  async run(inputs: TensorMap, options: HandleRunOptions = {}): Promise<InferenceResult> {
    const r = await this.connection.run(this.session.sessionId, inputs, {
      timeoutMs: options.timeoutMs ?? this.defaultTimeoutMs,
      signal: options.signal,
      ...(options.outputNames === undefined ? {} : { outputNames: options.outputNames }),
    });
    const result: InferenceResult = {
      outputs: r.outputs,
      backend: this.placement.backend,
      timings: { computeMs: r.computeMs, endToEndMs: r.endToEndMs, firstRun: r.firstRun },
    };
    this.onRun(result);
    return result;
  }

  /** Frees the session in the page. Safe to call twice. */
  async release(): Promise<void> {
    if (this.released) {
      return;
    }
    this.released = true;
    if (this.connection.state.kind === 'ready') {
      await this.connection.release(this.session.sessionId);
    }
  }
}
