/**
 * Requests waiting for a free slot, in one queue for the whole pool (late binding). A request is routed at the moment
 * the connection the policy picks for it has a free slot, never queued on a connection ahead of time: a decision made
 * at arrival would rest on estimates (and a burst decided in one turn on one set of them), while one made when a slot
 * frees follows how fast each connection really drains. Each settled call wakes the waiters, best first (priority,
 * then arrival), and each asks the policy again; one still not placeable keeps its place in line.
 */
import { AbortedError, TimeoutError } from '@browser-pool/browser-harness';

interface Waiter {
  priority: number;
  seq: number;
  /** The model it is for. */
  key: string;
  /** True while nothing could take it (every usable connection full): `wakeAll` then leaves it where it is. */
  blocked: (() => boolean) | undefined;
  wake: () => void;
}

export class WaitingRoom {
  private readonly waiting: Waiter[] = [];
  private seq = 0;

  /** Requests waiting now. */
  get size(): number {
    return this.waiting.length;
  }

  /** A place in line: keep it across waits, so a request woken and sent back keeps its turn. */
  ticket(): number {
    return this.seq++;
  }

  /**
   * Resolves at the next `wakeAll` that finds it not `blocked`; rejects with `E_TIMEOUT` at the deadline or `E_ABORTED`
   * when the signal fires (the request never ran). `blocked`: checked by `wakeAll`, so a request that would only find
   * every connection full again stays in line as it is instead of waking and waiting anew (with 170 waiting and one
   * call settling at a time, that was a new promise, timer and listener per waiter per settled call: most of the
   * pool's own CPU per request in the mixed bench).
   */
  wait(ticket: number, key: string, priority: number, deadline: number, signal: AbortSignal | undefined, what: string, blocked?: () => boolean): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { priority, seq: ticket, key, blocked, wake: () => settle(resolve) };
      const settle = (then: () => void): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const at = this.waiting.indexOf(waiter);
        if (at >= 0) {
          this.waiting.splice(at, 1);
        }
        then();
      };
      const onAbort = (): void => settle(() => reject(new AbortedError(`inference aborted by the caller while it waited for a slot (${what})`)));
      const timer = setTimeout(
        () => settle(() => reject(new TimeoutError(`${what}: the request waited for a free slot until its deadline passed; it never ran`))),
        Math.max(0, deadline - Date.now()),
      );
      if (signal?.aborted === true) {
        onAbort();
        return;
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      // Best first: higher priority, then earlier ticket.
      const at = this.waiting.findIndex((w) => w.priority < priority || (w.priority === priority && w.seq > ticket));
      this.waiting.splice(at === -1 ? this.waiting.length : at, 0, waiter);
    });
  }

  /**
   * Requests for the same model waiting ahead of this one (better priority, or equal and earlier): the queue a model
   * really has beyond the calls its connections' slots hold, which routing weighs before placing another copy.
   */
  ahead(ticket: number, key: string, priority: number): number {
    let n = 0;
    for (const w of this.waiting) {
      if (w.key === key && w.seq !== ticket && (w.priority > priority || (w.priority === priority && w.seq < ticket))) {
        n++;
      }
    }
    return n;
  }

  /**
   * Wakes every waiter not `blocked`, best first: their continuations run in that order, each routing before the next
   * looks. A blocked one would only find every connection full again; the next settled call wakes it, as it would have.
   */
  wakeAll(): void {
    for (const w of [...this.waiting]) {
      if (w.blocked?.() !== true) {
        w.wake();
      }
    }
  }
}
