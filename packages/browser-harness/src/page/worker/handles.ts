/**
 * Tensor handles on a page whose sessions live in workers. A kept output stays in the worker whose session made it,
 * in that worker's own `TensorHandles` (its `SessionManager`'s); this page-level table issues the ids Node sees and
 * maps each to (worker, the worker's own id). A run with handle inputs goes to a worker holding both the session and
 * the handles where there is one; a handle held by another worker is read there and its bytes moved into the run
 * (a transferred buffer), recorded in `copiedHandles`. A GPU-buffer handle is copied that way only with `copyHandles`:
 * each worker has its own GPUDevice, so its buffer cannot feed another worker's session. A lost worker (deadline,
 * crash) takes its handles with it: a later use is `E_HANDLE_RELEASED`, saying so.
 */
import {
  HandleElsewhereError,
  HandleReleasedError,
  InternalError,
  type KeptTensor,
  type NamedTensor,
  WorkerLostError,
} from '../../protocol';
import type { Handoff, RunOutcome } from '../session-host';
import { forgetOldest } from '../tensor-handles';
import type { WorkerHost } from './host';

interface Entry {
  host: WorkerHost;
  /** The id the holding worker knows it by. */
  localId: string;
  /** As Node sees it: the page-level id. */
  info: KeptTensor;
}

type Gone = { kind: 'released' } | { kind: 'lost'; worker: number; reason: string };

/** What the table needs of the router. */
export interface HandleRouting {
  /**
   * Workers holding a loaded copy of the session, first the one that loaded it (which holds it until it is released;
   * replicas come and go); `E_SESSION_NOT_FOUND` where the page has no such session.
   */
  holders(sessionId: string): WorkerHost[];
  has(sessionId: string): boolean;
}

export class WorkerHandles {
  private readonly entries = new Map<string, Entry>();
  /** Handles released or lost, remembered (bounded) so a late use says which. */
  private readonly gone = new Map<string, Gone>();
  private nextId = 1;

  constructor(private readonly routing: HandleRouting) {}

  /**
   * A run with kept outputs and/or handle inputs. Kept outputs stay on the session's first worker (a replica may be
   * dropped when cold, and its handles would go with it); a run that only reads handles goes to the copy of the
   * session on the worker holding most of them.
   */
  async run(sessionId: string, inputs: NamedTensor[], handoff: Handoff, outputNames: readonly string[] | undefined, expiresAt: number | undefined): Promise<RunOutcome> {
    const used = handoff.handleInputs.map(({ name, handleId }) => ({ name, handleId, entry: this.get(handleId) }));
    const holders = this.routing.holders(sessionId);
    const localCount = (host: WorkerHost): number => used.filter((u) => u.entry.host === host).length;
    const target =
      handoff.keep.length > 0
        ? holders[0]!
        : holders.reduce((best, h) => (localCount(h) > localCount(best) || (localCount(h) === localCount(best) && h.busy < best.busy) ? h : best));
    const copied: string[] = [];
    const moved: NamedTensor[] = [];
    for (const { name, handleId, entry } of used.filter((u) => u.entry.host !== target)) {
      if (entry.info.location === 'gpu-buffer' && !handoff.copyHandles) {
        throw new HandleElsewhereError(
          `handle ${handleId} (${entry.info.name}) is in a GPU buffer of page worker ${entry.host.index} and session ${sessionId} runs on ` +
            `worker ${target.index}: each worker has its own GPU device, so pass copyHandles: true to copy it (read back and moved in the page)`,
          { details: { handleId, location: entry.info.location, heldByWorker: entry.host.index, sessionWorker: target.index } },
        );
      }
      moved.push({ name, tensor: (await this.readFrom(handleId, entry, expiresAt)).tensor });
      copied.push(name);
    }
    // Looked up again after the reads: the target may have been lost (its handles with it) meanwhile.
    const local = used.filter((u) => u.entry.host === target).map(({ name, handleId }) => ({ name, handleId: this.get(handleId).localId }));
    const outcome = await target
      .run(
        {
          sessionId,
          inputs: [...inputs, ...moved],
          ...(outputNames === undefined ? {} : { outputNames: [...outputNames] }),
          handoff: { keep: handoff.keep, handleInputs: local, copyHandles: handoff.copyHandles },
        },
        expiresAt,
      )
      .catch((error: unknown) => {
        // The worker was lost with the handles it was given: no retry could have them (the loss was recorded first).
        const lostHandle = used.find((u) => u.entry.host === target);
        if (error instanceof WorkerLostError && lostHandle !== undefined) {
          this.get(lostHandle.handleId);
        }
        throw error;
      });
    if ('replied' in outcome) {
      throw new InternalError('a session worker answered a run with handles directly; it must answer the page');
    }
    const kept = outcome.kept?.map((k) => this.adopt(target, k));
    if (kept !== undefined && !this.routing.has(sessionId)) {
      // The session was released while this run was in flight: its handles go with it.
      this.release(kept.map((k) => k.handleId));
    }
    const copiedHandles = [...(outcome.copiedHandles ?? []), ...copied];
    return {
      outputs: outcome.outputs,
      computeMs: outcome.computeMs,
      computeStartedAt: outcome.computeStartedAt,
      firstRun: outcome.firstRun,
      ...(kept === undefined ? {} : { kept }),
      ...(copiedHandles.length > 0 ? { copiedHandles } : {}),
    };
  }

  read(handleId: string): Promise<NamedTensor> {
    return this.readFrom(handleId, this.get(handleId), undefined);
  }

  /** Drops the handles from the table and disposes them in their workers (not waited for: the ids go at once). */
  release(handleIds: readonly string[]): string[] {
    const done = handleIds.filter((id) => this.entries.has(id));
    const byHost = new Map<WorkerHost, string[]>();
    for (const handleId of done) {
      const entry = this.entries.get(handleId)!;
      this.entries.delete(handleId);
      this.remember(handleId, { kind: 'released' });
      byHost.set(entry.host, [...(byHost.get(entry.host) ?? []), entry.localId]);
    }
    for (const [host, ids] of byHost) {
      // A worker replaced meanwhile took them with it (and its table entries were dropped before this could run).
      void host.releaseHandles(ids).catch(() => undefined);
    }
    return done;
  }

  /** The session is being released: its handles go in every worker holding any. */
  releaseSession(sessionId: string): void {
    this.release([...this.entries].filter(([, e]) => e.info.sessionId === sessionId).map(([id]) => id));
  }

  /** A worker was terminated: the handles it held are gone. */
  lost(host: WorkerHost, reason: string): void {
    for (const [handleId, entry] of [...this.entries]) {
      if (entry.host === host) {
        this.entries.delete(handleId);
        this.remember(handleId, { kind: 'lost', worker: host.index, reason });
      }
    }
  }

  /** Live handles (tests, and what a page snapshot might show). */
  get size(): number {
    return this.entries.size;
  }

  private adopt(host: WorkerHost, local: KeptTensor): KeptTensor {
    const info = { ...local, handleId: `h${this.nextId++}` };
    this.entries.set(info.handleId, { host, localId: local.handleId, info });
    return info;
  }

  private async readFrom(handleId: string, entry: Entry, expiresAt: number | undefined): Promise<NamedTensor> {
    try {
      const read = await entry.host.readHandle(entry.localId, expiresAt);
      return { ...read, name: entry.info.name };
    } catch (error) {
      if (error instanceof WorkerLostError) {
        this.get(handleId); // the loss was recorded before its calls failed: says the handle went with it
      }
      throw error;
    }
  }

  private remember(handleId: string, gone: Gone): void {
    this.gone.set(handleId, gone);
    forgetOldest(this.gone);
  }

  private get(handleId: string): Entry {
    const entry = this.entries.get(handleId);
    if (entry !== undefined) {
      return entry;
    }
    const gone = this.gone.get(handleId);
    const details = { details: { handleId } };
    if (gone?.kind === 'lost') {
      throw new HandleReleasedError(
        `handle ${handleId} was lost with its page worker ${gone.worker}, which ${gone.reason} and was replaced (its tensors went with it): ` +
          'run the producing model again',
        { details: { handleId, worker: gone.worker, reason: gone.reason } },
      );
    }
    throw new HandleReleasedError(
      gone === undefined
        ? `no handle ${handleId} on this page (released, or made on another page)`
        : `handle ${handleId} was released (explicitly or with its session): run the producing model again`,
      details,
    );
  }
}
