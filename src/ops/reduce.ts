import { getBackend } from "../backend/registry.js";
import { record } from "../autodiff/tape.js";
import type { FloatArray, FloatDType } from "../tensor/dtype.js";
import { normalizeAxis } from "../tensor/shape.js";
import { Tensor } from "../tensor/tensor.js";
import { affine } from "./elementwise.js";
import { emptyLike, floatData, floatDType } from "./util.js";

function resolveAxes(x: Tensor, axis: number | readonly number[] | undefined): number[] {
  if (axis === undefined) return x.shape.map((_, i) => i);
  const list = typeof axis === "number" ? [axis] : [...axis];
  return [...new Set(list.map((a) => normalizeAxis(a, x.rank)))].sort((a, b) => a - b);
}

/** Sums over `axis` (all axes when omitted). */
export function sum(x: Tensor, axis?: number | readonly number[], keepDims = false): Tensor {
  const dtype = floatDType(x, "sum");
  const axes = resolveAxes(x, axis);
  const keptShape = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const outShape = keepDims ? keptShape : x.shape.filter((_, i) => !axes.includes(i));
  const out = emptyLike(dtype, outShape);
  getBackend().sum(floatData(x, "sum"), x.shape, axes, out.data as FloatArray);
  return record([x], out, (dy) => {
    const dx = emptyLike(dtype as FloatDType, x.shape);
    getBackend().broadcastTo(dy.data as FloatArray, keptShape, dx.data as FloatArray, x.shape);
    return [dx];
  });
}

/** Averages over `axis` (all axes when omitted). */
export function mean(x: Tensor, axis?: number | readonly number[], keepDims = false): Tensor {
  const axes = resolveAxes(x, axis);
  let count = 1;
  for (const a of axes) count *= x.shape[a]!;
  return affine(sum(x, axes, keepDims), count === 0 ? NaN : 1 / count);
}
