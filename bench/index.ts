/**
 * `npm run bench [-- --quick] [-- --suite bridge|large|pool|workers|db|toolset|dashboard|precision|pipeline|handoff|scale-out]`: runs the benchmarks and prints side-by-side tables (our path
 * vs a baseline measured in the same run). Raw figures are written to bench-results/<timestamp>.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';

import { BrowserHarness } from '@browser-pool/browser-harness';
import { ModelCatalogue } from '@browser-pool/models';

import { type BenchContext, bridgeOverhead, tensorRoundTrip, throughput } from './bridge';
import { dashboardBench } from './dashboard';
import { detectorQuality, recorderIngest, reportAndScanAtScale } from './db';
import { handoffBench } from './handoff';
import { ingestBench } from './ingest';
import { largeTensors } from './large-tensors';
import { pipelineBench } from './pipeline';
import { mixedWorkload, recoveryTime } from './pool';
import { precisionSweep } from './precision';
import { scaleOutBench } from './scale-out';
import { restThroughput, runnerOverhead } from './toolset';
import { workersBench } from './workers';

const quick = process.argv.includes('--quick');
const suiteAt = process.argv.indexOf('--suite');
const suite = suiteAt === -1 ? 'all' : process.argv[suiteAt + 1];
if (!['all', 'bridge', 'large', 'pool', 'workers', 'db', 'toolset', 'ingest', 'dashboard', 'precision', 'pipeline', 'handoff', 'scale-out'].includes(suite ?? '')) {
  console.error(`unknown --suite ${suite}; use bridge, large (the large-tensor rows alone), pool, workers, db, toolset, ingest, dashboard, precision, pipeline, handoff, scale-out or all`);
  process.exit(2);
}
const results: Record<string, unknown> = {};
const record = (k: string, v: unknown): void => {
  results[k] = v;
};
const harness = await BrowserHarness.start();
try {
  if (suite === 'all' || suite === 'bridge' || suite === 'large') {
    const connection = await harness.launch('chromium');
    console.log(`browser-pool bench${quick ? ' (quick)' : ''}: ${connection.browser} ${connection.browserVersion}, ` +
      `onnxruntime-web ${connection.capabilities.ortVersion}, wasm threads ${connection.capabilities.wasm.numThreads}, ${connection.capabilities.hardwareConcurrency} cores`);
    const ctx: BenchContext = { harness, connection, catalogue: ModelCatalogue.default(), quick, record };
    if (suite !== 'large') {
      await bridgeOverhead(ctx);
      await throughput(ctx);
      await tensorRoundTrip(ctx);
    }
    await largeTensors(ctx);
    await connection.close();
  }
  if (suite === 'all' || suite === 'precision') {
    await precisionSweep({ harness, quick, record });
  }
  if (suite === 'all' || suite === 'pipeline') {
    await pipelineBench({ quick, record });
  }
  if (suite === 'all' || suite === 'handoff') {
    await handoffBench({ harness, quick, record });
  }
  if (suite === 'all' || suite === 'pool') {
    await mixedWorkload({ quick, record });
    await recoveryTime({ quick, record });
  }
  if (suite === 'all' || suite === 'workers') {
    await workersBench({ quick, record });
  }
  if (suite === 'all' || suite === 'db') {
    await recorderIngest({ quick, record });
    await reportAndScanAtScale({ quick, record });
    detectorQuality({ quick, record });
  }
  if (suite === 'all' || suite === 'ingest') {
    await ingestBench({ quick, record });
  }
  if (suite === 'all' || suite === 'scale-out') {
    await scaleOutBench({ quick, record });
  }
  if (suite === 'all' || suite === 'dashboard') {
    await dashboardBench({ quick, record });
  }
  if (suite === 'all' || suite === 'toolset') {
    await runnerOverhead({ quick, record });
    await restThroughput({ quick, record });
  }
} finally {
  await harness.close();
}
await mkdir('bench-results', { recursive: true });
const file = `bench-results/${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
await writeFile(file, JSON.stringify({ at: new Date().toISOString(), quick, results }, null, 2));
console.log(`\nraw figures: ${file}`);
