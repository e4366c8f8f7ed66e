/**
 * `npm run demo`: a pool on local Chromium runs every model type on wasm and webgpu and prints where each ran and
 * how fast. Every number is measured in this run; a software WebGPU adapter is labelled as such. The pool records
 * into the benchmark database (BENCHMARK_DB_PATH, default ./benchmark_db.duckdb) and the demo writes the HTML
 * report built from everything stored there.
 */
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';

import type { Backend } from '@browser-pool/browser-harness';
import { createPool } from '@browser-pool/cli';
import { defaultDbPath } from '@browser-pool/db-integration';
import type { ModelType } from '@browser-pool/models';

import { percentile } from '../bench/stats';
import { formatTable } from '../bench/table';

const MODELS: [ModelType, string][] = [
  ['text_embedding', 'bert-tiny'],
  ['vision', 'vit-tiny'],
  ['audio', 'audio-encoder-tiny'],
  ['audio', 'silero-vad'],
];
const BACKENDS: Backend[] = ['wasm', 'webgpu'];
const RUNS = 20;

const dbPath = resolve(defaultDbPath());
const reportPath = resolve('benchmark-report.html');
const pool = await createPool({ dbPath });
console.log('browser-pool demo: starting Chromium and the worker page...');
await pool.initialize();
const [connection] = pool.connections;
if (connection !== undefined) {
  const gpu = connection.capabilities.webgpu;
  console.log(
    `connected: ${connection.browser} ${connection.connection.browserVersion}, onnxruntime-web ${connection.capabilities.ortVersion}, ` +
      `WebGPU: ${gpu.available ? `${gpu.adapter.vendor}/${gpu.adapter.architecture}${gpu.isRealHardware ? '' : ' (software adapter, not real GPU hardware)'}` : gpu.reason}\n`,
  );
}

const rows: string[][] = [];
for (const [type, name] of MODELS) {
  for (const backend of BACKENDS) {
    const model = await pool.getModel(type, name, { backends: [backend, 'wasm'] });
    const inputs = pool.options.catalogue.get(name).sampleInputs();
    await model.run(inputs); // first run: shader compilation / warm-up, reported separately by the bench
    const compute: number[] = [];
    const e2e: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const r = await model.run(inputs);
      compute.push(r.timings.computeMs);
      e2e.push(r.timings.endToEndMs);
    }
    const p = model.placement;
    const adapter =
      p.backend === 'webgpu' && p.adapter?.available === true
        ? `${p.adapter.adapter.architecture}${p.isRealHardware ? '' : ' (software)'}`
        : p.backend === 'wasm'
          ? `cpu (${connection?.capabilities.wasm.numThreads ?? 1} thread)`
          : '-';
    rows.push([
      `${name} (${type})`,
      `${backend} -> ${p.backend}${p.fallbacks.length > 0 ? ' (fallback)' : ''}`,
      adapter,
      model.loadTimings.createMs.toFixed(0),
      percentile(compute, 50).toFixed(2),
      percentile(e2e, 50).toFixed(2),
    ]);
    await model.release();
  }
}
const recommendations = await pool.getBrowserRecommendations();
await writeFile(reportPath, await pool.getPerformanceReport({ format: 'html' }));
await pool.close();

console.log(
  formatTable(['model', 'backend requested -> actual', 'adapter', 'session create ms', 'p50 in-page ms', 'p50 end-to-end ms'], rows),
);
console.log(`\n${RUNS} measured runs per row after one warm-up run. WebNN was probed too; run \`npm test\` to see it refused with its reason.`);
console.log('\nRecommendations from everything stored so far (software adapters only where nothing else was measured):');
console.log(
  formatTable(
    ['model type', 'model', 'browser/backend', 'p50 ms', 'samples', 'confidence'],
    recommendations.map((r) => [r.modelType, r.model ?? '(type)', `${r.browser}/${r.backend}`, r.p50LatencyMs.toFixed(2), String(r.samples), r.confidence]),
  ),
);
console.log(`\nRecorded into ${dbPath}\nHTML report: ${reportPath}`);
console.log(
  `\nExplore it with the CLI (npx browser-pool --help):\n` +
    `  npx browser-pool --db ${dbPath} compare --model vit-tiny --by backend\n` +
    `  npx browser-pool --db ${dbPath} bench --models vit-tiny --browsers chromium --backends wasm,webgpu --missing-only\n` +
    `  npx browser-pool --db ${dbPath} serve`,
);
