/**
 * Reads every measured series for the regression scan. DuckDB does the grouping: each row leaves it as numbers only
 * (a 64-bit hash of the series key, of the environment and of the commit, split into two exact doubles; time; the
 * three metrics), read straight from the result's vectors chunk by chunk, and one GROUPING SETS query returns the
 * strings behind the hashes. Node then numbers the hashes (an open-addressing table in typed arrays), buckets rows by
 * series in O(n) (a counting sort that scatters every column into series order in one sequential pass) and orders
 * each series by time (already ordered in the usual append-only case, so that check is O(n) too). No global ORDER
 * BY: sorting a million rows cost more than everything else the scan does. (Tried and not kept: a materialized
 * result instead of streaming, and dense ids from DuckDB hash joins; neither was measurably faster here, the joins
 * lost the rows' time order.)
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

/**
 * Two exact doubles of a 64-bit hash -> a small dense id: an open-addressing table in typed arrays (a lookup per row
 * and dimension, three million on a 1M-row scan; nested Maps keyed by doubles cost ~0.4 s of that scan).
 */
class HashIds {
  private his = new Float64Array(64);
  private los = new Float64Array(64);
  private slots = new Int32Array(64).fill(-1);
  size = 0;
  private slotOf(hi: number, lo: number): number {
    const mask = this.slots.length - 1;
    let slot = (Math.imul(lo | 0, 0x9e3779b1) ^ Math.imul(hi | 0, 0x85ebca6b)) & mask;
    for (;;) {
      const id = this.slots[slot]!;
      if (id === -1 || (this.his[id] === hi && this.los[id] === lo)) {
        return slot;
      }
      slot = (slot + 1) & mask;
    }
  }
  id(hi: number, lo: number): number {
    const slot = this.slotOf(hi, lo);
    const found = this.slots[slot]!;
    if (found !== -1) {
      return found;
    }
    const id = this.size++;
    if (id >= this.his.length) {
      const his = new Float64Array(2 * this.his.length);
      const los = new Float64Array(2 * this.los.length);
      his.set(this.his);
      los.set(this.los);
      this.his = his;
      this.los = los;
    }
    this.his[id] = hi;
    this.los[id] = lo;
    this.slots[slot] = id;
    if (2 * this.size > this.slots.length) {
      // Keep the table at most half full: rehash every id into one twice the size.
      this.slots = new Int32Array(2 * this.slots.length).fill(-1);
      for (let i = 0; i < this.size; i++) {
        this.slots[this.slotOf(this.his[i]!, this.los[i]!)] = i;
      }
    }
    return id;
  }
  find(hi: number, lo: number): number | undefined {
    const id = this.slots[this.slotOf(hi, lo)]!;
    return id === -1 ? undefined : id;
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

/**
 * Positions of `at` in time order, ties in the order they came (as a stable comparator sort would give). Whole
 * milliseconds within a span that leaves room below 2^53 are packed with the position into one exact double and
 * sorted natively: the bench's database arrives out of order, and a comparator sort of its 1000 series cost ~0.3 s.
 */
function timeOrder(at: Float64Array): Int32Array {
  const n = at.length;
  let lo = Infinity;
  let hi = -Infinity;
  let whole = true;
  for (let j = 0; j < n; j++) {
    lo = Math.min(lo, at[j]!);
    hi = Math.max(hi, at[j]!);
    whole &&= Number.isInteger(at[j]!);
  }
  const scale = 2 ** Math.ceil(Math.log2(n + 1));
  if (!whole || (hi - lo + 1) * scale > Number.MAX_SAFE_INTEGER) {
    return Int32Array.from({ length: n }, (_, j) => j).sort((a, b) => at[a]! - at[b]!);
  }
  const keys = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    keys[j] = (at[j]! - lo) * scale + j;
  }
  keys.sort();
  const order = new Int32Array(n);
  for (let j = 0; j < n; j++) {
    order[j] = keys[j]! % scale;
  }
  return order;
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
  // Counting sort of rows by series: count, then scatter every column into series order in one sequential pass over
  // the rows (reading each series' rows back from all over the result instead missed the cache on every point).
  const [kHi, kLo, eHi, eLo, cHi, cLo, t, p50, thr, mem] = raw.cols as [Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array];
  const seriesOf = new Int32Array(raw.n);
  const counts = new Int32Array(metas.length + 1);
  // Neighbouring rows usually share environment and commit: remember the last lookup of each.
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
    counts[s + 1]!++;
  }
  for (let s = 0; s < metas.length; s++) {
    counts[s + 1]! += counts[s]!;
  }
  const all = { at: new Float64Array(raw.n), latency: new Float64Array(raw.n), throughput: new Float64Array(raw.n), memory: new Float64Array(raw.n), env: new Int32Array(raw.n), commit: new Int32Array(raw.n) };
  const fill = counts.slice(0, metas.length);
  for (let i = 0; i < raw.n; i++) {
    const to = fill[seriesOf[i]!]!++;
    all.at[to] = t[i]!;
    all.latency[to] = p50[i]!;
    all.throughput[to] = thr[i]!;
    all.memory[to] = mem[i]!;
    all.env[to] = lookup(envIds, last.e, eHi[i]!, eLo[i]!);
    all.commit[to] = lookup(commitIds, last.c, cHi[i]!, cLo[i]!);
  }
  const series: ScanSeries[] = [];
  let points = 0;
  for (let s = 0; s < metas.length; s++) {
    const from = counts[s]!;
    const to = counts[s + 1]!;
    const view = (): ScanSeries => ({
      meta: metas[s]!,
      at: all.at.subarray(from, to),
      latency: all.latency.subarray(from, to),
      throughput: all.throughput.subarray(from, to),
      memory: all.memory.subarray(from, to),
      env: all.env.subarray(from, to),
      commit: all.commit.subarray(from, to),
    });
    let one = view();
    let sorted = true;
    for (let j = 1; j < one.at.length && sorted; j++) {
      sorted = one.at[j - 1]! <= one.at[j]!;
    }
    if (!sorted) {
      const order = timeOrder(one.at);
      const pick = <A extends Float64Array | Int32Array>(col: A): A => {
        const copy = col.slice() as A;
        for (let j = 0; j < order.length; j++) {
          copy[j] = col[order[j]!]!;
        }
        return copy;
      };
      one = { meta: one.meta, at: pick(one.at), latency: pick(one.latency), throughput: pick(one.throughput), memory: pick(one.memory), env: pick(one.env), commit: pick(one.commit) };
    }
    const keep = Math.max(0, one.at.length - maxPoints);
    if (keep > 0) {
      one = { meta: one.meta, at: one.at.subarray(keep), latency: one.latency.subarray(keep), throughput: one.throughput.subarray(keep), memory: one.memory.subarray(keep), env: one.env.subarray(keep), commit: one.commit.subarray(keep) };
    }
    series.push(one);
    points += one.at.length;
  }
  return { series, environments, commits, points };
}
