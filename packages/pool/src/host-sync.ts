/**
 * Keeps the fleet's discovered hosts equal to what a discovery lists: new hosts join (first connection at once,
 * reconnects with backoff when it fails), hosts no longer listed drain. A failed listing changes nothing. Hosts
 * given in `hosts` or by `addHost()` are never touched here.
 */
import type { HostDiscovery } from './discovery';
import type { EmitPoolEvent } from './fleet';
import { type HostSource, resolveHost } from './hosts';

export interface HostTarget {
  addHost(source: HostSource, reason: string): Promise<void>;
  drainHost(id: string, reason: string): Promise<void>;
}

export class HostSync {
  private readonly known = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private unwatch: (() => void) | undefined;
  private running: Promise<void> | undefined;
  private again = false;

  constructor(
    private readonly discovery: HostDiscovery,
    private readonly target: HostTarget,
    private readonly emit: EmitPoolEvent,
  ) {}

  /** Lists once (resolves when that listing is applied), then keeps listing on the interval and on file changes. */
  async start(): Promise<void> {
    this.timer = setInterval(() => void this.sync(), this.discovery.intervalMs);
    this.timer.unref();
    this.unwatch = this.discovery.watch?.(() => void this.sync());
    await this.sync();
  }

  stop(): void {
    clearInterval(this.timer);
    this.unwatch?.();
  }

  /** One listing applied; overlapping calls are folded into one more run after the current one. */
  sync(): Promise<void> {
    if (this.running !== undefined) {
      this.again = true;
      return this.running;
    }
    this.running = this.apply().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        void this.sync();
      }
    });
    return this.running;
  }

  private async apply(): Promise<void> {
    const source = this.discovery.name;
    let listed: HostSource[];
    try {
      const specs = await this.discovery.list();
      listed = specs.map((s, i) => resolveHost(s, `${source} host ${i}`));
    } catch (error) {
      this.emit('discovery', { source, ok: false, hosts: this.known.size, added: [], drained: [], error: (error as Error).message });
      return;
    }
    const unique = [...new Map(listed.map((h) => [h.id, h])).values()];
    const added = unique.filter((h) => !this.known.has(h.id));
    const drained = [...this.known].filter((id) => !unique.some((h) => h.id === id));
    added.forEach((h) => this.known.add(h.id));
    drained.forEach((id) => this.known.delete(id));
    this.emit('discovery', { source, ok: true, hosts: this.known.size, added: added.map((h) => h.id), drained, error: undefined });
    await Promise.all([
      ...added.map((h) => this.target.addHost(h, `discovered by ${source}`)),
      ...drained.map((id) => this.target.drainHost(id, `no longer listed by ${source}`)),
    ]);
  }
}
