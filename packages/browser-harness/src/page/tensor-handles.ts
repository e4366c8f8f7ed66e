/**
 * Tensors a run kept in the page instead of sending back (`keep`): WebGPU outputs stay in their GPU buffers
 * (`preferredOutputLocation: 'gpu-buffer'`), other outputs stay as ORT CPU tensors in page memory. A handle feeds a
 * later run on this page without its bytes travelling to Node and back, and is disposed when released explicitly or
 * with the session that made it.
 */
import type * as Ort from 'onnxruntime-web';

import {
  type Backend,
  HandleElsewhereError,
  HandleReleasedError,
  isDType,
  type KeptTensor,
  type NamedTensor,
  typedArrayCtor,
  UnsupportedDtypeError,
} from '../protocol';

interface Held {
  tensor: Ort.Tensor;
  info: KeptTensor;
}

/** Handle ids this page released, remembered (bounded) so a late use says "released", not "unknown". */
const RELEASED_MEMORY = 4096;

/** Forgets the oldest remembered ids past {@link RELEASED_MEMORY} (Sets and Maps keep insertion order). */
export function forgetOldest(remembered: Set<string> | Map<string, unknown>): void {
  while (remembered.size > RELEASED_MEMORY) {
    const oldest = remembered.keys().next().value;
    if (oldest === undefined) {
      return;
    }
    remembered.delete(oldest);
  }
}

export class TensorHandles {
  private readonly held = new Map<string, Held>();
  private readonly released = new Set<string>();
  private nextId = 1;

  keep(name: string, tensor: Ort.Tensor, sessionId: string, backend: Backend): KeptTensor {
    const info: KeptTensor = {
      name,
      handleId: `h${this.nextId++}`,
      dtype: tensor.type,
      dims: [...tensor.dims],
      location: tensor.location === 'gpu-buffer' ? 'gpu-buffer' : 'cpu',
      sessionId,
      backend,
    };
    this.held.set(info.handleId, { tensor, info });
    return info;
  }

  /**
   * The ORT tensor to feed a session of `backend`: the kept tensor itself where it can be used as is, a CPU copy
   * made in the page where `copy` allows it (GPU buffer read back for a wasm session), else `E_HANDLE_ELSEWHERE`.
   */
  async feed(handleId: string, backend: Backend, copy: boolean, ort: { Tensor: typeof Ort.Tensor }): Promise<{ tensor: Ort.Tensor; copied: boolean }> {
    const held = this.get(handleId);
    if (held.info.location === 'cpu' || backend === 'webgpu') {
      return { tensor: held.tensor, copied: false };
    }
    if (!copy) {
      throw new HandleElsewhereError(
        `handle ${handleId} (${held.info.name}) is in a GPU buffer and the session runs on ${backend}: ` +
          'pass copyHandles: true to copy it inside the page, or run the session on webgpu',
        { details: { handleId, location: held.info.location, backend } },
      );
    }
    const data = await held.tensor.getData();
    return { tensor: new ort.Tensor(held.tensor.type, data, [...held.tensor.dims]), copied: true };
  }

  /** What a handle holds (dtype, dims, where), for input checks; `E_HANDLE_RELEASED` where it is gone. */
  describe(handleId: string): KeptTensor {
    return this.get(handleId).info;
  }

  /** The handle's bytes, read back from the GPU where it lives there. */
  async read(handleId: string): Promise<NamedTensor> {
    const held = this.get(handleId);
    const dtype = held.info.dtype;
    if (!isDType(dtype)) {
      throw new UnsupportedDtypeError(`handle ${handleId} has dtype ${dtype}, which the wire cannot carry`);
    }
    const raw = (held.info.location === 'gpu-buffer' ? await held.tensor.getData() : held.tensor.data) as ArrayBufferView;
    const Ctor = typedArrayCtor(dtype);
    return { name: held.info.name, tensor: { dtype, dims: held.info.dims, data: new Ctor(raw.buffer, raw.byteOffset, raw.byteLength / Ctor.BYTES_PER_ELEMENT) } };
  }

  /** Disposes the handles (GPU buffers freed); ids never issued or already released are ignored. */
  release(handleIds: readonly string[]): string[] {
    const done: string[] = [];
    for (const handleId of handleIds) {
      const held = this.held.get(handleId);
      if (held === undefined) {
        continue;
      }
      this.held.delete(handleId);
      held.tensor.dispose();
      this.remember(handleId);
      done.push(handleId);
    }
    return done;
  }

  /** Releases every handle a session made (the session is being released). */
  releaseSession(sessionId: string): string[] {
    return this.release([...this.held.values()].filter((h) => h.info.sessionId === sessionId).map((h) => h.info.handleId));
  }

  private remember(handleId: string): void {
    this.released.add(handleId);
    forgetOldest(this.released);
  }

  private get(handleId: string): Held {
    const held = this.held.get(handleId);
    if (held === undefined) {
      throw new HandleReleasedError(
        this.released.has(handleId)
          ? `handle ${handleId} was released (explicitly or with its session): run the producing model again`
          : `no handle ${handleId} on this page (released, or made on another page or worker)`,
        { details: { handleId } },
      );
    }
    return held;
  }
}
