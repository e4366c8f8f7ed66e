/**
 * Warms a spare session worker: onnxruntime-web instantiates its WASM (fetch, compile, thread pool) only when the
 * first session is created, which is most of a fresh worker's cost (1.4 s on an idle 2-core machine). A spare that
 * has already paid it can take over a lost worker's sessions at the cost of reloading them.
 */
import type { OrtModule } from '../ort-loader';

/**
 * A 65-byte ONNX model (opset 17, `y = Identity(x)`, x: float32[1]), written once with onnx-proto: the smallest
 * session that makes ORT instantiate its WASM backend. Checked against onnxruntime-node when it was made.
 */
const IDENTITY_MODEL_BASE64 = 'CAg6NwoQCgF4EgF5IghJZGVudGl0eRIBd1oPCgF4EgoKCAgBEgQKAggBYg8KAXkSCgoICAESBAoCCAFCBAoAEBE=';

/** Creates, runs once and releases a tiny WASM session, leaving ORT's WASM instantiated in this worker. */
export async function warmUp(ort: OrtModule): Promise<void> {
  const bytes = Uint8Array.from(atob(IDENTITY_MODEL_BASE64), (c) => c.charCodeAt(0));
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
  try {
    await session.run({ x: new ort.Tensor('float32', new Float32Array([1]), [1]) });
  } finally {
    await session.release();
  }
}
