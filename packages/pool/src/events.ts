/** Typed pool events. The DuckDB recorder (db-integration) subscribes to these; the pool never imports it. */
import type { Backend, BrowserKind, Capabilities, SessionOptionsWire } from '@browser-pool/browser-harness';
import type { ModelType } from '@browser-pool/models';

import type { BreakerState } from './breaker';
import type { InferenceTimings, Placement } from './model-handle';

export interface PoolEvents {
  'connection:up': [{ connectionId: string; browser: BrowserKind; browserVersion: string; capabilities: Capabilities; launchMs: number; reason: string }];
  'connection:down': [{ connectionId: string; browser: BrowserKind; code: string; reason: string; expected: boolean }];
  'browser:unavailable': [{ browser: BrowserKind; code: string; reason: string }];
  'model:loaded': [{ model: string; modelType: ModelType; placement: Placement; sessionOptions: SessionOptionsWire; createMs: number; fetchMs: number }];
  /** A load that failed on a connection (every requested backend refused, or the model would not compile). */
  'model:failed': [{ model: string; modelType: ModelType; connectionId: string; browser: BrowserKind; requestedBackends: Backend[]; code: string; message: string }];
  /**
   * A model copy released from a connection holding more than `modelBudgetMB` of models (see Evictor): `heldBytes`
   * before the release, `copiesElsewhere` other connections still holding it, `idleMs` since its last call there.
   */
  'model:evicted': [
    {
      model: string;
      connectionId: string;
      browser: BrowserKind;
      bytes: number;
      heldBytes: number;
      budgetBytes: number;
      copiesElsewhere: number;
      idleMs: number;
      reason: string;
    },
  ];
  'inference:completed': [
    {
      model: string;
      modelType: ModelType;
      connectionId: string;
      browser: BrowserKind;
      /** The backend that ran, and the first one asked for (they differ after a fallback). */
      backend: Backend;
      requestedBackend: Backend;
      /** Leading dimension of the first input (1 for unbatched models). */
      batchSize: number;
      sessionOptions: SessionOptionsWire;
      attempts: number;
      timings: InferenceTimings;
    },
  ];
  'inference:failed': [
    {
      model: string;
      modelType: ModelType;
      /** The last connection tried, when one was chosen. */
      connectionId: string | undefined;
      browser: BrowserKind | undefined;
      requestedBackend: Backend;
      batchSize: number;
      code: string;
      message: string;
      attempts: number;
    },
  ];
  'inference:retry': [{ model: string; fromConnectionId: string; code: string; attempt: number }];
  'breaker:state': [{ connectionId: string; browser: BrowserKind; state: BreakerState }];
  /**
   * A connection failed a known-answer check and left routing ('quarantined'; a replacement is launched), or passed
   * one again before its replacement was up ('released').
   */
  'connection:quarantine': [{ connectionId: string; browser: BrowserKind; state: 'quarantined' | 'released'; reason: string }];
  /** `ok` is `verdict === 'pass'`; `not run` when the connection's breaker refused the check (see KnownAnswerOutcome). */
  'health:check': [{ connectionId: string; ok: boolean; verdict: 'pass' | 'fail' | 'not run'; pingMs: number | undefined; healthScore: number; detail: string }];
  scaling: [{ action: 'up' | 'down' | 'recycle'; browser: BrowserKind; connectionId: string | undefined; reason: string; connections: number }];
  /**
   * A page worker (harness.pageWorkers) missed a call's deadline or crashed and the page terminated it; `reason` says
   * which. `losses` > 1 when several happened between two samples; `respawns` is the worker's total so far.
   */
  'worker:down': [{ connectionId: string; browser: BrowserKind; worker: number; reason: string; losses: number; respawns: number }];
  /** The replacement holds the lost worker's sessions again, `respawnMs` after the terminate, inside the same page. */
  'worker:respawned': [
    {
      connectionId: string;
      browser: BrowserKind;
      worker: number;
      reason: string;
      respawnMs: number;
      replacement: 'warm spare' | 'warming spare' | 'fresh';
      sessions: number;
      respawns: number;
    },
  ];
  /** A host (capacity source) was added, began draining, or was removed once its last connection closed. */
  'host:state': [{ hostId: string; browser: BrowserKind; state: 'added' | 'draining' | 'removed'; reason: string }];
  /** A host's launch or reconnect failed; the next attempt comes after `delayMs` (capped exponential backoff). */
  'host:retry': [{ hostId: string; browser: BrowserKind; attempt: number; delayMs: number; code: string; reason: string }];
  /** A discovery listing (file, DNS): hosts joined and drained, or why the listing failed (hosts then unchanged). */
  discovery: [{ source: string; ok: boolean; hosts: number; added: string[]; drained: string[]; error: string | undefined }];
  recovery: [{ browser: BrowserKind; lostConnectionId: string; replacementId: string | undefined; recoveryMs: number; ok: boolean; reason: string }];
}

/** Emits one typed pool event (the pool's own `emit`, as its parts get it). */
export type EmitPoolEvent = <K extends keyof PoolEvents>(name: K, ...args: PoolEvents[K]) => void;
