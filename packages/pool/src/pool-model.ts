import type { Backend, BrowserKind, PageModelSource, SessionOptionsWire } from '@browser-pool/browser-harness';
import type { KernelHit, ModelEntry } from '@browser-pool/models';

/** A model as the pool knows it: one catalogue entry with its load options; loaded lazily on each connection. */
export interface PoolModel {
  /** Identity of (model, backends, session options): one session per key per connection. */
  readonly key: string;
  readonly entry: ModelEntry;
  readonly backends: readonly Backend[];
  readonly sessionOptions: SessionOptionsWire;
  /** How pages get the bytes (a page-server URL, or bytes over the socket), resolved once. */
  readonly pageSource: PageModelSource;
  /** Size of the model file: what one copy costs against a connection's `modelBudgetMB`. */
  readonly bytes: number;
  /** Browser preference for this model, best first, decided once at `getModel`. */
  readonly preference: readonly BrowserKind[];
  readonly routing: RoutingSource;
  /** Known-wrong-kernel cases the model's graph hits (any backend); connections skip the backends they name. */
  readonly knownWrong?: readonly KernelHit[];
}

/** Which source decided a model's browser and backend order, and why. */
export interface RoutingSource {
  source: 'history' | 'static';
  reason: string;
}

export function modelKey(name: string, backends: readonly Backend[], options: SessionOptionsWire, inline: boolean): string {
  return `${name}|${backends.join(',')}|${JSON.stringify(options)}|${inline ? 'inline' : 'url'}`;
}
