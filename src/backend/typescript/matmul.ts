import type { FloatArray } from "../../tensor/dtype.js";

/**
 * out = op(a) · op(b) in plain loops, ordered so that the innermost loop walks
 * memory contiguously for each transpose combination. op(a) is [m, k], op(b) is [k, n].
 */
export function matmul(
  a: FloatArray,
  b: FloatArray,
  out: FloatArray,
  m: number,
  k: number,
  n: number,
  transposeA: boolean,
  transposeB: boolean,
  accumulate: boolean,
): void {
  if (!accumulate) out.fill(0, 0, m * n);
  // Skipping zero entries of `a` saves most of the work on sparse inputs such as images. It
  // is exact only when `b` is finite, because 0 · NaN and 0 · ∞ must still give NaN.
  const skipZeros = allFinite(b);
  if (!transposeB) {
    // a is [m, k] (or stored [k, m] when transposed), b is [k, n].
    if (transposeA) addRowCombinations(a, 1, m, b, out, m, k, n, skipZeros);
    else addRowCombinations(a, k, 1, b, out, m, k, n, skipZeros);
  } else if (!transposeA) {
    // a is [m, k], b is stored [n, k]: each output is a dot product of two contiguous rows.
    for (let i = 0; i < m; i++) {
      const aRow = i * k;
      for (let j = 0; j < n; j++) {
        const bRow = j * k;
        let s0 = 0;
        let s1 = 0;
        let s2 = 0;
        let s3 = 0;
        let p = 0;
        for (; p + 3 < k; p += 4) {
          s0 += a[aRow + p]! * b[bRow + p]!;
          s1 += a[aRow + p + 1]! * b[bRow + p + 1]!;
          s2 += a[aRow + p + 2]! * b[bRow + p + 2]!;
          s3 += a[aRow + p + 3]! * b[bRow + p + 3]!;
        }
        for (; p < k; p++) s0 += a[aRow + p]! * b[bRow + p]!;
        out[i * n + j]! += s0 + s1 + s2 + s3;
      }
    }
  } else {
    // Both transposed: a is stored [k, m], b is stored [n, k].
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let sum = 0;
        for (let p = 0; p < k; p++) sum += a[p * m + i]! * b[j * k + p]!;
        out[i * n + j]! += sum;
      }
    }
  }
}

/**
 * Adds to each row i of `out` the combination Σp A(i, p) · (row p of b), where
 * A(i, p) = a[i · rowStride + p · innerStride]. Terms are gathered four at a
 * time (leaving out zero coefficients when `skipZeros` is set) and added in one
 * pass, so each output element is loaded and stored once per four products.
 */
function addRowCombinations(
  a: FloatArray,
  rowStride: number,
  innerStride: number,
  b: FloatArray,
  out: FloatArray,
  m: number,
  k: number,
  n: number,
  skipZeros: boolean,
): void {
  const scales = [0, 0, 0, 0];
  const rows = [0, 0, 0, 0];
  for (let i = 0; i < m; i++) {
    const outRow = i * n;
    const aBase = i * rowStride;
    let count = 0;
    for (let p = 0; p < k; p++) {
      const scale = a[aBase + p * innerStride]!;
      if (skipZeros && scale === 0) continue;
      scales[count] = scale;
      rows[count] = p * n;
      count++;
      if (count === 4) {
        addFourRows(out, outRow, b, scales, rows, n);
        count = 0;
      }
    }
    for (let t = 0; t < count; t++) {
      const scale = scales[t]!;
      const bRow = rows[t]!;
      for (let j = 0; j < n; j++) out[outRow + j]! += scale * b[bRow + j]!;
    }
  }
}

function addFourRows(out: FloatArray, outRow: number, b: FloatArray, scales: number[], rows: number[], n: number): void {
  const [a0, a1, a2, a3] = scales as [number, number, number, number];
  const [b0, b1, b2, b3] = rows as [number, number, number, number];
  for (let j = 0; j < n; j++) {
    out[outRow + j]! += a0 * b[b0 + j]! + a1 * b[b1 + j]! + a2 * b[b2 + j]! + a3 * b[b3 + j]!;
  }
}

function allFinite(values: FloatArray): boolean {
  for (let i = 0; i < values.length; i++) {
    // x − x is 0 for finite x and NaN for NaN and ±∞.
    if (values[i]! - values[i]! !== 0) return false;
  }
  return true;
}
