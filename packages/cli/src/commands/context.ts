/**
 * What every command shares: where output goes, the database path (`--db`, else BENCHMARK_DB_PATH, else
 * ./benchmark_db.duckdb), opening the store for the command's lifetime, and option parsers with clear errors.
 */
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';

import { DbError, DbErrorCode, defaultDbPath, Store } from '@browser-pool/db-integration';
import { type Command, InvalidArgumentError } from 'commander';

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

export const processIo: Io = {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
};

export function dbPathOf(command: Command): string {
  const { db } = command.optsWithGlobals<{ db?: string }>();
  return resolve(db ?? defaultDbPath());
}

/** Opens the database for `fn` and always closes it. Reading commands open read-only (no file is created). */
export async function withStore<T>(command: Command, mode: 'read' | 'write', fn: (store: Store) => Promise<T>, config?: Record<string, string>): Promise<T> {
  const path = dbPathOf(command);
  let store: Store;
  try {
    store = await Store.open({ path, readOnly: mode === 'read', ...(config === undefined ? {} : { config }) });
  } catch (error) {
    if (error instanceof DbError && error.code === DbErrorCode.Open && mode === 'read' && /no such file|does not exist|Cannot open/i.test(error.message)) {
      throw new DbError(DbErrorCode.Open, `no benchmark database at ${path}; record one first (browser-pool bench, browser-pool import, npm run demo) or pass --db`, { cause: error });
    }
    throw error;
  }
  try {
    return await fn(store);
  } finally {
    store.close();
  }
}

/** Writes `text` to `--output`, or prints it. */
export async function emit(io: Io, text: string, output: string | undefined): Promise<void> {
  if (output === undefined) {
    io.out(text);
  } else {
    await writeFile(output, text);
    io.err(`wrote ${resolve(output)}`);
  }
}

function positive(name: string, integer: boolean): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!(Number.isFinite(n) && n > 0 && (!integer || Number.isInteger(n)))) {
      throw new InvalidArgumentError(`${name} must be a positive ${integer ? 'integer' : 'number'}, got ${JSON.stringify(value)}`);
    }
    return n;
  };
}

export const positiveNumber = (name: string): ((value: string) => number) => positive(name, false);

export function nonNegativeInt(name: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!(Number.isInteger(n) && n >= 0)) {
      throw new InvalidArgumentError(`${name} must be an integer >= 0, got ${JSON.stringify(value)}`);
    }
    return n;
  };
}
export const positiveInt = (name: string): ((value: string) => number) => positive(name, true);

/** Comma-separated list restricted to `allowed`. */
export function listOf<T extends string>(name: string, allowed: readonly T[]): (value: string) => T[] {
  return (value) => {
    const items = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
    const bad = items.find((i) => !(allowed as readonly string[]).includes(i));
    if (bad !== undefined || items.length === 0) {
      throw new InvalidArgumentError(`${name} must be a comma-separated list of ${allowed.join(', ')}; got ${JSON.stringify(value)}`);
    }
    return items as T[];
  };
}

export function bytes(n: number | null): string {
  if (n === null) {
    return '-';
  }
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(u === 0 ? 0 : 1)} ${units[u]}`;
}
