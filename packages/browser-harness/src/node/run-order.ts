/**
 * The order of the runs sent on each session, to tell a call the page lost from one that waited in line. A page runs
 * one session's calls in the order they were sent (one ORT chain per thread: the page's main thread, or the worker
 * that holds the session), so where a later run on a session was answered while an earlier one got no answer by its
 * deadline, the page lost the earlier one (a dropped reply, a bug in the page): it did not wait behind the later one.
 * Calls on different sessions finish out of order legitimately (page workers), so only the same session tells.
 */

/** Set (true) in an `E_TIMEOUT`'s details when a later run on the same session was answered before it timed out. */
export const OVERTAKEN = 'overtaken';

export class RunOrder {
  private readonly sessions = new Map<string, { sent: number; answered: number }>();

  /** Call just before the run is sent: its place in its session's order. */
  send(sessionId: string): number {
    let order = this.sessions.get(sessionId);
    if (order === undefined) {
      order = { sent: 0, answered: 0 };
      this.sessions.set(sessionId, order);
    }
    return ++order.sent;
  }

  /** The page answered run `place` of the session. */
  answer(sessionId: string, place: number): void {
    const order = this.sessions.get(sessionId);
    if (order !== undefined) {
      order.answered = Math.max(order.answered, place);
    }
  }

  /** Whether a run sent after run `place` of the session has been answered. */
  overtaken(sessionId: string, place: number): boolean {
    return (this.sessions.get(sessionId)?.answered ?? 0) > place;
  }

  forget(sessionId: string): void {
    this.sessions.delete(sessionId);
  }
}
