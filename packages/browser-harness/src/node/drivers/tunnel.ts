/**
 * Page access through the browser connection itself ("tunnel"): the remote page never reaches this host over the
 * network. Every request of the page to the page server's own origin (its loopback address, e.g.
 * `http://127.0.0.1:43123`) is answered by Playwright's request routing from this process, and the page's bridge
 * WebSocket to that origin is routed to this process as well, which relays it to the bridge over loopback.
 * The page keeps its loopback URL, so it is a secure context (WebGPU, and WASM threads with the isolation headers
 * the page server sends) without a certificate, and no address or port of this host has to be reachable.
 */
import type { BrowserContext, Route, WebSocketRoute } from 'playwright-core';
import { WebSocket } from 'ws';

/** Routes `origin`'s requests and WebSockets of every page in `context` to this process. */
export async function tunnelOrigin(context: BrowserContext, origin: string): Promise<void> {
  const matches = (url: URL): boolean => url.origin === origin;
  await context.route(matches, (route) => forwardRequest(route));
  await context.routeWebSocket(
    (url) => url.origin === origin.replace(/^http/, 'ws'),
    (ws) => forwardSocket(ws, origin),
  );
}

async function forwardRequest(route: Route): Promise<void> {
  const request = route.request();
  try {
    const response = await fetch(request.url(), { method: request.method(), headers: { accept: request.headers().accept ?? '*/*' } });
    await route.fulfill({ status: response.status, headers: Object.fromEntries(response.headers), body: Buffer.from(await response.arrayBuffer()) });
  } catch {
    await route.abort('connectionfailed').catch(() => undefined);
  }
}

/** Relays one page WebSocket to the bridge: frames both ways unchanged, text as text and binary as binary. */
function forwardSocket(route: WebSocketRoute, origin: string): void {
  const upstream = new WebSocket(route.url(), { origin, perMessageDeflate: false });
  const early: (string | Buffer)[] = [];
  upstream.on('open', () => early.splice(0).forEach((m) => upstream.send(m)));
  upstream.on('message', (data: Buffer, isBinary: boolean) => route.send(isBinary ? data : data.toString('utf8')));
  upstream.on('close', (code, reason) => void route.close({ code: code === 1005 || code === 1006 ? 1000 : code, reason: reason.toString() }).catch(() => undefined));
  upstream.on('error', () => upstream.terminate());
  route.onMessage((message) => {
    if (upstream.readyState === WebSocket.OPEN) {
      upstream.send(message);
    } else if (upstream.readyState === WebSocket.CONNECTING) {
      early.push(message);
    }
  });
  route.onClose(() => upstream.close());
}
