/** Batched matrix products, the core of attention. */

import { ShapeError, formatShape } from "../errors.js";
import { getBackend } from "../backend/registry.js";
import { record } from "../autodiff/tape.js";
import type { FloatArray } from "../tensor/dtype.js";
import type { Tensor } from "../tensor/tensor.js";
import { emptyLike, sameFloatDType } from "./util.js";

/**
 * Matrix products over the last two axes: op(a) · op(b), where op swaps the
 * last two axes when its flag is set. Both tensors have rank ≥ 3 and the same
 * leading (batch) axes, which are not broadcast. For a [..., m, k] and
 * b [..., k, n] (before op) the result is [..., m, n].
 */
export function batchMatmul(a: Tensor, b: Tensor, transposeA = false, transposeB = false): Tensor {
  const dtype = sameFloatDType(a, b, "batchMatmul");
  const leading = a.shape.slice(0, -2);
  const sameLeading = a.rank === b.rank && b.shape.slice(0, -2).every((d, i) => d === leading[i]);
  if (a.rank < 3 || !sameLeading) {
    throw new ShapeError(
      `batchMatmul needs tensors of rank 3 or more with the same leading axes, received ${formatShape(a.shape)} and ${formatShape(b.shape)}.`,
    );
  }
  const [aRows, aCols] = a.shape.slice(-2) as [number, number];
  const [bRows, bCols] = b.shape.slice(-2) as [number, number];
  const m = transposeA ? aCols : aRows;
  const k = transposeA ? aRows : aCols;
  const kB = transposeB ? bCols : bRows;
  const n = transposeB ? bRows : bCols;
  if (k !== kB) {
    throw new ShapeError(
      `batchMatmul: the inner axes do not match (${k} and ${kB}) for shapes ${formatShape(a.shape)} and ${formatShape(b.shape)} ` +
        `with transposeA ${transposeA} and transposeB ${transposeB}.`,
    );
  }

  const batch = leading.reduce((x, y) => x * y, 1);
  const out = emptyLike(dtype, [...leading, m, n]);
  getBackend().batchMatmul({ a: a.data as FloatArray, b: b.data as FloatArray, out: out.data as FloatArray, batch, m, k, n, transposeA, transposeB });

  return record([a, b], out, (dy, needs) => {
    const backend = getBackend();
    const g = dy.data as FloatArray;
    let da: Tensor | null = null;
    let db: Tensor | null = null;
    if (needs[0]) {
      da = emptyLike(dtype, a.shape);
      // d op(a) = dy · op(b)ᵀ, and a = op(a)ᵀ when transposed, so da = op(b) · dyᵀ then.
      if (transposeA) backend.batchMatmul({ a: b.data as FloatArray, b: g, out: da.data as FloatArray, batch, m: k, k: n, n: m, transposeA: transposeB, transposeB: true });
      else backend.batchMatmul({ a: g, b: b.data as FloatArray, out: da.data as FloatArray, batch, m, k: n, n: k, transposeA: false, transposeB: !transposeB });
    }
    if (needs[1]) {
      db = emptyLike(dtype, b.shape);
      // d op(b) = op(a)ᵀ · dy, and b = op(b)ᵀ when transposed, so db = dyᵀ · op(a) then.
      if (transposeB) backend.batchMatmul({ a: g, b: a.data as FloatArray, out: db.data as FloatArray, batch, m: n, k: m, n: k, transposeA: true, transposeB: transposeA });
      else backend.batchMatmul({ a: a.data as FloatArray, b: g, out: db.data as FloatArray, batch, m: k, k: m, n, transposeA: !transposeA, transposeB: false });
    }
    return [da, db];
  });
}
