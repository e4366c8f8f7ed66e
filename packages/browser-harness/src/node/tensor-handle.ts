/**
 * A tensor a run kept in its page (`keep`): Node holds only this handle; the bytes stay in the page, in a GPU buffer
 * (WebGPU session loaded with `webgpu.outputsOnDevice`) or in page memory. It feeds a later run on the same
 * connection without a round trip through Node.
 */
import {
  type Backend,
  type BrowserPoolError,
  HandleLostError,
  HandleReleasedError,
  type KeptTensor,
  type Tensor,
} from '../protocol';

export type TensorHandleState = { kind: 'live' } | { kind: 'released' } | { kind: 'lost'; cause: BrowserPoolError };

/** What a handle needs of its connection: read its bytes back (for an explicit copy elsewhere). */
export interface HandleOwner {
  readonly id: string;
  readHandle(handle: TensorHandle): Promise<Tensor>;
  releaseHandles(handles: readonly TensorHandle[]): Promise<void>;
}

export class TensorHandle {
  readonly handleId: string;
  readonly name: string;
  readonly dtype: string;
  readonly dims: readonly number[];
  /** `gpu-buffer`: a WebGPU buffer on the page's device; `cpu`: the page's memory (wasm, or WebGPU without outputsOnDevice). */
  readonly location: KeptTensor['location'];
  readonly sessionId: string;
  readonly backend: Backend;
  private current: TensorHandleState = { kind: 'live' };

  constructor(
    readonly owner: HandleOwner,
    kept: KeptTensor,
  ) {
    this.handleId = kept.handleId;
    this.name = kept.name;
    this.dtype = kept.dtype;
    this.dims = kept.dims;
    this.location = kept.location;
    this.sessionId = kept.sessionId;
    this.backend = kept.backend;
  }

  /** The connection holding the tensor. */
  get connectionId(): string {
    return this.owner.id;
  }

  get state(): TensorHandleState {
    return this.current;
  }

  /** Throws the typed error for a handle that can no longer be used. */
  assertLive(): void {
    if (this.current.kind === 'released') {
      throw new HandleReleasedError(`tensor handle ${this.handleId} (${this.name}) was released: run the producing model again`, {
        details: { handleId: this.handleId, connectionId: this.connectionId },
      });
    }
    if (this.current.kind === 'lost') {
      throw new HandleLostError(
        `tensor handle ${this.handleId} (${this.name}) was lost with connection ${this.connectionId}: ${this.current.cause.message}`,
        { details: { handleId: this.handleId, connectionId: this.connectionId, cause: this.current.cause.code } },
      );
    }
  }

  /** Frees the tensor in its page; a later use is `E_HANDLE_RELEASED`. Safe to call twice, or after a loss. */
  release(): Promise<void> {
    return this.owner.releaseHandles([this]);
  }

  /** Marks the handle released or lost (by its connection); a later use throws. */
  end(state: Exclude<TensorHandleState, { kind: 'live' }>): void {
    if (this.current.kind === 'live') {
      this.current = state;
    }
  }
}

export function isTensorHandle(value: unknown): value is TensorHandle {
  return value instanceof TensorHandle;
}
