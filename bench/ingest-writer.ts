/**
 * One orchestrator's writer for the ingest bench, run as its own process: `rest` sends results through an
 * IngestClient to a collector, `file` writes them as JSON files (the REST batch shape, which `browser-pool import`
 * reads) into a drop folder, each file fsynced then renamed into place. Prints `{start, end, rows}` (epoch ms) as JSON.
 */
import { open, rename } from 'node:fs/promises';
import { join } from 'node:path';

import { IngestClient, type PerformanceResultInput } from '@browser-pool/db-integration';

const [mode, target, name, rowsArg, batchArg, token = ''] = process.argv.slice(2);
const rows = Number(rowsArg);
const batch = Number(batchArg);
if ((mode !== 'rest' && mode !== 'file') || target === undefined || name === undefined || !(rows > 0) || !(batch > 0)) {
  console.error('usage: ingest-writer.ts rest|file <collector URL | drop folder> <writer name> <rows> <batch> [token]');
  process.exit(2);
}

const result = (i: number): PerformanceResultInput => ({
  model_name: `ingest-${i % 20}`,
  browser: 'chromium',
  backend: 'wasm',
  batch_size: 1 + (i % 4),
  host: name,
  iterations: 20,
  p50_latency_ms: 1 + (i % 997) / 100,
  mean_latency_ms: 1.1 + (i % 991) / 100,
  throughput_items_per_s: 100 + (i % 113),
  created_at: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(),
  metrics: { writer: name, seq: i },
});

async function shipFile(folder: string, file: string, body: unknown): Promise<void> {
  const tmp = join(folder, `.${file}.tmp`);
  const handle = await open(tmp, 'w');
  try {
    await handle.writeFile(JSON.stringify(body));
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, join(folder, file));
}

const start = Date.now();
if (mode === 'rest') {
  const client = await IngestClient.open({ url: target, token, spoolDir: join(process.env.INGEST_SPOOL ?? '.', `spool-${name}`), batchRows: batch, source: name });
  for (let i = 0; i < rows; i++) {
    client.add('performance', result(i));
  }
  await client.flush();
  const { pending } = await client.close();
  if (pending > 0 || client.stats.rejected > 0) {
    console.error(`writer ${name}: ${pending} batch(es) pending, ${client.stats.rejected} rejected: ${client.errors.map((e) => e.message).join('; ')}`);
    process.exit(1);
  }
} else {
  for (let b = 0; b * batch < rows; b++) {
    const performance = Array.from({ length: Math.min(batch, rows - b * batch) }, (_, j) => result(b * batch + j));
    await shipFile(target, `${name}-${String(b).padStart(6, '0')}.json`, { performance });
  }
}
console.log(JSON.stringify({ start, end: Date.now(), rows }));
