/**
 * Error classes shared by the orchestrator and the page. Every error carries a stable `code`; the codec below turns
 * an error into a plain object that crosses the wire and rebuilds the same class on the other side.
 */

/** Stable error codes. Callers branch on these, never on messages. */
export const ErrorCode = {
  Timeout: 'E_TIMEOUT',
  Aborted: 'E_ABORTED',
  ConnectionLost: 'E_CONNECTION_LOST',
  WorkerLost: 'E_WORKER_LOST',
  Protocol: 'E_PROTOCOL',
  InvalidInput: 'E_INVALID_INPUT',
  UnsupportedDtype: 'E_UNSUPPORTED_DTYPE',
  ModelNotFound: 'E_MODEL_NOT_FOUND',
  ModelLoad: 'E_MODEL_LOAD',
  SessionNotFound: 'E_SESSION_NOT_FOUND',
  Inference: 'E_INFERENCE',
  BackendUnavailable: 'E_BACKEND_UNAVAILABLE',
  KnownWrongKernel: 'E_KNOWN_WRONG_KERNEL',
  BrowserUnavailable: 'E_BROWSER_UNAVAILABLE',
  InvalidOptions: 'E_INVALID_OPTIONS',
  Closed: 'E_CLOSED',
  QueueFull: 'E_QUEUE_FULL',
  CircuitOpen: 'E_CIRCUIT_OPEN',
  NoConnection: 'E_NO_CONNECTION',
  TensorTooLarge: 'E_TENSOR_TOO_LARGE',
  HandleReleased: 'E_HANDLE_RELEASED',
  HandleElsewhere: 'E_HANDLE_ELSEWHERE',
  HandleLost: 'E_HANDLE_LOST',
  Internal: 'E_INTERNAL',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Base class of every error this project throws on purpose. */
export class BrowserPoolError extends Error {
  readonly code: ErrorCode;
  /** Extra structured facts (e.g. which backend failed and why); must be JSON-serializable. */
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options?.details;
  }

  override get name(): string {
    return this.constructor.name;
  }
}

type ErrorOptions = ConstructorParameters<typeof BrowserPoolError>[2];

/** A call did not complete before its deadline. */
export class TimeoutError extends BrowserPoolError {
  constructor(message: string, options?: ErrorOptions) {
    super(ErrorCode.Timeout, message, options);
  }
}
/** The caller aborted the call through its AbortSignal. */
export class AbortedError extends BrowserPoolError {
  constructor(message: string, options?: ErrorOptions) {
    super(ErrorCode.Aborted, message, options);
  }
}
/** The socket to a page closed, or the page stopped answering heartbeats. */
export class ConnectionLostError extends BrowserPoolError {
  constructor(message: string, options?: ErrorOptions) {
    super(ErrorCode.ConnectionLost, message, options);
  }
}
/**
 * The page's Web Worker holding the session missed its deadline or crashed: it was terminated and respawned (its
 * sessions reloaded) while the page stayed connected. The call may be retried, on this connection or another.
 */
export class WorkerLostError extends BrowserPoolError {
  constructor(message: string, options?: ErrorOptions) {
    super(ErrorCode.WorkerLost, message, options);
  }
}
/** A frame that does not follow the wire protocol. */
export class ProtocolError extends BrowserPoolError {
  constructor(message: string, options?: ErrorOptions) {
    super(ErrorCode.Protocol, message, options);
  }
}
/** Inference inputs that do not match the model (names, dtypes, shapes, sizes). */
export class InvalidInputError extends BrowserPoolError {
  constructor(message: string, options?: ErrorOptions) {
    super(ErrorCode.InvalidInput, message, options);
  }
}
/** A tensor element type the wire (or onnxruntime-web) cannot carry, such as `string`. */
export class UnsupportedDtypeError extends BrowserPoolError {
  constructor(message: string, options?: ErrorOptions) {
    super(ErrorCode.UnsupportedDtype, message, options);
  }
}
/** No model of that name is known to the catalogue. */
export class ModelNotFoundError extends BrowserPoolError {
  constructor(message: string, options?: ErrorOptions) {
    super(ErrorCode.ModelNotFound, message, options);
  }
}
/** The model bytes could not be read or onnxruntime-web refused them. */
export class ModelLoadError extends BrowserPoolError {
  constructor(message: string, options?: ErrorOptions) {
    super(ErrorCode.ModelLoad, message, options);
  }
}
/** A run or release named a session the page does not hold (released, or lost with its page). */
export class SessionNotFoundError extends BrowserPoolError {
  constructor(message: string, options?: ErrorOptions) {
    super(ErrorCode.SessionNotFound, message, options);
  }
}
/** onnxruntime-web failed while running a valid request. */
export class InferenceError extends BrowserPoolError {
  constructor(message: string, options?: ErrorOptions) {
    super(ErrorCode.Inference, message, options);
  }
}
/** The requested execution provider (webgpu, webnn, wasm) cannot run in this browser. */
export class BackendUnavailableError extends BrowserPoolError {
  constructor(message: string, options?: ErrorOptions) {
    super(ErrorCode.BackendUnavailable, message, options);
  }
}
/** Every allowed backend is one where the model hits a known-wrong kernel (details list the cases). */
export class KnownWrongKernelError extends BrowserPoolError {
  constructor(message: string, options?: ErrorOptions) {
    super(ErrorCode.KnownWrongKernel, message, options);
  }
}
/** The requested browser is not installed or could not be launched. */
export class BrowserUnavailableError extends BrowserPoolError {
  constructor(message: string, options?: ErrorOptions) {
    super(ErrorCode.BrowserUnavailable, message, options);
  }
}
/** Options that fail validation; the message names the field, the value and what was expected. */
export class InvalidOptionsError extends BrowserPoolError {
  constructor(message: string, options?: ErrorOptions) {
    super(ErrorCode.InvalidOptions, message, options);
  }
}
/** The object was closed before or during the call. */
export class ClosedError extends BrowserPoolError {
  constructor(message: string, options?: ErrorOptions) {
    super(ErrorCode.Closed, message, options);
  }
}
/** The pool's bounded queue is full: the request was refused at once, nothing was queued. */
export class QueueFullError extends BrowserPoolError {
  constructor(message: string, options?: ErrorOptions) {
    super(ErrorCode.QueueFull, message, options);
  }
}
/** The connection's circuit breaker is open: it failed repeatedly and gets no traffic until a probe succeeds. */
export class CircuitOpenError extends BrowserPoolError {
  constructor(message: string, options?: ErrorOptions) {
    super(ErrorCode.CircuitOpen, message, options);
  }
}
/** No healthy connection can take the request (all closed, recovering, or their breakers open). */
export class NoConnectionError extends BrowserPoolError {
  constructor(message: string, options?: ErrorOptions) {
    super(ErrorCode.NoConnection, message, options);
  }
}
/** A call or reply would carry more tensor bytes than `maxTensorBytes`; refused before anything was sent. */
export class TensorTooLargeError extends BrowserPoolError {
  constructor(message: string, options?: ErrorOptions) {
    super(ErrorCode.TensorTooLarge, message, options);
  }
}
/** A tensor handle was released (explicitly, or with the session that made it) before this use. */
export class HandleReleasedError extends BrowserPoolError {
  constructor(message: string, options?: ErrorOptions) {
    super(ErrorCode.HandleReleased, message, options);
  }
}
/** A tensor handle was given to a session on another connection, worker or backend, and no copy was allowed. */
export class HandleElsewhereError extends BrowserPoolError {
  constructor(message: string, options?: ErrorOptions) {
    super(ErrorCode.HandleElsewhere, message, options);
  }
}
/** The connection holding a tensor handle was lost: the tensor is gone with its page. */
export class HandleLostError extends BrowserPoolError {
  constructor(message: string, options?: ErrorOptions) {
    super(ErrorCode.HandleLost, message, options);
  }
}
/** An unexpected failure: a bug, or an error thrown by code we do not own. */
export class InternalError extends BrowserPoolError {
  constructor(message: string, options?: ErrorOptions) {
    super(ErrorCode.Internal, message, options);
  }
}

const classByCode: Record<ErrorCode, new (message: string, options?: ErrorOptions) => BrowserPoolError> = {
  E_TIMEOUT: TimeoutError,
  E_ABORTED: AbortedError,
  E_CONNECTION_LOST: ConnectionLostError,
  E_WORKER_LOST: WorkerLostError,
  E_PROTOCOL: ProtocolError,
  E_INVALID_INPUT: InvalidInputError,
  E_UNSUPPORTED_DTYPE: UnsupportedDtypeError,
  E_MODEL_NOT_FOUND: ModelNotFoundError,
  E_MODEL_LOAD: ModelLoadError,
  E_SESSION_NOT_FOUND: SessionNotFoundError,
  E_INFERENCE: InferenceError,
  E_BACKEND_UNAVAILABLE: BackendUnavailableError,
  E_KNOWN_WRONG_KERNEL: KnownWrongKernelError,
  E_BROWSER_UNAVAILABLE: BrowserUnavailableError,
  E_INVALID_OPTIONS: InvalidOptionsError,
  E_CLOSED: ClosedError,
  E_QUEUE_FULL: QueueFullError,
  E_CIRCUIT_OPEN: CircuitOpenError,
  E_NO_CONNECTION: NoConnectionError,
  E_TENSOR_TOO_LARGE: TensorTooLargeError,
  E_HANDLE_RELEASED: HandleReleasedError,
  E_HANDLE_ELSEWHERE: HandleElsewhereError,
  E_HANDLE_LOST: HandleLostError,
  E_INTERNAL: InternalError,
};

/** The plain form of an error on the wire. */
export interface SerializedError {
  name: string;
  code: string;
  message: string;
  stack?: string | undefined;
  details?: Record<string, unknown> | undefined;
}

function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(classByCode, code);
}

/** Turns any thrown value into its wire form; foreign errors become `E_INTERNAL` with their own name kept. */
export function serializeError(error: unknown): SerializedError {
  if (error instanceof BrowserPoolError) {
    return {
      name: error.name,
      code: error.code,
      message: error.message,
      stack: error.stack,
      details: error.details === undefined ? undefined : { ...error.details },
    };
  }
  if (error instanceof Error) {
    return { name: error.name, code: ErrorCode.Internal, message: error.message, stack: error.stack };
  }
  return { name: 'Error', code: ErrorCode.Internal, message: String(error) };
}

/**
 * Rebuilds the error class named by `code`. The remote stack is kept under `remoteStack` in the message tail so the
 * local stack still points at the call site, as Playwright does with its rebuilt errors.
 */
export function deserializeError(wire: SerializedError): BrowserPoolError {
  const code: ErrorCode = isErrorCode(wire.code) ? wire.code : ErrorCode.Internal;
  const Ctor = classByCode[code];
  const details = { ...(wire.details ?? {}), ...(wire.stack === undefined ? {} : { remoteStack: wire.stack }) };
  return new Ctor(wire.message, { details });
}
