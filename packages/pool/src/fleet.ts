/**
 * The pool's connections over their lifetime, per host (capacity source): launching them (with a breaker each),
 * holding warm spares, noticing a loss, and replacing it (by promoting a spare, else by relaunching or reconnecting
 * on the same host, retried with capped, jittered exponential backoff for as long as the host is configured).
 * Routing and running requests are not its business; it tells the pool what happened through typed events, and
 * wakes waiting requests through one shared waiter list (no listener per request).
 */
import {
  type BrowserHarness,
  type BrowserKind,
  BrowserPoolError,
  BrowserUnavailableError,
} from '@browser-pool/browser-harness';

import { wrapConnection } from './connection-wrap';
import type { EmitPoolEvent } from './events';
import { ChangeWaiters } from './fleet-waiters';
import { cancelRetry, type HostInfo, hostInfo, type HostRecord, newHostRecord } from './host-record';
import { type HostSource, localHost } from './hosts';
import type { ResolvedPoolOptions } from './options';
import type { PoolConnection } from './pool-connection';
import { reconnectLoop } from './reconnect';

export type { EmitPoolEvent } from './events';
export type { HostInfo } from './host-record';

/** What a request waiting for a connection can expect (see `Dispatcher.waitForRoute`). */
export interface WaitOutlook {
  /** Launches in flight, plus replacements promised once a draining connection has closed. */
  launching: number;
  /** The earliest scheduled reconnect attempt (epoch ms), if hosts are backing off. */
  nextAttemptAt: number | undefined;
  lastError: BrowserPoolError | undefined;
}

export class Fleet {
  private readonly active = new Map<string, PoolConnection>();
  /** Ready connections held back from routing, promoted when a connection of their host is lost. */
  private readonly spares: PoolConnection[] = [];
  private readonly hosts = new Map<string, HostRecord>();
  /** The host of each connection and spare. */
  private readonly hostOf = new Map<string, HostRecord>();
  /** Browsers that could not be launched anywhere, with why (routing falls back past them). */
  readonly unavailable = new Map<BrowserKind, string>();
  private readonly launching = new Map<HostRecord, number>();
  private readonly drops = new Map<BrowserKind, number>();
  private readonly recycling = new Set<string>();
  /** Replacements that start when a draining connection has closed (drain-first recycling). */
  private promised = 0;
  private closed = false;
  /** Requests waiting for a change (a connection up, a launch failed, a host added or drained): woken together. */
  private readonly changes = new ChangeWaiters();

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

  /** The id of the host a connection runs on ('' once it is gone). */
  hostIdOf(connectionId: string): string {
    return this.hostOf.get(connectionId)?.source.id ?? '';
  }

  /** Launches in progress, promised replacements, and replacements hosts still owe (their reconnects go on). */
  get pendingLaunches(): number {
    let owed = 0;
    for (const h of this.hosts.values()) {
      owed += h.state.kind === 'active' ? h.owed.length : 0;
    }
    return [...this.launching.values()].reduce((a, b) => a + b, 0) + this.promised + owed;
  }

  outlook(): WaitOutlook {
    let nextAttemptAt: number | undefined;
    let lastError: BrowserPoolError | undefined;
    for (const h of this.hosts.values()) {
      if (h.retry !== undefined && h.state.kind === 'active') {
        nextAttemptAt = Math.min(nextAttemptAt ?? Infinity, h.retry.at);
      }
      lastError = h.lastError ?? lastError;
    }
    return { launching: [...this.launching.values()].reduce((a, b) => a + b, 0) + this.promised, nextAttemptAt, lastError };
  }

  /** Resolves at the next change of the fleet, or after `timeoutMs`. One shared list, never an event listener. */
  waitForChange(timeoutMs: number): Promise<void> {
    return this.changes.wait(timeoutMs);
  }

  /** Waiting requests, for tests and stats. */
  get waiting(): number {
    return this.changes.size;
  }

  /** Whether a recycle of this connection is under way (it is never recycled twice). */
  isRecycling(id: string): boolean {
    return this.recycling.has(id);
  }

  get spareCount(): number {
    return this.spares.length;
  }

  hostList(): HostInfo[] {
    return [...this.hosts.values()].map((h) =>
      hostInfo(
        h,
        this.all.filter((c) => this.hostOf.get(c.id) === h).map((c) => c.id),
        this.spares.filter((c) => this.hostOf.get(c.id) === h).length,
      ),
    );
  }

  /**
   * Replaces `pc` once, whatever asks how often: the replacement first when the maximum leaves room for it (capacity
   * never dips), else drain first and launch after (the maximum holds; requests wait for the replacement).
   */
  recycle(pc: PoolConnection, reason: string): void {
    const host = this.hostOf.get(pc.id);
    if (this.closed || host === undefined || this.recycling.has(pc.id) || !this.active.has(pc.id)) {
      return;
    }
    this.recycling.add(pc.id);
    this.emit('scaling', { action: 'recycle', browser: pc.browser, connectionId: pc.id, reason, connections: this.active.size });
    const replacing = `replacing ${pc.id}: ${reason}`;
    if (this.active.size + this.pendingLaunches < this.options.scaling.maxConnections && this.countOn(host) < host.source.maxConnections) {
      void this.launchOn(host, replacing).then(() => pc.drain(reason));
      return;
    }
    this.promised++;
    void pc.drain(reason).then(() => {
      this.promised--;
      return this.launchOn(host, replacing);
    });
  }

  /**
   * The local browsers (one connection per entry of `browsers`) and the remote hosts, then the configured spares.
   * Fails when nothing started at all; remote hosts that did not answer keep being retried in the background.
   */
  async start(browsers: readonly BrowserKind[], remote: readonly HostSource[]): Promise<void> {
    const locals = browsers.map((b) => this.ensureHost(localHost(b)));
    await Promise.all([...locals.map((h) => this.launchOn(h, 'initial')), ...remote.map((s) => this.addHost(s, 'initial'))]);
    const started = [...this.hosts.values()].filter((h) => this.countOn(h) > 0);
    await Promise.all(
      started.flatMap((h) => Array.from({ length: Math.min(this.options.scaling.spareConnections, h.source.maxConnections - this.countOn(h)) }, () => this.launchOn(h, 'spare', true))),
    );
    if (this.active.size === 0) {
      const why = [...this.hosts.values()].map((h) => `${h.source.id}: ${h.lastError?.message ?? 'not started'}`);
      throw new BrowserUnavailableError(`no browser could be started: ${why.length === 0 ? 'no browsers or hosts are configured (yet)' : why.join('; ')}`);
    }
  }

  /**
   * Adds a host and opens its first connection; when that fails the host keeps being retried with backoff (until
   * drained). Resolves after the first attempt. Adding an active id again is a no-op; adding a draining one cancels
   * the drain: the host is active again (its draining connections still close) and opens a fresh connection.
   */
  async addHost(source: HostSource, reason = 'host added'): Promise<void> {
    const known = this.hosts.get(source.id);
    if (this.closed || known?.state.kind === 'active') {
      return;
    }
    const host = known ?? this.ensureHost(source);
    if (known !== undefined) {
      host.state = { kind: 'active' };
      reason = `${reason} (drain cancelled)`;
    }
    this.emit('host:state', { hostId: source.id, browser: source.browser, state: 'added', reason });
    const pc = await this.launchOn(host, reason);
    if (pc === undefined && host.state.kind === 'active') {
      this.owe(host, { lostId: '', at: performance.now(), reason: 'first connection failed' });
    }
  }

  /**
   * Takes a host out: no new connections, reconnects stop, its connections drain (requests in flight finish) and
   * close. Resolves once they have; unknown ids resolve at once.
   */
  async drainHost(id: string, reason: string): Promise<void> {
    const host = this.hosts.get(id);
    if (host === undefined || host.state.kind === 'draining') {
      return;
    }
    host.state = { kind: 'draining', reason };
    cancelRetry(host);
    this.emit('host:state', { hostId: id, browser: host.source.browser, state: 'draining', reason });
    const spares = this.spares.filter((s) => this.hostOf.get(s.id) === host);
    spares.forEach((s) => this.spares.splice(this.spares.indexOf(s), 1));
    await Promise.all([
      ...this.all.filter((c) => this.hostOf.get(c.id) === host).map((c) => c.drain(`host ${id} drained: ${reason}`)),
      ...spares.map((s) => s.drain(`host ${id} drained: ${reason}`)),
    ]);
    this.removeHostIfEmpty(host);
    this.notify();
  }

  /**
   * Launches a connection of `browser` on the host of that kind with the fewest connections and room for one more
   * (not backing off, if one is not); a local host is made for a kind no host serves. Resolves undefined when it
   * could not (or every host of that kind is full).
   */
  launch(browser: BrowserKind, reason: string): Promise<PoolConnection | undefined> {
    const ofKind = [...this.hosts.values()].filter((h) => h.source.browser === browser && h.state.kind === 'active');
    const withRoom = ofKind.filter((h) => this.countOn(h) < h.source.maxConnections);
    const host = withRoom.sort((a, b) => Number(a.retry !== undefined) - Number(b.retry !== undefined) || this.countOn(a) - this.countOn(b))[0];
    if (host === undefined && ofKind.length > 0) {
      return Promise.resolve(undefined);
    }
    return this.launchOn(host ?? this.ensureHost(localHost(browser)), reason);
  }

  /**
   * Takes a connection that computed a wrong answer out of routing and launches its replacement; once that is up,
   * the quarantined one is drained and closed (unless a later check released it first).
   */
  quarantine(pc: PoolConnection, reason: string): void {
    pc.quarantine(reason);
    this.emit('connection:quarantine', { connectionId: pc.id, browser: pc.browser, state: 'quarantined', reason });
    const host = this.hostOf.get(pc.id);
    if (host !== undefined && this.countOn(host) >= host.source.maxConnections) {
      // The host holds no second session (remote Firefox): close the quarantined one first, then replace it there.
      void pc.drain(`quarantined: ${reason}`).then(() => this.launchOn(host, `replacing quarantined ${pc.id}`));
      return;
    }
    void (host === undefined ? this.launch(pc.browser, `replacing quarantined ${pc.id}`) : this.launchOn(host, `replacing quarantined ${pc.id}`)).then(
      (replacement) => {
        if (replacement !== undefined && pc.state.kind === 'quarantined') {
          void pc.drain(`replaced by ${replacement.id} after: ${reason}`);
        }
      },
    );
  }

  /** Puts a quarantined connection back into routing. */
  release(pc: PoolConnection, reason: string): void {
    pc.release();
    this.emit('connection:quarantine', { connectionId: pc.id, browser: pc.browser, state: 'released', reason });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const h of this.hosts.values()) {
      cancelRetry(h);
    }
    const all = [...this.active.values(), ...this.spares.splice(0)];
    this.active.clear();
    this.notify();
    await Promise.all(all.map((c) => c.close().catch(() => undefined)));
  }

  // ---- internals ----

  private ensureHost(source: HostSource): HostRecord {
    const known = this.hosts.get(source.id);
    if (known !== undefined) {
      return known;
    }
    const host = newHostRecord(source);
    this.hosts.set(source.id, host);
    return host;
  }

  /** Connections of a host: active, spare and launching (each holds a browser session there). */
  private countOn(host: HostRecord): number {
    let n = this.launching.get(host) ?? 0;
    for (const c of [...this.active.values(), ...this.spares]) {
      n += this.hostOf.get(c.id) === host ? 1 : 0;
    }
    return n;
  }

  private notify(): void {
    this.changes.notify();
  }

  /** Launches one connection on `host`; resolves undefined (after a `browser:unavailable` event) when it cannot. */
  private async launchOn(host: HostRecord, reason: string, asSpare = false): Promise<PoolConnection | undefined> {
    if (this.closed || host.state.kind !== 'active') {
      return undefined;
    }
    const browser = host.source.browser;
    this.launching.set(host, (this.launching.get(host) ?? 0) + 1);
    const start = performance.now();
    try {
      const connection = await this.harness.launch(browser, host.source.driver);
      if (this.closed || host.state.kind !== 'active') {
        await connection.close();
        return undefined;
      }
      this.unavailable.delete(browser);
      host.failures = 0;
      host.lastError = undefined;
      const pc = this.wrap(connection, host);
      if (asSpare) {
        this.spares.push(pc);
        return pc;
      }
      this.activate(pc, performance.now() - start, reason);
      return pc;
    } catch (error) {
      const e = error instanceof BrowserPoolError ? error : new BrowserUnavailableError((error as Error).message);
      host.failures++;
      host.lastError = e;
      if (!this.all.some((c) => c.browser === browser && c.accepting)) {
        this.unavailable.set(browser, e.message);
      }
      this.emit('browser:unavailable', { browser, code: e.code, reason: e.message });
      return undefined;
    } finally {
      this.launching.set(host, (this.launching.get(host) ?? 1) - 1);
      this.notify();
    }
  }

  private wrap(connection: Awaited<ReturnType<BrowserHarness['launch']>>, host: HostRecord): PoolConnection {
    const pc: PoolConnection = wrapConnection(connection, this.options, this.drops.get(connection.browser) ?? 0, (reason) => this.recycle(pc, reason));
    this.hostOf.set(pc.id, host);
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
    this.notify();
  }

  private onClosed(pc: PoolConnection, cause: BrowserPoolError): void {
    const host = this.hostOf.get(pc.id);
    this.hostOf.delete(pc.id);
    const expected = pc.planned || this.closed || host?.state.kind === 'draining';
    const spareAt = this.spares.indexOf(pc);
    if (spareAt >= 0) {
      // A spare died unused: replace it quietly.
      this.spares.splice(spareAt, 1);
      void pc.close().catch(() => undefined);
      if (!expected && host !== undefined) {
        void this.launchOn(host, 'spare', true);
      }
      return;
    }
    this.active.delete(pc.id);
    this.recycling.delete(pc.id);
    // The socket is gone but the browser may live on (a hung page): close it so it frees its CPU and memory.
    void pc.close().catch(() => undefined);
    this.emit('connection:down', { connectionId: pc.id, browser: pc.browser, code: cause.code, reason: cause.message, expected });
    if (!expected && host !== undefined) {
      this.replace(pc, host, cause);
    } else if (host !== undefined) {
      this.removeHostIfEmpty(host);
    }
    this.notify();
  }

  /** Unplanned loss: promote a spare of the same host at once, else owe a replacement (reconnects until one is up). */
  private replace(lost: PoolConnection, host: HostRecord, cause: BrowserPoolError): void {
    this.drops.set(lost.browser, (this.drops.get(lost.browser) ?? 0) + 1);
    const spare = this.spares.find((s) => this.hostOf.get(s.id) === host && s.accepting);
    if (spare === undefined) {
      this.owe(host, { lostId: lost.id, at: performance.now(), reason: cause.message });
      return;
    }
    this.spares.splice(this.spares.indexOf(spare), 1);
    this.activate(spare, 0, `spare promoted to replace ${lost.id}`);
    this.emit('recovery', { browser: lost.browser, lostConnectionId: lost.id, replacementId: spare.id, recoveryMs: 0, ok: true, reason: cause.message });
    void this.launchOn(host, 'spare', true);
  }

  private owe(host: HostRecord, debt: HostRecord['owed'][number]): void {
    host.owed.push(debt);
    void this.reconnect(host);
  }

  /** One loop per host (see `reconnectLoop`). */
  private reconnect(host: HostRecord): Promise<void> {
    return reconnectLoop(host, {
      launch: (reason) => this.launchOn(host, reason),
      emit: this.emit,
      reconnect: this.options.reconnect,
      notify: () => this.notify(),
      closed: () => this.closed,
    });
  }

  private removeHostIfEmpty(host: HostRecord): void {
    if (host.state.kind !== 'draining' || this.hosts.get(host.source.id) !== host) {
      return;
    }
    const left = [...this.hostOf.values()].some((h) => h === host) || (this.launching.get(host) ?? 0) > 0;
    if (!left) {
      this.hosts.delete(host.source.id);
      this.launching.delete(host);
      this.emit('host:state', { hostId: host.source.id, browser: host.source.browser, state: 'removed', reason: host.state.reason });
    }
  }
}
