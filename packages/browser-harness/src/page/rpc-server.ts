/**
 * The page's end of the socket: decodes and validates each request frame, dispatches it, and answers with the
 * matching reply or a typed error. A bad frame is answered with `E_PROTOCOL`; it never stops the page.
 */
import {
  assertTensorBytes,
  BATCH_ITEM_MAX_BYTES,
  type Capabilities,
  concatParts,
  type DecodedFrame,
  decodeFrame,
  describeIssues,
  encodeFrame,
  type FrameItem,
  itemTensorBytes,
  type NamedTensor,
  packBatch,
  PROTOCOL_VERSION,
  ProtocolError,
  type Request,
  requestSchema,
  serializeError,
  unpackBatch,
} from '../protocol';
import type { CallContext, SessionHost } from './session-host';
import type { PageTransport } from './transport';

/** What to send back; `sent`: a worker already answered Node itself (see worker/reply.ts). */
type Reply = { message: object; tensors?: NamedTensor[] } | 'sent';

/**
 * A worker must answer this much before the call's deadline in Node, so its `E_WORKER_LOST` reaches Node before
 * Node's own timer turns the call into a (non-retryable) `E_TIMEOUT`.
 */
function replyMarginMs(deadlineMs: number): number {
  return Math.min(250, deadlineMs / 4);
}

export class PageRpcServer {
  constructor(
    private readonly transport: PageTransport,
    private readonly sessions: SessionHost,
    private readonly capabilities: () => Promise<Capabilities>,
    /** Largest tensor payload of one reply; a larger one is answered with `E_TENSOR_TOO_LARGE`. */
    private readonly maxTensorBytes: number,
  ) {
    transport.onMessage((data) => {
      void this.onFrame(data);
    });
  }

  hello(connectionId: string, secret: string): void {
    this.send({ type: 'hello', secret, connectionId, protocolVersion: PROTOCOL_VERSION, userAgent: navigator.userAgent });
  }

  private send(message: object, tensors: readonly NamedTensor[] = []): void {
    const frame = encodeFrame(message, tensors);
    this.transport.send(typeof frame === 'string' ? frame : concatParts(frame));
  }

  private async onFrame(data: string | ArrayBuffer): Promise<void> {
    const arrived = performance.now();
    let items: DecodedFrame[];
    try {
      items = unpackBatch(decodeFrame(typeof data === 'string' ? data : new Uint8Array(data)));
    } catch (error) {
      this.sendItem({ message: { type: 'error', id: null, error: serializeError(error) }, tensors: [] });
      return;
    }
    if (items.length === 1) {
      this.sendItem(await this.handle(items[0]!, arrived, true));
      return;
    }
    if (this.sessions.concurrent) {
      // Sessions on workers: each request of the batch goes to its worker at once, and each reply leaves as soon as
      // it is ready (a ping batched with a long run is not held back by it).
      await Promise.all(items.map(async (item) => this.sendItem(await this.handle(item, arrived, false))));
      return;
    }
    // (Only worker-backed hosts answer directly, so every reply here is one to send.)
    // A batch runs in order (one ORT session must not run re-entrantly) and is answered with one batch frame;
    // replies with big tensors travel alone (a batch would only make one frame bigger).
    const replies: FrameItem[] = [];
    for (const item of items) {
      const reply = await this.handle(item, arrived, false);
      if (reply === 'sent') {
        continue;
      }
      if (itemTensorBytes(reply) >= BATCH_ITEM_MAX_BYTES) {
        this.sendItem(reply);
      } else {
        replies.push(reply);
      }
    }
    if (replies.length > 0) {
      this.sendItem(packBatch(replies));
    }
  }

  private sendItem(item: FrameItem | 'sent'): void {
    if (item !== 'sent') {
      this.send(item.message, item.tensors);
    }
  }

  /** `ownsBuffers`: the frame held only this request, so its tensors' buffer may be handed to a worker. */
  private async handle(frame: DecodedFrame, arrived: number, ownsBuffers: boolean): Promise<FrameItem | 'sent'> {
    const rawId = (frame.message as { id?: unknown } | null)?.id;
    const id = typeof rawId === 'number' ? rawId : null;
    try {
      const parsed = requestSchema.safeParse(frame.message);
      if (!parsed.success) {
        throw new ProtocolError(`invalid request frame: ${describeIssues(parsed.error)}`);
      }
      const reply = await this.dispatch(parsed.data, frame.tensors, arrived, ownsBuffers);
      if (reply === 'sent') {
        return reply;
      }
      const tensors = reply.tensors ?? [];
      assertTensorBytes(tensors, this.maxTensorBytes, `${parsed.data.type} reply`);
      return { message: reply.message, tensors };
    } catch (error) {
      return { message: { type: 'error', id, error: serializeError(error) }, tensors: [] };
    }
  }

  private async dispatch(request: Request, tensors: NamedTensor[], arrived: number, ownsBuffers: boolean): Promise<Reply> {
    const { id } = request;
    const deadlineMs = 'deadlineMs' in request ? request.deadlineMs : undefined;
    const context: CallContext = {
      expiresAt: deadlineMs === undefined ? undefined : arrived + deadlineMs - replyMarginMs(deadlineMs),
      ownsBuffers,
    };
    switch (request.type) {
      case 'ping':
        return { message: { type: 'pong', id } };
      case 'memory': {
        // Non-standard, Chromium only; elsewhere the answer is honestly "unknown".
        const memory = (performance as Performance & { memory?: { usedJSHeapSize: number } }).memory;
        return { message: { type: 'memory.ok', id, jsHeapUsedBytes: memory?.usedJSHeapSize ?? null } };
      }
      case 'probe':
        return { message: { type: 'probe.ok', id, capabilities: await this.capabilities() } };
      case 'load': {
        const source =
          request.source.kind === 'url' ? request.source : { kind: 'inline' as const, bytes: inlineModel(tensors) };
        const session = await this.sessions.load(request.modelId, source, request.backend, request.options, context);
        return { message: { type: 'load.ok', id, session } };
      }
      case 'run': {
        const handoff = request.keep !== undefined || request.handleInputs !== undefined;
        const outcome = handoff
          ? await this.sessions.runKeeping(
              request.sessionId,
              tensors,
              { keep: request.keep ?? [], handleInputs: request.handleInputs ?? [], copyHandles: request.copyHandles === true },
              request.outputNames,
              context,
            )
          : await this.sessions.run(request.sessionId, tensors, request.outputNames, {
              ...context,
              reply: { id, arrivedAt: performance.timeOrigin + arrived },
            });
        if ('replied' in outcome) {
          return 'sent';
        }
        // handleMs stops before encoding the reply: encoding cost stays on the transport side of the ledger.
        const timings = {
          computeMs: outcome.computeMs,
          handleMs: performance.now() - arrived,
          firstRun: outcome.firstRun,
          computeStartedAt: outcome.computeStartedAt,
        };
        const extra = {
          ...(outcome.kept === undefined ? {} : { handles: outcome.kept }),
          ...(outcome.copiedHandles === undefined ? {} : { copiedHandles: outcome.copiedHandles }),
        };
        return { message: { type: 'run.ok', id, timings, ...extra }, tensors: outcome.outputs };
      }
      case 'loop': {
        const samplesMs = await this.sessions.loop(request.sessionId, tensors, request.warmup, request.iterations, context);
        return { message: { type: 'loop.ok', id, samplesMs } };
      }
      case 'release':
        await this.sessions.release(request.sessionId);
        return { message: { type: 'release.ok', id } };
      case 'workers':
        return { message: { type: 'workers.ok', id, workers: this.sessions.workers() } };
      case 'handle': {
        const read = request.read === undefined ? [] : [await this.sessions.readHandle(request.read)];
        const released = this.sessions.releaseHandles(request.release ?? []);
        return { message: { type: 'handle.ok', id, released }, tensors: read };
      }
    }
  }
}

function inlineModel(tensors: NamedTensor[]): Uint8Array {
  const model = tensors.find((t) => t.name === 'model');
  if (model?.tensor.dtype !== 'uint8') {
    throw new ProtocolError('an inline load must carry the model bytes as a uint8 tensor named "model"');
  }
  return model.tensor.data as Uint8Array;
}
