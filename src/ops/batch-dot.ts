import { ShapeError, formatShape } from "../errors.js";
import { getBackend } from "../backend/registry.js";
import { record } from "../autodiff/tape.js";
import type { FloatArray } from "../tensor/dtype.js";
import type { Tensor } from "../tensor/tensor.js";
import { emptyLike, sameFloatDType } from "./util.js";

/**
 * Multiplies matching matrices of two batches: [batch, m, k] · [batch, k, n]
 * gives [batch, m, n], one `matmul` kernel call per batch entry.
 */
export function batchDot(a: Tensor, b: Tensor): Tensor {
  const dtype = sameFloatDType(a, b, "batchDot");
  if (a.rank !== 3 || b.rank !== 3 || a.shape[0] !== b.shape[0] || a.shape[2] !== b.shape[1]) {
    throw new ShapeError(
      `batchDot needs shapes (batch, m, k) and (batch, k, n), received ${formatShape(a.shape)} and ${formatShape(b.shape)}.`,
    );
  }
  const [batch, m, k] = a.shape as [number, number, number];
  const n = b.shape[2]!;
  const out = emptyLike(dtype, [batch, m, n]);
  const aData = a.data as FloatArray;
  const bData = b.data as FloatArray;
  const outData = out.data as FloatArray;
  const backend = getBackend();
  for (let i = 0; i < batch; i++) {
    backend.matmul(
      aData.subarray(i * m * k, (i + 1) * m * k),
      bData.subarray(i * k * n, (i + 1) * k * n),
      outData.subarray(i * m * n, (i + 1) * m * n),
      m,
      k,
      n,
      false,
      false,
    );
  }
  return record([a, b], out, (dy, needs) => {
    const dyData = dy.data as FloatArray;
    let da: Tensor | null = null;
    let db: Tensor | null = null;
    if (needs[0]) {
      da = emptyLike(dtype, a.shape);
      const daData = da.data as FloatArray;
      for (let i = 0; i < batch; i++) {
        backend.matmul(
          dyData.subarray(i * m * n, (i + 1) * m * n),
          bData.subarray(i * k * n, (i + 1) * k * n),
          daData.subarray(i * m * k, (i + 1) * m * k),
          m,
          n,
          k,
          false,
          true,
        );
      }
    }
    if (needs[1]) {
      db = emptyLike(dtype, b.shape);
      const dbData = db.data as FloatArray;
      for (let i = 0; i < batch; i++) {
        backend.matmul(
          aData.subarray(i * m * k, (i + 1) * m * k),
          dyData.subarray(i * m * n, (i + 1) * m * n),
          dbData.subarray(i * k * n, (i + 1) * k * n),
          k,
          m,
          n,
          true,
          false,
        );
      }
    }
    return [da, db];
  });
}
