/** Reading commands: report, query, compare, chart; and the data movers: import, export. */
import { writeFile } from 'node:fs/promises';
import { extname, resolve } from 'node:path';

import {
  ALLOWED_STATEMENTS,
  assertSqlText,
  COMPARE_BY,
  COMPARE_METRICS,
  type CompareBy,
  type CompareMetric,
  compareModel,
  DbError,
  DbErrorCode,
  type ExportFormat,
  exportTables,
  gatherReport,
  importFiles,
  OUTPUT_FORMATS,
  overTimeChart,
  readOnlyQuery,
  renderReport,
  renderRows,
  REPORT_KINDS,
  stackCharts,
} from '@browser-pool/db-integration';
import { type Command, Option } from 'commander';

import { emit, type Io, listOf, positiveInt, positiveNumber, withStore } from './context';

interface FilterOpts {
  days: number;
  model?: string;
  browser?: string;
}

const filterOptions = (c: Command): Command =>
  c
    .option('--days <n>', 'only measurements from the last N days', positiveNumber('--days'), 30)
    .option('--model <name>', 'only this model')
    .option('--browser <name>', 'only this browser');

const formatOption = (fallback: string) => new Option('--format <format>', 'output format').choices(OUTPUT_FORMATS).default(fallback);

export function registerDataCommands(program: Command, io: Io): void {
  filterOptions(
    program
      .command('report')
      .description('Render a report from the database: performance (the full report with charts in html), compatibility, regressions, recommendations, or optimization (each flag\'s on/off ratio per configuration with a 95 % interval and a verdict from 5 runs per arm; "too few runs" with the counts below that)')
      .argument('[kind]', `one of ${REPORT_KINDS.join(', ')}`, 'performance')
      .addOption(formatOption('md'))
      .option('-o, --output <file>', 'write to a file instead of stdout'),
  ).action(async (kind: string, opts: FilterOpts & { format: string; output?: string }, cmd: Command) => {
    await withStore(cmd, 'read', async (store) => {
      await emit(io, await renderReport(store, kind, opts.format, opts), opts.output);
    });
  });

  program
    .command('query')
    .description(`Run ${ALLOWED_STATEMENTS} read-only and print the rows; DuckDB parses it, anything else is refused`)
    .argument('[sql]', 'the statement (or use --sql)')
    .option('--sql <sql>', 'the statement')
    .addOption(formatOption('md'))
    .option('--limit <rows>', 'most rows to print', positiveInt('--limit'), 1000)
    .option('--timeout-ms <ms>', 'interrupt the statement after this long', positiveInt('--timeout-ms'), 30_000)
    .option('--max-bytes <bytes>', 'refuse an answer whose rows are larger than this as JSON', positiveInt('--max-bytes'), 256 * 1024 * 1024)
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .addHelpText('after', '\nExample:\n  browser-pool query "SELECT browser, count(*) FROM measurements GROUP BY ALL"')
    .action(async (positional: string | undefined, opts: { sql?: string; format: string; limit: number; timeoutMs: number; maxBytes: number; output?: string }, cmd: Command) => {
      const sql = assertSqlText(opts.sql ?? positional);
      // the same fences as /query: file access off and settings locked on this read-only instance
      await withStore(cmd, 'read', async (store) => {
        const result = await readOnlyQuery(store, sql, { maxRows: opts.limit, maxBytes: opts.maxBytes, timeoutMs: opts.timeoutMs });
        await emit(io, renderRows('query', result.columns, result.rows, opts.format), opts.output);
        if (result.truncated) {
          io.err(`(first ${opts.limit} rows; raise --limit for more)`);
        }
      }, { enable_external_access: 'false', lock_configuration: 'true' });
    });

  program
    .command('compare')
    .description('Compare one metric of a model across browsers, backends or batch sizes (median per group, ratio to the best)')
    .requiredOption('--model <name>', 'model name as stored (e.g. bert-tiny)')
    .addOption(new Option('--metric <metric>', 'what to compare').choices(COMPARE_METRICS).default('latency'))
    .addOption(new Option('--by <dimension>', 'group by').choices(COMPARE_BY).default('browser'))
    .option('--days <n>', 'only measurements from the last N days', positiveNumber('--days'), 30)
    .addOption(formatOption('md'))
    .action(async (opts: { model: string; metric: CompareMetric; by: CompareBy; days: number; format: string }, cmd: Command) => {
      await withStore(cmd, 'read', async (store) => {
        const rows = await compareModel(store, opts);
        if (rows.length === 0) {
          io.err(`no ${opts.metric} measurements of ${opts.model} in the last ${opts.days} days`);
        }
        const table = rows.map((r) => ({ [opts.by]: r.group, measurements: r.measurements, [r.unit]: r.value.toFixed(3), ratio_to_best: r.ratioToBest.toFixed(3), real_hardware: r.isRealHardware }));
        io.out(renderRows(`${opts.model}: ${opts.metric} by ${opts.by}`, [opts.by, 'measurements', rows[0]?.unit ?? 'value', 'ratio_to_best', 'real_hardware'], table, opts.format));
      });
    });

  filterOptions(
    program
      .command('chart')
      .description('Draw metrics over time (one line per model x browser x backend) as SVG or PNG')
      .requiredOption('-o, --output <file>', 'chart file: .svg, or .png (rendered in Chromium)')
      .option('--metrics <list>', 'comma-separated: latency, throughput, memory', listOf('--metrics', ['latency', 'throughput', 'memory'] as const), ['latency', 'throughput']),
  ).action(async (opts: FilterOpts & { output: string; metrics: ('latency' | 'throughput' | 'memory')[] }, cmd: Command) => {
    const ext = extname(opts.output).toLowerCase();
    if (ext !== '.svg' && ext !== '.png') {
      throw new DbError(DbErrorCode.InvalidArgument, `--output must end in .svg or .png, got ${opts.output}`);
    }
    const chart = await withStore(cmd, 'read', async (store) => {
      const data = await gatherReport(store, opts);
      return stackCharts(opts.metrics.map((m) => overTimeChart(data, m)));
    });
    const png = async (): Promise<Uint8Array> => (await import('../create-pool')).chromiumRasterizer(chart.svg, chart);
    await writeFile(opts.output, ext === '.svg' ? chart.svg : await png());
    io.err(`wrote ${resolve(opts.output)}`);
  });

  program
    .command('import')
    .description('Import the old system\'s JSON result files or directories (performance, compatibility, integration and test results, power, availability, pool inferences). Files already imported (same content hash) are skipped; each file is stored whole or not at all')
    .argument('<paths...>', 'JSON files or directories (searched recursively for *.json)')
    .addHelpText('after', `
Accepted shapes (../shared/seeds): performance_results rows in the old column names, store_performance_result
keyword dicts (latency_avg, memory_peak, throughput), run_benchmark_with_db --output-json summaries, store_test_result
dicts (with performance / power_metrics blocks), the pool's webnn_webgpu_performance rows, web-platform results
(browser read from device_name), compatibility as is_compatible or compatibility_status/score, integration test
results, the converter's consolidated output, per-hardware maps ({"model": ..., "results": {"cpu": {...}}}), power
metrics and the hardware availability log; Python's NaN/Infinity are read (stored as NULL and reported).
Each file's own timestamps are kept; fields without a column are kept in the rows' metadata and listed per file.
Exit status 1 when any file failed (the summary says why).`)
    .action(async (paths: string[], _opts: unknown, cmd: Command) => {
      await withStore(cmd, 'write', async (store) => {
        const summary = await importFiles(store, paths, {
          onFile: (o, i, total) => {
            const detail = o.status === 'imported'
              ? `: ${o.rows} rows (${Object.entries(o.tables).map(([t, n]) => `${t} ${n}`).join(', ') || 'none new'}; ${o.duplicates} duplicates)` +
                (o.metadataFields.length > 0 ? `; kept as metadata: ${o.metadataFields.join(', ')}` : '') +
                (o.nonFinite.length > 0 ? `; NaN/Infinity stored as NULL: ${o.nonFinite.join(', ')}` : '') +
                (o.fileFields.length > 0 ? `; file fields kept with the run: ${o.fileFields.join(', ')}` : '')
              : `: ${o.reason}`;
            io.err(`[${i + 1}/${total}] ${o.status.padEnd(8)} ${o.file}${detail}`);
          },
        });
        io.out(`imported ${summary.imported} file(s), ${summary.rows} row(s); skipped ${summary.skipped}; failed ${summary.failed}`);
        if (summary.failed > 0) {
          process.exitCode = 1;
        }
      });
    });

  program
    .command('export')
    .description('Export tables to Parquet or CSV files, one per table')
    .addOption(new Option('--format <format>', 'file format').choices(['parquet', 'csv']).default('parquet'))
    .requiredOption('-o, --output <dir>', 'directory to write into')
    .option('--tables <list>', 'comma-separated table names (default: all)')
    .action(async (opts: { format: ExportFormat; output: string; tables?: string }, cmd: Command) => {
      await withStore(cmd, 'read', async (store) => {
        const files = await exportTables(store, opts.output, opts.format, opts.tables?.split(',').map((t) => t.trim()));
        io.out(files.map((f) => `${f.file}\t${f.rows} rows`).join('\n'));
      });
    });
}
