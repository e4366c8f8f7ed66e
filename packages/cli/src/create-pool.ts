/**
 * `createPool({ dbPath })`: a ResourcePool that records into the benchmark database, answers report calls and
 * routes from stored history. The wiring lives here because `pool` must not import `db-integration`.
 */
import { renderInChromium } from '@browser-pool/browser-harness';
import { DuckDBPoolDatabase, type PoolDatabaseOptions, type Rasterizer } from '@browser-pool/db-integration';
import { type PoolOptions, ResourcePool } from '@browser-pool/pool';

import { pagesDir } from './pages-dir';

export interface CreatePoolOptions extends PoolOptions {
  /**
   * The DuckDB file to record into; `false` for a pool without a database.
   * @default BENCHMARK_DB_PATH or ./benchmark_db.duckdb
   */
  dbPath?: string | false;
  /** Recorder, advice and scan settings (see `PoolDatabaseOptions`). @default {} */
  db?: Omit<PoolDatabaseOptions, 'path' | 'rasterize'>;
}

/** Charts to PNG in the Chromium this project already drives. */
export const chromiumRasterizer: Rasterizer = async (svg, size) => (await renderInChromium(svg, size)).png;

/** Opens the database (unless `dbPath: false`) and returns a pool that uses it; `pool.close()` closes both. */
export async function createPool(options: CreatePoolOptions = {}): Promise<ResourcePool> {
  const { dbPath, db, ...given } = options;
  // an installed CLI serves the worker page it carries; in the repository this changes nothing
  const bundled = given.harness?.pagesDir === undefined ? pagesDir() : undefined;
  const poolOptions: PoolOptions = bundled === undefined ? given : { ...given, harness: { ...given.harness, pagesDir: bundled } };
  if (dbPath === false) {
    return new ResourcePool(poolOptions);
  }
  const database = await DuckDBPoolDatabase.open({ ...db, path: dbPath, rasterize: chromiumRasterizer });
  return new ResourcePool({ ...poolOptions, database });
}
