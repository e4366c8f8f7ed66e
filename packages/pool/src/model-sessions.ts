/**
 * The model copies on one connection: each model's page session (created on first use, trying the model's backends
 * in order and recording the fallbacks), when it was placed and last used, and how long loads took. The connection
 * runs calls; this keeps what lives on its page.
 */
import {
  BackendUnavailableError,
  type Connection,
  ConnectionLostError,
  type SessionInfo,
  TimeoutError,
} from '@browser-pool/browser-harness';

import { knownWrongFallback, knownWrongOnly } from './kernel-guard';
import type { BackendFallback } from './model-handle';
import type { PoolModel } from './pool-model';

export interface LoadedModel {
  session: SessionInfo;
  fallbacks: BackendFallback[];
}

/** A model copy held on a connection, as eviction sees it. */
export interface HeldCopy {
  key: string;
  name: string;
  bytes: number;
  /** performance.now() of the copy's last call (or its placement). */
  lastUsedAt: number;
  /** Calls queued or running for it here, or still loading: never released. */
  busy: boolean;
}

export class ModelSessions {
  private readonly sessions = new Map<string, Promise<LoadedModel>>();
  /** The models placed here, with when each was last used. */
  private readonly placed = new Map<string, { model: PoolModel; lastUsedAt: number }>();
  /** Time of the last successful load of each model here (ms). */
  private readonly loadTimes = new Map<string, number>();
  /** Loads under way here: model key to when they started (performance.now()). */
  private readonly loadsStarted = new Map<string, number>();
  /** The page session of each model loaded here. */
  private readonly sessionIds = new Map<string, string>();

  constructor(
    private readonly connection: Connection,
    private readonly loadTimeoutMs: number,
  ) {}

  get count(): number {
    return this.sessions.size;
  }
  get keys(): string[] {
    return [...this.sessions.keys()];
  }
  has(key: string): boolean {
    return this.sessions.has(key);
  }
  get loadMs(): ReadonlyMap<string, number> {
    return this.loadTimes;
  }
  /** Loads under way: model key to how long it has been loading (ms). */
  get loading(): ReadonlyMap<string, number> {
    const now = performance.now();
    return new Map([...this.loadsStarted].map(([key, at]) => [key, now - at]));
  }

  /** Marks the model as used now (eviction releases the least recently used copies first). */
  touch(model: PoolModel): void {
    this.placed.set(model.key, { model, lastUsedAt: performance.now() });
  }

  /** Bytes of the model files placed here (loaded or loading). */
  get heldBytes(): number {
    let n = 0;
    for (const key of this.sessions.keys()) {
      n += this.placed.get(key)?.model.bytes ?? 0;
    }
    return n;
  }

  /** The copies held here; `hasCalls` says whether a model has calls queued or running on this connection. */
  heldCopies(hasCalls: (key: string) => boolean): HeldCopy[] {
    return [...this.sessions.keys()].flatMap((key) => {
      const p = this.placed.get(key);
      return p === undefined
        ? []
        : [{ key, name: p.model.entry.name, bytes: p.model.bytes, lastUsedAt: p.lastUsedAt, busy: hasCalls(key) || this.loadsStarted.has(key) || this.keepsHandles(key) }];
    });
  }

  /** Whether the model's session here holds tensors kept for the caller (`keep`): released with it, so never evicted. */
  private keepsHandles(key: string): boolean {
    const sessionId = this.sessionIds.get(key);
    return sessionId !== undefined && this.connection.liveHandlesOf(sessionId) > 0;
  }

  /** Creates the model's session here on first use, trying its backends in order; later calls share it. */
  ensure(model: PoolModel, signal?: AbortSignal): Promise<LoadedModel> {
    let loaded = this.sessions.get(model.key);
    this.touch(model);
    if (loaded === undefined) {
      const started = performance.now();
      this.loadsStarted.set(model.key, started);
      loaded = this.load(model, signal);
      this.sessions.set(model.key, loaded);
      const settled = (sessionId: string | undefined): void => {
        if (this.loadsStarted.get(model.key) === started) {
          this.loadsStarted.delete(model.key);
        }
        if (sessionId !== undefined) {
          this.loadTimes.set(model.key, performance.now() - started);
          this.sessionIds.set(model.key, sessionId);
        } else if (this.sessions.get(model.key) === loaded) {
          this.sessions.delete(model.key);
        }
      };
      loaded.then((l) => settled(l.session.sessionId), () => settled(undefined));
    }
    return loaded;
  }

  /** Forgets the model here; returns its load (if it had one), whose session the caller may release. */
  forget(key: string): Promise<LoadedModel> | undefined {
    const loaded = this.sessions.get(key);
    this.sessions.delete(key);
    this.placed.delete(key);
    this.sessionIds.delete(key);
    return loaded;
  }

  /** The page is gone: every session with it. */
  clear(): void {
    this.sessions.clear();
  }

  private async load(model: PoolModel, signal?: AbortSignal): Promise<LoadedModel> {
    const fallbacks: BackendFallback[] = [];
    for (const backend of model.backends) {
      const wrong = knownWrongFallback(model, backend, this.connection.capabilities.ortVersion);
      if (wrong !== undefined) {
        fallbacks.push(wrong);
        continue;
      }
      try {
        const session = await this.connection.load(model.entry.name, model.pageSource, backend, model.sessionOptions, {
          timeoutMs: this.loadTimeoutMs,
          signal,
        });
        return { session, fallbacks };
      } catch (error) {
        if (error instanceof BackendUnavailableError) {
          fallbacks.push({ backend, code: error.code, reason: error.message });
          continue;
        }
        if (error instanceof TimeoutError) {
          // A load that outlives loadTimeoutMs means a hung page: close it so the fleet replaces it and every
          // request waiting here is retried elsewhere.
          const hung = new ConnectionLostError(
            `connection ${this.connection.id}: loading "${model.entry.name}" on ${backend} took longer than loadTimeoutMs (${this.loadTimeoutMs} ms); the page is treated as hung and replaced`,
            { cause: error },
          );
          this.connection.fail(hung);
          throw hung;
        }
        throw error;
      }
    }
    const wrongOnly = knownWrongOnly(model, this.connection.browser, fallbacks);
    if (wrongOnly !== undefined) {
      throw wrongOnly;
    }
    throw new BackendUnavailableError(
      `model "${model.entry.name}" could not run on ${this.connection.browser} with any of [${model.backends.join(', ')}]: ` +
        fallbacks.map((f) => `${f.backend}: ${f.reason}`).join('; '),
      { details: { fallbacks, browser: this.connection.browser } },
    );
  }
}
