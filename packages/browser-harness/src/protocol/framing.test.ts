import { describe, expect, it } from 'vitest';

import { DTYPES, typedArrayCtor } from './dtypes';
import { ErrorCode, ProtocolError } from './errors';
import { concatParts, decodeFrame, encodeFrame, type NamedTensor } from './framing';
import type { Tensor } from './tensor';

function sample(dtype: (typeof DTYPES)[number], n: number): Tensor {
  const data = new (typedArrayCtor(dtype))(n);
  for (let i = 0; i < n; i++) {
    if (data instanceof BigInt64Array) {data[i] = BigInt(i) * -123456789012n;}
    else if (data instanceof BigUint64Array) {data[i] = BigInt(i) * 18_000_000_000_000_000n / 7n;}
    else if (data instanceof Float32Array) {data[i] = i * 0.1 - 1.5;}
    else {data[i] = dtype === 'bool' ? i % 2 : (i * 37) % 120;}
  }
  return { dtype, dims: [n], data };
}

function frameBytes(frame: string | Uint8Array[]): Uint8Array {
  if (typeof frame === 'string') {throw new Error('expected a binary frame');}
  return concatParts(frame);
}

describe('tensor framing', () => {
  it.each(DTYPES)('round-trips %s exactly (odd sizes, several tensors)', (dtype) => {
    const tensors: NamedTensor[] = [
      { name: 'a', tensor: sample(dtype, 7) },
      { name: 'b', tensor: { ...sample(dtype, 6), dims: [2, 3] } },
      { name: 'empty', tensor: { ...sample(dtype, 0), dims: [0, 4] } },
    ];
    const decoded = decodeFrame(frameBytes(encodeFrame({ type: 'run', id: 3 }, tensors)));
    expect(decoded.message).toEqual({ type: 'run', id: 3 });
    expect(decoded.tensors.map((t) => t.name)).toEqual(['a', 'b', 'empty']);
    decoded.tensors.forEach((t, i) => {
      const original = tensors[i]!.tensor;
      expect(t.tensor.dtype).toBe(dtype);
      expect(t.tensor.dims).toEqual(original.dims);
      expect(t.tensor.data.constructor).toBe(original.data.constructor);
      expect(Array.from(t.tensor.data as ArrayLike<unknown>)).toEqual(Array.from(original.data as ArrayLike<unknown>));
    });
  });

  it('views tensor bytes in place when the buffer is aligned, copies when it is not', () => {
    const bytes = frameBytes(encodeFrame({ type: 'x' }, [{ name: 't', tensor: sample('float32', 5) }]));
    const aligned = decodeFrame(bytes).tensors[0]!.tensor.data;
    expect(aligned.buffer).toBe(bytes.buffer);
    const shifted = new Uint8Array(bytes.byteLength + 1);
    shifted.set(bytes, 1);
    const copy = decodeFrame(shifted.subarray(1)).tensors[0]!.tensor.data;
    expect(copy.buffer).not.toBe(shifted.buffer);
    expect(Array.from(copy as Float32Array)).toEqual(Array.from(sample('float32', 5).data as Float32Array));
  });

  it('sends a message without tensors as a JSON text frame', () => {
    expect(encodeFrame({ type: 'ping', id: 1 })).toBe('{"type":"ping","id":1}');
    expect(decodeFrame('{"type":"ping","id":1}').message).toEqual({ type: 'ping', id: 1 });
  });

  it('refuses string tensors with E_UNSUPPORTED_DTYPE', () => {
    const bad = { dtype: 'string', dims: [1], data: ['x'] } as unknown as Tensor;
    expect(() => encodeFrame({}, [{ name: 's', tensor: bad }])).toThrow(expect.objectContaining({ code: ErrorCode.UnsupportedDtype }));
  });

  it('refuses a tensor whose data length does not match its dims', () => {
    const bad = { dtype: 'float32', dims: [2, 2], data: new Float32Array(3) } as Tensor;
    expect(() => encodeFrame({}, [{ name: 't', tensor: bad }])).toThrow(/hold 4 elements but data has 3/);
  });

  const good = frameBytes(encodeFrame({ type: 'x' }, [{ name: 't', tensor: sample('int32', 4) }]));
  const corrupt = (mutate: (b: Uint8Array) => Uint8Array): Uint8Array => mutate(good.slice());
  it.each([
    ['not JSON text', 'not json{'],
    ['too short', new Uint8Array([1, 2, 3])],
    ['bad magic', corrupt((b) => ((b[0] = 0), b))],
    ['header past the end', corrupt((b) => (new DataView(b.buffer).setUint32(4, 1e6, true), b))],
    ['truncated tensor bytes', good.slice(0, good.byteLength - 8)],
  ] as const)('rejects a frame that is %s with E_PROTOCOL', (_name, frame) => {
    expect(() => decodeFrame(frame)).toThrow(ProtocolError);
  });

  it('rejects a descriptor whose byte length disagrees with dims and dtype', () => {
    const header = JSON.stringify({ message: {}, tensors: [{ name: 't', dtype: 'float32', dims: [4], offset: 256, byteLength: 8 }] });
    const head = new TextEncoder().encode(header);
    const frame = new Uint8Array(256 + 16);
    const view = new DataView(frame.buffer);
    view.setUint32(0, 0x31465042, true);
    view.setUint32(4, head.byteLength, true);
    frame.set(head, 8);
    expect(() => decodeFrame(frame)).toThrow(/declares 8 bytes but dims \[4\] of float32 need 16/);
  });
});
