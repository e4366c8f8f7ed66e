/**
 * Routes the page's sessions to its session workers: a load goes to the least-loaded worker, every later call to
 * the least busy worker holding that session. Calls to different workers run at the same time; tensors are
 * transferred. When a session's calls queue up on its worker while another worker sits idle, the session is copied
 * there (a replica, under the same id) so its independent calls run side by side, as long as the page's replica
 * budget allows; replicas unused for a while are dropped, the coldest first when a new one needs room. Tensor
 * handles stay in the worker that kept them (handles.ts).
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
import type { CallContext, Handoff, SessionHost } from '../session-host';
import type { ModelSource, RepliedDirectly, RunOutcome } from '../session-host';
import { WorkerHandles } from './handles';
import { WorkerHost } from './host';
import { SpareWorker } from './spare';
import type { Spawner } from './spawn';
import { ownCopies } from './transfer';

/** Calls waiting on a session's least busy copy before another copy is made on an idle worker. */
const REPLICA_QUEUE = 2;
/** A replica unused this long is dropped (its memory back to the page). */
const REPLICA_COLD_MS = 30_000;
/** A replica unused this long may be dropped to make room for another session's replica. */
const REPLICA_EVICTABLE_MS = 2_000;

interface Replica {
  host: WorkerHost;
  lastUsed: number;
}

interface Placed {
  primary: WorkerHost;
  replicas: Replica[];
  /** The serialized model's size: what each replica is charged against the budget. */
  modelBytes: number;
  /** A replica is being loaded (one at a time per session). */
  growing: boolean;
}

export interface ReplicaOptions {
  /** Bytes of model (serialized size) that replicas may hold in all on this page; 0 turns replicas off. */
  budgetBytes: number;
}

export class WorkerSessions implements SessionHost {
  readonly concurrent = true;
  private readonly hosts: WorkerHost[];
  private readonly spares: SpareWorker;
  private readonly placement = new Map<string, Placed>();
  /** Tensor handles, each in the worker whose session kept it. */
  private readonly handles = new WorkerHandles({ holders: (id) => this.holders(id), has: (id) => this.placement.has(id) });
  private nextId = 1;
  /** Budget charged to replicas being loaded, so two growing sessions cannot both take the last room. */
  private reservedBytes = 0;

  constructor(
    count: number,
    /** Starts a session worker and sends it its init (`warmUp`: the spare's); ends one. */
    spawn: Spawner,
    private readonly replicas: ReplicaOptions = { budgetBytes: 0 },
  ) {
    // Standby copies on the spare share the replica budget's size (counted apart from the replicas).
    const spares = new SpareWorker(spawn, replicas.budgetBytes, () => this.hosts.every((h) => h.busy === 0));
    this.spares = spares;
    this.hosts = Array.from({ length: count }, (_, i) => new WorkerHost(i, spawn, spares, (host, reason) => this.handles.lost(host, reason)));
    if (replicas.budgetBytes > 0 && count > 1) {
      setInterval(() => this.dropCold(REPLICA_COLD_MS), REPLICA_COLD_MS / 3);
    }
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
    // Inline bytes move to the worker, which sends back a copy to keep for reloads after a respawn: a 400 MB model
    // costs this thread no copy (it must keep answering heartbeats). The frame's own buffer moves when this request
    // is alone in it; else one copy is made here (what the other requests read must stay).
    const sent: ModelSource = source.kind === 'inline' && context.ownsBuffers !== true ? { kind: 'inline', bytes: source.bytes.slice() } : source;
    const transfer = sent.kind === 'inline' && sent.bytes.buffer instanceof ArrayBuffer ? [sent.bytes.buffer] : [];
    const { expiresAt } = context;
    const loadDeadlineMs = expiresAt === undefined ? undefined : Math.max(1, expiresAt - performance.now());
    const placed: Placed = { primary: host, replicas: [], modelBytes: 0, growing: false };
    this.placement.set(sessionId, placed);
    try {
      const request = { sessionId, modelId, source: sent, backend, options, keepBytes: sent.kind === 'inline' };
      const { modelBytes, ...info } = await host.loadSession({ request, loadDeadlineMs, loaded: false }, expiresAt, transfer);
      placed.modelBytes = modelBytes;
      const loaded = host.sessions.get(sessionId);
      if (loaded !== undefined) {
        this.spares.mirror(loaded.request, modelBytes); // the request as reloads see it (inline: the kept copy)
      }
      return info;
    } catch (error) {
      this.placement.delete(sessionId);
      throw error;
    }
  }

  run(sessionId: string, inputs: readonly NamedTensor[], outputNames?: readonly string[], context: CallContext = {}): Promise<RunOutcome | RepliedDirectly> {
    const host = this.hostOf(sessionId);
    return host.run(
      {
        sessionId,
        inputs: movable(inputs, context),
        ...(outputNames === undefined ? {} : { outputNames: [...outputNames] }),
        ...(context.reply === undefined ? {} : { reply: context.reply }),
      },
      context.expiresAt,
    );
  }

  /** A run with kept outputs or handle inputs (see worker/handles.ts); its reply goes through the main thread. */
  runKeeping(sessionId: string, inputs: readonly NamedTensor[], handoff: Handoff, outputNames?: readonly string[], context: CallContext = {}): Promise<RunOutcome> {
    return this.handles.run(sessionId, movable(inputs, context), handoff, outputNames, context.expiresAt);
  }

  readHandle(handleId: string): Promise<NamedTensor> {
    return this.handles.read(handleId);
  }

  releaseHandles(handleIds: readonly string[]): string[] {
    return this.handles.release(handleIds);
  }

  loop(sessionId: string, inputs: readonly NamedTensor[], warmup: number, iterations: number, context: CallContext = {}): Promise<number[]> {
    return this.hostOf(sessionId).loop({ sessionId, inputs: movable(inputs, context), warmup, iterations }, context.expiresAt);
  }

  async release(sessionId: string): Promise<void> {
    const placed = this.placed(sessionId);
    this.placement.delete(sessionId);
    this.handles.releaseSession(sessionId);
    this.spares.forget(sessionId);
    await Promise.all([placed.primary.release(sessionId), ...placed.replicas.map((r) => r.host.release(sessionId).catch(() => undefined))]);
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
    const host = this.placement.get(sessionId)?.primary;
    host?.inject(fault);
    return host !== undefined;
  }

  /** The least busy worker holding the session (its first worker, or a loaded replica); may start a new replica. */
  private hostOf(sessionId: string): WorkerHost {
    const placed = this.placed(sessionId);
    const best = placed.replicas.reduce<Replica | undefined>((b, r) => (r.host.busy < (b?.host.busy ?? placed.primary.busy) ? r : b), undefined);
    const host = best?.host ?? placed.primary;
    if (best !== undefined) {
      best.lastUsed = performance.now();
    }
    if (host.busy >= REPLICA_QUEUE) {
      void this.grow(sessionId, placed);
    }
    return host;
  }

  /** The workers holding the session: its first worker, then its loaded replicas. */
  private holders(sessionId: string): WorkerHost[] {
    const placed = this.placed(sessionId);
    return [placed.primary, ...placed.replicas.map((r) => r.host)];
  }

  /** Where the session is (its replicas still loading or lost left out); `E_SESSION_NOT_FOUND` where it is not. */
  private placed(sessionId: string): Placed {
    const placed = this.placement.get(sessionId);
    if (placed?.primary.sessions.has(sessionId) !== true) {
      throw new SessionNotFoundError(`no session "${sessionId}" on this page (released, or never loaded here)`);
    }
    placed.replicas = placed.replicas.filter((r) => r.host.sessions.get(sessionId)?.loaded === true);
    return placed;
  }

  /** Copies a session whose calls are queueing onto an idle worker that does not hold it, within the budget. */
  private async grow(sessionId: string, placed: Placed): Promise<void> {
    const original = placed.primary.sessions.get(sessionId);
    if (placed.growing || original === undefined || this.replicas.budgetBytes === 0) {
      return;
    }
    const holders = new Set([placed.primary, ...placed.replicas.map((r) => r.host)]);
    const target = this.hosts.filter((h) => !holders.has(h) && h.ready && h.busy === 0).sort((a, b) => a.load - b.load)[0];
    if (target === undefined || !this.makeRoom(placed.modelBytes)) {
      return;
    }
    placed.growing = true;
    this.reservedBytes += placed.modelBytes;
    try {
      await target.loadSession({ request: original.request, loadDeadlineMs: original.loadDeadlineMs, loaded: false, replica: true }, undefined);
      if (this.placement.get(sessionId) === placed) {
        placed.replicas.push({ host: target, lastUsed: performance.now() });
      } else {
        await target.release(sessionId); // released while the copy loaded
      }
    } catch {
      // No replica this time (the worker was lost, the load failed): calls keep going to the copies there are.
    } finally {
      placed.growing = false;
      this.reservedBytes -= placed.modelBytes;
    }
  }

  private replicaBytes(): number {
    let bytes = this.reservedBytes;
    for (const placed of this.placement.values()) {
      bytes += placed.replicas.length * placed.modelBytes;
    }
    return bytes;
  }

  /** Whether `bytes` more fit in the budget, after dropping replicas idle long enough, coldest first, if needed. */
  private makeRoom(bytes: number): boolean {
    const budget = this.replicas.budgetBytes;
    while (this.replicaBytes() + bytes > budget) {
      const now = performance.now();
      const coldest = [...this.placement.entries()]
        .flatMap(([sessionId, placed]) => placed.replicas.map((replica) => ({ sessionId, placed, replica })))
        .filter((c) => now - c.replica.lastUsed >= REPLICA_EVICTABLE_MS)
        .sort((a, b) => a.replica.lastUsed - b.replica.lastUsed)[0];
      if (coldest === undefined) {
        return false;
      }
      this.drop(coldest.sessionId, coldest.placed, coldest.replica);
    }
    return true;
  }

  private dropCold(idleMs: number): void {
    const now = performance.now();
    for (const [sessionId, placed] of this.placement) {
      for (const replica of placed.replicas.filter((r) => now - r.lastUsed >= idleMs)) {
        this.drop(sessionId, placed, replica);
      }
    }
  }

  private drop(sessionId: string, placed: Placed, replica: Replica): void {
    placed.replicas = placed.replicas.filter((r) => r !== replica);
    // Calls already sent to it finish first: the worker answers in order, the release comes after them.
    void replica.host.release(sessionId).catch(() => undefined);
  }
}

/** Inputs the worker may take over: the frame's own buffer when no other request shares it, else copies. */
function movable(inputs: readonly NamedTensor[], context: CallContext): NamedTensor[] {
  return context.ownsBuffers === true ? [...inputs] : ownCopies(inputs);
}
