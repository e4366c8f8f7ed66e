/**
 * The pool's periodic work: scaling and recycling decisions (planned by the pure `planScaling`), and health rounds
 * (page heap sample + known-answer inference on every connection).
 */
import type { EmitPoolEvent, Fleet } from './fleet';
import type { KnownAnswer, KnownAnswerOutcome } from './known-answer';
import type { ResolvedPoolOptions } from './options';
import { planScaling } from './scaling';
import type { WorkerWatch } from './worker-watch';

export class Maintenance {
  private timers: NodeJS.Timeout[] = [];
  private lastScalingAt = 0;
  private healthRunning = false;

  constructor(
    private readonly fleet: Fleet,
    private readonly options: ResolvedPoolOptions,
    private readonly knownAnswer: KnownAnswer,
    /** Requests admitted (queued + running) across the pool right now. */
    private readonly admitted: () => number,
    private readonly emit: EmitPoolEvent,
    private readonly workerWatch?: WorkerWatch,
  ) {}

  start(): void {
    const scaling = setInterval(() => this.scaleTick(), this.options.scaling.intervalMs);
    scaling.unref();
    this.timers.push(scaling);
    if (this.options.health.knownAnswerIntervalMs > 0) {
      const health = setInterval(() => void this.healthTick(), this.options.health.knownAnswerIntervalMs);
      health.unref();
      this.timers.push(health);
    }
  }

  stop(): void {
    this.timers.forEach((t) => clearInterval(t));
    this.timers = [];
  }

  private scaleTick(): void {
    const conns = this.fleet.all;
    const plan = planScaling({
      now: Date.now(),
      lastDecisionAt: this.lastScalingAt,
      options: this.options.scaling,
      admitted: this.admitted(),
      launching: this.fleet.pendingLaunches,
      connections: conns.map((c) => ({
        id: c.id,
        browser: c.browser,
        host: this.fleet.hostIdOf(c.id),
        // A connection being recycled is neither scaled nor recycled again.
        ready: c.accepting && !this.fleet.isRecycling(c.id),
        outstanding: c.outstanding,
        lastActivityAt: c.stats.lastActivityAt,
        memoryBytes: c.stats.memoryBytes,
      })),
    });
    if (plan === undefined) {
      return;
    }
    this.lastScalingAt = Date.now();
    if (plan.action === 'up') {
      this.emit('scaling', { ...plan, connections: conns.length });
      void this.fleet.launch(plan.browser, plan.reason);
      return;
    }
    const target = this.fleet.get(plan.connectionId);
    if (target === undefined) {
      return;
    }
    if (plan.action === 'recycle') {
      this.fleet.recycle(target, plan.reason); // emits its own 'scaling' event, once per connection
    } else {
      this.emit('scaling', { ...plan, connections: conns.length });
      void target.drain(plan.reason);
    }
  }

  private async healthTick(): Promise<void> {
    if (this.healthRunning) {
      return; // a stalled page can make one round outlast the interval
    }
    this.healthRunning = true;
    try {
      for (const pc of this.fleet.all.filter((c) => c.accepting || c.state.kind === 'quarantined')) {
        pc.stats.memoryBytes = await pc.connection.memory({ timeoutMs: 5000 }).catch(() => pc.stats.memoryBytes);
        if (pc.connection.hasWorkers) {
          // Kept on the connection for stats(); a worker lost with no call in flight (a crash) is reported from it.
          await (this.workerWatch?.sample(pc) ?? pc.connection.workers({ timeoutMs: 5000 }).catch(() => undefined));
        }
        const outcome = await this.knownAnswer
          .check(pc)
          .catch((error: unknown): KnownAnswerOutcome => ({ verdict: 'fail', pingMs: undefined, detail: (error as Error).message }));
        this.emit('health:check', { connectionId: pc.id, ok: outcome.verdict === 'pass', verdict: outcome.verdict, pingMs: outcome.pingMs, healthScore: pc.healthScore, detail: outcome.detail });
        if (outcome.verdict === 'fail' && pc.accepting) {
          // A wrong answer is not a slow answer: no more traffic for it, at once. A check the breaker refused is
          // neither (the breaker already keeps traffic off it, and its half-open probe brings it back).
          this.fleet.quarantine(pc, `known-answer check failed: ${outcome.detail}`);
        } else if (outcome.verdict === 'pass' && pc.state.kind === 'quarantined') {
          this.fleet.release(pc, `known-answer check passed: ${outcome.detail}`);
        }
      }
    } finally {
      this.healthRunning = false;
    }
  }
}
