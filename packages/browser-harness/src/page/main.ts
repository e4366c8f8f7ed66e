/**
 * Worker page entry. The orchestrator opens `/<secret>/pages/worker.html?conn=<connection id>`; the page connects
 * back to the bridge of its own origin and secret, says hello (with the secret), and serves requests until the
 * socket closes.
 */
import { type Capabilities, DEFAULT_MAX_TENSOR_BYTES } from '../protocol';
import { probeCapabilities } from './capabilities';
import { loadOrt } from './ort-loader';
import { PageRpcServer } from './rpc-server';
import { SessionManager } from './sessions';
import { bridgeUrl, openTransport } from './transport';

async function start(): Promise<void> {
  const params = new URL(location.href).searchParams;
  const connectionId = params.get('conn');
  const secret = location.pathname.split('/')[1];
  if (connectionId === null || secret === undefined || secret === '') {
    document.title = 'browser-pool worker: open it at /<secret>/pages/worker.html?conn=<id>';
    return;
  }
  const maxTensorBytes = Number(params.get('maxTensorBytes') ?? DEFAULT_MAX_TENSOR_BYTES);
  const ort = await loadOrt();
  const transport = openTransport(bridgeUrl(location), connectionId, params.get('transport'));
  let probed: Promise<Capabilities> | undefined;
  const capabilities = (): Promise<Capabilities> => (probed ??= probeCapabilities(ort, transport.kind));
  const server = new PageRpcServer(transport, new SessionManager(ort, capabilities), capabilities, maxTensorBytes);
  transport.onOpen(() => {
    server.hello(connectionId, secret);
    document.title = `browser-pool worker ${connectionId}: connected`;
  });
  transport.onClose(() => {
    document.title = `browser-pool worker ${connectionId}: disconnected`;
  });
}

void start();
