/**
 * A session worker answers a run itself: it encodes the `run.ok` frame and posts it on its port to the page's relay,
 * which puts it on the socket. Measured (bench --suite workers, bridge overhead): the reply's hops back through the
 * main thread (worker -> main, encode there, main -> relay) were most of what workers added to a small model's round
 * trip. The main thread still routes every request, keeps the call's watchdog (the worker also tells it the call is
 * answered) and sends every error, so a hung worker is still replaced and its call still fails with E_WORKER_LOST.
 */
import { assertTensorBytes, concatParts, encodeFrame } from '../../protocol';
import type { RelayFrame } from '../relay-messages';
import type { DirectReply, RunOutcome } from '../session-host';
import { ownBuffer } from './transfer';

/** Throws (the caller then reports the error to the main thread, which answers) when the outputs are over the limit. */
export function sendRunReply(port: MessagePort, reply: DirectReply, outcome: RunOutcome, maxTensorBytes: number, routed = false): void {
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
    port.postMessage({ kind: 'send', data: frame, routed } satisfies RelayFrame);
    return;
  }
  const data = ownBuffer(concatParts(frame));
  port.postMessage({ kind: 'send', data, routed } satisfies RelayFrame, [data]);
}
