/**
 * The WebSocket server pages connect back to, and its admission rules. Only pages this harness launched get in:
 *  - the upgrade must name the bridge path under the harness secret (`/<secret>/bridge`, compared in constant time)
 *    and come from an allowed page Origin; anything else is answered 403/404 and never becomes a WebSocket;
 *  - an upgraded socket is not yet admitted: it may send at most `maxHelloBytes` and must say `hello` (with the
 *    secret again and the connection id the driver was given) within `helloTimeoutMs`; unadmitted sockets are
 *    bounded by `maxPendingSockets`;
 *  - only then does the bridge hand an {@link RpcChannel} to whoever waits for that id.
 * Every socket and the server have error handlers: a peer that breaks the WebSocket protocol (unmasked frame, bad
 * opcode, invalid UTF-8, oversized frame) gets its socket closed with the matching close code, and nothing else.
 */
import type http from 'node:http';
import type https from 'node:https';
import type { Duplex } from 'node:stream';

import { type WebSocket, WebSocketServer } from 'ws';

import { ConnectionLostError, decodeFrame, helloSchema, PROTOCOL_VERSION, TimeoutError } from '../protocol';
import { secretMatches, splitSecretPath } from './admission';
import { RpcChannel, type RpcChannelOptions } from './rpc-channel';

export const BRIDGE_PATH = '/bridge';

/** WebSocket close codes the bridge sends (RFC 6455 section 7.4.1). */
export const CloseCode = { PolicyViolation: 1008, TooBig: 1009 } as const;

export interface BridgeOptions {
  /** Largest accepted WebSocket message, in bytes. @default maxTensorBytes + 16 MiB */
  maxPayloadBytes?: number;
  /** Bytes an upgraded socket may send before it is admitted (its hello). @default 4096 */
  maxHelloBytes?: number;
  /** Time an upgraded socket has to say hello. @default 5000 */
  helloTimeoutMs?: number;
  /** Upgraded sockets not yet admitted, at most; more are refused with 503. @default 32 */
  maxPendingSockets?: number;
  /** Page origins allowed besides the page server's own (e.g. an advertised address). @default [] */
  allowedOrigins?: string[];
  /** Options of every channel the bridge creates. */
  channel?: RpcChannelOptions;
}

export interface BridgeIdentity {
  secret: string;
  /** Origins the pages are served from, e.g. `http://127.0.0.1:43123`. */
  origins: () => readonly string[];
  maxTensorBytes: number;
}

interface Waiter {
  resolve: (channel: RpcChannel) => void;
  reject: (error: Error) => void;
}

/** What the bridge refused and why, for tests and operators (never sent to the peer in detail). */
export interface BridgeCounters {
  /** Upgraded sockets not yet admitted, right now. */
  pending: number;
  refusedUpgrades: number;
  refusedHellos: number;
  protocolErrors: number;
  admitted: number;
}

function refuseUpgrade(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  socket.destroy();
}

export class Bridge {
  private readonly wss: WebSocketServer;
  private readonly waiters = new Map<string, Waiter>();
  private readonly sockets = new Set<WebSocket>();
  readonly counters: BridgeCounters = { pending: 0, refusedUpgrades: 0, refusedHellos: 0, protocolErrors: 0, admitted: 0 };
  private readonly maxHelloBytes: number;
  private readonly helloTimeoutMs: number;
  private readonly maxPendingSockets: number;

  constructor(
    server: http.Server | https.Server,
    private readonly identity: BridgeIdentity,
    private readonly options: BridgeOptions = {},
  ) {
    this.maxHelloBytes = options.maxHelloBytes ?? 4096;
    this.helloTimeoutMs = options.helloTimeoutMs ?? 5000;
    this.maxPendingSockets = options.maxPendingSockets ?? 32;
    this.wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      perMessageDeflate: false,
      maxPayload: options.maxPayloadBytes ?? identity.maxTensorBytes + 16 * 1024 * 1024,
    });
    this.wss.on('error', () => undefined); // only emitted for server-level failures; never take the process down
    server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(req, socket, head));
  }

  /** The bridge URL for pages served by `origin` (carries the secret: hand it only to pages this harness opens). */
  url(origin: string): string {
    return `${origin.replace(/^http/, 'ws')}/${this.identity.secret}${BRIDGE_PATH}`;
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

  private onUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    // A reset during the handshake must not become an uncaught 'error'.
    socket.on('error', () => socket.destroy());
    const pathname = new URL(req.url ?? '/', 'http://x').pathname;
    const split = splitSecretPath(pathname);
    if (split === undefined || split.rest !== BRIDGE_PATH || !secretMatches(this.identity.secret, split.presented)) {
      this.counters.refusedUpgrades++;
      refuseUpgrade(socket, 404, 'Not Found');
      return;
    }
    const origin = req.headers.origin;
    if (origin === undefined || !this.allowedOrigins().includes(origin)) {
      this.counters.refusedUpgrades++;
      refuseUpgrade(socket, 403, 'Forbidden');
      return;
    }
    if (this.counters.pending >= this.maxPendingSockets) {
      this.counters.refusedUpgrades++;
      refuseUpgrade(socket, 503, 'Service Unavailable');
      return;
    }
    this.counters.pending++;
    // Until admitted, count raw bytes: a peer may send a hello and nothing more.
    let received = head.byteLength;
    let settled = false;
    const countBytes = (chunk: Buffer): void => {
      received += chunk.byteLength;
      if (received > this.maxHelloBytes) {
        socket.off('data', countBytes);
        this.counters.refusedHellos++;
        socket.destroy();
      }
    };
    socket.on('data', countBytes);
    const settlePending = (): void => {
      if (!settled) {
        settled = true; // once per socket: admitted, refused or gone
        this.counters.pending--;
        socket.off('data', countBytes);
      }
    };
    socket.once('close', settlePending);
    this.wss.handleUpgrade(req, socket, head, (ws) =>
      this.awaitHello(ws, settlePending, (channel) => socket.on('data', () => channel.noteActivity())),
    );
  }

  private allowedOrigins(): string[] {
    return [...this.identity.origins(), ...(this.options.allowedOrigins ?? [])];
  }

  private awaitHello(ws: WebSocket, settlePending: () => void, watchBytes: (channel: RpcChannel) => void): void {
    this.sockets.add(ws);
    ws.on('close', () => this.sockets.delete(ws));
    // ws closes the socket itself with the right code (1002, 1007, 1009) when a peer breaks the protocol, and then
    // emits 'error': without this listener that error would end the process.
    ws.on('error', () => {
      this.counters.protocolErrors++;
    });
    const refuse = (reason: string): void => {
      this.counters.refusedHellos++;
      ws.off('message', onMessage);
      clearTimeout(timer);
      ws.close(CloseCode.PolicyViolation, reason);
      setTimeout(() => ws.terminate(), 1000).unref();
    };
    const timer = setTimeout(() => refuse('no hello'), this.helloTimeoutMs);
    timer.unref();
    const onMessage = (data: Buffer, isBinary: boolean): void => {
      const hello = this.parseHello(data, isBinary);
      if (typeof hello === 'string') {
        refuse(hello);
        return;
      }
      const waiter = this.waiters.get(hello.connectionId);
      if (waiter === undefined) {
        refuse('not admitted');
        return;
      }
      this.waiters.delete(hello.connectionId);
      ws.off('message', onMessage);
      clearTimeout(timer);
      settlePending();
      this.counters.admitted++;
      const channel = new RpcChannel(ws, `connection ${hello.connectionId}`, { ...this.options.channel, maxTensorBytes: this.identity.maxTensorBytes });
      watchBytes(channel);
      waiter.resolve(channel);
    };
    ws.on('message', onMessage);
  }

  /** The hello, or why it is refused. Reasons stay generic: an unadmitted peer learns nothing about the schema. */
  private parseHello(data: Buffer, isBinary: boolean): { connectionId: string } | string {
    if (isBinary) {
      return 'not admitted';
    }
    let message: unknown;
    try {
      message = decodeFrame(data.toString('utf8')).message;
    } catch {
      return 'not admitted';
    }
    const parsed = helloSchema.safeParse(message);
    if (!parsed.success || !secretMatches(this.identity.secret, parsed.data.secret)) {
      return 'not admitted';
    }
    if (parsed.data.protocolVersion !== PROTOCOL_VERSION) {
      return `protocol ${parsed.data.protocolVersion} unsupported (bridge speaks ${PROTOCOL_VERSION})`;
    }
    return parsed.data;
  }
}
