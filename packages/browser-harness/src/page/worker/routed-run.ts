/**
 * A run the relay sent straight to this worker (see run-routes.ts): checked here (the main thread never saw it), run,
 * and answered on the relay port, a failure as the same typed error the main thread would send. The main thread is
 * told when it is answered (it keeps the call's deadline). A run for a session this worker does not hold goes to the
 * main thread instead, which routes it as any request.
 */
import { describeIssues, ProtocolError, runRequestSchema, serializeError, SessionNotFoundError } from '../../protocol';
import type { RelayFrame, RoutedRun } from '../relay-messages';
import type { SessionManager } from '../sessions';
import type { FromWorker } from './messages';
import { sendRunReply } from './reply';
import { buffersOf } from './transfer';

export async function runRouted(
  run: RoutedRun,
  port: MessagePort,
  sessions: Promise<SessionManager>,
  maxTensorBytes: number,
  post: (message: FromWorker, transfer?: Transferable[]) => void,
): Promise<void> {
  const rawId = (run.message as { id?: unknown } | null)?.id;
  const id = typeof rawId === 'number' ? rawId : 0; // the relay routes only requests with a numeric id
  try {
    const parsed = runRequestSchema.safeParse(run.message);
    if (!parsed.success) {
      throw new ProtocolError(`invalid request frame: ${describeIssues(parsed.error)}`);
    }
    const manager = await sessions;
    const outcome = await manager.run(parsed.data.sessionId, run.tensors, parsed.data.outputNames);
    sendRunReply(port, { id, arrivedAt: run.arrivedAt }, outcome, maxTensorBytes, true);
  } catch (error) {
    if (error instanceof SessionNotFoundError) {
      post({ kind: 'bounce', id, message: run.message, tensors: run.tensors, arrivedAt: run.arrivedAt }, buffersOf(run.tensors));
      port.postMessage({ kind: 'bounced' } satisfies RelayFrame);
      return;
    }
    port.postMessage({ kind: 'send', data: JSON.stringify({ type: 'error', id, error: serializeError(error) }), routed: true } satisfies RelayFrame);
  }
  post({ kind: 'routed', id });
}
