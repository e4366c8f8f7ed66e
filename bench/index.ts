/**
 * `npm run bench [-- --quick]`: runs the benchmarks and prints side-by-side tables (our path vs a baseline measured
 * in the same run). Raw figures are written to bench-results/<timestamp>.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';

import { BrowserHarness } from '@browser-pool/browser-harness';
import { ModelCatalogue } from '@browser-pool/models';

import { type BenchContext, bridgeOverhead, tensorRoundTrip, throughput } from './bridge';

const quick = process.argv.includes('--quick');
const results: Record<string, unknown> = {};
const harness = await BrowserHarness.start();
try {
  const connection = await harness.launch('chromium');
  console.log(`browser-pool bench${quick ? ' (quick)' : ''}: ${connection.browser} ${connection.browserVersion}, ` +
    `onnxruntime-web ${connection.capabilities.ortVersion}, wasm threads ${connection.capabilities.wasm.numThreads}, ${connection.capabilities.hardwareConcurrency} cores`);
  const ctx: BenchContext = { harness, connection, catalogue: ModelCatalogue.default(), quick, record: (k, v) => (results[k] = v) };
  await bridgeOverhead(ctx);
  await throughput(ctx);
  await tensorRoundTrip(ctx);
} finally {
  await harness.close();
}
await mkdir('bench-results', { recursive: true });
const file = `bench-results/${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
await writeFile(file, JSON.stringify({ at: new Date().toISOString(), quick, results }, null, 2));
console.log(`\nraw figures: ${file}`);
