/**
 * The relay's run routing: a run request for a session the page has routed (held by a session worker) goes from the
 * socket straight to that worker's port, skipping the page's main thread; every other frame goes to the main thread
 * untouched. The main thread still decides placement (it sends the routes), keeps each call's deadline (the relay
 * tells it what it routed) and answers for a lost worker.
 *
 * Why (bench --suite workers, bridge overhead, per-hop stamps in a scratch build): a bert-tiny run on a worker page
 * paid socket -> relay -> main (0.42 ms) -> parse and route (0.2 ms) -> worker (0.2 ms), where the one-thread page
 * pays socket -> relay -> main and runs; a relay -> worker hop costs about what relay -> main does.
 */
import { packBatch, unpackBatch } from '../protocol/batch';
import { concatParts, type DecodedFrame, decodeFrame, encodeFrame, type NamedTensor } from '../protocol/framing';
import type { RelayFrame, RoutedCall, RoutedRun } from './relay-messages';

interface Target {
  port: MessagePort;
  /** Routed runs sent to it and not answered yet. */
  outstanding: number;
}

export interface Split {
  /** What goes to the page's main thread: the frame as it came, what is left of a batch, or nothing. */
  rest: string | ArrayBuffer | undefined;
  calls: RoutedCall[];
}

export class RunRoutes {
  private readonly targets = new Map<number, Target>();
  private readonly sessions = new Map<string, number[]>();

  /** `send` puts a worker's frame on the socket. */
  attach(key: number, port: MessagePort, send: (data: string | ArrayBuffer) => void): void {
    const target: Target = { port, outstanding: 0 };
    this.targets.set(key, target);
    port.onmessage = (m: MessageEvent<RelayFrame>) => {
      const frame = m.data;
      if ((frame.kind === 'bounced' || frame.routed === true) && target.outstanding > 0) {
        target.outstanding--;
      }
      if (frame.kind === 'send') {
        send(frame.data);
      }
    };
  }

  detach(key: number): void {
    const target = this.targets.get(key);
    target?.port.close();
    this.targets.delete(key);
    for (const [sessionId, keys] of this.sessions) {
      this.route(sessionId, keys.filter((k) => k !== key));
    }
  }

  route(sessionId: string, keys: readonly number[]): void {
    const known = keys.filter((k) => this.targets.has(k));
    if (known.length === 0) {
      this.sessions.delete(sessionId);
    } else {
      this.sessions.set(sessionId, known);
    }
  }

  /** Sends the frame's routable runs to their workers (transferring their bytes); `arrivedAt` ms since the epoch. */
  split(data: string | ArrayBuffer, arrivedAt: number): Split {
    if (this.sessions.size === 0) {
      return { rest: data, calls: [] };
    }
    let items: DecodedFrame[];
    try {
      items = unpackBatch(decodeFrame(typeof data === 'string' ? data : new Uint8Array(data)));
    } catch {
      return { rest: data, calls: [] }; // the main thread answers it with E_PROTOCOL
    }
    const targets = items.map((item) => this.targetOf(item.message));
    if (targets.every((t) => t === undefined)) {
      return { rest: data, calls: [] };
    }
    const alone = items.length === 1;
    const calls: RoutedCall[] = [];
    const left: DecodedFrame[] = [];
    items.forEach((item, i) => {
      const target = targets[i];
      if (target === undefined) {
        left.push(item);
        return;
      }
      // A request alone in its frame takes the frame's buffer along; one of a batch gets its own copies.
      const tensors = alone ? item.tensors : copies(item.tensors);
      const transfer = alone ? (typeof data === 'string' ? [] : [data]) : tensors.map((t) => t.tensor.data.buffer as ArrayBuffer);
      target.entry.outstanding++;
      target.entry.port.postMessage({ kind: 'run', message: item.message, tensors, arrivedAt } satisfies RoutedRun, transfer);
      const message = item.message as { id: number; sessionId: string; deadlineMs?: unknown };
      calls.push({ id: message.id, sessionId: message.sessionId, key: target.key, deadlineMs: typeof message.deadlineMs === 'number' ? message.deadlineMs : undefined, arrivedAt });
    });
    return { rest: left.length === 0 ? undefined : reframe(left), calls };
  }

  /** The least busy worker for a plain run (no handles) of a routed session; undefined for anything else. */
  private targetOf(message: unknown): { key: number; entry: Target } | undefined {
    if (typeof message !== 'object' || message === null) {
      return undefined;
    }
    const m = message as Record<string, unknown>;
    if (m.type !== 'run' || typeof m.id !== 'number' || typeof m.sessionId !== 'string' || m.keep !== undefined || m.handleInputs !== undefined) {
      return undefined;
    }
    let best: { key: number; entry: Target } | undefined;
    for (const key of this.sessions.get(m.sessionId) ?? []) {
      const entry = this.targets.get(key);
      if (entry !== undefined && (best === undefined || entry.outstanding < best.entry.outstanding)) {
        best = { key, entry };
      }
    }
    return best;
  }
}

function copies(tensors: readonly NamedTensor[]): NamedTensor[] {
  return tensors.map(({ name, tensor }) => ({ name, tensor: { ...tensor, data: tensor.data.slice() } }));
}

/** The requests of a batch the relay did not route, as one frame again. */
function reframe(items: readonly DecodedFrame[]): string | ArrayBuffer {
  const batch = items.length === 1 ? { message: items[0]!.message as object, tensors: items[0]!.tensors } : packBatch(items.map((i) => ({ message: i.message as object, tensors: i.tensors })));
  const frame = encodeFrame(batch.message, batch.tensors);
  return typeof frame === 'string' ? frame : (concatParts(frame).buffer as ArrayBuffer);
}
