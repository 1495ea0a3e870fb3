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
  const skipZeros = isFinite(b);
  if (!transposeA && !transposeB) {
    // a is [m, k], b is [k, n]: broadcast a[i, p] along row p of b.
    for (let i = 0; i < m; i++) {
      const outRow = i * n;
      const aRow = i * k;
      for (let p = 0; p < k; p++) {
        const scale = a[aRow + p]!;
        if (scale === 0 && skipZeros) continue;
        const bRow = p * n;
        for (let j = 0; j < n; j++) out[outRow + j]! += scale * b[bRow + j]!;
      }
    }
  } else if (transposeA && !transposeB) {
    // a is stored [k, m], b is [k, n]: each p adds the outer product of a's row p and b's row p.
    for (let p = 0; p < k; p++) {
      const aRow = p * m;
      const bRow = p * n;
      for (let i = 0; i < m; i++) {
        const scale = a[aRow + i]!;
        if (scale === 0 && skipZeros) continue;
        const outRow = i * n;
        for (let j = 0; j < n; j++) out[outRow + j]! += scale * b[bRow + j]!;
      }
    }
  } else if (!transposeA && transposeB) {
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

function isFinite(values: FloatArray): boolean {
  for (let i = 0; i < values.length; i++) {
    // x − x is 0 for finite x and NaN for NaN and ±∞.
    if (values[i]! - values[i]! !== 0) return false;
  }
  return true;
}
