/**
 * Worker page entry. The orchestrator opens `worker.html?bridge=<ws url>&conn=<connection id>`; the page connects
 * back, says hello, and serves requests until the socket closes.
 */
import type { Capabilities } from '../protocol';
import { probeCapabilities } from './capabilities';
import { loadOrt } from './ort-loader';
import { PageRpcServer } from './rpc-server';
import { SessionManager } from './sessions';

async function start(): Promise<void> {
  const params = new URL(location.href).searchParams;
  const bridge = params.get('bridge');
  const connectionId = params.get('conn');
  if (bridge === null || connectionId === null) {
    document.title = 'browser-pool worker: missing ?bridge= and ?conn= parameters';
    return;
  }
  const ort = await loadOrt();
  let probed: Promise<Capabilities> | undefined;
  const capabilities = (): Promise<Capabilities> => (probed ??= probeCapabilities(ort));
  const socket = new WebSocket(bridge);
  const server = new PageRpcServer(socket, new SessionManager(ort, capabilities), capabilities);
  socket.addEventListener('open', () => {
    server.hello(connectionId);
    document.title = `browser-pool worker ${connectionId}: connected`;
  });
  socket.addEventListener('close', () => {
    document.title = `browser-pool worker ${connectionId}: disconnected`;
  });
}

void start();
