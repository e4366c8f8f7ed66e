/** Typed pool events. The DuckDB recorder (db-integration) subscribes to these; the pool never imports it. */
import type { BrowserKind, Capabilities } from '@browser-pool/browser-harness';
import type { ModelType } from '@browser-pool/models';

import type { BreakerState } from './breaker';
import type { InferenceTimings, Placement } from './model-handle';

export interface PoolEvents {
  'connection:up': [{ connectionId: string; browser: BrowserKind; browserVersion: string; capabilities: Capabilities; launchMs: number; reason: string }];
  'connection:down': [{ connectionId: string; browser: BrowserKind; code: string; reason: string; expected: boolean }];
  'browser:unavailable': [{ browser: BrowserKind; code: string; reason: string }];
  'model:loaded': [{ model: string; modelType: ModelType; placement: Placement; createMs: number; fetchMs: number }];
  'inference:completed': [{ model: string; modelType: ModelType; connectionId: string; browser: BrowserKind; backend: string; attempts: number; timings: InferenceTimings }];
  'inference:failed': [{ model: string; modelType: ModelType; code: string; message: string; attempts: number }];
  'inference:retry': [{ model: string; fromConnectionId: string; code: string; attempt: number }];
  'breaker:state': [{ connectionId: string; browser: BrowserKind; state: BreakerState }];
  'health:check': [{ connectionId: string; ok: boolean; pingMs: number | undefined; healthScore: number; detail: string }];
  scaling: [{ action: 'up' | 'down' | 'recycle'; browser: BrowserKind; connectionId: string | undefined; reason: string; connections: number }];
  recovery: [{ browser: BrowserKind; lostConnectionId: string; replacementId: string | undefined; recoveryMs: number; ok: boolean; reason: string }];
}
