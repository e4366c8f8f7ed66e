/**
 * The page's bridge socket, held in a SharedWorker. Why not in the page: an automation library that instruments
 * the page (Playwright enables the DevTools Network domain on every page and dedicated worker) receives a base64 copy
 * of every WebSocket frame the page sends or receives, in the orchestrator's own process: a 400 MB tensor then ends
 * that process (ERR_STRING_TOO_LONG) and every tensor pays for the copy. Playwright does not attach to shared
 * workers, so frames here reach only our bridge. The worker relays whole frames between the socket and the page's
 * MessagePort, transferring ArrayBuffers (no copies); it understands nothing of the protocol, so a hung page
 * still misses its heartbeats. Session workers get ports of their own to it (`attach`): their run replies skip the
 * page's main thread, and so do run requests for the sessions the page routed to them (run-routes.ts, the only part
 * that reads frames, and only once the page routes something).
 */
import type { FromRelay, ToRelay } from './relay-messages';
import { RunRoutes } from './run-routes';

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
  const routes = new RunRoutes();
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
        ws.onmessage = (m: MessageEvent<string | ArrayBuffer>) => {
          const { rest, calls } = routes.split(m.data, performance.timeOrigin + performance.now());
          if (calls.length > 0) {
            post({ kind: 'routed', calls });
          }
          if (rest !== undefined) {
            post({ kind: 'message', data: rest }, typeof rest === 'string' ? [] : [rest]);
          }
        };
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
        routes.attach(message.key, message.port, (data) => socket?.send(data));
        return;
      case 'detach':
        routes.detach(message.key);
        return;
      case 'route':
        routes.route(message.sessionId, message.keys);
        return;
    }
  };
};
