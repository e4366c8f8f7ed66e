/** `browser-pool dashboard`: snapshot the database (db-integration) and serve or export the dashboard page. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { DEFAULT_PAGES_DIR, startDashboardServer, writeStaticDashboard } from '@browser-pool/dashboard';
import { writeSnapshot } from '@browser-pool/db-integration';
import type { Command } from 'commander';

import { type Io, nonNegativeInt, withStore } from './context';

export function registerDashboardCommand(program: Command, io: Io): void {
  program
    .command('dashboard')
    .description('Interactive dashboard: DuckDB (duckdb-wasm) in your browser over a snapshot of the benchmark database')
    .option('--port <port>', 'port on 127.0.0.1 (0 picks a free one)', nonNegativeInt('--port'), 8766)
    .option('--static <dir>', 'write a folder (index.html, assets/, snapshot/) that works from any static file host, then exit')
    .addHelpText('after', `
The database is read once, in one transaction, into a DuckDB file (storage version v1.2.0, which duckdb-wasm
reads with no extension) plus the report's recommendations as CSV and a manifest (column types, view definitions),
so the page needs no network. The server
binds 127.0.0.1 only and refuses requests whose Host is not a loopback name (DNS rebinding). The SQL box runs your
query in your own browser on that copy; the database file is never touched. Restart to see newer results.

Examples:
  browser-pool dashboard --db bench.duckdb             # http://127.0.0.1:8766/
  browser-pool dashboard --port 0                      # a free port
  browser-pool dashboard --static site/                # site/index.html + assets/ + snapshot/`)
    .action(async (opts: { port: number; static?: string }, cmd: Command) => {
      const snapshotDir = join(mkdtempSync(join(tmpdir(), 'bp-dashboard-')), 'snapshot');
      try {
        const manifest = await withStore(cmd, 'read', (store) => writeSnapshot(store, snapshotDir));
        const rows = manifest.tables.reduce((a, t) => a + t.rows, 0);
        if (opts.static !== undefined) {
          const out = await writeStaticDashboard({ pagesDir: DEFAULT_PAGES_DIR, snapshotDir }, opts.static);
          io.out(`wrote ${out} (${manifest.tables.length} tables, ${rows} rows); serve it with any static file server`);
          return;
        }
        const server = await startDashboardServer({ pagesDir: DEFAULT_PAGES_DIR, snapshotDir, port: opts.port });
        io.out(`browser-pool dashboard on ${server.url} (${manifest.tables.length} tables, ${rows} rows from ${manifest.createdAt}); Ctrl-C stops`);
        await new Promise<void>((resolveStop) => {
          const stop = (): void => {
            void server.close().then(() => resolveStop());
          };
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
      } finally {
        rmSync(join(snapshotDir, '..'), { recursive: true, force: true });
      }
    });
}
