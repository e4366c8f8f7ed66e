/**
 * Consistent backups of an open database (DuckDB copies one snapshot into a new file while writers may continue),
 * optional gzip, retention; and restore, which verifies a backup opens before it replaces anything.
 */
import { createReadStream, createWriteStream, existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';

import { DbError, DbErrorCode } from '../errors';
import { Store } from '../store/store';

export interface BackupOptions {
  /** Directory of backups. @default ./backups */
  dir?: string;
  /** gzip the copy (`.duckdb.gz`). @default false */
  compress?: boolean;
  /** Keep only this many newest backups of this database in `dir`; older ones are deleted. @default keep all */
  keep?: number;
}

export interface BackupResult {
  file: string;
  bytes: number;
  deleted: string[];
}

const sqlString = (s: string): string => `'${s.replaceAll("'", "''")}'`;

function stamp(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15) + d.toISOString().slice(20, 23);
}

export async function backupDatabase(store: Store, options: BackupOptions = {}): Promise<BackupResult> {
  if (store.path === ':memory:') {
    throw new DbError(DbErrorCode.Backup, 'an in-memory database has no file to back up');
  }
  if (options.keep !== undefined && !(Number.isInteger(options.keep) && options.keep >= 1)) {
    throw new DbError(DbErrorCode.InvalidArgument, `keep must be an integer >= 1, got ${options.keep}`);
  }
  const dir = resolve(options.dir ?? './backups');
  await mkdir(dir, { recursive: true });
  const base = basename(store.path).replace(/\.duckdb$/, '');
  const copy = join(dir, `${base}-${stamp(new Date())}.duckdb`);
  store.flushAll();
  const current = (await store.one<{ db: string }>('SELECT current_database() AS db'))?.db ?? 'main';
  try {
    await store.run(`ATTACH ${sqlString(copy)} AS browser_pool_backup`);
    try {
      await store.run(`COPY FROM DATABASE "${current}" TO browser_pool_backup`);
    } finally {
      await store.run('DETACH browser_pool_backup');
    }
  } catch (error) {
    rmSync(copy, { force: true });
    throw new DbError(DbErrorCode.Backup, `backup to ${copy} failed (nothing kept): ${(error as Error).message}`, { cause: error });
  }
  let file = copy;
  if (options.compress === true) {
    file = `${copy}.gz`;
    await pipeline(createReadStream(copy), createGzip(), createWriteStream(file));
    rmSync(copy);
  }
  const deleted = options.keep === undefined ? [] : await prune(dir, base, options.keep);
  return { file, bytes: statSync(file).size, deleted };
}

async function prune(dir: string, base: string, keep: number): Promise<string[]> {
  const pattern = new RegExp(`^${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-\\d{8}-\\d{9}\\.duckdb(\\.gz)?$`);
  const mine = (await readdir(dir)).filter((f) => pattern.test(f)).sort().reverse();
  const old = mine.slice(keep).map((f) => join(dir, f));
  for (const f of old) {
    rmSync(f);
  }
  return old;
}

export interface RestoreOptions {
  /**
   * Replace an existing target. It is kept as `<target>.before-restore-<UTC time>` (with its WAL), a new name each
   * time, so a second restore never overwrites the copy the first one kept. @default false
   */
  force?: boolean;
}

/** Restores `backup` (`.duckdb` or `.duckdb.gz`) to `target`, which must not be open anywhere. */
export async function restoreDatabase(backup: string, target: string, options: RestoreOptions = {}): Promise<{ target: string; schemaVersion: number; previous: string | null }> {
  const source = resolve(backup);
  const dest = resolve(target);
  if (!existsSync(source)) {
    throw new DbError(DbErrorCode.Backup, `no backup file ${source}`);
  }
  if (existsSync(dest) && options.force !== true) {
    throw new DbError(DbErrorCode.Backup, `${dest} exists; pass --force to replace it (it is kept as ${dest}.before-restore-<UTC time>)`);
  }
  await mkdir(dirname(dest), { recursive: true });
  const staging = `${dest}.restoring`;
  rmSync(staging, { force: true });
  if (source.endsWith('.gz')) {
    await pipeline(createReadStream(source), createGunzip(), createWriteStream(staging));
  } else {
    await pipeline(createReadStream(source), createWriteStream(staging));
  }
  let schemaVersion: number;
  try {
    const check = await Store.open({ path: staging });
    schemaVersion = check.schemaVersion;
    check.close();
  } catch (error) {
    rmSync(staging, { force: true });
    rmSync(`${staging}.wal`, { force: true });
    throw new DbError(DbErrorCode.Backup, `${source} is not a usable benchmark database (target unchanged): ${(error as Error).message}`, { cause: error });
  }
  let previous: string | null = null;
  if (existsSync(dest)) {
    previous = freeName(`${dest}.before-restore-${stamp(new Date())}`);
    renameSync(dest, previous);
    // the WAL holds committed writes not yet in the file: it belongs with the kept copy, not in the bin
    if (existsSync(`${dest}.wal`)) {
      renameSync(`${dest}.wal`, `${previous}.wal`);
    }
  }
  renameSync(staging, dest);
  return { target: dest, schemaVersion, previous };
}

/** `path`, or `path-2`, `path-3`... when a copy of that name exists (two restores in the same millisecond). */
function freeName(path: string): string {
  let name = path;
  for (let i = 2; existsSync(name); i++) {
    name = `${path}-${i}`;
  }
  return name;
}
