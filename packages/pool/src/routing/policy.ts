/**
 * Where a request runs. The policy sees read-only views of connections and returns one, or none. The default walks
 * the model type's browser preference chain: the first browser with an eligible connection wins (later browsers are
 * the fallback chain, and the decision says why it fell back). Within it, models are multiplexed onto as few
 * connections as their load needs (as Ray Serve multiplexes models onto replicas): a request goes to the connection
 * holding its model where it would finish first (expected in-page work in milliseconds, see {@link WorkEstimate},
 * weighed by health), and to a connection without it only when it would finish there sooner by
 * {@link COLD_START_QUEUE} of its calls, or none holds it; a first placement picks the least loaded connection
 * holding the fewest models.
 */
import type { BrowserKind } from '@browser-pool/browser-harness';
import type { ModelType } from '@browser-pool/models';

import { WorkEstimate } from './estimates';
import type { ConnectionView } from './view';

export type { ConnectionView } from './view';

export interface RoutingRequest {
  modelType: ModelType;
  modelKey: string;
  /** Browser preference, best first. */
  preference: readonly BrowserKind[];
  /** Connections already tried for this request (a retry must go elsewhere). */
  exclude: ReadonlySet<string>;
  /** Why a browser has no connection, for the fallback reason (e.g. Edge not installed). */
  unavailable: ReadonlyMap<BrowserKind, string>;
  /**
   * Requests for the same model waiting in the pool's line ahead of this one (late binding): they will run on the
   * connections holding it first, so they count toward when this one would finish there. @default 0
   */
  waitingAhead?: number;
}

export interface RoutingDecision {
  connection: ConnectionView;
  preferredBrowser: BrowserKind | undefined;
  /** Set when the chosen browser is not the preferred one. */
  fallbackReason: string | undefined;
}

export interface RoutingPolicy {
  choose(candidates: readonly ConnectionView[], request: RoutingRequest): RoutingDecision | undefined;
}

/**
 * Calls of the model by which a connection holding it must be later to finish than one without it before the model
 * is placed there too (a load costs more than a short wait, and every copy costs page memory).
 */
export const COLD_START_QUEUE = 4;

export function eligible(c: ConnectionView, request: RoutingRequest): boolean {
  return c.accepting && c.breaker !== 'open' && !request.exclude.has(c.id);
}

/**
 * Expected finish time of a call of the model on the connection (ms), plus penalties counted in calls of the model:
 * up to 2 for poor health (score 0), 2.5 for a half-open breaker (it gets only what others cannot take). Lower is
 * better. Exposed for tests and for policies that reuse it.
 */
export function routingCostMs(c: ConnectionView, modelKey: string, estimate: WorkEstimate): number {
  const call = estimate.callMs(c, modelKey);
  const health = ((100 - c.healthScore) / 50) * call;
  const probe = c.breaker === 'halfOpen' ? 2.5 * call : 0;
  return estimate.finishMs(c, modelKey) + health + probe;
}

export class AffinityRoutingPolicy implements RoutingPolicy {
  choose(candidates: readonly ConnectionView[], request: RoutingRequest): RoutingDecision | undefined {
    const chain = [...request.preference, ...new Set(candidates.map((c) => c.browser))].filter(
      (b, i, all) => all.indexOf(b) === i,
    );
    const skipped: string[] = [];
    for (const browser of chain) {
      const pool = candidates.filter((c) => c.browser === browser && eligible(c, request));
      if (pool.length === 0) {
        // Name only browsers this pool has (or tried to start): one it was never asked to open is no fallback.
        const why = request.unavailable.get(browser) ?? (candidates.some((c) => c.browser === browser) ? 'no healthy connection' : undefined);
        if (why !== undefined) {
          skipped.push(`${browser}: ${why}`);
        }
        continue;
      }
      return {
        connection: this.place(pool, request.modelKey, new WorkEstimate(candidates), request.waitingAhead ?? 0),
        preferredBrowser: request.preference[0],
        fallbackReason: skipped.length === 0 ? undefined : `fell back past ${skipped.join('; ')}`,
      };
    }
    return undefined;
  }

  /** A connection holding the model, unless one without it would finish sooner by COLD_START_QUEUE calls (see the class doc). */
  private place(pool: readonly ConnectionView[], modelKey: string, estimate: WorkEstimate, waitingAhead: number): ConnectionView {
    const cost = new Map(pool.map((c) => [c, routingCostMs(c, modelKey, estimate)]));
    const warm = pool.filter((c) => c.hasModel(modelKey));
    // The calls of this model waiting in line ahead of this one run on the connections holding it, before it. A full
    // connection is reached only after them; one with a free slot takes this call now, so once the line is long
    // enough a slower or less healthy connection with room wins over waiting for the best one.
    const warmThreads = warm.reduce((n, c) => n + c.capacity, 0);
    const line = (c: ConnectionView): number => (waitingAhead * estimate.callMs(c, modelKey)) / Math.max(1, warmThreads);
    for (const c of warm.filter((w) => w.full === true)) {
      cost.set(c, cost.get(c)! + line(c));
    }
    // Cheapest first; among equals, the connection holding fewer models (a new model goes where it crowds least).
    const best = (list: readonly ConnectionView[]): ConnectionView | undefined =>
      list.reduce<ConnectionView | undefined>((b, c) => (b === undefined || cost.get(c)! < cost.get(b)! || (cost.get(c) === cost.get(b) && c.modelCount < b.modelCount) ? c : b), undefined);
    const bestWarm = best(warm);
    const bestCold = best(pool.filter((c) => !c.hasModel(modelKey)));
    if (bestWarm === undefined || bestCold === undefined) {
      return (bestWarm ?? bestCold)!;
    }
    // Against a cold connection the line counts either way: it keeps the warm ones busy.
    const warmCost = cost.get(bestWarm)! + (bestWarm.full === true ? 0 : line(bestWarm));
    return warmCost - cost.get(bestCold)! >= COLD_START_QUEUE * estimate.callMs(bestWarm, modelKey) ? bestCold : bestWarm;
  }
}
