/**
 * The wire protocol: a tagged union of messages, validated with zod at every boundary. Requests go from the
 * orchestrator (Node) to the page and carry an `id`; every reply echoes it. Tensors never travel inside the JSON:
 * they ride in the binary part of the same frame (see `framing.ts`).
 */
import { z } from 'zod';

export const PROTOCOL_VERSION = 2;

export const BACKENDS = ['webgpu', 'webnn', 'wasm'] as const;
/** An onnxruntime-web execution provider. */
export type Backend = (typeof BACKENDS)[number];
export const backendSchema = z.enum(BACKENDS);

export const WEBNN_DEVICES = ['cpu', 'gpu', 'npu'] as const;
export type WebnnDevice = (typeof WEBNN_DEVICES)[number];

/** The serializable subset of session options that is sent to the page. */
export const sessionOptionsSchema = z
  .object({
    graphOptimizationLevel: z.enum(['disabled', 'basic', 'extended', 'all']).optional(),
    freeDimensionOverrides: z.record(z.string(), z.number().int().nonnegative()).optional(),
    webgpu: z
      .object({
        preferredLayout: z.enum(['NCHW', 'NHWC']).optional(),
        enableGraphCapture: z.boolean().optional(),
        /** Outputs stay in GPU buffers (`preferredOutputLocation: 'gpu-buffer'`): kept ones as handles, the rest read back. */
        outputsOnDevice: z.boolean().optional(),
      })
      .strict()
      .optional(),
    webnn: z.object({ deviceType: z.enum(WEBNN_DEVICES).optional() }).strict().optional(),
  })
  .strict();
export type SessionOptionsWire = z.infer<typeof sessionOptionsSchema>;

const serializedErrorSchema = z.object({
  name: z.string(),
  code: z.string(),
  message: z.string(),
  stack: z.string().optional(),
  details: z.record(z.string(), z.unknown()).optional(),
});

const id = z.number().int().nonnegative();
/**
 * The time left to the call in Node when it was sent, in ms. Pages with workers give the worker holding the session
 * until then (less the reply's way back); a worker that misses it is terminated and respawned.
 */
const deadlineMs = z.number().positive().optional();

// ---- requests: Node -> page ----
export const probeRequestSchema = z.object({ type: z.literal('probe'), id }).strict();
export const loadRequestSchema = z
  .object({
    type: z.literal('load'),
    id,
    modelId: z.string().min(1),
    /** `url`: the page fetches it (page server); `inline`: the bytes ride in the frame as tensor `model` (uint8). */
    source: z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('url'), url: z.string().min(1) }).strict(),
      z.object({ kind: z.literal('inline') }).strict(),
    ]),
    backend: backendSchema,
    options: sessionOptionsSchema,
    deadlineMs,
  })
  .strict();
const handleId = z.string().min(1).max(64);
export const runRequestSchema = z
  .object({
    type: z.literal('run'),
    id,
    sessionId: z.string(),
    outputNames: z.array(z.string()).optional(),
    /** Outputs the page keeps as tensor handles instead of sending back. */
    keep: z.array(z.string()).optional(),
    /** Inputs given as handles the page holds (from an earlier run with `keep`). */
    handleInputs: z.array(z.object({ name: z.string(), handleId }).strict()).optional(),
    /** A GPU-buffer handle may feed a session of another backend by a copy inside the page (recorded in the reply). */
    copyHandles: z.boolean().optional(),
    deadlineMs,
  })
  .strict();
/** Reads a handle's tensor back (`read: true`) and/or drops handles. */
export const handleRequestSchema = z
  .object({ type: z.literal('handle'), id, read: handleId.optional(), release: z.array(handleId).max(1024).optional() })
  .strict();
/** Runs the same inputs `iterations` times inside the page: the in-page baseline for bridge-overhead benchmarks. */
export const loopRequestSchema = z
  .object({
    type: z.literal('loop'),
    id,
    sessionId: z.string(),
    warmup: z.number().int().nonnegative(),
    iterations: z.number().int().positive().max(1_000_000),
    deadlineMs,
  })
  .strict();
export const releaseRequestSchema = z.object({ type: z.literal('release'), id, sessionId: z.string() }).strict();
export const pingRequestSchema = z.object({ type: z.literal('ping'), id }).strict();
/** The page's JS heap in use, where the browser exposes it (Chromium's performance.memory). */
export const memoryRequestSchema = z.object({ type: z.literal('memory'), id }).strict();
/** The page's session workers: count, sessions, state (an empty list on pages whose sessions are on the main thread). */
export const workersRequestSchema = z.object({ type: z.literal('workers'), id }).strict();

export const requestSchema = z.discriminatedUnion('type', [
  probeRequestSchema,
  loadRequestSchema,
  runRequestSchema,
  loopRequestSchema,
  releaseRequestSchema,
  pingRequestSchema,
  memoryRequestSchema,
  workersRequestSchema,
  handleRequestSchema,
]);
export type Request = z.infer<typeof requestSchema>;
export type RequestType = Request['type'];

// ---- capabilities ----
const webgpuSchema = z.discriminatedUnion('available', [
  z.object({ available: z.literal(false), reason: z.string() }),
  z.object({
    available: z.literal(true),
    adapter: z.object({
      vendor: z.string(),
      architecture: z.string(),
      device: z.string(),
      description: z.string(),
      isFallbackAdapter: z.boolean(),
    }),
    features: z.array(z.string()),
    limits: z.record(z.string(), z.number()),
    /** false for software adapters (SwiftShader, lavapipe, llvmpipe, or any fallback adapter). */
    isRealHardware: z.boolean(),
    softwareReason: z.string().optional(),
  }),
]);
const webnnDeviceSchema = z.discriminatedUnion('available', [
  z.object({ available: z.literal(true) }),
  z.object({ available: z.literal(false), error: z.string() }),
]);
export const capabilitiesSchema = z.object({
  userAgent: z.string(),
  webgpu: webgpuSchema,
  webnn: z.object({
    apiPresent: z.boolean(),
    devices: z.object({ cpu: webnnDeviceSchema, gpu: webnnDeviceSchema, npu: webnnDeviceSchema }),
  }),
  wasm: z.object({ simd: z.boolean(), threads: z.boolean(), numThreads: z.number().int().positive() }),
  crossOriginIsolated: z.boolean(),
  hardwareConcurrency: z.number().int().nonnegative(),
  deviceMemoryGb: z.number().nullable(),
  ortVersion: z.string(),
  /** How frames reach the bridge: through the page's relay SharedWorker, or a socket of the page's own. */
  transport: z.enum(['relay', 'direct']),
  /**
   * Dedicated Web Workers holding this page's sessions (`harness.pageWorkers`), with WebGPU as probed inside a worker
   * (it may differ from the page's). Absent: sessions live on the page's main thread.
   */
  workers: z.object({ count: z.number().int().positive(), webgpu: webgpuSchema }).optional(),
});
export type Capabilities = z.infer<typeof capabilitiesSchema>;
export type WebgpuCapability = Capabilities['webgpu'];

export const sessionInfoSchema = z.object({
  sessionId: z.string(),
  modelId: z.string(),
  requestedBackend: backendSchema,
  /** The execution provider the session was actually created with. */
  backend: backendSchema,
  inputs: z.array(
    z.object({ name: z.string(), dtype: z.string().nullable(), dims: z.array(z.union([z.number(), z.string()])).nullable() }),
  ),
  outputNames: z.array(z.string()),
  timings: z.object({ fetchMs: z.number(), createMs: z.number() }),
});
export type SessionInfo = z.infer<typeof sessionInfoSchema>;

export const WORKER_STATES = ['starting', 'ready', 'respawning'] as const;
export const workerSnapshotSchema = z.object({
  index: z.number().int().nonnegative(),
  state: z.enum(WORKER_STATES),
  /** `replica`: an extra copy of a session another worker holds, made while its calls queued (see pageReplicaBudgetMB). */
  sessions: z.array(z.object({ sessionId: z.string(), modelId: z.string(), replica: z.boolean().optional() })),
  /** Calls sent to the worker and not yet answered. */
  inFlight: z.number().int().nonnegative(),
  respawns: z.number().int().nonnegative(),
  /** Where the worker's ORT WASM came from: the module the page compiled once, or its own compile (absent: not yet). */
  wasm: z.enum(['shared module', 'own compile']).optional(),
  /** Why the worker was last replaced, and how long terminate-to-sessions-reloaded took (null while reloading). */
  lastLoss: z
    .object({
      reason: z.string(),
      respawnMs: z.number().nonnegative().nullable(),
      /** What replaced the worker: the page's spare with ORT's WASM ready, a spare still warming, or a fresh worker. */
      replacement: z.enum(['warm spare', 'warming spare', 'fresh']).optional(),
      /** Sessions the replacement already held as standby copies (the spare's), so they were not reloaded. */
      standby: z.number().int().nonnegative().optional(),
    })
    .optional(),
});
export type WorkerSnapshot = z.infer<typeof workerSnapshotSchema>;

// ---- replies and events: page -> Node ----
/** A tensor kept in the page: in a GPU buffer (WebGPU `gpu-buffer` output) or in the page's memory (`cpu`). */
export const keptTensorSchema = z.object({
  name: z.string(),
  handleId,
  dtype: z.string(),
  dims: z.array(z.number().int().nonnegative()),
  location: z.enum(['gpu-buffer', 'cpu']),
  sessionId: z.string(),
  backend: backendSchema,
});
export type KeptTensor = z.infer<typeof keptTensorSchema>;
export const helloSchema = z
  .object({
    type: z.literal('hello'),
    /** The harness secret from the page's own URL: proves the page was opened by this orchestrator. */
    secret: z.string().max(1024),
    connectionId: z.string().max(256),
    protocolVersion: z.number().int(),
    userAgent: z.string().max(1024),
  })
  .strict();
export const probeReplySchema = z.object({ type: z.literal('probe.ok'), id, capabilities: capabilitiesSchema }).strict();
export const loadReplySchema = z.object({ type: z.literal('load.ok'), id, session: sessionInfoSchema }).strict();
export const runReplySchema = z
  .object({
    type: z.literal('run.ok'),
    id,
    /**
     * In-page times: `computeMs` around `session.run`; `handleMs` from the request frame's arrival to the reply's
     * send (decode, checks, tensor conversion, compute, encode). `firstRun` marks the session's first run.
     * `computeStartedAt`: when `session.run` began, in ms since the Unix epoch by the thread that ran it
     * (`performance.timeOrigin + performance.now()`), so runs on different workers can be lined up.
     */
    timings: z.object({ computeMs: z.number(), handleMs: z.number(), firstRun: z.boolean(), computeStartedAt: z.number().optional() }),
    /** Outputs kept in the page (`keep`), by name; their bytes did not travel. */
    handles: z.array(keptTensorSchema).optional(),
    /** Handle inputs that were copied inside the page to reach this session's backend (`copyHandles`). */
    copiedHandles: z.array(z.string()).optional(),
  })
  .strict();
/** Answers `handle`: the read tensor rides in the frame; `released` lists the handles dropped by this call. */
export const handleReplySchema = z.object({ type: z.literal('handle.ok'), id, released: z.array(z.string()) }).strict();
export const loopReplySchema = z.object({ type: z.literal('loop.ok'), id, samplesMs: z.array(z.number()) }).strict();
export const releaseReplySchema = z.object({ type: z.literal('release.ok'), id }).strict();
export const pongSchema = z.object({ type: z.literal('pong'), id }).strict();
export const memoryReplySchema = z
  .object({ type: z.literal('memory.ok'), id, jsHeapUsedBytes: z.number().nonnegative().nullable() })
  .strict();
export const workersReplySchema = z.object({ type: z.literal('workers.ok'), id, workers: z.array(workerSnapshotSchema) }).strict();
export const errorReplySchema = z
  .object({ type: z.literal('error'), id: id.nullable(), error: serializedErrorSchema })
  .strict();

export const pageMessageSchema = z.discriminatedUnion('type', [
  helloSchema,
  probeReplySchema,
  loadReplySchema,
  runReplySchema,
  loopReplySchema,
  releaseReplySchema,
  pongSchema,
  memoryReplySchema,
  workersReplySchema,
  handleReplySchema,
  errorReplySchema,
]);
export type PageMessage = z.infer<typeof pageMessageSchema>;
export type Hello = z.infer<typeof helloSchema>;
export type ErrorReply = z.infer<typeof errorReplySchema>;

/** Which reply answers which request. */
export interface ReplyByRequest {
  probe: z.infer<typeof probeReplySchema>;
  load: z.infer<typeof loadReplySchema>;
  run: z.infer<typeof runReplySchema>;
  loop: z.infer<typeof loopReplySchema>;
  release: z.infer<typeof releaseReplySchema>;
  ping: z.infer<typeof pongSchema>;
  memory: z.infer<typeof memoryReplySchema>;
  workers: z.infer<typeof workersReplySchema>;
  handle: z.infer<typeof handleReplySchema>;
}
export const REPLY_TYPE: { [K in RequestType]: ReplyByRequest[K]['type'] } = {
  probe: 'probe.ok',
  load: 'load.ok',
  run: 'run.ok',
  loop: 'loop.ok',
  release: 'release.ok',
  ping: 'pong',
  memory: 'memory.ok',
  workers: 'workers.ok',
  handle: 'handle.ok',
};

/** A request as the caller writes it: the channel assigns the id. */
export type RequestBody<K extends RequestType> = Omit<Extract<Request, { type: K }>, 'id'>;

/** Formats zod issues as `path: message` lines for error messages. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length > 0 ? i.path.join('.') : '(frame)'}: ${i.message}`)
    .join('; ');
}
