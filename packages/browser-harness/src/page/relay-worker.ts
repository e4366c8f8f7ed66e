/**
 * The page's bridge socket, held in a SharedWorker. Why not in the page: an automation library that instruments
 * the page (Playwright enables the DevTools Network domain on every page and dedicated worker) receives a base64 copy
 * of every WebSocket frame the page sends or receives, in the orchestrator's own process: a 400 MB tensor then ends
 * that process (ERR_STRING_TOO_LONG) and every tensor pays for the copy. Playwright does not attach to shared
 * workers, so frames here reach only our bridge. The worker relays whole frames between the socket and the page's
 * MessagePort, transferring ArrayBuffers (no copies); it understands nothing of the protocol, so a hung page
 * still misses its heartbeats. Session workers get ports of their own to it (`attach`) for their run replies, which
 * then skip the page's main thread.
 */
import type { FromRelay, RelayFrame, ToRelay } from './relay-messages';

interface ConnectEvent {
  readonly ports: readonly MessagePort[];
}

const scope = self as unknown as { onconnect: ((event: ConnectEvent) => void) | null };

scope.onconnect = (event) => {
  const port = event.ports[0];
  if (port === undefined) {
    return;
  }
  let socket: WebSocket | undefined;
  const workerPorts = new Map<number, MessagePort>();
  const post = (message: FromRelay, transfer: Transferable[] = []): void => port.postMessage(message, transfer);
  port.onmessage = (e: MessageEvent<ToRelay>) => {
    const message = e.data;
    switch (message.kind) {
      case 'open': {
        if (socket !== undefined) {
          return;
        }
        const ws = new WebSocket(message.url);
        socket = ws;
        ws.binaryType = 'arraybuffer';
        ws.onopen = () => post({ kind: 'open' });
        ws.onmessage = (m: MessageEvent<string | ArrayBuffer>) =>
          post({ kind: 'message', data: m.data }, typeof m.data === 'string' ? [] : [m.data]);
        ws.onclose = (c) => post({ kind: 'close', code: c.code, reason: c.reason });
        return;
      }
      case 'send':
        socket?.send(message.data);
        return;
      case 'close':
        socket?.close();
        return;
      case 'attach':
        workerPorts.set(message.key, message.port);
        message.port.onmessage = (m: MessageEvent<RelayFrame>) => socket?.send(m.data.data);
        return;
      case 'detach':
        workerPorts.get(message.key)?.close();
        workerPorts.delete(message.key);
        return;
    }
  };
};
