/** Typed pool events. The DuckDB recorder (db-integration) subscribes to these; the pool never imports it. */
import type { BrowserKind, Capabilities } from '@browser-pool/browser-harness';
import type { ModelType } from '@browser-pool/models';

import type { InferenceTimings, Placement } from './model-handle';

export interface PoolEvents {
  'connection:up': [{ connectionId: string; browser: BrowserKind; browserVersion: string; capabilities: Capabilities }];
  'connection:down': [{ connectionId: string; code: string; reason: string }];
  'model:loaded': [{ model: string; modelType: ModelType; placement: Placement; createMs: number; fetchMs: number }];
  'inference:completed': [
    { model: string; modelType: ModelType; connectionId: string; backend: string; timings: InferenceTimings },
  ];
}
