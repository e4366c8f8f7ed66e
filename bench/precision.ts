/**
 * Issue #18, weight precision: each catalogue precision (fp32, fp16, int8, int4, int2) of one generated model, plus
 * int3 built for the check, on wasm and webgpu in Chromium: does it load and run (onnxruntime-web decides), model
 * bytes, page JS heap after load, in-page latency, and accuracy against the fp32 model's onnxruntime-node outputs
 * (max abs error, cosine, within the documented tolerance). Each config gets a fresh page so heap figures do not
 * carry over. WebGPU here is SwiftShader (a software adapter): its latency is not hardware speed.
 */
import { statSync } from 'node:fs';

import type { Backend, BrowserHarness, TensorMap } from '@browser-pool/browser-harness';
import {
  accuracyOf,
  type BuildPrecision,
  buildTextEmbedding,
  describeHits,
  hitsOn,
  inspectGraph,
  knownWrongHits,
  loadModelBytes,
  ModelCatalogue,
  PRECISION_TOLERANCE,
  runReference,
  SIZES,
  WEIGHT_PRECISIONS,
  withinTolerance,
} from '@browser-pool/models';

import { percentile } from './stats';
import { formatTable } from './table';

export interface PrecisionBenchOptions {
  harness: BrowserHarness;
  quick: boolean;
  record: (name: string, value: unknown) => void;
}

const MODEL = 'bert-small';
const PRECISIONS: BuildPrecision[] = [...WEIGHT_PRECISIONS, 'int3'];
const BACKENDS: Backend[] = ['wasm', 'webgpu'];

async function variantBytes(catalogue: ModelCatalogue, precision: BuildPrecision): Promise<Uint8Array> {
  if (precision === 'int3') {
    return buildTextEmbedding(`${MODEL}-int3`, SIZES.small, 20261123, 'int3');
  }
  return loadModelBytes(await catalogue.get(precision === 'fp32' ? MODEL : `${MODEL}-${precision}`).source());
}

const mb = (bytes: number): string => (bytes / 1048576).toFixed(2);

export async function precisionSweep(opts: PrecisionBenchOptions): Promise<void> {
  const catalogue = ModelCatalogue.default();
  const inputs: TensorMap = catalogue.get(MODEL).sampleInputs({ batch: 1, seed: 7 });
  const fp32Source = await catalogue.get(MODEL).source();
  const reference = Object.values(await runReference(fp32Source, inputs))[0]!.data as Float32Array;
  const iterations = opts.quick ? 10 : 40;
  const rows: string[][] = [];
  const raw: Record<string, unknown>[] = [];
  let ortVersion = 'unknown';
  for (const precision of PRECISIONS) {
    const bytes = await variantBytes(catalogue, precision);
    const hits = knownWrongHits(inspectGraph(bytes));
    for (const backend of BACKENDS) {
      const connection = await opts.harness.launch('chromium');
      ortVersion = connection.capabilities.ortVersion;
      const row: Record<string, unknown> = { precision, backend, bytes: bytes.byteLength };
      try {
        const before = await connection.memory();
        const info = await connection.load(`${MODEL}-${precision}`, { kind: 'bytes', bytes }, backend);
        const after = await connection.memory();
        // a first WebGPU run compiles shaders on a software adapter: allow minutes, not the default 30 s
        const out = (await connection.run(info.sessionId, inputs, { timeoutMs: 600_000 })).outputs;
        const runs = backend === 'webgpu' ? Math.ceil(iterations / 4) : iterations;
        const samples = await connection.loop(info.sessionId, inputs, 2, runs, { timeoutMs: 600_000 });
        const accuracy = accuracyOf(reference, Object.values(out)[0]!.data as Float32Array);
        const known = hitsOn(hits, backend, ortVersion);
        const ok = precision !== 'int3' && withinTolerance(precision, accuracy);
        Object.assign(row, { runs: true, heapBytes: after === undefined || before === undefined ? null : after - before, p50Ms: percentile(samples, 50), ...accuracy, withinTolerance: ok, knownWrong: known.length > 0 ? describeHits(known) : null });
        rows.push([
          precision,
          backend,
          known.length > 0 ? `yes, wrong (${known[0]!.caseId})` : 'yes',
          mb(bytes.byteLength),
          after === undefined || before === undefined ? '-' : mb(after - before),
          percentile(samples, 50).toFixed(2),
          accuracy.maxAbs.toExponential(2),
          accuracy.cosine.toFixed(5),
          precision === 'int3' ? '-' : `${ok ? 'ok' : 'FAIL'} (rel<=${PRECISION_TOLERANCE[precision].relMaxAbs}, cos>=${PRECISION_TOLERANCE[precision].minCosine})`,
        ]);
      } catch (error) {
        const message = (error as Error).message;
        const why = /Only 2b(, | and )4b/.exec(message) !== null ? `no: MatMulNBits bits=3 refused (${/Only[^.]*/.exec(message)![0]})` : `no: ${message.slice(0, 120)}`;
        Object.assign(row, { runs: false, error: message.slice(0, 500) });
        rows.push([precision, backend, why, mb(bytes.byteLength), '-', '-', '-', '-', '-']);
      } finally {
        await connection.close();
      }
      raw.push(row);
    }
  }
  console.log(`\nWeight precision x backend: ${MODEL} (batch 1), Chromium, onnxruntime-web ${ortVersion}; accuracy vs the fp32 model on onnxruntime-node; ` +
    `latency = in-page p50 of ${iterations} runs (webgpu ${Math.ceil(iterations / 4)}); heap = page JS heap growth over the load (performance.memory); webgpu = SwiftShader, not hardware`);
  console.log(formatTable(['precision', 'backend', 'runs', 'model MB', 'heap MB', 'p50 ms', 'max abs err', 'cosine', 'tolerance'], rows));
  console.log(`fp32 file: ${statSync((fp32Source as { path: string }).path).size} bytes`);
  opts.record('precision', { model: MODEL, ortVersion, iterations, rows: raw });
}
