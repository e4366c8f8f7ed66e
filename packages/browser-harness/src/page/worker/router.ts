/**
 * Routes the page's sessions to its session workers: a load goes to the least-loaded worker, every later call to
 * the worker holding that session. Calls to different workers run at the same time; tensors are transferred.
 */
import {
  type Backend,
  type NamedTensor,
  type SessionInfo,
  SessionNotFoundError,
  type SessionOptionsWire,
  type WebgpuCapability,
  type WorkerSnapshot,
} from '../../protocol';
import type { CallContext, SessionHost } from '../session-host';
import type { ModelSource, RunOutcome } from '../sessions';
import { WorkerHost } from './host';
import type { InitMessage } from './messages';
import { SpareWorker } from './spare';
import { ownCopies } from './transfer';

export class WorkerSessions implements SessionHost {
  readonly concurrent = true;
  private readonly hosts: WorkerHost[];
  private readonly placement = new Map<string, WorkerHost>();
  private nextId = 1;

  constructor(count: number, spawn: () => Worker, init: InitMessage) {
    const spares = new SpareWorker(spawn, init);
    this.hosts = Array.from({ length: count }, (_, i) => new WorkerHost(i, spawn, init, spares));
    // The spare starts once worker 0 has ORT (and the page its probe), not competing with the page's start-up.
    void this.hosts[0]!.probe().then(
      () => spares.replenish(),
      () => spares.replenish(),
    );
  }

  async load(modelId: string, source: ModelSource, backend: Backend, options: SessionOptionsWire, context: CallContext = {}): Promise<SessionInfo> {
    // Placed before the load starts, so two loads arriving together go to different workers.
    const host = this.hosts.reduce((best, h) => (h.load < best.load ? h : best));
    const sessionId = `s${this.nextId++}`;
    // Inline bytes are kept (a copy of our own, out of the frame) for reloads after a respawn.
    const kept: ModelSource = source.kind === 'inline' ? { kind: 'inline', bytes: source.bytes.slice() } : source;
    const { expiresAt } = context;
    const loadDeadlineMs = expiresAt === undefined ? undefined : Math.max(1, expiresAt - performance.now());
    this.placement.set(sessionId, host);
    try {
      return await host.loadSession({ request: { sessionId, modelId, source: kept, backend, options }, loadDeadlineMs, loaded: false }, expiresAt);
    } catch (error) {
      this.placement.delete(sessionId);
      throw error;
    }
  }

  run(sessionId: string, inputs: readonly NamedTensor[], outputNames?: readonly string[], context: CallContext = {}): Promise<RunOutcome> {
    const host = this.hostOf(sessionId);
    return host.run(
      { sessionId, inputs: movable(inputs, context), ...(outputNames === undefined ? {} : { outputNames: [...outputNames] }) },
      context.expiresAt,
    );
  }

  loop(sessionId: string, inputs: readonly NamedTensor[], warmup: number, iterations: number, context: CallContext = {}): Promise<number[]> {
    return this.hostOf(sessionId).loop({ sessionId, inputs: movable(inputs, context), warmup, iterations }, context.expiresAt);
  }

  async release(sessionId: string): Promise<void> {
    const host = this.hostOf(sessionId);
    this.placement.delete(sessionId);
    await host.release(sessionId);
  }

  workers(): WorkerSnapshot[] {
    return this.hosts.map((h) => h.snapshot());
  }

  /** WebGPU as a worker sees it (for the probe). */
  probeWebgpu(): Promise<WebgpuCapability> {
    return this.hosts[0]!.probe();
  }

  /** Fault hooks: makes the worker holding `sessionId` spin forever or crash. False when no worker holds it. */
  inject(sessionId: string, fault: 'spin' | 'crash'): boolean {
    const host = this.placement.get(sessionId);
    host?.inject(fault);
    return host !== undefined;
  }

  private hostOf(sessionId: string): WorkerHost {
    const host = this.placement.get(sessionId);
    if (host?.sessions.has(sessionId) !== true) {
      throw new SessionNotFoundError(`no session "${sessionId}" on this page (released, or never loaded here)`);
    }
    return host;
  }
}

/** Inputs the worker may take over: the frame's own buffer when no other request shares it, else copies. */
function movable(inputs: readonly NamedTensor[], context: CallContext): NamedTensor[] {
  return context.ownsBuffers === true ? [...inputs] : ownCopies(inputs);
}
