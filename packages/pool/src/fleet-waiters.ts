/**
 * Requests waiting for a change of the fleet (a connection up, a launch failed, a host added or drained): one shared
 * list woken together, never an event listener per request.
 */
export class ChangeWaiters {
  private readonly waiters = new Set<() => void>();

  /** Resolves at the next `notify`, or after `timeoutMs`. */
  wait(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, timeoutMs));
      this.waiters.add(done);
    });
  }

  notify(): void {
    for (const wake of [...this.waiters]) {
      wake();
    }
  }

  get size(): number {
    return this.waiters.size;
  }
}
