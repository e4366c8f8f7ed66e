import { describe, expect, it } from 'vitest';

import { packBatch, unpackBatch } from './batch';
import { ProtocolError } from './errors';
import { concatParts, decodeFrame, encodeFrame } from './framing';

describe('batch envelopes', () => {
  it('carries several messages and their tensors through one frame', () => {
    const items = [
      { message: { type: 'run', id: 1 }, tensors: [{ name: 'x', tensor: { dtype: 'float32' as const, dims: [2], data: new Float32Array([1, 2]) } }] },
      { message: { type: 'ping', id: 2 }, tensors: [] },
      { message: { type: 'run', id: 3 }, tensors: [{ name: 'x', tensor: { dtype: 'int64' as const, dims: [1], data: new BigInt64Array([5n]) } }] },
    ];
    const packed = packBatch(items);
    const frame = encodeFrame(packed.message, packed.tensors);
    const out = unpackBatch(decodeFrame(typeof frame === 'string' ? frame : concatParts(frame)));
    expect(out.map((o) => o.message)).toEqual(items.map((i) => i.message));
    expect(out.map((o) => o.tensors.map((t) => [t.name, Array.from(t.tensor.data as ArrayLike<unknown>)]))).toEqual([[['x', [1, 2]]], [], [['x', [5n]]]]);
  });

  it('passes a non-batch frame through unchanged', () => {
    const frame = { message: { type: 'ping', id: 1 }, tensors: [] };
    expect(unpackBatch(frame)).toEqual([frame]);
  });

  it('rejects tensors that name no message', () => {
    const t = { dtype: 'uint8' as const, dims: [1], data: new Uint8Array(1) };
    expect(() => unpackBatch({ message: { type: 'batch', messages: [{}] }, tensors: [{ name: '3:x', tensor: t }] })).toThrow(ProtocolError);
    expect(() => unpackBatch({ message: { type: 'batch', messages: 'no' }, tensors: [] })).toThrow(ProtocolError);
  });
});
