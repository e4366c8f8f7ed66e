/** Scaling and recycling decisions, as a pure function of what the pool observes (unit-tested with fake time). */
import type { BrowserKind } from '@browser-pool/browser-harness';

import type { ScalingOptions } from './options';

export interface ScalingInput {
  now: number;
  lastDecisionAt: number;
  options: Required<ScalingOptions>;
  /** Requests admitted (queued + running) across the pool. */
  admitted: number;
  /** Launches in progress. */
  launching: number;
  connections: readonly {
    id: string;
    browser: BrowserKind;
    /** The host (capacity source) it runs on: the last ready connection of a host is never scaled down. */
    host: string;
    ready: boolean;
    outstanding: number;
    lastActivityAt: number;
    /** Page JS heap (bytes) at the last sample, when known. */
    memoryBytes: number | undefined;
  }[];
}

export type ScalingPlan =
  | { action: 'up'; browser: BrowserKind; connectionId: undefined; reason: string }
  | { action: 'down' | 'recycle'; browser: BrowserKind; connectionId: string; reason: string };

export function planScaling(input: ScalingInput): ScalingPlan | undefined {
  const { options: o, now } = input;
  if (now - input.lastDecisionAt < o.cooldownMs) {
    return undefined;
  }
  const ready = input.connections.filter((c) => c.ready);
  const total = input.connections.length + input.launching;
  // recycleAfterInferences is a cap enforced by the connection itself as requests arrive (PoolConnection.run), not a
  // periodic decision: a check every interval let a fast connection serve far past N.
  if (o.recycleAboveMemoryMB > 0) {
    const limit = o.recycleAboveMemoryMB * 1024 * 1024;
    const heavy = ready.find((c) => c.memoryBytes !== undefined && c.memoryBytes > limit);
    if (heavy !== undefined && total <= o.maxConnections) {
      const mb = (heavy.memoryBytes ?? 0) / 1024 / 1024;
      return { action: 'recycle', browser: heavy.browser, connectionId: heavy.id, reason: `page heap ${mb.toFixed(1)} MiB > ${o.recycleAboveMemoryMB} MiB` };
    }
  }
  if (ready.length > 0 && total < o.maxConnections) {
    const depth = input.admitted / ready.length;
    if (depth > o.scaleUpQueueDepth) {
      const busiest = ready.reduce((a, b) => (b.outstanding > a.outstanding ? b : a));
      return { action: 'up', browser: busiest.browser, connectionId: undefined, reason: `queue depth ${depth.toFixed(1)} per connection > ${o.scaleUpQueueDepth}` };
    }
  }
  if (total > o.minConnections && input.admitted === 0) {
    const idle = ready.find(
      (c) => c.outstanding === 0 && now - c.lastActivityAt > o.idleTimeoutMs && ready.some((other) => other.id !== c.id && other.host === c.host),
    );
    if (idle !== undefined) {
      return { action: 'down', browser: idle.browser, connectionId: idle.id, reason: `idle for ${Math.round((now - idle.lastActivityAt) / 1000)} s` };
    }
  }
  return undefined;
}
