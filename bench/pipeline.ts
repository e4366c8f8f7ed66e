/**
 * Issue #18, one model across browsers: bert-small whole on one page vs cut into 2 and 3 stages (ModelPipeline) on
 * as many pages, wasm. Throughput with requests in flight, and one request's latency alone (the extra cost of each
 * stage boundary: a tensor out to Node and into the next page). The whole model on as many pages (replicas) is the
 * data-parallel baseline the pipeline has to beat. The pool places each stage call on the best page at that moment.
 */
import type { TensorMap } from '@browser-pool/browser-harness';
import { inspectGraph, loadModelBytes, ModelCatalogue } from '@browser-pool/models';
import { ModelPipeline, ResourcePool } from '@browser-pool/pool';

import { percentile } from './stats';
import { formatTable } from './table';

export interface PipelineBenchOptions {
  quick: boolean;
  record: (name: string, value: unknown) => void;
}

const MODEL = 'bert-small';

function pool(pages: number): ResourcePool {
  return new ResourcePool({
    browsers: Array.from({ length: pages }, () => 'chromium' as const),
    backends: ['wasm'],
    health: { knownAnswerIntervalMs: 0 },
    scaling: { minConnections: pages, maxConnections: pages },
    maxQueuedRequests: 10_000,
  });
}

interface Runner {
  run: (inputs: TensorMap) => Promise<unknown>;
}

async function measure(runner: Runner, requests: TensorMap[], inFlight: number, alone: number): Promise<{ reqPerS: number; p50Ms: number }> {
  for (const r of requests.slice(0, 6)) {
    await runner.run(r); // warm every page's session
  }
  const latencies: number[] = [];
  for (let i = 0; i < alone; i++) {
    const start = performance.now();
    await runner.run(requests[i % requests.length]!);
    latencies.push(performance.now() - start);
  }
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < requests.length) {
        await runner.run(requests[next++]!);
      }
    }),
  );
  return { reqPerS: requests.length / ((performance.now() - start) / 1000), p50Ms: percentile(latencies, 50) };
}

export async function pipelineBench(opts: PipelineBenchOptions): Promise<void> {
  const catalogue = ModelCatalogue.default();
  const entry = catalogue.get(MODEL);
  const bytes = await loadModelBytes(await entry.source());
  const ln = inspectGraph(bytes).nodes.filter((n) => n.opType === 'LayerNormalization').map((n) => n.outputs[0]!);
  const requests = Array.from({ length: opts.quick ? 40 : 120 }, (_, i) => entry.sampleInputs({ batch: 1, seed: i }));
  const alone = opts.quick ? 10 : 30;
  const rows: { label: string; pages: number; stages: number; reqPerS: number; p50Ms: number }[] = [];
  for (const [label, pages, stages] of [['whole model', 1, 1], ['whole model, replicas', 2, 1], ['2-stage pipeline', 2, 2], ['whole model, replicas', 3, 1], ['3-stage pipeline', 3, 3]] as const) {
    const p = pool(pages);
    try {
      await p.initialize();
      let runner: Runner;
      if (stages === 1) {
        runner = await p.getModel('text_embedding', MODEL);
      } else {
        const cuts = Array.from({ length: stages - 1 }, (_, i) => [ln[Math.floor(((i + 1) * ln.length) / stages)]!]);
        runner = await ModelPipeline.load(p, bytes, { name: `${MODEL}-${stages}stages`, cuts, modelType: 'text_embedding' });
      }
      rows.push({ label, pages, stages, ...(await measure(runner, requests, 2 * pages, alone)) });
    } finally {
      await p.close();
    }
  }
  const whole = rows[0]!;
  console.log(`\nOne model across pages: ${MODEL} (batch 1, wasm, Chromium), ${requests.length} requests with 2 per page in flight; ` +
    `latency = one request alone (p50 of ${alone}); boundary = extra latency per stage boundary vs the whole model on one page`);
  console.log(formatTable(['configuration', 'pages', 'stages', 'req/s', 'vs whole on 1 page', 'latency p50 ms', 'boundary ms'], rows.map((r) => [
    r.label,
    String(r.pages),
    String(r.stages),
    r.reqPerS.toFixed(1),
    `${(r.reqPerS / whole.reqPerS).toFixed(2)}x`,
    r.p50Ms.toFixed(1),
    r.stages === 1 ? '-' : ((r.p50Ms - whole.p50Ms) / (r.stages - 1)).toFixed(1),
  ])));
  opts.record('pipeline', { model: MODEL, requests: requests.length, rows });
}
