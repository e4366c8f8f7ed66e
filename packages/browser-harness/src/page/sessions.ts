/**
 * Holds the page's onnxruntime-web sessions: create one for exactly the requested execution provider (so the
 * provider that ran is known, never guessed), check inputs before running, time create and every run.
 */
import type * as Ort from 'onnxruntime-web';

import {
  type Backend,
  BackendUnavailableError,
  type Capabilities,
  type DType,
  HandleElsewhereError,
  InferenceError,
  InvalidInputError,
  isDType,
  type KeptTensor,
  ModelLoadError,
  type NamedTensor,
  type SessionInfo,
  SessionNotFoundError,
  type SessionOptionsWire,
  type Tensor,
  typedArrayCtor,
  UnsupportedDtypeError,
  type WorkerSnapshot,
} from '../protocol';
import type { OrtModule } from './ort-loader';
import type { HandleHost, Handoff, ModelSource, RunOutcome, SessionHost } from './session-host';
import { TensorHandles } from './tensor-handles';

interface InputMeta {
  name: string;
  dtype: string | null;
  dims: (number | string)[] | null;
}

interface HeldSession {
  session: Ort.InferenceSession;
  info: SessionInfo;
  inputs: Map<string, InputMeta>;
  ranOnce: boolean;
  /** Size of the serialized model: what a copy of it costs, as replica budgets count it. */
  modelBytes: number;
}

/** Long stretches of ORT work yield to the event loop this often so the page keeps answering heartbeats. */
const YIELD_EVERY_MS = 50;

/** A macrotask turn (MessageChannel: not clamped like nested setTimeout). */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => resolve();
    channel.port2.postMessage(null);
  });
}

/**
 * What onnxruntime says when the values or shapes of this request are what the model rejects (an index out of a
 * Gather's range, dimensions that do not broadcast, a reshape that cannot hold the data). Such a failure is the
 * request's: it goes back to the caller once and says nothing about the page. Anything else ORT throws during a run
 * (device lost, out of memory, a trap) is a page fault.
 */
const REQUEST_FAULT =
  /out of (data )?bounds|must be within|invalid (dimensions|rank|shape|input)|got invalid|shape mismatch|broadcast|cannot reshape|input tensor cannot be reshaped|dimension mismatch|not match|index .* out of range/i;
const PAGE_FAULT = /out of memory|memory access out of bounds|unreachable|device (was )?lost|abort\(/i;

function runError(modelId: string, error: unknown): Error {
  const message = error instanceof Error ? error.message : String(error);
  if (REQUEST_FAULT.test(message) && !PAGE_FAULT.test(message)) {
    return new InvalidInputError(`model "${modelId}" rejected these inputs: ${message}`, { details: { source: 'onnxruntime' } });
  }
  return new InferenceError(`run of "${modelId}" failed: ${message}`);
}

/** What an input check needs of a tensor: the bytes may be elsewhere (a kept handle). */
interface InputShape {
  name: string;
  dtype: string;
  dims: readonly number[];
}

function inputMetadata(session: Ort.InferenceSession): InputMeta[] {
  return session.inputNames.map((name, i) => {
    const meta = session.inputMetadata[i];
    if (meta?.isTensor === true) {
      // Symbolic dims arrive as names, '' or -1 (read back as 4294967295): all mean "any size".
      const dims = meta.shape.map((d) => (typeof d === 'number' && d >= 0 && d < 2 ** 31 ? d : typeof d === 'string' && d !== '' ? d : '?'));
      return { name, dtype: meta.type, dims };
    }
    return { name, dtype: null, dims: null };
  });
}

function shapes(inputs: readonly NamedTensor[]): InputShape[] {
  return inputs.map(({ name, tensor }) => ({ name, dtype: tensor.dtype, dims: tensor.dims }));
}

function checkInputs(held: HeldSession, inputs: readonly InputShape[]): void {
  const given = new Set(inputs.map((i) => i.name));
  const expected = [...held.inputs.keys()];
  const missing = expected.filter((n) => !given.has(n));
  const extra = [...given].filter((n) => !held.inputs.has(n));
  if (missing.length > 0 || extra.length > 0) {
    throw new InvalidInputError(
      `model "${held.info.modelId}" takes inputs [${expected.join(', ')}]` +
        (missing.length > 0 ? `; missing: ${missing.join(', ')}` : '') +
        (extra.length > 0 ? `; unknown: ${extra.join(', ')}` : ''),
    );
  }
  for (const tensor of inputs) {
    const { name } = tensor;
    const meta = held.inputs.get(name);
    if (meta?.dtype !== null && meta?.dtype !== undefined && meta.dtype !== tensor.dtype) {
      throw new InvalidInputError(`input "${name}" must be ${meta.dtype}, got ${tensor.dtype}`);
    }
    const dims = meta?.dims;
    if (dims === null || dims === undefined) {
      continue;
    }
    const fits =
      dims.length === tensor.dims.length && dims.every((d, i) => typeof d !== 'number' || d === tensor.dims[i]);
    if (!fits) {
      const want = dims.map((d) => (typeof d === 'number' ? String(d) : d === '' ? '?' : d)).join(', ');
      throw new InvalidInputError(`input "${name}" must have shape [${want}], got [${tensor.dims.join(', ')}]`);
    }
  }
}

function toOrtTensor(ort: OrtModule, t: Tensor): Ort.Tensor {
  return new ort.Tensor(t.dtype, t.data as never, [...t.dims]);
}

function fromOrtTensor(name: string, t: Ort.Tensor): NamedTensor {
  if (!isDType(t.type)) {
    throw new UnsupportedDtypeError(`output "${name}" has dtype ${t.type}, which the wire cannot carry`);
  }
  const dtype: DType = t.type;
  return wireTensor(name, dtype, t.dims, t.data as ArrayBufferView);
}

function wireTensor(name: string, dtype: DType, dims: readonly number[], raw: ArrayBufferView): NamedTensor {
  // ORT may hand float16 out as a Float16Array: carry its bits as Uint16Array, the wire's form.
  const Ctor = typedArrayCtor(dtype);
  const data = new Ctor(raw.buffer, raw.byteOffset, raw.byteLength / Ctor.BYTES_PER_ELEMENT);
  return { name, tensor: { dtype, dims: [...dims], data } };
}

function executionProvider(backend: Backend, options: SessionOptionsWire): Ort.InferenceSession.ExecutionProviderConfig {
  switch (backend) {
    case 'wasm':
      return 'wasm';
    case 'webgpu':
      return {
        name: 'webgpu',
        ...(options.webgpu?.preferredLayout === undefined ? {} : { preferredLayout: options.webgpu.preferredLayout }),
      };
    case 'webnn':
      return { name: 'webnn', deviceType: options.webnn?.deviceType ?? 'cpu' };
  }
}

function assertBackendAvailable(backend: Backend, options: SessionOptionsWire, caps: Capabilities): void {
  if (backend === 'webgpu' && !caps.webgpu.available) {
    throw new BackendUnavailableError(`webgpu is unavailable in this browser: ${caps.webgpu.reason}`, {
      details: { backend, reason: caps.webgpu.reason },
    });
  }
  if (backend === 'webnn') {
    const device = options.webnn?.deviceType ?? 'cpu';
    const status = caps.webnn.devices[device];
    if (!status.available) {
      throw new BackendUnavailableError(`webnn (${device}) is unavailable in this browser: ${status.error}`, {
        details: { backend, device, reason: status.error },
      });
    }
  }
}

export class SessionManager implements SessionHost, HandleHost {
  /** One ORT operation at a time on this thread (see `tail`). */
  readonly concurrent = false;
  private readonly sessions = new Map<string, HeldSession>();
  private readonly handles = new TensorHandles();
  private nextId = 1;
  /**
   * onnxruntime-web runs one session operation at a time per page: a WebGPU run awaits the GPU, and a second
   * session's run starting meanwhile fails ("Session already started" / "Session mismatch"). Every ORT call
   * goes through this chain. It costs nothing: one page's compute is serial anyway.
   */
  private tail: Promise<unknown> = Promise.resolve();
  private lastYield = performance.now();

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(async () => {
      // Back-to-back runs chain as microtasks and would starve socket events (heartbeat pings): yield now and then.
      if (performance.now() - this.lastYield > YIELD_EVERY_MS) {
        await yieldToEventLoop();
        this.lastYield = performance.now();
      }
      return fn();
    });
    this.tail = result.catch(() => undefined);
    return result;
  }

  constructor(
    private readonly ort: OrtModule,
    private readonly capabilities: () => Promise<Capabilities>,
  ) {}

  load(modelId: string, source: ModelSource, backend: Backend, options: SessionOptionsWire): Promise<SessionInfo> {
    return this.loadAs(`s${this.nextId++}`, modelId, source, backend, options);
  }

  /** Loads under a session id chosen by the caller: a worker's sessions are numbered by the page that routes them. */
  async loadAs(sessionId: string, modelId: string, source: ModelSource, backend: Backend, options: SessionOptionsWire): Promise<SessionInfo> {
    if (backend !== 'wasm') {
      // Only WebGPU and WebNN can be missing; a fresh session worker reloading wasm sessions skips the probe's cost.
      assertBackendAvailable(backend, options, await this.capabilities());
    }
    const fetchStart = performance.now();
    const bytes = source.kind === 'inline' ? source.bytes : await fetchModel(source.url);
    const fetchMs = performance.now() - fetchStart;
    const createStart = performance.now();
    let session: Ort.InferenceSession;
    try {
      session = await this.exclusive(() => this.ort.InferenceSession.create(bytes, {
        executionProviders: [executionProvider(backend, options)],
        graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
        ...(options.freeDimensionOverrides === undefined ? {} : { freeDimensionOverrides: options.freeDimensionOverrides }),
        ...(options.webgpu?.enableGraphCapture === true ? { enableGraphCapture: true } : {}),
        ...(backend === 'webgpu' && options.webgpu?.outputsOnDevice === true ? { preferredOutputLocation: 'gpu-buffer' as const } : {}),
      }));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (/no available backend|backend not found|not supported/i.test(message)) {
        throw new BackendUnavailableError(`onnxruntime-web could not start the ${backend} backend: ${message}`, {
          details: { backend, reason: message },
        });
      }
      throw new ModelLoadError(`model "${modelId}" could not be loaded on ${backend}: ${message}`, {
        details: { backend, byteLength: bytes.byteLength },
      });
    }
    const createMs = performance.now() - createStart;
    const inputs = inputMetadata(session);
    const info: SessionInfo = {
      sessionId,
      modelId,
      requestedBackend: backend,
      backend,
      inputs,
      outputNames: [...session.outputNames],
      timings: { fetchMs, createMs },
    };
    this.sessions.set(sessionId, { session, info, inputs: new Map(inputs.map((m) => [m.name, m])), ranOnce: false, modelBytes: bytes.byteLength });
    return info;
  }

  /** Bytes of the model a session was loaded from. */
  modelBytes(sessionId: string): number {
    return this.get(sessionId).modelBytes;
  }

  run(sessionId: string, inputs: readonly NamedTensor[], outputNames?: readonly string[]): Promise<RunOutcome> {
    return this.runKeeping(sessionId, inputs, { keep: [], handleInputs: [], copyHandles: false }, outputNames);
  }

  /** A run whose inputs may include kept handles and whose `keep` outputs stay in the page as handles. */
  async runKeeping(sessionId: string, inputs: readonly NamedTensor[], handoff: Handoff, outputNames?: readonly string[]): Promise<RunOutcome> {
    const held = this.get(sessionId);
    const kept = new Map(handoff.handleInputs.map((h) => [h.name, this.handles.describe(h.handleId)]));
    checkInputs(held, [...shapes(inputs), ...[...kept].map(([name, k]) => ({ name, dtype: k.dtype, dims: k.dims }))]);
    const feeds: Record<string, Ort.Tensor> = {};
    for (const { name, tensor } of inputs) {
      feeds[name] = toOrtTensor(this.ort, tensor);
    }
    const wanted = [...(outputNames ?? []), ...handoff.keep];
    const unknown = wanted.filter((n) => !held.info.outputNames.includes(n));
    if (unknown.length > 0) {
      throw new InvalidInputError(
        `unknown output names ${unknown.join(', ')}; model "${held.info.modelId}" has ${held.info.outputNames.join(', ')}`,
      );
    }
    const fetches = outputNames === undefined ? undefined : [...new Set(wanted)];
    let computeMs = 0;
    let computeStartedAt = 0;
    const copiedHandles: string[] = [];
    let outputs: NamedTensor[];
    const keptOut: KeptTensor[] = [];
    try {
      outputs = await this.exclusive(async () => {
        for (const { name, handleId } of handoff.handleInputs) {
          const fed = await this.handles.feed(handleId, held.info.backend, handoff.copyHandles, this.ort);
          feeds[name] = fed.tensor;
          if (fed.copied) {
            copiedHandles.push(name);
          }
        }
        const start = performance.now(); // inside the lock: compute only, not waiting for another run
        computeStartedAt = performance.timeOrigin + start;
        const r = fetches === undefined ? await held.session.run(feeds) : await held.session.run(feeds, fetches);
        computeMs = performance.now() - start;
        const back: NamedTensor[] = [];
        for (const [name, t] of Object.entries(r)) {
          if (handoff.keep.includes(name)) {
            keptOut.push(this.handles.keep(name, t, sessionId, held.info.backend));
          } else if (t.location === 'gpu-buffer') {
            back.push(await readBack(name, t));
          } else {
            back.push(fromOrtTensor(name, t));
          }
        }
        return back;
      });
    } catch (error) {
      if (error instanceof HandleElsewhereError) {
        throw error;
      }
      throw runError(held.info.modelId, error);
    }
    const firstRun = !held.ranOnce;
    held.ranOnce = true;
    return {
      outputs,
      computeMs,
      computeStartedAt,
      firstRun,
      ...(keptOut.length > 0 ? { kept: keptOut } : {}),
      ...(copiedHandles.length > 0 ? { copiedHandles } : {}),
    };
  }

  /** A kept handle's bytes (read back from the GPU where it lives there). */
  readHandle(handleId: string): Promise<NamedTensor> {
    return this.exclusive(() => this.handles.read(handleId));
  }

  releaseHandles(handleIds: readonly string[]): string[] {
    return this.handles.release(handleIds);
  }

  /** Runs the same inputs in a tight loop and returns each measured iteration's time (warm-up excluded). */
  async loop(sessionId: string, inputs: readonly NamedTensor[], warmup: number, iterations: number): Promise<number[]> {
    const held = this.get(sessionId);
    checkInputs(held, shapes(inputs));
    const feeds: Record<string, Ort.Tensor> = {};
    for (const { name, tensor } of inputs) {
      feeds[name] = toOrtTensor(this.ort, tensor);
    }
    return this.exclusive(() => this.tightLoop(held, feeds, warmup, iterations));
  }

  private async tightLoop(held: HeldSession, feeds: Record<string, Ort.Tensor>, warmup: number, iterations: number): Promise<number[]> {
    const samples: number[] = [];
    let lastYield = performance.now();
    for (let i = 0; i < warmup + iterations; i++) {
      const start = performance.now();
      await held.session.run(feeds);
      const end = performance.now();
      if (i >= warmup) {
        samples.push(end - start);
      }
      if (end - lastYield > YIELD_EVERY_MS) {
        // Let queued socket messages (heartbeat pings) through; outside the timed region.
        await yieldToEventLoop();
        lastYield = performance.now();
      }
    }
    held.ranOnce = true;
    return samples;
  }

  async release(sessionId: string): Promise<void> {
    const held = this.get(sessionId);
    this.sessions.delete(sessionId);
    this.handles.releaseSession(sessionId);
    await this.exclusive(() => held.session.release());
  }

  workers(): WorkerSnapshot[] {
    return [];
  }

  private get(sessionId: string): HeldSession {
    const held = this.sessions.get(sessionId);
    if (held === undefined) {
      throw new SessionNotFoundError(`no session "${sessionId}" on this page (released, or never loaded here)`);
    }
    return held;
  }
}

/** A GPU-buffer output the caller did not keep: downloaded, and its buffer freed. */
async function readBack(name: string, t: Ort.Tensor): Promise<NamedTensor> {
  if (!isDType(t.type)) {
    t.dispose();
    throw new UnsupportedDtypeError(`output "${name}" has dtype ${t.type}, which the wire cannot carry`);
  }
  const data = (await t.getData(true)) as ArrayBufferView;
  return wireTensor(name, t.type, t.dims, data);
}

async function fetchModel(url: string): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new ModelLoadError(`could not fetch model from ${url}: ${(error as Error).message}`);
  }
  if (!response.ok) {
    throw new ModelLoadError(`could not fetch model from ${url}: HTTP ${response.status} ${response.statusText}`);
  }
  return new Uint8Array(await response.arrayBuffer());
}
