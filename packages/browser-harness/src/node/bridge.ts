/**
 * The WebSocket server pages connect back to. A new socket must say `hello` with the connection id the driver put
 * in the page URL; the bridge then hands an {@link RpcChannel} to whoever waits for that id. Garbage before hello
 * is answered with an `E_PROTOCOL` error frame and never brings the server down.
 */
import type http from 'node:http';

import { type WebSocket, WebSocketServer } from 'ws';

import {
  ConnectionLostError,
  decodeFrame,
  describeIssues,
  encodeFrame,
  pageMessageSchema,
  PROTOCOL_VERSION,
  ProtocolError,
  serializeError,
  TimeoutError,
} from '../protocol';
import { RpcChannel, type RpcChannelOptions } from './rpc-channel';

export const BRIDGE_PATH = '/bridge';

export interface BridgeOptions {
  /** Largest accepted frame. @default 1 GiB (tensors of hundreds of MB are legitimate) */
  maxPayloadBytes?: number;
  /** Options of every channel the bridge creates. */
  channel?: RpcChannelOptions;
}

interface Waiter {
  resolve: (channel: RpcChannel) => void;
  reject: (error: Error) => void;
}

export class Bridge {
  private readonly wss: WebSocketServer;
  private readonly waiters = new Map<string, Waiter>();
  private readonly sockets = new Set<WebSocket>();

  constructor(
    server: http.Server,
    private readonly options: BridgeOptions = {},
  ) {
    this.wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayloadBytes ?? 1024 ** 3 });
    server.on('upgrade', (req, socket, head) => {
      if (new URL(req.url ?? '/', 'http://x').pathname !== BRIDGE_PATH) {
        socket.destroy();
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws));
    });
  }

  /** The WebSocket URL for pages served by `origin`. */
  static url(origin: string): string {
    return `${origin.replace(/^http/, 'ws')}${BRIDGE_PATH}`;
  }

  /** Resolves when the page given `connectionId` says hello. */
  waitForConnection(connectionId: string, timeoutMs: number): Promise<RpcChannel> {
    return new Promise<RpcChannel>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(connectionId);
        reject(new TimeoutError(`page for connection ${connectionId} did not connect back within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.set(connectionId, {
        resolve: (c) => {
          clearTimeout(timer);
          resolve(c);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
    });
  }

  /** Stops waiting for a page (its browser died before it connected). */
  cancelWait(connectionId: string, cause: Error): void {
    this.waiters.get(connectionId)?.reject(cause);
    this.waiters.delete(connectionId);
  }

  async close(): Promise<void> {
    for (const [id, waiter] of this.waiters) {
      waiter.reject(new ConnectionLostError(`bridge closed while waiting for connection ${id}`));
    }
    this.waiters.clear();
    for (const ws of this.sockets) {
      ws.terminate();
    }
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private accept(ws: WebSocket): void {
    this.sockets.add(ws);
    ws.on('close', () => this.sockets.delete(ws));
    const onMessage = (data: Buffer, isBinary: boolean): void => {
      try {
        const frame = decodeFrame(isBinary ? new Uint8Array(data) : data.toString('utf8'));
        const parsed = pageMessageSchema.safeParse(frame.message);
        if (!parsed.success) {
          throw new ProtocolError(`invalid frame: ${describeIssues(parsed.error)}`);
        }
        if (parsed.data.type !== 'hello') {
          throw new ProtocolError(`expected hello as the first frame, got ${parsed.data.type}`);
        }
        const hello = parsed.data;
        if (hello.protocolVersion !== PROTOCOL_VERSION) {
          throw new ProtocolError(`page speaks protocol ${hello.protocolVersion}, bridge speaks ${PROTOCOL_VERSION}`);
        }
        const waiter = this.waiters.get(hello.connectionId);
        if (waiter === undefined) {
          ws.close(1008, 'unknown connection id');
          return;
        }
        this.waiters.delete(hello.connectionId);
        ws.off('message', onMessage);
        waiter.resolve(new RpcChannel(ws, `connection ${hello.connectionId}`, this.options.channel));
      } catch (error) {
        ws.send(encodeFrame({ type: 'error', id: null, error: serializeError(error) }) as string);
      }
    };
    ws.on('message', onMessage);
  }
}
