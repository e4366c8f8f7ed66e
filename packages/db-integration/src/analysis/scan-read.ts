/**
 * Reads every measured series for the regression scan. DuckDB does the grouping: each row leaves it as numbers only
 * (a 64-bit hash of the series key, of the environment and of the commit, split into two exact doubles; time; the
 * three metrics), read straight from the result's vectors chunk by chunk, and one GROUPING SETS query returns the
 * strings behind the hashes. Node then buckets rows by series in O(n) (a counting sort) and orders each series by
 * time (already ordered in the usual append-only case, so that check is O(n) too). No global ORDER BY: sorting a
 * million rows cost more than everything else the scan does.
 */
import type { DuckDBConnection } from '@duckdb/node-api';

import { sqlTimestamp, type Store } from '../store/store';

const KEY = ['source', 'model_name', 'browser', 'requested_backend', 'batch_size', 'compute_shader_optimized', 'precompile_shaders', 'parallel_loading', 'mixed_precision', 'precision_bits'];
const ENV = ['backend', 'adapter_architecture', 'is_real_hardware', 'browser_version'];
const hashParts = (cols: readonly string[], name: string): string =>
  `(hash(${cols.join(', ')}) >> 32)::DOUBLE AS ${name}_hi, (hash(${cols.join(', ')}) & 4294967295)::DOUBLE AS ${name}_lo`;

export interface SeriesMeta {
  key: string;
  source: string;
  model_name: string;
  browser: string;
  requested_backend: string;
  batch_size: number;
}

export interface Environment {
  backend: string;
  adapter: string | undefined;
  isRealHardware: boolean;
  browserVersion: string | undefined;
}

/** One series, oldest point first; `env` and `commit` index `ScanData.environments` / `ScanData.commits`. */
export interface ScanSeries {
  meta: SeriesMeta;
  at: Float64Array;
  latency: Float64Array;
  throughput: Float64Array;
  memory: Float64Array;
  env: Int32Array;
  commit: Int32Array;
}

export interface ScanData {
  series: ScanSeries[];
  environments: Environment[];
  commits: (string | null)[];
  points: number;
}

/** Two exact doubles of a 64-bit hash -> a small dense id. */
class HashIds {
  private readonly ids = new Map<number, Map<number, number>>();
  size = 0;
  id(hi: number, lo: number): number {
    let inner = this.ids.get(hi);
    if (inner === undefined) {
      inner = new Map();
      this.ids.set(hi, inner);
    }
    let id = inner.get(lo);
    if (id === undefined) {
      id = this.size++;
      inner.set(lo, id);
    }
    return id;
  }
  find(hi: number, lo: number): number | undefined {
    return this.ids.get(hi)?.get(lo);
  }
}

interface RawColumns {
  n: number;
  cols: Float64Array[];
}

/**
 * Numeric columns of a query whose columns are all DOUBLE and never NULL (callers coalesce to NaN), read from the
 * result vectors without building row objects. Fast path: a DOUBLE vector of @duckdb/node-api (pinned version) keeps
 * its chunk as a Float64Array in `items`, copied in one `set`: calling `getItem` ten million times cost ~1.7 s of the
 * scan's ~2 s of reading. If that field is ever missing or not what is expected, the public `getItem` path is used.
 */
async function readNumbers(connection: DuckDBConnection, sql: string, params: string[], columns: number): Promise<RawColumns> {
  const result = await connection.stream(sql, params);
  let capacity = 1 << 16;
  let cols = Array.from({ length: columns }, () => new Float64Array(capacity));
  let n = 0;
  for (let chunk = await result.fetchChunk(); chunk !== null && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
    const rows = chunk.rowCount;
    if (n + rows > capacity) {
      capacity = Math.max(capacity * 2, n + rows);
      cols = cols.map((c) => {
        const bigger = new Float64Array(capacity);
        bigger.set(c.subarray(0, n));
        return bigger;
      });
    }
    for (let j = 0; j < columns; j++) {
      const vector = chunk.getColumnVector(j);
      const out = cols[j]!;
      const items = (vector as unknown as { items?: unknown }).items;
      if (items instanceof Float64Array && items.length === rows) {
        out.set(items, n);
      } else {
        for (let i = 0; i < rows; i++) {
          out[n + i] = (vector.getItem(i) as number | null) ?? NaN;
        }
      }
    }
    n += rows;
  }
  return { n, cols };
}

/** Every series measured since `days` ago, newest `maxPoints` points each. */
export async function readScanData(store: Store, days: number, maxPoints: number): Promise<ScanData> {
  const since = sqlTimestamp(new Date(Date.now() - days * 86_400_000));
  const where = `recorded_at >= ?::TIMESTAMP AND browser IS NOT NULL`;
  const raw = await store.withConnection((connection) =>
    readNumbers(
      connection,
      `SELECT ${hashParts(KEY, 'k')}, ${hashParts(ENV, 'e')}, ${hashParts(['git_commit'], 'c')}, epoch_ms(recorded_at)::DOUBLE AS t,
              coalesce(p50_ms, 'NaN'::DOUBLE), coalesce(throughput, 'NaN'::DOUBLE), coalesce(memory_mb, 'NaN'::DOUBLE)
       FROM measurements WHERE ${where}`,
      [since],
      10,
    ),
  );
  const names = await store.all<Record<string, unknown>>(
    `SELECT grouping(${KEY.join(', ')}) AS g_key, grouping(${ENV.join(', ')}) AS g_env, ${hashParts(KEY, 'k')}, ${hashParts(ENV, 'e')}, ${hashParts(['git_commit'], 'c')},
            ${KEY.join(', ')}, ${ENV.join(', ')}, git_commit
     FROM measurements WHERE ${where}
     GROUP BY GROUPING SETS ((${KEY.join(', ')}), (${ENV.join(', ')}), (git_commit))`,
    [since],
  );
  const seriesIds = new HashIds();
  const envIds = new HashIds();
  const commitIds = new HashIds();
  const metas: SeriesMeta[] = [];
  const environments: Environment[] = [];
  const commits: (string | null)[] = [];
  const flag = (v: unknown): string => (typeof v === 'boolean' || typeof v === 'number' ? String(v) : '-');
  for (const r of names) {
    if (r.g_key === 0) {
      seriesIds.id(r.k_hi as number, r.k_lo as number);
      const flags = [r.compute_shader_optimized, r.precompile_shaders, r.parallel_loading, r.mixed_precision, r.precision_bits].map(flag).join('/');
      const m = { source: String(r.source), model_name: String(r.model_name), browser: String(r.browser), requested_backend: String(r.requested_backend), batch_size: r.batch_size as number };
      metas.push({ ...m, key: [m.source, m.model_name, m.browser, m.requested_backend, m.batch_size, flags].join('|') });
    } else if (r.g_env === 0) {
      envIds.id(r.e_hi as number, r.e_lo as number);
      environments.push({ backend: (r.backend as string | null) ?? 'unknown', adapter: (r.adapter_architecture as string | null) ?? undefined, isRealHardware: r.is_real_hardware === true, browserVersion: (r.browser_version as string | null) ?? undefined });
    } else {
      commitIds.id(r.c_hi as number, r.c_lo as number);
      commits.push((r.git_commit as string | null) ?? null);
    }
  }
  // Counting sort of rows by series.
  const [kHi, kLo, eHi, eLo, cHi, cLo, t, p50, thr, mem] = raw.cols as [Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array];
  const seriesOf = new Int32Array(raw.n);
  const envOf = new Int32Array(raw.n);
  const commitOf = new Int32Array(raw.n);
  const counts = new Int32Array(metas.length + 1);
  // Neighbouring rows usually share series, environment and commit: remember the last lookup of each.
  const last = { k: [NaN, NaN, 0], e: [NaN, NaN, 0], c: [NaN, NaN, 0] };
  const lookup = (ids: HashIds, memo: number[], hi: number, lo: number): number => {
    if (memo[0] !== hi || memo[1] !== lo) {
      memo[0] = hi;
      memo[1] = lo;
      memo[2] = ids.find(hi, lo)!;
    }
    return memo[2]!;
  };
  for (let i = 0; i < raw.n; i++) {
    const s = lookup(seriesIds, last.k, kHi[i]!, kLo[i]!);
    seriesOf[i] = s;
    envOf[i] = lookup(envIds, last.e, eHi[i]!, eLo[i]!);
    commitOf[i] = lookup(commitIds, last.c, cHi[i]!, cLo[i]!);
    counts[s + 1]!++;
  }
  for (let s = 0; s < metas.length; s++) {
    counts[s + 1]! += counts[s]!;
  }
  const order = new Int32Array(raw.n);
  const fill = counts.slice(0, metas.length);
  for (let i = 0; i < raw.n; i++) {
    order[fill[seriesOf[i]!]!++] = i;
  }
  const series: ScanSeries[] = [];
  let points = 0;
  for (let s = 0; s < metas.length; s++) {
    let rows = order.subarray(counts[s], counts[s + 1]);
    let sorted = true;
    for (let j = 1; j < rows.length && sorted; j++) {
      sorted = t[rows[j - 1]!]! <= t[rows[j]!]!;
    }
    if (!sorted) {
      rows = Int32Array.from(rows).sort((a, b) => t[a]! - t[b]!);
    }
    rows = rows.subarray(Math.max(0, rows.length - maxPoints));
    const m = rows.length;
    const one: ScanSeries = {
      meta: metas[s]!,
      at: new Float64Array(m),
      latency: new Float64Array(m),
      throughput: new Float64Array(m),
      memory: new Float64Array(m),
      env: new Int32Array(m),
      commit: new Int32Array(m),
    };
    for (let j = 0; j < m; j++) {
      const i = rows[j]!;
      one.at[j] = t[i]!;
      one.latency[j] = p50[i]!;
      one.throughput[j] = thr[i]!;
      one.memory[j] = mem[i]!;
      one.env[j] = envOf[i]!;
      one.commit[j] = commitOf[i]!;
    }
    series.push(one);
    points += rows.length;
  }
  return { series, environments, commits, points };
}
