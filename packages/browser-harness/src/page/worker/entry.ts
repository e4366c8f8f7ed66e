/**
 * A session worker: a dedicated module Web Worker that holds some of the page's ORT sessions, so a long load, a long
 * run or a stuck model occupies this thread and never the page's (which keeps answering heartbeats and routing).
 */
import { type Capabilities, type NamedTensor, serializeError, type SessionInfo } from '../../protocol';
import { probeCapabilities } from '../capabilities';
import type { OrtModule } from '../ort-loader';
import { SessionManager } from '../sessions';
import type { CallMessage, FromWorker, InitMessage, ToWorker, WorkerOps } from './messages';
import { loadOrtInWorker } from './ort';
import { sendRunReply } from './reply';
import { warmStandby } from './standby';
import { buffersOf, keepableCopy } from './transfer';
import { warmUp } from './warm-up';

interface Loaded {
  ort: OrtModule;
  manager: SessionManager;
  capabilities: () => Promise<Capabilities>;
  init: InitMessage;
}

let loaded: Promise<Loaded> | undefined;

function post(message: FromWorker, transfer: Transferable[] = []): void {
  self.postMessage(message, { transfer });
}

function start(init: InitMessage): void {
  loaded = loadOrtInWorker(init, (source) => post({ kind: 'wasm', source })).then((ort) => {
    // Backends are checked against what this worker can reach (WebGPU in a worker is its own question).
    let probed: Promise<Capabilities> | undefined;
    const capabilities = (): Promise<Capabilities> => (probed ??= probeCapabilities(ort, init.transport));
    return { ort, manager: new SessionManager(ort, capabilities), capabilities, init };
  });
  // A worker whose ORT failed to load answers every call with that error instead. A spare says ready only once its
  // WASM is instantiated; a failed warm-up is not fatal (its first real load reports the cause).
  void loaded.then(
    async ({ ort }) => {
      if (init.warmUp === true) {
        await warmUp(ort).catch(() => undefined);
      }
      post({ kind: 'ready' });
    },
    () => undefined,
  );
}

/** Loads under way by session id. */
const loads = new Map<string, Promise<unknown>>();

/**
 * Loads a session; a second load under the same id (a respawn reloading what this worker, as the page's spare, was
 * still loading as a standby copy) waits for the first and replaces it, so no session is left behind unreleased.
 */
async function loadOnce(manager: SessionManager, r: WorkerOps['load']['request']): Promise<SessionInfo> {
  const previous = loads.get(r.sessionId);
  const loading = (async () => {
    await previous?.catch(() => undefined);
    await manager.release(r.sessionId).catch(() => undefined);
    return manager.loadAs(r.sessionId, r.modelId, r.source, r.backend, r.options);
  })();
  loads.set(r.sessionId, loading);
  try {
    return await loading;
  } finally {
    if (loads.get(r.sessionId) === loading) {
      loads.delete(r.sessionId);
    }
  }
}

interface Performed {
  result: unknown;
  tensors: NamedTensor[];
  /** Buffers to move with the result besides the tensors'. */
  transfer?: Transferable[];
}

async function perform(message: CallMessage, { manager, capabilities, init }: Loaded): Promise<Performed> {
  switch (message.op) {
    case 'load': {
      const r = message.request;
      const kept = r.keepBytes === true && r.source.kind === 'inline' ? keepableCopy(r.source.bytes) : undefined;
      const info = await loadOnce(manager, r);
      if (r.standby === true) {
        await warmStandby(manager, info);
      }
      return {
        result: { ...info, modelBytes: manager.modelBytes(r.sessionId), ...(kept === undefined ? {} : { kept }) },
        tensors: [],
        transfer: kept?.buffer instanceof ArrayBuffer ? [kept.buffer] : [],
      };
    }
    case 'run': {
      const r = message.request;
      const outcome =
        r.handoff === undefined ? await manager.run(r.sessionId, r.inputs, r.outputNames) : await manager.runKeeping(r.sessionId, r.inputs, r.handoff, r.outputNames);
      if (r.reply !== undefined && init.replyPort !== undefined) {
        sendRunReply(init.replyPort, r.reply, outcome, init.maxTensorBytes);
        return { result: { replied: true }, tensors: [] };
      }
      return { result: outcome, tensors: outcome.outputs };
    }
    case 'loop': {
      const r = message.request;
      return { result: await manager.loop(r.sessionId, r.inputs, r.warmup, r.iterations), tensors: [] };
    }
    case 'release':
      await manager.release(message.request.sessionId);
      return { result: null, tensors: [] };
    case 'probe':
      return { result: (await capabilities()).webgpu, tensors: [] };
    case 'readHandle': {
      // A copy moves to the page: the held tensor's own buffer must stay (the handle lives on).
      const { name, tensor } = await manager.readHandle(message.request.handleId);
      const read: NamedTensor = { name, tensor: { ...tensor, data: tensor.data.slice() } };
      return { result: read, tensors: [read] };
    }
    case 'releaseHandles':
      return { result: manager.releaseHandles(message.request.handleIds), tensors: [] };
  }
}

async function handle(message: CallMessage): Promise<void> {
  try {
    if (loaded === undefined) {
      throw new Error('session worker used before init');
    }
    const { result, tensors, transfer = [] } = await perform(message, await loaded);
    post({ kind: 'ok', call: message.call, result }, [...buffersOf(tensors), ...transfer]);
  } catch (error) {
    post({ kind: 'error', call: message.call, error: serializeError(error) });
  }
}

addEventListener('message', (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  switch (message.kind) {
    case 'init':
      start(message);
      return;
    case 'spin':
      // Fault hook: a model stuck in an endless loop, as the page's watchdog must handle it. (A bare `for (;;) {}`
      // is dropped by the bundler's minifier; this condition is never false but must be evaluated.)
      while (performance.now() >= 0) {
        // spin
      }
      return;
    case 'crash':
      // Fault hook: an uncaught error (as a WASM trap outside a run would raise), seen by the page as `error`.
      setTimeout(() => {
        throw new Error('injected session-worker crash');
      }, 0);
      return;
    case 'call':
      void handle(message);
  }
});
