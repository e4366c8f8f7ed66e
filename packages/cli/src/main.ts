/**
 * The `browser-pool` command. Exit status: 0 done; 1 the work ran and found failures (check, import, bench);
 * 2 bad usage or input (the message says what to change).
 */
import { Command, CommanderError } from 'commander';

export type { Command, Option } from 'commander';

import { registerAvailabilityCommand } from './commands/availability';
import { registerBenchCommand } from './commands/bench';
import { type Io, processIo } from './commands/context';
import { registerDashboardCommand } from './commands/dashboard';
import { registerDataCommands } from './commands/data';
import { registerDbCommands } from './commands/db';
import { registerServeCommand } from './commands/serve';
import { unknownCommand } from './unknown-command';

const USAGE_CODES = new Set(['E_DB_INVALID_ARGUMENT', 'E_DB_READ_ONLY', 'E_INVALID_INPUT', 'E_MODEL_NOT_FOUND', 'E_INVALID_OPTIONS', 'E_DASHBOARD_OUTPUT_EXISTS']);

export function buildProgram(io: Io = processIo): Command {
  const program = new Command('browser-pool')
    .description('Real browsers as a pool of ML workers: benchmark sweeps, reports, import/export and the REST API over the benchmark database')
    .option('--db <path>', 'benchmark database file (default: BENCHMARK_DB_PATH, else ./benchmark_db.duckdb)')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) })
    .exitOverride();
  registerBenchCommand(program, io);
  registerDataCommands(program, io);
  registerDbCommands(program, io);
  registerAvailabilityCommand(program, io);
  registerServeCommand(program, io);
  registerDashboardCommand(program, io);
  for (const c of program.commands) {
    c.exitOverride();
    for (const sub of c.commands) {
      sub.exitOverride();
    }
  }
  return program;
}

/** Runs the CLI; resolves to the exit status. */
export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  try {
    const program = buildProgram(io);
    const unknown = unknownCommand(program, argv);
    if (unknown !== undefined) {
      io.err(`browser-pool: unknown command: ${unknown} (run browser-pool --help for the commands)`);
      return 2;
    }
    await program.parseAsync([...argv], { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? 0 : 2;
    }
    const e = error as { code?: unknown; message?: unknown };
    const code = typeof e.code === 'string' ? e.code : 'E_INTERNAL';
    io.err(`browser-pool: ${code}: ${typeof e.message === 'string' ? e.message : String(error)}`);
    return USAGE_CODES.has(code) ? 2 : 1;
  }
}
