/** `browser-pool bench`: plan and run a sweep; `--dry-run` prints or exports the plan. */
import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';

import { BROWSER_KINDS } from '@browser-pool/browser-harness/kinds';
import { BACKENDS } from '@browser-pool/browser-harness/protocol';
import { MIN_RUNS_PER_ARM, renderRows, scanRegressions } from '@browser-pool/db-integration';
import { ModelCatalogue } from '@browser-pool/models';
import { type Command, Option } from 'commander';

import { loggedUnavailable, unavailableFrom } from '../bench/availability-map';
import { type OptimizationFlags, parseConfigsCsv, type Precision, PRECISIONS, variantName } from '../bench/config';
import type { MatrixOptions } from '../bench/matrix';
import { FLAG_NAMES, flagSetText } from '../bench/matrix-flags';
import { planCsv, type PlannedRun, planSweep, storedResults } from '../bench/plan';
import type { ConfigOutcome } from '../bench/runner';
import { dbPathOf, type Io, listOf, nonNegativeInt, positiveInt, positiveNumber, withStore } from './context';

interface BenchOpts extends MatrixOptions {
  configs?: string;
  missingOnly?: boolean;
  refreshOlderThan?: number;
  priorityOnly?: boolean;
  dryRun?: boolean;
  scan: boolean;
  planCsv?: string;
  warmup: number;
  minIterations: number;
  maxIterations: number;
  window: number;
  tolerancePct: number;
  repeats: number;
  orderSeed?: number;
}

/** A list option whose default shows as it would be typed. */
function list<T>(flags: string, description: string, parse: (v: string) => T[], fallback: T[]): Option {
  return new Option(flags, description).argParser(parse).default(fallback, fallback.join(','));
}

function planTable(plan: readonly PlannedRun[], toRun: number): string {
  const rows = plan.map((p) => ({
    model: p.config.model,
    precision: p.config.precision,
    browser: p.config.browser,
    backend: p.config.backend,
    batch: p.config.batchSize,
    flags: flagLabel(p.config.flags),
    action: p.action,
    reason: p.reason,
  }));
  return renderRows(`plan: ${toRun} to run, ${plan.length - toRun} skipped`, ['model', 'precision', 'browser', 'backend', 'batch', 'flags', 'action', 'reason'], rows, 'md');
}

function resultsTable(outcomes: readonly ConfigOutcome[]): string {
  const rows = outcomes.map((o) => {
    const base = { browser: o.config.browser, batch: o.config.batchSize, flags: flagLabel(o.config.flags) };
    if (o.status === 'failed') {
      return { ...base, model: o.config.model, backend: o.config.backend, status: `failed ${o.code}` };
    }
    const r = o.result;
    return {
      ...base,
      model: r.model_name,
      backend: r.backend,
      status: 'stored',
      p50_ms: r.p50_latency_ms?.toFixed(3),
      items_per_s: r.throughput_items_per_s?.toFixed(1),
      iterations: r.iterations,
      stable: r.metrics?.stable,
      real_hardware: !r.is_simulated,
    };
  });
  return renderRows('results', ['model', 'browser', 'backend', 'batch', 'flags', 'status', 'p50_ms', 'items_per_s', 'iterations', 'stable', 'real_hardware'], rows, 'md');
}

/** Every flag with its state, by the name `--flags` takes (one name in input and output). */
export function flagLabel(flags: OptimizationFlags): string {
  return flagSetText(flags);
}

const positiveInts = (name: string) => (v: string) => v.split(',').map((x) => positiveInt(name)(x.trim()));

export function registerBenchCommand(program: Command, io: Io): void {
  program
    .command('bench')
    .description('Sweep models x browsers x backends x precisions x optimization flags x batch sizes on real browsers and store every result with its environment')
    .addOption(list('--models <list>', 'comma-separated catalogue models', (v) => v.split(',').map((s) => s.trim()), ['bert-tiny', 'vit-tiny', 'audio-encoder-tiny']))
    .addOption(list('--browsers <list>', `comma-separated: ${BROWSER_KINDS.join(', ')}`, listOf('--browsers', BROWSER_KINDS), [...BROWSER_KINDS]))
    .addOption(list('--backends <list>', `comma-separated: ${BACKENDS.join(', ')}`, listOf('--backends', BACKENDS), ['wasm', 'webgpu', 'webnn']))
    .addOption(list('--batch-sizes <list>', 'comma-separated batch sizes', positiveInts('--batch-sizes'), [1, 4]))
    .addOption(list('--precisions <list>', `comma-separated: ${PRECISIONS.join(', ')} (fp16/int8/int4/int2 = the model's variant with weights stored that way)`, listOf('--precisions', PRECISIONS), ['fp32']))
    .addOption(new Option('--flags <list>', `optimization flags to sweep on and off: ${FLAG_NAMES.join(', ')}`).argParser(listOf('--flags', FLAG_NAMES)).default([], 'none (all off)'))
    .option('--configs <csv>', 'read configurations from a CSV file instead of the matrix options (header: model,browser,backend,batch_size[,precision,compute-shaders,precompile,parallel-loading,priority]; the database column names compute_shader_optimized, precompile_shaders, parallel_loading are read too)')
    .option('--missing-only', 'skip configurations that already have a stored result')
    .option('--refresh-older-than <days>', 're-run stored results older than this many days and skip fresher ones (implies --missing-only)', positiveNumber('--refresh-older-than'))
    .option('--priority-only', "only priority configurations (each model type's preferred browser, fp32, no flags; or the CSV's priority column)")
    .option('--dry-run', 'print the plan (what would run and why the rest is skipped) and run nothing')
    .option('--no-scan', 'skip the regression scan over stored measurements after the sweep')
    .option('--plan-csv <file>', 'with --dry-run: write the plan as CSV')
    .option('--warmup <n>', 'untimed runs after the first run, before measuring', nonNegativeInt('--warmup'), 3)
    .option('--min-iterations <n>', 'fewest measured runs', positiveInt('--min-iterations'), 10)
    .option('--max-iterations <n>', 'most measured runs (a result that hit the cap is marked not stable)', positiveInt('--max-iterations'), 100)
    .option('--window <n>', 'stability window: samples per window', positiveInt('--window'), 5)
    .option('--tolerance-pct <pct>', 'stable when the medians of the last two windows differ by at most this', positiveNumber('--tolerance-pct'), 5)
    .option('--repeats <n>', `runs of each configuration, each in a fresh browser and page, each stored; a flag comparison needs ${MIN_RUNS_PER_ARM} per arm for a verdict`, positiveInt('--repeats'), 1)
    .addOption(new Option('--order-seed <n>', 'seed of the counterbalanced arm order (stored with the results; give it to replay an order)').argParser(nonNegativeInt('--order-seed')).default(undefined, 'random'))
    .addHelpText('after', `
How flags map to real knobs (measured, never assumed):
  compute-shaders   WebGPU EP session option preferredLayout=NHWC (changes conv kernels); no effect on wasm/webnn,
                    so those configurations are skipped with that reason.
  precompile        one untimed inference right after the session is created compiles the pipelines; first_run_ms is
                    then the next run. init_ms includes it; metrics.time_to_first_result_ms compares both ways.
  parallel-loading  the group's sessions (one static-shape session per batch size) are created concurrently instead
                    of one after another; metrics.group_load_wall_ms is the wall time to have all of them.
  precisions        fp16 / int8 / int4 / int2 run the catalogue's <model>-<precision> variant (weights stored in that
                    type; int4 / int2 are MatMulNBits block-quantized MatMul weights).
Order: configurations that differ only in flags are arms of one comparison. Each repetition runs a block's arms in
a seeded random order and the next repetition in the reverse (ABBA), each arm run in a fresh browser and page, so
neither run order nor a warm cache favours an arm; the seed is stored (test_runs.metadata.order_seed, metrics.order).
\`browser-pool report optimization\` gives each flag's on/off ratio with a 95 % interval once every arm has
${MIN_RUNS_PER_ARM} runs (--repeats ${MIN_RUNS_PER_ARM}), and says "too few runs" with the counts before that.
Stability: after --min-iterations, stop when the medians of the last two --window sample windows differ by at most
--tolerance-pct; a run that reaches --max-iterations first is stored with metrics.stable=false.
Results on a software WebGPU adapter are stored with is_simulated=true and the reason.`)
    .action(async (opts: BenchOpts, cmd: Command) => {
      const catalogue = ModelCatalogue.default();
      // the browser-driving modules load only when a command needs them: `--help` and reading commands start fast
      const { matrix } = await import('../bench/matrix');
      const configs = opts.configs === undefined ? matrix(opts, catalogue) : parseConfigsCsv(await readFile(opts.configs, 'utf8'));
      const hasVariant = (model: string, precision: Precision): boolean => catalogue.has(variantName(model, precision));
      let unavailable: Map<string, string>;
      if (opts.dryRun === true) {
        const logged = await withStore(cmd, 'write', (store) => loggedUnavailable(store));
        unavailable = logged.unavailable;
        io.err(logged.checkedAt === undefined ? 'availability never checked here: planning as if everything exists (run browser-pool availability)' : `availability as logged ${logged.checkedAt.toISOString()}`);
      } else {
        io.err('checking which browsers and backends exist here...');
        const { detectAvailability } = await import('../availability');
        unavailable = unavailableFrom(await detectAvailability(dbPathOf(cmd), [...new Set(configs.map((c) => c.browser))]));
      }
      if (opts.refreshOlderThan !== undefined && opts.missingOnly !== true) {
        io.err(`--refresh-older-than ${opts.refreshOlderThan} implies --missing-only: results stored within ${opts.refreshOlderThan} day(s) are skipped`);
      }
      await withStore(cmd, 'write', async (store) => {
        const { knownWrongLookup } = await import('../bench/known-wrong');
        const knownWrong = await knownWrongLookup(catalogue, configs);
        const plan = planSweep(configs, { stored: await storedResults(store), unavailable, hasVariant, knownWrong }, {
          missingOnly: opts.missingOnly === true,
          priorityOnly: opts.priorityOnly === true,
          ...(opts.refreshOlderThan === undefined ? {} : { refreshOlderThanDays: opts.refreshOlderThan }),
        });
        const toRun = plan.filter((p) => p.action === 'run').length;
        if (opts.dryRun === true) {
          if (opts.planCsv !== undefined) {
            await writeFile(opts.planCsv, planCsv(plan));
            io.err(`wrote ${resolve(opts.planCsv)}`);
          }
          io.out(planTable(plan, toRun));
          return;
        }
        io.err(`plan: ${toRun} configuration(s) to run${opts.repeats > 1 ? ` x ${opts.repeats} runs each` : ''}, ${plan.length - toRun} skipped`);
        if (opts.repeats < MIN_RUNS_PER_ARM && new Set(plan.filter((p) => p.action === 'run').map((p) => flagSetText(p.config.flags))).size > 1) {
          io.err(`flag comparison with ${opts.repeats} run(s) per arm: report optimization needs ${MIN_RUNS_PER_ARM} per arm for a verdict (--repeats ${MIN_RUNS_PER_ARM}; stored runs add up across sweeps)`);
        }
        const { runSweep } = await import('../bench/runner');
        const stop = new AbortController();
        const interrupt = (): void => {
          io.err('\ninterrupted: finishing the current group, then stopping (Ctrl-C again to kill; --missing-only continues later)');
          stop.abort();
          process.once('SIGINT', () => process.exit(130));
        };
        process.once('SIGINT', interrupt);
        const outcomes = await runSweep(store, plan, {
          signal: stop.signal,
          repeats: opts.repeats,
          ...(opts.orderSeed === undefined ? {} : { orderSeed: opts.orderSeed }),
          warmupIterations: opts.warmup,
          stability: { minIterations: opts.minIterations, maxIterations: opts.maxIterations, window: opts.window, tolerancePct: opts.tolerancePct },
          write: io.err,
        });
        io.out(resultsTable(outcomes));
        process.removeListener('SIGINT', interrupt);
        if (stop.signal.aborted) {
          io.err(`stopped after ${outcomes.length} of ${toRun} configuration(s); the rest was not run`);
          process.exitCode = 130;
        }
        if (opts.scan) {
          const scan = await scanRegressions(store);
          io.err(`regression scan: ${scan.series} series, ${scan.points} points, ${scan.findings} finding(s), ${scan.inserted} new (browser-pool report regressions)`);
        }
        if (outcomes.some((o) => o.status === 'failed') && !stop.signal.aborted) {
          process.exitCode = 1;
        }
      });
    });
}
