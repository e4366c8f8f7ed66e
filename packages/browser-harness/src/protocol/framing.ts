/**
 * Frame format. A frame without tensors is a text WebSocket frame holding the message JSON. A frame with tensors is
 * a binary frame:
 *
 *   bytes 0..3   magic "BPF1"
 *   bytes 4..7   header length H (uint32 little-endian)
 *   bytes 8..    header JSON (UTF-8): { message, tensors: [{ name, dtype, dims, offset, byteLength }] }
 *   then         each tensor's raw little-endian bytes, every one starting on an 8-byte boundary of the frame
 *
 * Offsets are from the frame start, so a receiver holding an aligned buffer views tensors without copying.
 */
import { bytesPerElement, isDType, typedArrayCtor } from './dtypes';
import { ProtocolError } from './errors';
import { elementCount, type Tensor, validateTensor } from './tensor';

const MAGIC = 0x31465042; // "BPF1" read as little-endian uint32
const PREFIX = 8;
const ALIGN = 8;

export interface NamedTensor {
  name: string;
  tensor: Tensor;
}

interface TensorDescriptor {
  name: string;
  dtype: string;
  dims: number[];
  offset: number;
  byteLength: number;
}

export interface DecodedFrame {
  /** The message JSON, not yet validated: the caller checks it against its schema. */
  message: unknown;
  tensors: NamedTensor[];
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

const pad = (n: number): number => (ALIGN - (n % ALIGN)) % ALIGN;

function bytesOf(t: Tensor): Uint8Array {
  return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

/**
 * Encodes a message and its tensors. Returns a string (text frame) when there are no tensors, else the frame as
 * parts: a prefix+header part followed by each tensor's bytes (padded), so a sender can write them as WebSocket
 * fragments without first copying everything into one buffer.
 */
export function encodeFrame(message: object, tensors: readonly NamedTensor[] = []): string | Uint8Array[] {
  if (tensors.length === 0) {
    return JSON.stringify(message);
  }
  for (const { name, tensor } of tensors) {
    validateTensor(tensor, `tensor "${name}"`);
  }
  const descriptors: TensorDescriptor[] = [];
  // Offsets depend on the header length, which depends on the offsets' digits: iterate to a fixed point.
  let headerBytes: Uint8Array = new Uint8Array(0);
  for (let guess = 0, attempt = 0; attempt < 4; attempt++) {
    descriptors.length = 0;
    let offset = PREFIX + guess + pad(PREFIX + guess);
    for (const { name, tensor } of tensors) {
      const byteLength = tensor.data.byteLength;
      descriptors.push({ name, dtype: tensor.dtype, dims: [...tensor.dims], offset, byteLength });
      offset += byteLength + pad(byteLength);
    }
    headerBytes = encoder.encode(JSON.stringify({ message, tensors: descriptors }));
    if (headerBytes.length === guess) {
      break;
    }
    guess = headerBytes.length;
  }
  const headLength = PREFIX + headerBytes.length;
  const head = new Uint8Array(headLength + pad(headLength));
  const view = new DataView(head.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, headerBytes.length, true);
  head.set(headerBytes, PREFIX);
  const parts: Uint8Array[] = [head];
  for (const { tensor } of tensors) {
    const bytes = bytesOf(tensor);
    parts.push(bytes);
    const p = pad(bytes.byteLength);
    if (p > 0) {
      parts.push(new Uint8Array(p));
    }
  }
  return parts;
}

/** Joins frame parts into one buffer (for senders that cannot fragment, such as the browser's WebSocket). */
export function concatParts(parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) {
    total += p.byteLength;
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new ProtocolError(`frame is not valid JSON: ${(error as Error).message}`);
  }
}

function isDescriptor(d: unknown): d is TensorDescriptor {
  if (typeof d !== 'object' || d === null) {
    return false;
  }
  const r = d as Record<string, unknown>;
  return (
    typeof r.name === 'string' &&
    typeof r.dtype === 'string' &&
    Array.isArray(r.dims) &&
    r.dims.every((x) => Number.isInteger(x) && (x as number) >= 0) &&
    Number.isInteger(r.offset) &&
    Number.isInteger(r.byteLength)
  );
}

/** Decodes a text or binary frame; any malformation throws `E_PROTOCOL` with what was wrong. */
export function decodeFrame(data: string | Uint8Array): DecodedFrame {
  if (typeof data === 'string') {
    return { message: parseJson(data), tensors: [] };
  }
  if (data.byteLength < PREFIX) {
    throw new ProtocolError(`binary frame of ${data.byteLength} bytes is shorter than its ${PREFIX}-byte prefix`);
  }
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (view.getUint32(0, true) !== MAGIC) {
    throw new ProtocolError('binary frame does not start with the "BPF1" magic');
  }
  const headerLength = view.getUint32(4, true);
  if (PREFIX + headerLength > data.byteLength) {
    throw new ProtocolError(`frame header length ${headerLength} runs past the frame end (${data.byteLength} bytes)`);
  }
  let headerText: string;
  try {
    headerText = decoder.decode(data.subarray(PREFIX, PREFIX + headerLength));
  } catch {
    throw new ProtocolError('frame header is not valid UTF-8');
  }
  const header = parseJson(headerText);
  if (typeof header !== 'object' || header === null || !Array.isArray((header as { tensors?: unknown }).tensors)) {
    throw new ProtocolError('binary frame header must be an object with a "tensors" array');
  }
  const { message, tensors: rawDescriptors } = header as { message: unknown; tensors: unknown[] };
  const tensors: NamedTensor[] = rawDescriptors.map((d, i) => {
    if (!isDescriptor(d)) {
      throw new ProtocolError(`tensor descriptor ${i} is malformed: ${JSON.stringify(d)}`);
    }
    if (!isDType(d.dtype)) {
      throw new ProtocolError(`tensor "${d.name}" has unsupported dtype ${JSON.stringify(d.dtype)}`);
    }
    const expected = elementCount(d.dims) * bytesPerElement(d.dtype);
    if (d.byteLength !== expected) {
      throw new ProtocolError(
        `tensor "${d.name}" declares ${d.byteLength} bytes but dims ${JSON.stringify(d.dims)} of ${d.dtype} need ${expected}`,
      );
    }
    if (d.offset < PREFIX + headerLength || d.offset + d.byteLength > data.byteLength) {
      throw new ProtocolError(`tensor "${d.name}" bytes [${d.offset}, +${d.byteLength}) lie outside the frame`);
    }
    const Ctor = typedArrayCtor(d.dtype);
    const length = elementCount(d.dims);
    const start = data.byteOffset + d.offset;
    // View in place when aligned; a Node Buffer slice may sit at any offset of its pool, then copy.
    const array =
      start % Ctor.BYTES_PER_ELEMENT === 0
        ? new Ctor(data.buffer, start, length)
        : new Ctor(data.slice(d.offset, d.offset + d.byteLength).buffer, 0, length);
    return { name: d.name, tensor: { dtype: d.dtype, dims: d.dims, data: array } };
  });
  return { message, tensors };
}
