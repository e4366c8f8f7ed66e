/** Tensors cross between the main thread and a worker as transferred buffers, not structured-clone copies. */
import type { NamedTensor } from '../../protocol';

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
 * Each tensor in a buffer of its own: for tensors that sit in a frame other requests of the same batch still read
 * (transferring it would detach their inputs), one copy each, then moved.
 */
export function ownCopies(tensors: readonly NamedTensor[]): NamedTensor[] {
  return tensors.map(({ name, tensor }) => ({ name, tensor: { ...tensor, data: tensor.data.slice() } }));
}
