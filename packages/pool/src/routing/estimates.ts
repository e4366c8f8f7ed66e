/**
 * Expected in-page work, in milliseconds, from what the connections observed: what one call of a model costs on a
 * connection, how long each connection's queue takes to drain, and when a new call there would finish. Every figure
 * is in the same unit on every connection, so they compare across connections: a model not yet run on a connection
 * is expected to cost there what it costs elsewhere (the mean of the connections that ran it), and a model run
 * nowhere yet what calls cost on average. Queues are re-costed at every decision, so an early guess does not stick to
 * the calls queued under it.
 */
import type { ConnectionView } from './view';

function mean(values: readonly number[]): number | undefined {
  return values.length === 0 ? undefined : values.reduce((a, b) => a + b, 0) / values.length;
}

/** Time without a new sample after which a connection's own estimate counts half (see `WorkEstimate.callMs`). */
export const ESTIMATE_HALF_LIFE_MS = 10_000;

export class WorkEstimate {
  /** Mean observed compute per call of each model, over the connections that ran it. */
  private readonly modelMs = new Map<string, number>();
  /** Mean observed load time of each model, over the connections that loaded it. */
  private readonly modelLoadMs = new Map<string, number>();
  /** What a call of a model seen nowhere is expected to cost: the mean of all observed costs, else 1 (calls count). */
  private readonly priorMs: number;
  /** Sum and count of each model's estimates over the connections that ran it (for the others' mean). */
  private readonly modelSum = new Map<string, { sum: number; count: number }>();

  constructor(
    connections: readonly ConnectionView[],
    /** The time estimates are aged to (`performance.now()`). */
    private readonly now = performance.now(),
  ) {
    const compute = new Map<string, number[]>();
    const loads = new Map<string, number[]>();
    for (const c of connections) {
      for (const [key, ms] of c.computeMs ?? []) {
        compute.set(key, [...(compute.get(key) ?? []), ms]);
      }
      for (const [key, ms] of c.loadMs ?? []) {
        loads.set(key, [...(loads.get(key) ?? []), ms]);
      }
    }
    for (const [key, values] of compute) {
      this.modelMs.set(key, mean(values)!);
      this.modelSum.set(key, { sum: values.reduce((a, b) => a + b, 0), count: values.length });
    }
    for (const [key, values] of loads) {
      this.modelLoadMs.set(key, mean(values)!);
    }
    this.priorMs = mean([...this.modelMs.values()]) ?? 1;
  }

  /**
   * One call of the model on this connection: observed here, else elsewhere, else the prior. An estimate here fades
   * toward what the other connections observe, by half every {@link ESTIMATE_HALF_LIFE_MS} without a new sample:
   * a connection costed high by one slow spell got no calls, so no sample could ever correct it (CI saw a host's
   * estimate at 18x the other's after a slow link, and in another run no call went to that host for 60 s).
   */
  callMs(c: ConnectionView, modelKey: string): number {
    const own = c.computeMs?.get(modelKey);
    if (own === undefined) {
      return this.modelMs.get(modelKey) ?? this.priorMs;
    }
    const sampledAt = c.computeSampledAt?.get(modelKey);
    const all = this.modelSum.get(modelKey);
    if (sampledAt === undefined || all === undefined || all.count < 2 || this.now <= sampledAt) {
      return own;
    }
    // The mean over the other connections: own is one of the summed estimates.
    const others = (all.sum - own) / (all.count - 1);
    const kept = 0.5 ** ((this.now - sampledAt) / ESTIMATE_HALF_LIFE_MS);
    return kept * own + (1 - kept) * others;
  }

  /** A load of the model, as observed anywhere (0 before any). */
  loadMs(modelKey: string): number {
    return this.modelLoadMs.get(modelKey) ?? 0;
  }

  /**
   * Work queued and running on the connection: each call at its model's cost there, plus what is left of loads under
   * way (a load keeps the page busy). Without per-model counts, `outstanding` calls at the prior.
   */
  backlogMs(c: ConnectionView): number {
    let work = 0;
    if (c.callsByModel === undefined) {
      work = c.outstanding * this.priorMs;
    } else {
      for (const [key, calls] of c.callsByModel) {
        work += calls * this.callMs(c, key);
      }
    }
    for (const [key, spentMs] of c.loading ?? []) {
      work += Math.max(0, this.loadMs(key) - spentMs);
    }
    return work;
  }

  /** When a call of the model sent now would finish there: its queue spread over its session threads, then the call. */
  finishMs(c: ConnectionView, modelKey: string): number {
    return this.backlogMs(c) / c.capacity + this.callMs(c, modelKey);
  }
}
