/**
 * How the page reaches the bridge: through a relay SharedWorker where the browser has SharedWorker (see
 * relay-worker.ts for why), else a WebSocket of its own. Both look the same to the rpc server.
 */
import type { FromRelay, ToRelay } from './relay-messages';
import { ownBuffer } from './worker/transfer';

export interface PageTransport {
  /** 'relay' or 'direct', reported in the capabilities so the orchestrator knows which path frames take. */
  readonly kind: 'relay' | 'direct';
  /** Sends one frame; a Uint8Array's buffer is transferred (the caller must not reuse it). */
  send(data: string | Uint8Array): void;
  onOpen(listener: () => void): void;
  onMessage(listener: (data: string | ArrayBuffer) => void): void;
  onClose(listener: (code: number, reason: string) => void): void;
  /**
   * Hands `port` to the relay: whole frames posted on its other end (a session worker's replies) go to the socket
   * without passing through this thread. False for a direct socket, which only this thread can write to.
   */
  attach(port: MessagePort, key: number): boolean;
  /** The worker attached under `key` is gone: the relay closes its port. */
  detach(key: number): void;
}

/** The bridge URL of the page's own origin and secret (the first path segment of the page URL). */
export function bridgeUrl(location: Location): string {
  const secret = location.pathname.split('/')[1] ?? '';
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/${secret}/bridge`;
}


function direct(url: string): PageTransport {
  const socket = new WebSocket(url);
  socket.binaryType = 'arraybuffer';
  return {
    kind: 'direct',
    send: (data) => socket.send(data),
    onOpen: (listener) => socket.addEventListener('open', listener),
    onMessage: (listener) => socket.addEventListener('message', (e: MessageEvent<string | ArrayBuffer>) => listener(e.data)),
    onClose: (listener) => socket.addEventListener('close', (e) => listener(e.code, e.reason)),
    attach: () => false,
    detach: () => undefined,
  };
}

function relay(url: string, name: string): PageTransport {
  const worker = new SharedWorker(new URL('./relay-worker.ts', import.meta.url), { type: 'module', name });
  const port = worker.port;
  const open: (() => void)[] = [];
  const message: ((data: string | ArrayBuffer) => void)[] = [];
  const close: ((code: number, reason: string) => void)[] = [];
  port.onmessage = (e: MessageEvent<FromRelay>) => {
    const m = e.data;
    if (m.kind === 'open') {
      open.forEach((l) => l());
    } else if (m.kind === 'message') {
      message.forEach((l) => l(m.data));
    } else {
      close.forEach((l) => l(m.code, m.reason));
    }
  };
  const post = (m: ToRelay, transfer: Transferable[] = []): void => port.postMessage(m, transfer);
  post({ kind: 'open', url });
  // The page going away ends the relay too (it has no other client), and with it the socket.
  addEventListener('pagehide', () => post({ kind: 'close' }));
  return {
    kind: 'relay',
    send: (data) => {
      if (typeof data === 'string') {
        post({ kind: 'send', data });
        return;
      }
      const buffer = ownBuffer(data);
      post({ kind: 'send', data: buffer }, [buffer]);
    },
    onOpen: (l) => open.push(l),
    onMessage: (l) => message.push(l),
    onClose: (l) => close.push(l),
    attach: (p, key) => {
      post({ kind: 'attach', port: p, key }, [p]);
      return true;
    },
    detach: (key) => post({ kind: 'detach', key }),
  };
}

/**
 * Opens the page's transport to `url`; `name` keeps each page's relay its own (one per connection id). `prefer`
 * 'direct' skips the relay (benchmarks compare the two).
 */
export function openTransport(url: string, name: string, prefer: string | null): PageTransport {
  return typeof SharedWorker === 'function' && prefer !== 'direct' ? relay(url, name) : direct(url);
}
