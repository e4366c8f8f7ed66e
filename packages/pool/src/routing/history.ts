/**
 * Browser preference and backend order for a model, decided once at `getModel`: stored history first (when the
 * pool's database advises and `routingHistory` is on), else the static affinity. Explicit `backends` always win.
 */
import type { Backend, BrowserKind } from '@browser-pool/browser-harness';
import type { ModelEntry } from '@browser-pool/models';

import type { ResolvedPoolOptions } from '../options';
import type { RoutingSource } from '../pool-model';

export function routingFor(
  entry: ModelEntry,
  explicit: Backend[] | undefined,
  options: ResolvedPoolOptions,
): { preference: BrowserKind[]; backends: Backend[]; routing: RoutingSource } {
  const staticPreference = options.browserPreference[entry.modelType];
  const defaults = explicit ?? options.backends;
  const advisor = options.routingHistory ? options.database?.advisor : undefined;
  const advice = advisor?.advise(entry.modelType, entry.name);
  if (advice === undefined) {
    const reason =
      advisor === undefined
        ? 'static browser affinity (no database history in use)'
        : `static browser affinity: stored history for ${entry.name} (${entry.modelType}) is too thin`;
    return { preference: staticPreference, backends: defaults, routing: { source: 'static', reason } };
  }
  const preference = [advice.browser, ...staticPreference.filter((b) => b !== advice.browser)];
  const backends =
    explicit === undefined && advice.backend !== undefined ? [advice.backend, ...options.backends.filter((b) => b !== advice.backend)] : defaults;
  return { preference, backends, routing: { source: 'history', reason: advice.reason } };
}
