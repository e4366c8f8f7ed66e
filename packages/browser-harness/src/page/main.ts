/**
 * Worker page entry. The orchestrator opens `/<secret>/pages/worker.html?conn=<connection id>`; the page connects
 * back to the bridge of its own origin and secret, says hello (with the secret), and serves requests until the
 * socket closes.
 */
import { type Capabilities, DEFAULT_MAX_TENSOR_BYTES } from '../protocol';
import { probeCapabilities } from './capabilities';
import { compileOrtWasm, loadOrt, ORT_BASE } from './ort-loader';
import { PageRpcServer } from './rpc-server';
import type { SessionHost } from './session-host';
import { SessionManager } from './sessions';
import { bridgeUrl, openTransport } from './transport';
import { workerCount as workersFor } from './worker/auto-count';
import type { InitMessage } from './worker/messages';
import { WorkerSessions } from './worker/router';
import { workerSpawner } from './worker/spawn';

/** Test and drill hooks for session workers, reached by the driver's page.evaluate (see FaultInjector). */
interface WorkerFaultHooks {
  inject(sessionId: string, fault: 'spin' | 'crash'): boolean;
}

async function start(): Promise<void> {
  const params = new URL(location.href).searchParams;
  const connectionId = params.get('conn');
  const secret = location.pathname.split('/')[1];
  if (connectionId === null || secret === undefined || secret === '') {
    document.title = 'browser-pool worker: open it at /<secret>/pages/worker.html?conn=<id>';
    return;
  }
  const maxTensorBytes = Number(params.get('maxTensorBytes') ?? DEFAULT_MAX_TENSOR_BYTES);
  const workerCount = workersFor(params.get('workers'), navigator.hardwareConcurrency);
  const withWorkers = workerCount > 0;
  // Session workers instantiate ORT's WASM from one module compiled here (compiled while ORT's script loads).
  const [ort, wasmModule] = await Promise.all([loadOrt(), withWorkers ? compileOrtWasm() : undefined]);
  const transport = openTransport(bridgeUrl(location), connectionId, params.get('transport'));
  let probed: Promise<Capabilities> | undefined;
  let sessions: SessionHost;
  let capabilities: () => Promise<Capabilities>;
  if (withWorkers) {
    const init: InitMessage = {
      kind: 'init',
      ortBase: ORT_BASE,
      numThreads: Number(ort.env.wasm.numThreads ?? 1),
      transport: transport.kind,
      maxTensorBytes,
      ...(wasmModule === undefined ? {} : { wasmModule }),
    };
    const workers = new WorkerSessions(
      workerCount,
      workerSpawner(transport, init, `session-worker ${connectionId}`),
      { budgetBytes: Math.max(0, Number(params.get('replicaMB') ?? 0)) * 1024 * 1024 },
    );
    sessions = workers;
    capabilities = () =>
      (probed ??= Promise.all([probeCapabilities(ort, transport.kind), workers.probeWebgpu()]).then(([page, webgpu]) => ({
        ...page,
        workers: { count: workerCount, webgpu },
      })));
    const hooks: WorkerFaultHooks = { inject: (sessionId, fault) => workers.inject(sessionId, fault) };
    (globalThis as { __browserPoolWorkerFaults?: WorkerFaultHooks }).__browserPoolWorkerFaults = hooks;
  } else {
    capabilities = () => (probed ??= probeCapabilities(ort, transport.kind));
    sessions = new SessionManager(ort, capabilities);
  }
  const server = new PageRpcServer(transport, sessions, capabilities, maxTensorBytes);
  transport.onOpen(() => {
    server.hello(connectionId, secret);
    document.title = `browser-pool worker ${connectionId}: connected`;
  });
  transport.onClose(() => {
    document.title = `browser-pool worker ${connectionId}: disconnected`;
  });
}

void start();
