/** Loads onnxruntime-web inside a session worker, from the page's own ORT route (the worker has no page URL). */
import type { OrtModule } from '../ort-loader';
import type { InitMessage } from './messages';

export async function loadOrtInWorker(init: InitMessage): Promise<OrtModule> {
  const ort = (await import(/* @vite-ignore */ `${init.ortBase}ort.min.mjs`)) as OrtModule;
  ort.env.wasm.wasmPaths = init.ortBase;
  ort.env.logLevel = 'error';
  // The page decided the thread count (cross-origin isolated: WASM threads on); each worker uses the same.
  ort.env.wasm.numThreads = init.numThreads;
  return ort;
}
