/** Runs the `browser-pool` CLI as a subprocess (BENCHMARK_DB_PATH cleared), resolving with exit code and output. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

export interface CliOutcome {
  code: number;
  out: string;
  err: string;
}

export async function runCli(bin: string, cwd: string, args: readonly string[]): Promise<CliOutcome> {
  const env = { ...process.env };
  delete env.BENCHMARK_DB_PATH;
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [bin, ...args], { cwd, env, maxBuffer: 20 * 1024 * 1024 });
    return { code: 0, out: stdout, err: stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout, err: e.stderr };
  }
}
