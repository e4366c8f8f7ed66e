/**
 * Cold model copies released under memory pressure. Each connection may hold `modelBudgetMB` of model files; when
 * placing a model takes it over, copies there are released until it fits: copies that another connection also holds
 * first (their model stays served), least recently used first, then the only copies anywhere, idle longest first. A
 * copy with calls queued or running, still loading, or holding tensors kept for the caller is never released; while every copy is busy the connection
 * stays over budget and is checked again as its calls finish. A later call for an evicted model loads it again
 * wherever routing places it.
 */
import type { EmitPoolEvent } from './fleet';
import type { HeldCopy, PoolConnection } from './pool-connection';

export interface EvictionCandidate extends HeldCopy {
  /** Other connections holding the same model. */
  elsewhere: number;
}

/** The copies to release so the rest fits `budgetBytes` (pure; order as in the module doc). */
export function chooseEvictions(held: readonly EvictionCandidate[], budgetBytes: number): EvictionCandidate[] {
  let total = held.reduce((n, h) => n + h.bytes, 0);
  if (budgetBytes <= 0 || total <= budgetBytes) {
    return [];
  }
  const idle = held
    .filter((h) => !h.busy)
    .sort((a, b) => Number(b.elsewhere > 0) - Number(a.elsewhere > 0) || a.lastUsedAt - b.lastUsedAt);
  const victims: EvictionCandidate[] = [];
  for (const h of idle) {
    if (total <= budgetBytes) {
      break;
    }
    victims.push(h);
    total -= h.bytes;
  }
  return victims;
}

export class Evictor {
  /** Copies released so far. */
  evictions = 0;

  constructor(
    /** 0: no limit. */
    private readonly budgetBytes: number,
    private readonly connections: () => readonly PoolConnection[],
    private readonly emit: EmitPoolEvent,
  ) {}

  /** Releases cold copies on `pc` while it holds more than the budget (cheap when it does not). */
  check(pc: PoolConnection): void {
    if (this.budgetBytes <= 0 || pc.heldBytes <= this.budgetBytes || !pc.accepting) {
      return;
    }
    const others = this.connections().filter((c) => c !== pc);
    const held = pc.heldCopies().map((h) => ({ ...h, elsewhere: others.filter((c) => c.hasModel(h.key)).length }));
    const heldBytes = pc.heldBytes;
    const now = performance.now();
    for (const victim of chooseEvictions(held, this.budgetBytes)) {
      this.evictions++;
      pc.evictions++;
      void pc.releaseModel(victim.key);
      this.emit('model:evicted', {
        model: victim.name,
        connectionId: pc.id,
        browser: pc.browser,
        bytes: victim.bytes,
        heldBytes,
        budgetBytes: this.budgetBytes,
        copiesElsewhere: victim.elsewhere,
        idleMs: Math.round(now - victim.lastUsedAt),
        reason:
          `${pc.id} holds ${mib(heldBytes)} of models, over modelBudgetMB ${mib(this.budgetBytes)}: released ${victim.name} (${mib(victim.bytes)}), ` +
          `${victim.elsewhere > 0 ? `also held by ${victim.elsewhere} other connection(s)` : 'its only copy'}, idle ${Math.round(now - victim.lastUsedAt)} ms`,
      });
    }
  }
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
