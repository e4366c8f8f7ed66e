import { afterEach, describe, expect, it } from 'vitest';

import { Store } from '../store/store';
import { forEachRawChunk, isValid } from './scan-columns';

let store: Store | undefined;
afterEach(() => {
  store?.close();
  store = undefined;
});

type Cell = number | bigint | null;

/** Every column of `sql` as plain cells through the raw reader (NULL -> null, 64-bit words -> BigInt), and the chunk sizes. */
async function raw(s: Store, sql: string, params: string[] = [], unsigned: boolean[] = []): Promise<{ columns: Cell[][]; chunks: number[] }> {
  const columns: Cell[][] = [];
  const chunks: number[] = [];
  await s.withConnection((c) =>
    forEachRawChunk(c, sql, params, (vectors, rows, before) => {
      expect(before).toBe(chunks.reduce((a, b) => a + b, 0));
      chunks.push(rows);
      vectors.forEach((v, j) => {
        const out = (columns[j] ??= []);
        for (let i = 0; i < rows; i++) {
          if (!isValid(v.valid, i)) {
            out.push(null);
          } else if (v.type === 'number') {
            out.push(v.values[i]!);
          } else {
            out.push(BigInt[unsigned[j] === true ? 'asUintN' : 'asIntN'](64, (BigInt(v.words[2 * i + 1]!) << 32n) | BigInt(v.words[2 * i]! >>> 0)));
          }
        }
      });
    }),
  );
  return { columns, chunks };
}

describe('forEachRawChunk', () => {
  it('equals the plain reader on every numeric type, with NULLs, NaN, infinities and negatives, across many chunks', async () => {
    store = await Store.open({ path: ':memory:' });
    // 5000 rows: three chunks, the last partial; NULL every 7th row in some columns, NaN and -Infinity in the doubles.
    await store.run(`
      CREATE TABLE t AS SELECT
        CASE WHEN i % 7 = 0 THEN NULL WHEN i % 11 = 0 THEN 'NaN'::DOUBLE WHEN i % 13 = 0 THEN '-Infinity'::DOUBLE ELSE (i - 2500) / 3.0 END AS d,
        CASE WHEN i % 7 = 1 THEN NULL ELSE ((i - 2500) * 0.25)::FLOAT END AS f,
        CASE WHEN i % 7 = 2 THEN NULL ELSE (i - 2500) * 100000 END::INTEGER AS i32,
        (i % 200 - 100)::TINYINT AS i8, (i % 60000)::USMALLINT AS u16, (i * 70000)::UINTEGER AS u32,
        CASE WHEN i % 7 = 3 THEN NULL ELSE (i - 2500) * 1234567890123 END::BIGINT AS i64,
        hash(i) AS h
      FROM range(5000) r(i)`);
    const plain = await store.all<Record<string, number | string | null>>('SELECT d, f, i32, i8, u16, u32, i64::VARCHAR AS i64, h::VARCHAR AS h FROM t');
    const got = await raw(store, 'SELECT d, f, i32, i8, u16, u32, i64, h FROM t', [], [false, false, false, false, false, false, false, true]);
    expect(got.chunks).toEqual([2048, 2048, 904]);
    ['d', 'f', 'i32', 'i8', 'u16', 'u32'].forEach((name, j) => {
      expect(got.columns[j]).toEqual(plain.map((r) => r[name]));
    });
    expect(got.columns[6]).toEqual(plain.map((r) => (r.i64 === null ? null : BigInt(r.i64 as string))));
    expect(got.columns[7]).toEqual(plain.map((r) => BigInt(r.h!)));
    expect(got.columns[0]![0]).toBeNull();
    expect(got.columns[0]![11]).toBeNaN();
    expect(got.columns[0]![13]).toBe(-Infinity);
  });

  it('visits nothing for an empty result, takes parameters, and reads 64-bit values beyond 2^53 exactly', async () => {
    store = await Store.open({ path: ':memory:' });
    await store.run('CREATE TABLE t (x DOUBLE, y BIGINT)');
    expect(await raw(store, 'SELECT x, y FROM t WHERE x > ?::DOUBLE', ['1'])).toEqual({ columns: [], chunks: [] });
    await store.run('INSERT INTO t VALUES (0.5, -1), (2.5, 9007199254740993)');
    expect(await raw(store, 'SELECT x, y FROM t WHERE x > ?::DOUBLE', ['1'])).toEqual({ columns: [[2.5], [9007199254740993n]], chunks: [1] });
    expect((await raw(store, 'SELECT y FROM t WHERE x < 1')).columns).toEqual([[-1n]]);
  });

  it('passes on the error of a visit that throws while the next chunk is being fetched, and the connection reads again after it', async () => {
    store = await Store.open({ path: ':memory:' });
    const s = store;
    await s.withConnection(async (c) => {
      let visits = 0;
      const failing = forEachRawChunk(c, 'SELECT i::DOUBLE AS x FROM range(10000) r(i)', [], () => {
        visits++;
        throw new Error('visit failed');
      });
      await expect(failing).rejects.toThrow('visit failed');
      expect(visits).toBe(1);
      let rows = 0;
      await forEachRawChunk(c, 'SELECT i::DOUBLE AS x FROM range(5000) r(i)', [], (_, n) => (rows += n));
      expect(rows).toBe(5000);
    });
  });

  it('refuses a column that is not numeric, naming it (E_DB_INVALID_ARGUMENT), even when no row comes', async () => {
    store = await Store.open({ path: ':memory:' });
    await expect(raw(store, "SELECT 1.5::DOUBLE AS ok, 'x' AS name")).rejects.toMatchObject({ code: 'E_DB_INVALID_ARGUMENT', message: expect.stringContaining('"name" is VARCHAR') });
    await expect(raw(store, 'SELECT now()::TIMESTAMP AS at WHERE false')).rejects.toMatchObject({ code: 'E_DB_INVALID_ARGUMENT', message: expect.stringContaining('epoch_ms') });
  });
});
