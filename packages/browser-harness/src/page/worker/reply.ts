/**
 * A session worker answers a run itself: it encodes the `run.ok` frame and posts it on its port to the page's relay,
 * which puts it on the socket. Measured (bench --suite workers, bridge overhead): the reply's hops back through the
 * main thread (worker -> main, encode there, main -> relay) were most of what workers added to a small model's round
 * trip. The main thread still routes every request, keeps the call's watchdog (the worker also tells it the call is
 * answered) and sends every error, so a hung worker is still replaced and its call still fails with E_WORKER_LOST.
 *
 * Requests still come through the main thread. Sending runs from the relay straight to the worker holding the session
 * (the main thread only told the relay the routes and kept the deadlines from the relay's word of each call) was built
 * and measured (commit d8b5b66), and reverted: per-hop stamps showed a relay -> worker hop costing what relay -> main
 * + main -> worker did (the relay's postMessage alone 0.3-0.4 ms p50, 1.9 ms p90), in two interleaved A/B runs
 * end-to-end p50 was 6.49 / 5.28 ms routed vs 4.67 / 5.88 ms not (load 6-7), and the bench's bridge overhead row got
 * worse (+34 % and +279 % against +31 % the same day without it).
 */
import { assertTensorBytes, concatParts, encodeFrame } from '../../protocol';
import type { RelayFrame } from '../relay-messages';
import type { DirectReply, RunOutcome } from '../session-host';
import { ownBuffer } from './transfer';

/** Throws (the caller then reports the error to the main thread, which answers) when the outputs are over the limit. */
export function sendRunReply(port: MessagePort, reply: DirectReply, outcome: RunOutcome, maxTensorBytes: number): void {
  assertTensorBytes(outcome.outputs, maxTensorBytes, 'run reply');
  const timings = {
    computeMs: outcome.computeMs,
    // The page's clock and this worker's have different origins; the epoch is common to both.
    handleMs: performance.timeOrigin + performance.now() - reply.arrivedAt,
    firstRun: outcome.firstRun,
    computeStartedAt: outcome.computeStartedAt,
  };
  const frame = encodeFrame({ type: 'run.ok', id: reply.id, timings }, outcome.outputs);
  if (typeof frame === 'string') {
    port.postMessage({ kind: 'send', data: frame } satisfies RelayFrame);
    return;
  }
  const data = ownBuffer(concatParts(frame));
  port.postMessage({ kind: 'send', data } satisfies RelayFrame, [data]);
}
