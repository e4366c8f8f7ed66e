/** Tensors cross between the main thread and a worker as transferred buffers, not structured-clone copies. */
import type { NamedTensor } from '../../protocol';

/** An ArrayBuffer holding exactly `bytes`: the view's own buffer when it spans it, else a copy. */
export function ownBuffer(bytes: Uint8Array): ArrayBuffer {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer) {
    return bytes.buffer;
  }
  return bytes.slice().buffer;
}

/** The distinct ArrayBuffers under these tensors (shared memory cannot be transferred and is left out). */
export function buffersOf(tensors: readonly NamedTensor[]): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const { tensor } of tensors) {
    if (tensor.data.buffer instanceof ArrayBuffer) {
      buffers.add(tensor.data.buffer);
    }
  }
  return [...buffers];
}

/**
 * A copy of a model's bytes for the page to keep for reloads, made in the worker so a 400 MB model costs the page's
 * thread no copy: shared memory where the page is cross-origin isolated (a reload then shares it with the next worker
 * instead of copying), else an ArrayBuffer to transfer back.
 */
export function keepableCopy(bytes: Uint8Array): Uint8Array {
  const copy = crossOriginIsolated ? new Uint8Array(new SharedArrayBuffer(bytes.byteLength)) : new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return copy;
}

/**
 * Each tensor in a buffer of its own: for tensors that sit in a frame other requests of the same batch still read
 * (transferring it would detach their inputs), one copy each, then moved.
 */
export function ownCopies(tensors: readonly NamedTensor[]): NamedTensor[] {
  return tensors.map(({ name, tensor }) => ({ name, tensor: { ...tensor, data: tensor.data.slice() } }));
}
