/**
 * Values at given positions of a Float64Array's ascending order, without sorting it all: quickselect (Hoare partition,
 * median-of-three pivot, expected O(n) per position), each position searched only among the values at or after the
 * previous one. The detector takes medians and interval ends of thousands of pairwise differences per change point;
 * a full sort of them cost the scan of the 1M-row bench database more than a tenth of its detection time.
 *
 * The result is exactly what `values.sort()` would put at those positions: the k-th smallest value is the same
 * whatever finds it. Only where the sort's own order goes beyond `<` (NaN last, -0 before +0) could a selection differ:
 * an array holding NaN or -0 is sorted instead. `values` is reordered either way.
 */

/** Sorts values[lo..hi] (inclusive) in place: short ranges. */
function insertionSort(values: Float64Array, lo: number, hi: number): void {
  for (let i = lo + 1; i <= hi; i++) {
    const x = values[i]!;
    let j = i - 1;
    while (j >= lo && values[j]! > x) {
      values[j + 1] = values[j]!;
      j--;
    }
    values[j + 1] = x;
  }
}

/** Moves the k-th smallest of values[lo..hi] to position k, smaller or equal ones before it, larger or equal after. */
function select(values: Float64Array, k: number, lo: number, hi: number): void {
  while (hi - lo >= 16) {
    const mid = (lo + hi) >>> 1;
    const [a, b, c] = [values[lo]!, values[mid]!, values[hi]!];
    const pivot = a < b ? (b < c ? b : a < c ? c : a) : a < c ? a : b < c ? c : b;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (values[i]! < pivot) {
        i++;
      }
      while (values[j]! > pivot) {
        j--;
      }
      if (i <= j) {
        const t = values[i]!;
        values[i] = values[j]!;
        values[j] = t;
        i++;
        j--;
      }
    }
    // [lo, j] <= pivot, (j, i) == pivot, [i, hi] >= pivot.
    if (k <= j) {
      hi = j;
    } else if (k >= i) {
      lo = i;
    } else {
      return;
    }
  }
  insertionSort(values, lo, hi);
}

/** The values at `positions` (0-based, each in [0, length)) of values' ascending order, in the order asked for. */
export function sortedAt(values: Float64Array, positions: readonly number[]): number[] {
  const n = values.length;
  for (let i = 0; i < n; i++) {
    const x = values[i]!;
    if (x !== x || (x === 0 && 1 / x < 0)) {
      values.sort();
      return positions.map((p) => values[p]!);
    }
  }
  // Plain loops over the positions (a handful): with `positions.map(...).sort(...)` here, V8 threw this function's
  // optimized code away ("wrong map", --trace-deopt) about 1500 times in one scan of the 1M-row bench database.
  const k = positions.length;
  const order: number[] = [];
  for (let i = 0; i < k; i++) {
    let j = order.length;
    order.push(i);
    while (j > 0 && positions[order[j - 1]!]! > positions[i]!) {
      order[j] = order[j - 1]!;
      j--;
    }
    order[j] = i;
  }
  const out: number[] = [];
  for (let i = 0; i < k; i++) {
    out.push(0);
  }
  let lo = 0;
  for (let j = 0; j < k; j++) {
    const i = order[j]!;
    const p = positions[i]!;
    select(values, p, lo, n - 1);
    out[i] = values[p]!;
    lo = p;
  }
  return out;
}
