/**
 * Batch envelopes: several messages (with their tensors) in one WebSocket frame. Chromium's per-message cost
 * (IPC hops between its processes) dominates small calls, so calls issued together travel together. A batch is
 * `{ type: 'batch', messages: [...] }`; tensor `name` of message `i` travels as `i:name`.
 */
import { ProtocolError } from './errors';
import type { DecodedFrame, NamedTensor } from './framing';

export interface FrameItem {
  message: object;
  tensors: readonly NamedTensor[];
}

export function packBatch(items: readonly FrameItem[]): FrameItem {
  return {
    message: { type: 'batch', messages: items.map((i) => i.message) },
    tensors: items.flatMap((item, i) => item.tensors.map((t) => ({ name: `${i}:${t.name}`, tensor: t.tensor }))),
  };
}

function isBatch(message: unknown): message is { type: 'batch'; messages: unknown[] } {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === 'batch';
}

/** Splits a batch frame into its messages; any other frame comes back as the only item. */
export function unpackBatch(frame: DecodedFrame): DecodedFrame[] {
  if (!isBatch(frame.message)) {
    return [frame];
  }
  const { messages } = frame.message;
  if (!Array.isArray(messages)) {
    throw new ProtocolError('batch frame must carry a "messages" array');
  }
  const out: DecodedFrame[] = messages.map((message) => ({ message, tensors: [] }));
  for (const { name, tensor } of frame.tensors) {
    const colon = name.indexOf(':');
    const index = Number(name.slice(0, colon));
    const target = out[index];
    if (colon < 1 || !Number.isInteger(index) || target === undefined) {
      throw new ProtocolError(`batch tensor "${name}" does not name one of the ${messages.length} messages`);
    }
    target.tensors.push({ name: name.slice(colon + 1), tensor });
  }
  return out;
}

/** Items whose tensors are at least this large travel alone: batching them would only grow one frame. */
export const BATCH_ITEM_MAX_BYTES = 1024 * 1024;

/** Tensor bytes an item carries. */
export function itemTensorBytes(item: FrameItem): number {
  return item.tensors.reduce((n, t) => n + t.tensor.data.byteLength, 0);
}
