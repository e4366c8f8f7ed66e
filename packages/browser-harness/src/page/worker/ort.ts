/**
 * Loads onnxruntime-web inside a session worker, from the page's own ORT route (the worker has no page URL), and
 * makes it instantiate the WASM module the page compiled once (see `compileOrtWasm`) instead of compiling its own.
 *
 * onnxruntime-web 1.30 has no option for a compiled module (`env.wasm.wasmBinary` takes bytes, which every worker
 * would compile again; Chromium then also tiers each copy up in the background for ~30 s). Its emscripten glue does
 * honour emscripten's `instantiateWasm(imports, done)` hook, but ORT builds the glue's config itself. So ORT is
 * pointed (`env.wasm.wasmPaths.mjs`) at a three-line module of ours, a blob URL, that imports the real glue from
 * /ort/ and calls it with `instantiateWasm` added. The glue hands the same module to its pthread workers, so WASM
 * threads share the compiled code too. A worker given no module (the page's compile failed) compiles its own.
 */
import { ORT_GLUE_FILE, ORT_WASM_FILE } from '../ort-files';
import type { OrtModule } from '../ort-loader';
import type { InitMessage, WasmSource } from './messages';

/** Where the wrapper module finds the hook (a global of this worker only; the blob module cannot be handed objects). */
const HOOK = '__browserPoolInstantiateOrtWasm';

type Instantiated = (instance: WebAssembly.Instance, module: WebAssembly.Module) => void;

/** Emscripten's `instantiateWasm`: instantiates `module`; should that fail, compiles from `wasmUrl` as ORT would. */
function instantiateFrom(module: WebAssembly.Module, wasmUrl: string, onWasm: (source: WasmSource) => void) {
  return (imports: WebAssembly.Imports, done: Instantiated): object => {
    WebAssembly.instantiate(module, imports).then(
      (instance) => {
        onWasm('shared module');
        done(instance, module);
      },
      async () => {
        const fresh = await WebAssembly.instantiateStreaming(fetch(wasmUrl, { credentials: 'same-origin' }), imports);
        onWasm('own compile');
        done(fresh.instance, fresh.module);
      },
    );
    return {}; // emscripten: the exports come through `done`
  };
}

function wrapperUrl(glueUrl: string): string {
  const source =
    `import factory from ${JSON.stringify(glueUrl)};\n` +
    `export default (config) => factory(Object.assign(config, { instantiateWasm: globalThis.${HOOK} }));\n`;
  return URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
}

/** `onWasm` hears where ORT's WASM came from once it is instantiated (at once when no module was given). */
export async function loadOrtInWorker(init: InitMessage, onWasm: (source: WasmSource) => void): Promise<OrtModule> {
  const ort = (await import(/* @vite-ignore */ `${init.ortBase}ort.min.mjs`)) as OrtModule;
  const wasmUrl = `${init.ortBase}${ORT_WASM_FILE}`;
  if (init.wasmModule === undefined) {
    ort.env.wasm.wasmPaths = init.ortBase;
    onWasm('own compile');
  } else {
    (globalThis as Record<string, unknown>)[HOOK] = instantiateFrom(init.wasmModule, wasmUrl, onWasm);
    ort.env.wasm.wasmPaths = { mjs: wrapperUrl(`${init.ortBase}${ORT_GLUE_FILE}`), wasm: wasmUrl };
  }
  ort.env.logLevel = 'error';
  // The page decided the thread count (cross-origin isolated: WASM threads on); each worker uses the same.
  ort.env.wasm.numThreads = init.numThreads;
  return ort;
}
