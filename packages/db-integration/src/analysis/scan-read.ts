/**
 * Reads every measured series for the regression scan. DuckDB does the grouping: each row leaves it as numbers only
 * (a 64-bit hash of the series key, of the environment and of the commit; time; the three metrics), copied straight
 * out of the result vectors' native memory by `readRawColumns` (no JS value per cell), and one GROUPING SETS query
 * returns the strings behind the hashes. Node then numbers the hashes (an open-addressing table in typed arrays),
 * buckets rows by series in O(n) (a counting sort: each chunk's rows get their places in series order, then each
 * column is scattered there in turn) and orders each series by time in place (already ordered in the usual append-only case, so that check is O(n)
 * too). The bucketed columns can live in SharedArrayBuffers, so detection workers read them without a copy. No
 * global ORDER BY: sorting a million rows in DuckDB (by series hash, time) cost ~0.6 s here, more than the read.
 * (Tried and not kept: a materialized result instead of streaming, and dense ids from DuckDB hash joins; neither was
 * measurably faster here, the joins lost the rows' time order.)
 */
import { sqlTimestamp, type Store } from '../store/store';
import { forEachRawChunk, isValid } from './scan-columns';

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

/** Every row of the scan in series order (each series oldest point first); in SharedArrayBuffers when asked for. */
export interface ScanColumns {
  at: Float64Array;
  latency: Float64Array;
  throughput: Float64Array;
  memory: Float64Array;
  env: Int32Array;
  commit: Int32Array;
}

/**
 * One series: rows [from, to) of `ScanData.columns`, and views of them; `env` and `commit` index
 * `ScanData.environments` / `ScanData.commits`. Metrics that were NULL are NaN.
 */
export interface ScanSeries extends ScanColumns {
  meta: SeriesMeta;
  from: number;
  to: number;
}

export interface ScanData {
  series: ScanSeries[];
  /** With `wanted`: the digest of each series' points in the window (regression_scan_state.digest), in `series` order. */
  digests: string[] | undefined;
  /** Keys of the series measured in the window but not read (`wanted` turned them down). */
  skipped: string[];
  columns: ScanColumns;
  environments: Environment[];
  commits: (string | null)[];
  points: number;
}

/**
 * A 64-bit hash (two 32-bit words) -> a small dense id: an open-addressing table in typed arrays (a lookup per row
 * and dimension, three million on a 1M-row scan; nested Maps keyed by doubles cost ~0.4 s of that scan).
 */
class HashIds {
  private his = new Int32Array(64);
  private los = new Int32Array(64);
  private slots = new Int32Array(64).fill(-1);
  size = 0;
  private slotOf(hi: number, lo: number): number {
    const mask = this.slots.length - 1;
    let slot = (Math.imul(lo, 0x9e3779b1) ^ Math.imul(hi, 0x85ebca6b)) & mask;
    for (;;) {
      const id = this.slots[slot]!;
      if (id === -1 || (this.his[id] === hi && this.los[id] === lo)) {
        return slot;
      }
      slot = (slot + 1) & mask;
    }
  }
  /** Adds a hash (given as its words, or as the unsigned halves DuckDB computes) and returns its id. */
  add(hi: number, lo: number): number {
    const slot = this.slotOf(hi | 0, lo | 0);
    const found = this.slots[slot]!;
    if (found !== -1) {
      return found;
    }
    const id = this.size++;
    if (id >= this.his.length) {
      const his = new Int32Array(2 * this.his.length);
      const los = new Int32Array(2 * this.los.length);
      his.set(this.his);
      los.set(this.los);
      this.his = his;
      this.los = los;
    }
    this.his[id] = hi | 0;
    this.los[id] = lo | 0;
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
  /** The id of a hash, or -1. */
  find(hi: number, lo: number): number {
    return this.slots[this.slotOf(hi, lo)]!;
  }
}

/**
 * Puts a series' rows in time order in place, ties in the order they came (as a stable comparator sort would give).
 * Whole milliseconds within a span that leaves room below 2^53 are packed with the position into one exact double and
 * sorted natively: the bench's database arrives out of order, and a comparator sort of its 1000 series cost ~0.3 s.
 * The scratch arrays are kept from series to series (a fresh copy of every column of every series kept the garbage
 * collector busy).
 */
class TimeSorter {
  private keys = new Float64Array(0);
  private order = new Int32Array(0);
  private f64 = new Float64Array(0);
  private i32 = new Int32Array(0);

  private orderOf(at: Float64Array): Int32Array {
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
    const keys = this.keys.subarray(0, n);
    for (let j = 0; j < n; j++) {
      keys[j] = (at[j]! - lo) * scale + j;
    }
    keys.sort();
    const order = this.order.subarray(0, n);
    // key mod scale, exactly (a power of two and integers below 2^53), without the floating-point remainder's cost.
    for (let j = 0; j < n; j++) {
      order[j] = keys[j]! - Math.floor(keys[j]! / scale) * scale;
    }
    return order;
  }

  sort(at: Float64Array, doubles: Float64Array[], ints: Int32Array[]): void {
    const n = at.length;
    if (this.keys.length < n) {
      [this.keys, this.order, this.f64, this.i32] = [new Float64Array(n), new Int32Array(n), new Float64Array(n), new Int32Array(n)];
    }
    const order = this.orderOf(at);
    for (const seg of [at, ...doubles]) {
      const copy = this.f64.subarray(0, n);
      copy.set(seg);
      for (let j = 0; j < n; j++) {
        seg[j] = copy[order[j]!]!;
      }
    }
    for (const seg of ints) {
      const copy = this.i32.subarray(0, n);
      copy.set(seg);
      for (let j = 0; j < n; j++) {
        seg[j] = copy[order[j]!]!;
      }
    }
  }
}

const where = `recorded_at >= ?::TIMESTAMP AND browser IS NOT NULL`;
const SERIES_HASH = `hash(${KEY.join(', ')})`;
const ROWS_SQL = `SELECT ${SERIES_HASH} AS k, hash(${ENV.join(', ')}) AS e, hash(git_commit) AS c, epoch_ms(recorded_at)::DOUBLE AS t,
                         p50_ms::DOUBLE, throughput::DOUBLE, memory_mb::DOUBLE
                  FROM measurements WHERE ${where}`;
/** Ordered (a few thousand rows): a hash aggregate's order varies from run to run, and findings are stored in series order. */
const namesSql = (digests: boolean): string => `SELECT grouping(${KEY.join(', ')}) AS g_key, grouping(${ENV.join(', ')}) AS g_env, ${hashParts(KEY, 'k')}, ${hashParts(ENV, 'e')}, ${hashParts(['git_commit'], 'c')},
                          ${KEY.join(', ')}, ${ENV.join(', ')}, git_commit, count(*) AS n${
                            digests ? `, sum(hash(recorded_at, p50_ms, throughput, memory_mb, ${ENV.join(', ')}, git_commit)::HUGEINT)::VARCHAR || '/' || count(*) AS digest` : ''
                          }
                   FROM measurements WHERE ${where}
                   GROUP BY GROUPING SETS ((${KEY.join(', ')}), (${ENV.join(', ')}), (git_commit))
                   ORDER BY ALL`;

/** Puts values[i] (NaN where NULL) at to[dest[i]], for each row i with a place (dest[i] >= 0). */
function scatterValues(to: Float64Array, { values, valid }: { values: ArrayLike<number>; valid: Uint8Array | null }, dest: Int32Array, rows: number): void {
  for (let i = 0; i < rows; i++) {
    if (dest[i]! >= 0) {
      to[dest[i]!] = isValid(valid, i) ? values[i]! : NaN;
    }
  }
}

const float64 = (n: number, shared: boolean): Float64Array => (shared ? new Float64Array(new SharedArrayBuffer(8 * n)) : new Float64Array(n));
const int32 = (n: number, shared: boolean): Int32Array => (shared ? new Int32Array(new SharedArrayBuffer(4 * n)) : new Int32Array(n));

/** A series as the names query gives it: its 64-bit hash as unsigned halves, rows, digest of its points (if asked for). */
interface SeriesName {
  meta: SeriesMeta;
  rows: number;
  digest: string;
  hi: number;
  lo: number;
}

/** The series, environments and commits of the scan (names query), in its order, with each series' row count. */
function namesOf(rows: Record<string, unknown>[]): { series: SeriesName[]; envIds: HashIds; commitIds: HashIds; environments: Environment[]; commits: (string | null)[] } {
  const out = { series: [] as SeriesName[], envIds: new HashIds(), commitIds: new HashIds(), environments: [] as Environment[], commits: [] as (string | null)[] };
  const flag = (v: unknown): string => (typeof v === 'boolean' || typeof v === 'number' ? String(v) : '-');
  for (const r of rows) {
    if (r.g_key === 0) {
      const flags = [r.compute_shader_optimized, r.precompile_shaders, r.parallel_loading, r.mixed_precision, r.precision_bits].map(flag).join('/');
      const m = { source: String(r.source), model_name: String(r.model_name), browser: String(r.browser), requested_backend: String(r.requested_backend), batch_size: r.batch_size as number };
      const meta = { ...m, key: [m.source, m.model_name, m.browser, m.requested_backend, m.batch_size, flags].join('|') };
      out.series.push({ meta, rows: r.n as number, digest: (r.digest as string | undefined) ?? '', hi: r.k_hi as number, lo: r.k_lo as number });
    } else if (r.g_env === 0) {
      out.envIds.add(r.e_hi as number, r.e_lo as number);
      out.environments.push({ backend: (r.backend as string | null) ?? 'unknown', adapter: (r.adapter_architecture as string | null) ?? undefined, isRealHardware: r.is_real_hardware === true, browserVersion: (r.browser_version as string | null) ?? undefined });
    } else {
      out.commitIds.add(r.c_hi as number, r.c_lo as number);
      out.commits.push((r.git_commit as string | null) ?? null);
    }
  }
  return out;
}

/**
 * Every series measured since `days` ago, newest `maxPoints` points each, but those `wanted` turns down (given each
 * series and the digest of its points in the window: see regression_scan_state; computed only when `wanted` is
 * given, it costs the names query a hash of every row): their rows are not read. `onPoints`: told how many points
 * will be read, before the rows are (the scan starts its detection workers then). `shared`:
 * the columns in SharedArrayBuffers (for detection workers). The names query counts each series' rows, so the rows
 * are scattered into series order as they stream out of DuckDB, one pass, no intermediate copy; both queries run in
 * one transaction (the same snapshot).
 */
export async function readScanData(
  store: Store,
  days: number,
  maxPoints: number,
  options: { shared?: boolean; wanted?: (meta: SeriesMeta, digest: string) => boolean; onPoints?: (points: number) => void } = {},
): Promise<ScanData> {
  const shared = options.shared ?? false;
  const since = sqlTimestamp(new Date(Date.now() - days * 86_400_000));
  return store.withConnection(async (connection) => {
    await connection.run('BEGIN TRANSACTION');
    try {
      const names = namesOf(
        (await connection.runAndReadAll(namesSql(options.wanted !== undefined), [since])).getRowObjectsJS().map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v]))),
      );
      const { envIds, commitIds } = names;
      const read = names.series.filter((n) => options.wanted?.(n.meta, n.digest) ?? true);
      const reading = new Set(read);
      const seriesIds = new HashIds();
      read.forEach((n) => seriesIds.add(n.hi, n.lo));
      const metas = read.map((n) => n.meta);
      const starts = new Int32Array(metas.length + 1);
      read.forEach((n, s) => (starts[s + 1] = starts[s]! + n.rows));
      const total = starts[metas.length]!;
      options.onPoints?.(read.reduce((a, n) => a + Math.min(n.rows, maxPoints), 0));
      const columns: ScanColumns = { at: float64(total, shared), latency: float64(total, shared), throughput: float64(total, shared), memory: float64(total, shared), env: int32(total, shared), commit: int32(total, shared) };
      const fill = starts.slice(0, metas.length);
      // Neighbouring rows usually share a series, environment and commit: the last lookup of each is remembered.
      const memo = new Int32Array([0, 0, -1, 0, 0, -1, 0, 0, -1]);
      const lookup = (ids: HashIds, words: Int32Array, i: number, m: number): number => {
        if (memo[m + 2] === -1 || memo[m] !== words[2 * i + 1] || memo[m + 1] !== words[2 * i]) {
          memo[m] = words[2 * i + 1]!;
          memo[m + 1] = words[2 * i]!;
          memo[m + 2] = ids.find(memo[m], memo[m + 1]!);
        }
        return memo[m + 2]!;
      };
      // Only the series to read (all of them, none, or those listed by hash).
      const only = read.length === names.series.length ? '' : ` AND ${SERIES_HASH} IN (${read.map((n) => ((BigInt(n.hi) << 32n) | BigInt(n.lo)).toString()).join(', ') || 'NULL'})`;
      // Each chunk in two passes: the rows' places in series order, then one column at a time scattered there (one
      // column's write positions stay in cache; all six at once thrashed it: ~0.25 s of the 1M-row read).
      let dest = new Int32Array(2048);
      const scatterIds = (to: Int32Array, ids: HashIds, words: Int32Array, rows: number, m: number): void => {
        for (let i = 0; i < rows; i++) {
          if (dest[i]! >= 0) {
            to[dest[i]!] = lookup(ids, words, i, m);
          }
        }
      };
      await (read.length === 0 ? Promise.resolve(0) : forEachRawChunk(connection, ROWS_SQL + only, [since], (vectors, rows) => {
        const words = (j: number): Int32Array => (vectors[j] as { words: Int32Array }).words;
        const metric = (j: number): { values: ArrayLike<number>; valid: Uint8Array | null } => vectors[j] as { values: ArrayLike<number>; valid: Uint8Array | null };
        const k = words(0);
        if (dest.length < rows) {
          dest = new Int32Array(rows);
        }
        for (let i = 0; i < rows; i++) {
          const s = lookup(seriesIds, k, i, 0);
          // A row no series owns cannot happen within one snapshot; it is never placed.
          dest[i] = s < 0 ? -1 : fill[s]!++;
        }
        scatterValues(columns.at, metric(3), dest, rows);
        scatterValues(columns.latency, metric(4), dest, rows);
        scatterValues(columns.throughput, metric(5), dest, rows);
        scatterValues(columns.memory, metric(6), dest, rows);
        scatterIds(columns.env, envIds, words(1), rows, 3);
        scatterIds(columns.commit, commitIds, words(2), rows, 6);
      }));
      const view = (meta: SeriesMeta, from: number, to: number): ScanSeries => ({
        meta,
        from,
        to,
        at: columns.at.subarray(from, to),
        latency: columns.latency.subarray(from, to),
        throughput: columns.throughput.subarray(from, to),
        memory: columns.memory.subarray(from, to),
        env: columns.env.subarray(from, to),
        commit: columns.commit.subarray(from, to),
      });
      const series: ScanSeries[] = [];
      const sorter = new TimeSorter();
      let points = 0;
      for (let s = 0; s < metas.length; s++) {
        const whole = view(metas[s]!, starts[s]!, starts[s + 1]!);
        let sorted = true;
        for (let j = 1; j < whole.at.length && sorted; j++) {
          sorted = whole.at[j - 1]! <= whole.at[j]!;
        }
        if (!sorted) {
          sorter.sort(whole.at, [whole.latency, whole.throughput, whole.memory], [whole.env, whole.commit]);
        }
        const one = view(metas[s]!, Math.max(whole.from, whole.to - maxPoints), whole.to);
        series.push(one);
        points += one.to - one.from;
      }
      return { series, digests: options.wanted === undefined ? undefined : read.map((n) => n.digest), skipped: names.series.filter((n) => !reading.has(n)).map((n) => n.meta.key), columns, environments: names.environments, commits: names.commits, points };
    } finally {
      await connection.run('COMMIT');
    }
  });
}
