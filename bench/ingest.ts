/**
 * `--suite ingest`: two orchestrators recording into one benchmark database. Two writer processes
 * (bench/ingest-writer.ts) run at once against one `browser-pool serve` process and send the same results either
 * (a) as REST batches through `POST /ingest` (IngestClient: spooled, idempotency keys), or (b) as JSON files shipped
 * to a drop folder that `browser-pool import` then stores. DuckDB lets one process write a file, so (b)'s import runs
 * with the collector stopped; the bench checks that an import beside a running `serve` is refused. rows/s counts from
 * the first writer's start to the moment every row is stored (for (b): shipping, then the import process).
 */
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

import { Store } from '@browser-pool/db-integration';

import { formatTable } from './table';

interface Ctx {
  quick: boolean;
  record: (k: string, v: unknown) => void;
}

interface WriterReport {
  start: number;
  end: number;
  rows: number;
}

const CLI = resolve('packages/cli/bin/browser-pool.mjs');
const TSX = resolve('node_modules/.bin/tsx');
const WRITER = resolve('bench/ingest-writer.ts');
const TOKEN = 'ingest-bench-token-0123';

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const address = s.address();
  await new Promise((r) => s.close(r));
  return typeof address === 'object' && address !== null ? address.port : 0;
}

async function writers(mode: 'rest' | 'file', target: string, rows: number, batch: number, spool: string): Promise<WriterReport[]> {
  return Promise.all(['orch-a', 'orch-b'].map(async (name) => {
    const { stdout } = await promisify(execFile)(TSX, [WRITER, mode, target, name, String(rows), String(batch), TOKEN], { env: { ...process.env, INGEST_SPOOL: spool } });
    return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as WriterReport;
  }));
}

/** Starts `browser-pool serve` on the file and waits until /health answers. */
async function serve(db: string, port: number): Promise<{ url: string; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [CLI, '--db', db, 'serve', '--port', String(port), '--token', TOKEN], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (c: Buffer) => (log += c.toString()));
  child.stderr.on('data', (c: Buffer) => (log += c.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    const up = await fetch(`${url}/health`).then((r) => r.ok, () => false);
    if (up) {
      break;
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`browser-pool serve did not start: ${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const stop = async (): Promise<void> => {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  };
  return { url, stop };
}

async function cli(args: readonly string[]): Promise<{ code: number; out: string; ms: number }> {
  const t0 = Date.now();
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, ...args], { maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, out: stdout + stderr, ms: Date.now() - t0 };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr, ms: Date.now() - t0 };
  }
}

async function storedRows(db: string): Promise<number> {
  const store = await Store.open({ path: db, readOnly: true });
  try {
    return (await store.one<{ n: number }>('SELECT count(*) AS n FROM performance_results'))?.n ?? 0;
  } finally {
    store.close();
  }
}

export async function ingestBench(ctx: Ctx): Promise<void> {
  const rows = ctx.quick ? 10_000 : 50_000;
  const batch = 1000;
  const total = 2 * rows;
  const dir = mkdtempSync(join(tmpdir(), 'bp-bench-ingest-'));
  try {
    // (a) REST batches into a running collector
    const restDb = join(dir, 'rest.duckdb');
    const collector = await serve(restDb, await freePort());
    const rest = await writers('rest', collector.url, rows, batch, dir);
    const restEnd = Math.max(...rest.map((w) => w.end));
    const restSpan = restEnd - Math.min(...rest.map((w) => w.start));
    const busy = await cli(['--db', restDb, 'import', dir]);
    await collector.stop();
    const restStored = await storedRows(restDb);

    // (b) files shipped to a drop folder, then one import
    const drop = join(dir, 'drop');
    mkdirSync(drop);
    const fileDb = join(dir, 'file.duckdb');
    const shipped = await writers('file', drop, rows, batch, dir);
    const shipSpan = Math.max(...shipped.map((w) => w.end)) - Math.min(...shipped.map((w) => w.start));
    const imported = await cli(['--db', fileDb, 'import', drop]);
    if (imported.code !== 0) {
      throw new Error(`import failed: ${imported.out.slice(-2000)}`);
    }
    const fileStored = await storedRows(fileDb);
    const files = readdirSync(drop).length;
    const reimport = await cli(['--db', fileDb, 'import', drop]);
    const fileStoredAgain = await storedRows(fileDb);

    const restRate = restStored / (restSpan / 1000);
    const fileRate = fileStored / ((shipSpan + imported.ms) / 1000);
    console.log(`\n## Ingest: 2 writer processes x ${rows.toLocaleString('en')} results, batches of ${batch}, one database`);
    console.log(formatTable(['path', 'rows stored', 'write span ms', 'import ms', 'rows/s end to end', 'ratio'], [
      ['(b) ship JSON files + browser-pool import (baseline)', String(fileStored), String(shipSpan), String(imported.ms), fileRate.toFixed(0), '1.00x'],
      ['(a) POST /ingest batches (IngestClient, spooled)', String(restStored), String(restSpan), '0', restRate.toFixed(0), `${(restRate / fileRate).toFixed(2)}x`],
    ]));
    console.log(`expected ${total} rows each; import beside a running serve: exit ${busy.code}${/E_DB_OPEN/.test(busy.out) ? ' (E_DB_OPEN: DuckDB lets one process write the file)' : ''}; ` +
      `re-import of the ${files} shipped files stored ${fileStoredAgain - fileStored} more rows (${/skipped (\d+)/.exec(reimport.out)?.[1] ?? '?'} skipped by content hash)`);
    ctx.record('ingest', { rowsPerWriter: rows, batch, restStored, restSpanMs: restSpan, restRowsPerS: restRate, fileStored, shipSpanMs: shipSpan, importMs: imported.ms, fileRowsPerS: fileRate, importBesideServeExit: busy.code, reimportExtraRows: fileStoredAgain - fileStored });
    if (restStored !== total || fileStored !== total) {
      throw new Error(`ingest bench stored ${restStored} (REST) and ${fileStored} (files) rows, expected ${total} each`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
