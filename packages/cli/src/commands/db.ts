/** `browser-pool db check | optimize | backup | restore | stats`. */
import { backupDatabase, checkDatabase, databaseStats, optimizeDatabase, type RegressionStatus, renderRows, restoreDatabase, scanRegressions, setRegressionStatus } from '@browser-pool/db-integration';
import { type Command, Option } from 'commander';

import { bytes, dbPathOf, type Io, nonNegativeInt, positiveInt, positiveNumber, withStore } from './context';

export function registerDbCommands(program: Command, io: Io): void {
  const db = program.command('db').description('Maintain the benchmark database: check, scan, optimize, backup, restore, stats');

  db.command('check')
    .description('Integrity checks: schema version, dangling keys (every id column that names another table: run_id, model_id, hardware_id, result_id), NaN or ±Infinity in every floating-point column, negative metrics, duplicate results. Exit status 1 when anything is found')
    .option('--json', 'print the findings as JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      await withStore(cmd, 'read', async (store) => {
        const report = await checkDatabase(store);
        io.out(opts.json === true ? JSON.stringify(report, null, 2) : renderRows(`check: ${report.ok ? 'OK' : 'PROBLEMS FOUND'} (schema v${report.schemaVersion} of ${report.latestSchemaVersion})`, ['check', 'table', 'count', 'detail'], report.findings.map((f) => ({ ...f })), 'md'));
        if (!report.ok) {
          process.exitCode = 1;
        }
      });
    });

  db.command('optimize')
    .description('Checkpoint the WAL into the file, vacuum and refresh statistics; prints the size before and after')
    .action(async (_opts: unknown, cmd: Command) => {
      await withStore(cmd, 'write', async (store) => {
        const r = await optimizeDatabase(store);
        io.out(`optimized ${store.path}: ${bytes(r.bytesBefore)} -> ${bytes(r.bytesAfter)} (${r.steps.join(', ')})`);
      });
    });

  db.command('backup')
    .description('Write a consistent copy of the database (safe while it is being written), optionally gzip-compressed, keeping the newest N')
    .option('--dir <dir>', 'backup directory', './backups')
    .option('--compress', 'gzip the copy (.duckdb.gz)')
    .option('--keep <n>', 'keep only the newest N backups of this database in --dir', positiveInt('--keep'))
    .action(async (opts: { dir: string; compress?: boolean; keep?: number }, cmd: Command) => {
      await withStore(cmd, 'write', async (store) => {
        const r = await backupDatabase(store, { dir: opts.dir, compress: opts.compress === true, ...(opts.keep === undefined ? {} : { keep: opts.keep }) });
        io.out(`backup ${r.file} (${bytes(r.bytes)})${r.deleted.length > 0 ? `; removed ${r.deleted.length} older: ${r.deleted.join(', ')}` : ''}`);
      });
    });

  db.command('restore')
    .description('Restore a backup (.duckdb or .duckdb.gz) to --db after checking that it opens; an existing file needs --force and is kept as <db>.before-restore-<UTC time> (a new copy each restore, never overwritten)')
    .argument('<backup>', 'backup file')
    .option('--force', 'replace an existing database (kept under a timestamped name; the command prints it)')
    .action(async (backup: string, opts: { force?: boolean }, cmd: Command) => {
      const r = await restoreDatabase(backup, dbPathOf(cmd), { force: opts.force === true });
      io.out(`restored ${r.target} (schema v${r.schemaVersion})${r.previous === null ? '' : `; previous file kept as ${r.previous}`}`);
    });

  db.command('scan')
    .description(
      'Detect regressions over stored measurements (pool time series and benchmark results) with the change-point detector (step regressions, improvements, drifts, environment changes); new findings are stored (bench runs this after a sweep)',
    )
    .option('--days <n>', 'only measurements from the last N days', positiveNumber('--days'), 90)
    .option('--incremental', 'detect only on series whose points changed since the last incremental scan (the first one reads everything)')
    .addOption(new Option('--workers <n>', 'detection worker threads, 0-64 (default: the cores but one, at most 7, from 100,000 points on an idle machine, else 0)').argParser(nonNegativeInt('--workers')))
    .action(async (opts: { days: number; incremental?: boolean; workers?: number }, cmd: Command) => {
      await withStore(cmd, 'write', async (store) => {
        const r = await scanRegressions(store, { days: opts.days, incremental: opts.incremental === true, ...(opts.workers === undefined ? {} : { workers: opts.workers }) });
        const { readMs, detectMs, writeMs } = r.breakdown;
        io.out(
          `scanned ${r.series} series (${r.points} points${r.unchanged > 0 ? `; ${r.unchanged} unchanged series skipped` : ''}) in ${r.ms.toFixed(0)} ms ` +
            `(read ${readMs.toFixed(0)}, detect ${detectMs.toFixed(0)} with workers: ${r.workersWhy}, write ${writeMs.toFixed(0)}): ` +
            `${r.findings} finding(s), ${r.inserted} new; see browser-pool report regressions`,
        );
        for (const e of r.workerErrors) {
          io.err(`warning: ${e} (its series were detected on the main thread)`);
        }
      });
    });

  db.command('regression-status')
    .description('Acknowledge, resolve or re-open a detected regression (ids: browser-pool report regressions --format json)')
    .argument('<id>', 'regression id', positiveInt('<id>'))
    .addOption(new Option('--status <status>', 'new status').choices(['open', 'acknowledged', 'resolved']).makeOptionMandatory())
    .option('--note <text>', 'why (kept with the finding)')
    .action(async (id: number, opts: { status: RegressionStatus; note?: string }, cmd: Command) => {
      await withStore(cmd, 'write', async (store) => {
        await setRegressionStatus(store, id, opts.status, opts.note);
        io.out(`regression ${id}: ${opts.status}`);
      });
    });

  db.command('stats')
    .description('File size, schema version, rows per table and the span of stored measurements')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      await withStore(cmd, 'read', async (store) => {
        const s = await databaseStats(store);
        if (opts.json === true) {
          io.out(JSON.stringify(s, null, 2));
          return;
        }
        io.out(`${s.path}: ${bytes(s.bytes)}, schema v${s.schemaVersion}, ${s.models} models, ${s.hardwarePlatforms} hardware platforms, measurements ${s.firstMeasurement?.toISOString() ?? '-'} .. ${s.lastMeasurement?.toISOString() ?? '-'}`);
        io.out(renderRows('rows per table', ['table', 'rows'], s.tables, 'md'));
      });
    });
}
