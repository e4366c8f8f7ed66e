/**
 * The pool's connections over their lifetime: launching them (with a breaker each), holding warm spares, noticing a
 * loss, and replacing it (by promoting a spare, else by relaunching the same browser). Routing and running requests
 * are not its business; it tells the pool what happened through typed events.
 */
import {
  type BrowserHarness,
  type BrowserKind,
  BrowserPoolError,
  BrowserUnavailableError,
} from '@browser-pool/browser-harness';

import { OpossumBreaker } from './breaker';
import type { PoolEvents } from './events';
import type { ResolvedPoolOptions } from './options';
import { PoolConnection } from './pool-connection';

export type EmitPoolEvent = <K extends keyof PoolEvents>(name: K, ...args: PoolEvents[K]) => void;

export class Fleet {
  private readonly active = new Map<string, PoolConnection>();
  /** Ready connections held back from routing, promoted when a connection of their browser is lost. */
  private readonly spares: PoolConnection[] = [];
  /** Browsers that could not be launched, with why (routing falls back past them). */
  readonly unavailable = new Map<BrowserKind, string>();
  private readonly launching = new Map<BrowserKind, number>();
  private readonly drops = new Map<BrowserKind, number>();
  private readonly recycling = new Set<string>();
  /** Replacements that start when a draining connection has closed (drain-first recycling). */
  private promised = 0;
  private closed = false;

  constructor(
    private readonly harness: BrowserHarness,
    private readonly options: ResolvedPoolOptions,
    private readonly emit: EmitPoolEvent,
  ) {}

  /** Connections routing may use (spares excluded), in any state. */
  get all(): PoolConnection[] {
    return [...this.active.values()];
  }

  get(id: string): PoolConnection | undefined {
    return this.active.get(id);
  }

  /** Launches in progress, plus replacements promised to start once a draining connection has closed. */
  get pendingLaunches(): number {
    return [...this.launching.values()].reduce((a, b) => a + b, 0) + this.promised;
  }

  /** Whether a recycle of this connection is under way (it is never recycled twice). */
  isRecycling(id: string): boolean {
    return this.recycling.has(id);
  }

  /**
   * Replaces `pc` once, whatever asks how often: the replacement first when the maximum leaves room for it (capacity
   * never dips), else drain first and launch after (the maximum holds; requests wait for the replacement).
   */
  recycle(pc: PoolConnection, reason: string): void {
    if (this.closed || this.recycling.has(pc.id) || !this.active.has(pc.id)) {
      return;
    }
    this.recycling.add(pc.id);
    this.emit('scaling', { action: 'recycle', browser: pc.browser, connectionId: pc.id, reason, connections: this.active.size });
    const replacing = `replacing ${pc.id}: ${reason}`;
    if (this.active.size + this.pendingLaunches < this.options.scaling.maxConnections) {
      void this.launch(pc.browser, replacing).then(() => pc.drain(reason));
      return;
    }
    this.promised++;
    void pc.drain(reason).then(() => {
      this.promised--;
      return this.launch(pc.browser, replacing);
    });
  }

  get spareCount(): number {
    return this.spares.length;
  }

  /** One connection per entry of `browsers`, then the configured spares; fails when no browser starts at all. */
  async start(browsers: readonly BrowserKind[]): Promise<void> {
    await Promise.all(browsers.map((b) => this.launch(b, 'initial')));
    const kinds = [...new Set(browsers)].filter((b) => !this.unavailable.has(b));
    await Promise.all(kinds.flatMap((b) => Array.from({ length: this.options.scaling.spareConnections }, () => this.launch(b, 'spare', true))));
    if (this.active.size === 0) {
      throw new BrowserUnavailableError(`no browser could be started: ${[...this.unavailable].map(([b, why]) => `${b}: ${why}`).join('; ')}`);
    }
  }

  /** Launches a connection of `browser`; resolves undefined (after a `browser:unavailable` event) when it cannot. */
  async launch(browser: BrowserKind, reason: string, asSpare = false): Promise<PoolConnection | undefined> {
    if (this.closed) {
      return undefined;
    }
    this.launching.set(browser, (this.launching.get(browser) ?? 0) + 1);
    const start = performance.now();
    try {
      const connection = await this.harness.launch(browser);
      if (this.closed) {
        await connection.close();
        return undefined;
      }
      this.unavailable.delete(browser);
      const pc = this.wrap(connection);
      if (asSpare) {
        this.spares.push(pc);
        return pc;
      }
      this.activate(pc, performance.now() - start, reason);
      return pc;
    } catch (error) {
      const e = error instanceof BrowserPoolError ? error : new BrowserUnavailableError((error as Error).message);
      this.unavailable.set(browser, e.message);
      this.emit('browser:unavailable', { browser, code: e.code, reason: e.message });
      return undefined;
    } finally {
      this.launching.set(browser, (this.launching.get(browser) ?? 1) - 1);
    }
  }

  /**
   * Takes a connection that computed a wrong answer out of routing and launches its replacement; once that is up,
   * the quarantined one is drained and closed (unless a later check released it first).
   */
  quarantine(pc: PoolConnection, reason: string): void {
    pc.quarantine(reason);
    this.emit('connection:quarantine', { connectionId: pc.id, browser: pc.browser, state: 'quarantined', reason });
    void this.launch(pc.browser, `replacing quarantined ${pc.id}`).then((replacement) => {
      if (replacement !== undefined && pc.state.kind === 'quarantined') {
        void pc.drain(`replaced by ${replacement.id} after: ${reason}`);
      }
    });
  }

  /** Puts a quarantined connection back into routing. */
  release(pc: PoolConnection, reason: string): void {
    pc.release();
    this.emit('connection:quarantine', { connectionId: pc.id, browser: pc.browser, state: 'released', reason });
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.active.values(), ...this.spares.splice(0)];
    this.active.clear();
    await Promise.all(all.map((c) => c.close().catch(() => undefined)));
  }

  private wrap(connection: Awaited<ReturnType<BrowserHarness['launch']>>): PoolConnection {
    const o = this.options;
    const breaker = new OpossumBreaker(`connection ${connection.id}`, {
      errorThresholdPercentage: o.breaker.errorThresholdPercentage,
      volumeThreshold: o.breaker.volumeThreshold,
      resetTimeoutMs: o.breaker.resetTimeoutMs,
      rollingWindowMs: o.breaker.rollingWindowMs,
    });
    const pc: PoolConnection = new PoolConnection(
      connection,
      breaker,
      o.connectionConcurrency,
      o.loadTimeoutMs,
      this.drops.get(connection.browser) ?? 0,
      o.scaling.recycleAboveMemoryMB * 1024 * 1024,
      { afterInferences: o.scaling.recycleAfterInferences, onWorn: (reason) => this.recycle(pc, reason) },
    );
    pc.onBreakerChange((state) => this.emit('breaker:state', { connectionId: pc.id, browser: pc.browser, state }));
    connection.onClose((cause) => this.onClosed(pc, cause));
    return pc;
  }

  private activate(pc: PoolConnection, launchMs: number, reason: string): void {
    this.active.set(pc.id, pc);
    this.emit('connection:up', {
      connectionId: pc.id,
      browser: pc.browser,
      browserVersion: pc.connection.browserVersion,
      capabilities: pc.capabilities,
      launchMs,
      reason,
    });
  }

  private onClosed(pc: PoolConnection, cause: BrowserPoolError): void {
    const expected = pc.planned || this.closed;
    const spareAt = this.spares.indexOf(pc);
    if (spareAt >= 0) {
      // A spare died unused: replace it quietly.
      this.spares.splice(spareAt, 1);
      void pc.close().catch(() => undefined);
      if (!expected) {
        void this.launch(pc.browser, 'spare', true);
      }
      return;
    }
    this.active.delete(pc.id);
    this.recycling.delete(pc.id);
    // The socket is gone but the browser may live on (a hung page): close it so it frees its CPU and memory.
    void pc.close().catch(() => undefined);
    this.emit('connection:down', { connectionId: pc.id, browser: pc.browser, code: cause.code, reason: cause.message, expected });
    if (!expected) {
      this.replace(pc, cause);
    }
  }

  /** Unplanned loss: promote a spare at once, else relaunch the same browser; requests retry elsewhere or wait. */
  private replace(lost: PoolConnection, cause: BrowserPoolError): void {
    this.drops.set(lost.browser, (this.drops.get(lost.browser) ?? 0) + 1);
    const start = performance.now();
    const recovered = (replacement: PoolConnection | undefined): void => {
      this.emit('recovery', {
        browser: lost.browser,
        lostConnectionId: lost.id,
        replacementId: replacement?.id,
        recoveryMs: performance.now() - start,
        ok: replacement !== undefined,
        reason: cause.message,
      });
    };
    const spare = this.spares.find((s) => s.browser === lost.browser && s.accepting);
    if (spare === undefined) {
      void this.launch(lost.browser, `replacing ${lost.id}`).then(recovered);
      return;
    }
    this.spares.splice(this.spares.indexOf(spare), 1);
    this.activate(spare, 0, `spare promoted to replace ${lost.id}`);
    recovered(spare);
    void this.launch(lost.browser, 'spare', true);
  }
}
