/**
 * Where a request runs. The policy sees read-only views of connections and returns one, or none. The default walks
 * the model type's browser preference chain: the first browser with an eligible connection wins (later browsers are
 * the fallback chain, and the decision says why it fell back). Within it, models are multiplexed onto as few
 * connections as their load needs (as Ray Serve multiplexes models onto replicas): a request goes to a connection
 * that already holds its model (power of two choices on health, outstanding requests per session thread and observed
 * latency), and to a connection without it only when that one's queue is shorter by {@link COLD_START_QUEUE} calls
 * per thread, or none holds it; a first placement picks the least loaded connection holding the fewest models.
 */
import type { BrowserKind, Capabilities } from '@browser-pool/browser-harness';
import type { ModelType } from '@browser-pool/models';

import type { BreakerState } from '../breaker';

/** What a routing policy may know about a connection. */
export interface ConnectionView {
  readonly id: string;
  readonly browser: BrowserKind;
  readonly capabilities: Capabilities;
  /** Only `ready` connections take new work. */
  readonly accepting: boolean;
  readonly breaker: BreakerState;
  /** Queued + running requests. */
  readonly outstanding: number;
  /** Calls the page runs at the same time (its session workers, or 1 for a one-thread page). */
  readonly capacity: number;
  /** Models loaded (or loading) on this connection. */
  readonly modelCount: number;
  /**
   * Expected in-page work of the calls queued and running here (ms): each call counted at its model's observed
   * compute time on this connection. Where absent, calls count 1 each.
   */
  readonly queuedWorkMs?: number;
  /** Observed in-page compute time of one call of the model here (ms); where absent, 1. */
  costMs?(modelKey: string): number;
  readonly healthScore: number;
  /** EWMA of end-to-end latency (ms); undefined before the first inference. */
  readonly latencyMs: number | undefined;
  hasModel(modelKey: string): boolean;
}

export interface RoutingRequest {
  modelType: ModelType;
  modelKey: string;
  /** Browser preference, best first. */
  preference: readonly BrowserKind[];
  /** Connections already tried for this request (a retry must go elsewhere). */
  exclude: ReadonlySet<string>;
  /** Why a browser has no connection, for the fallback reason (e.g. Edge not installed). */
  unavailable: ReadonlyMap<BrowserKind, string>;
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
 * Outstanding calls per session thread by which a connection holding the model must be busier than one without it
 * before the model is placed there too (a load costs more than a short wait).
 */
export const COLD_START_QUEUE = 4;

export function eligible(c: ConnectionView, request: RoutingRequest): boolean {
  return c.accepting && c.breaker !== 'open' && !request.exclude.has(c.id);
}

/** Higher is better. Exposed for tests and for policies that reuse it. */
export function connectionScore(c: ConnectionView, modelKey: string): number {
  const warm = c.hasModel(modelKey) ? 30 : 0;
  const health = c.healthScore / 5; // 0..20
  const load = (10 * (c.queuedWorkMs === undefined ? c.outstanding : c.queuedWorkMs / Math.max(1, c.costMs?.(modelKey) ?? 1))) / c.capacity; // a page with N workers takes N calls as one takes one
  const latency = c.latencyMs === undefined ? 0 : Math.min(20, c.latencyMs / 10);
  const probe = c.breaker === 'halfOpen' ? -25 : 0; // a half-open breaker gets only what others cannot take
  return warm + health - load - latency + probe;
}

export class AffinityRoutingPolicy implements RoutingPolicy {
  constructor(private readonly random: () => number = Math.random) {}

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
        connection: this.place(pool, request.modelKey),
        preferredBrowser: request.preference[0],
        fallbackReason: skipped.length === 0 ? undefined : `fell back past ${skipped.join('; ')}`,
      };
    }
    return undefined;
  }

  /** A connection holding the model, unless one without it is idle enough to be worth a load (see the class doc). */
  private place(pool: readonly ConnectionView[], modelKey: string): ConnectionView {
    const warm = pool.filter((c) => c.hasModel(modelKey));
    const cold = pool.filter((c) => !c.hasModel(modelKey));
    // Queued work, not queued calls: a burst of a heavy and a light model must leave every connection equally busy.
    const perThread = (c: ConnectionView): number => (c.queuedWorkMs ?? c.outstanding) / c.capacity;
    const bestCold = cold.reduce<ConnectionView | undefined>(
      (best, c) =>
        best === undefined ||
        perThread(c) < perThread(best) ||
        (perThread(c) === perThread(best) && (c.modelCount < best.modelCount || (c.modelCount === best.modelCount && connectionScore(c, modelKey) > connectionScore(best, modelKey))))
          ? c
          : best,
      undefined,
    );
    if (warm.length === 0) {
      return bestCold!;
    }
    const bestWarm = warm.length === 1 ? warm[0]! : this.twoChoices(warm, modelKey);
    const cost = bestWarm.costMs?.(modelKey) ?? 1;
    return bestCold !== undefined && perThread(bestWarm) - perThread(bestCold) >= COLD_START_QUEUE * cost ? bestCold : bestWarm;
  }

  /** Power of two choices: sample two distinct connections, keep the better score. */
  private twoChoices(pool: readonly ConnectionView[], modelKey: string): ConnectionView {
    if (pool.length === 1) {
      return pool[0]!;
    }
    const i = Math.floor(this.random() * pool.length);
    let j = Math.floor(this.random() * (pool.length - 1));
    if (j >= i) {
      j++;
    }
    const a = pool[i]!;
    const b = pool[j]!;
    return connectionScore(b, modelKey) > connectionScore(a, modelKey) ? b : a;
  }
}
