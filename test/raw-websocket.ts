/**
 * A WebSocket client written on raw TCP, so tests can send what no WebSocket library would: unmasked frames,
 * reserved opcodes, RSV bits, invalid UTF-8, lying length fields, oversized control frames, bad close codes.
 */
import { randomBytes } from 'node:crypto';
import net from 'node:net';

export interface RawSocket {
  socket: net.Socket;
  /** HTTP status of the upgrade answer (101 when upgraded). */
  status: number;
  /** Resolves with the close code the server sent, or 'destroyed' when it dropped the socket without one. */
  closed: Promise<number | 'destroyed'>;
}

/** Opens a TCP connection and sends an upgrade request for `url` with `origin` (omitted when undefined). */
export async function rawUpgrade(url: string, origin: string | undefined): Promise<RawSocket> {
  const u = new URL(url);
  const socket = net.connect(Number(u.port), u.hostname);
  socket.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const headers = [
    `GET ${u.pathname}${u.search} HTTP/1.1`,
    `Host: ${u.host}`,
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
    'Sec-WebSocket-Version: 13',
    ...(origin === undefined ? [] : [`Origin: ${origin}`]),
  ];
  socket.write(`${headers.join('\r\n')}\r\n\r\n`);
  let buffered = Buffer.alloc(0);
  let status = 0;
  let headerDone = false;
  let resolveClosed!: (v: number | 'destroyed') => void;
  const closed = new Promise<number | 'destroyed'>((r) => (resolveClosed = r));
  const statusKnown = new Promise<void>((resolve) => {
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (!headerDone) {
        const end = buffered.indexOf('\r\n\r\n');
        if (end < 0) {
          return;
        }
        status = Number(/^HTTP\/1\.1 (\d{3})/.exec(buffered.subarray(0, end).toString('latin1'))?.[1] ?? 0);
        headerDone = true;
        buffered = buffered.subarray(end + 4);
        resolve();
      }
      // The first server frame we care about is a close frame: 0x88, length, 2-byte code.
      if (buffered.length >= 4 && buffered[0] === 0x88) {
        resolveClosed(buffered.readUInt16BE(2));
      }
    });
    socket.on('close', () => {
      resolve();
      resolveClosed('destroyed');
    });
  });
  await statusKnown;
  return { socket, status, closed };
}

export interface FrameSpec {
  opcode: number;
  payload: Buffer;
  fin?: boolean;
  rsv1?: boolean;
  /** Client frames must be masked; false sends it unmasked (a protocol error). @default true */
  mask?: boolean;
  /** Announced payload length, when it should lie. */
  announcedLength?: number;
}

/** Encodes one frame exactly as specified. */
export function frame(spec: FrameSpec): Buffer {
  const { opcode, payload } = spec;
  const mask = spec.mask ?? true;
  const length = spec.announcedLength ?? payload.length;
  const head: number[] = [((spec.fin ?? true) ? 0x80 : 0) | (spec.rsv1 === true ? 0x40 : 0) | (opcode & 0x0f)];
  const maskBit = mask ? 0x80 : 0;
  let ext = Buffer.alloc(0);
  if (length < 126) {
    head.push(maskBit | length);
  } else if (length < 65536) {
    head.push(maskBit | 126);
    ext = Buffer.alloc(2);
    ext.writeUInt16BE(length);
  } else {
    head.push(maskBit | 127);
    ext = Buffer.alloc(8);
    ext.writeBigUInt64BE(BigInt(length));
  }
  if (!mask) {
    return Buffer.concat([Buffer.from(head), ext, payload]);
  }
  const key = randomBytes(4);
  const masked = Buffer.from(payload.map((b, i) => b ^ key[i % 4]!));
  return Buffer.concat([Buffer.from(head), ext, key, masked]);
}

/** A close frame carrying `code`. */
export function closeFrame(code: number): Buffer {
  const payload = Buffer.alloc(2);
  payload.writeUInt16BE(code);
  return frame({ opcode: 0x8, payload });
}
