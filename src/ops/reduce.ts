import { getBackend } from "../backend/registry.js";
import { record } from "../autodiff/tape.js";
import type { FloatArray, FloatDType } from "../tensor/dtype.js";
import { normalizeAxis } from "../tensor/shape.js";
import { Tensor } from "../tensor/tensor.js";
import { affine } from "./elementwise.js";
import { emptyLike, floatData, floatDType } from "./util.js";

/** [0, 1, ..., rank - 1] by rank, built once, because a loss reduces over every axis at each training step. */
const allAxes: (readonly number[])[] = [];
/** [1, 1, ..., 1] by rank. */
const unitShapes: (readonly number[])[] = [];
const SCALAR_SHAPE: readonly number[] = Object.freeze([]);

function allAxesOf(rank: number): readonly number[] {
  return (allAxes[rank] ??= Object.freeze(Array.from({ length: rank }, (_, i) => i)));
}

function resolveAxes(x: Tensor, axis: number | readonly number[] | undefined): readonly number[] {
  if (axis === undefined) return allAxesOf(x.rank);
  const list = typeof axis === "number" ? [axis] : [...axis];
  return [...new Set(list.map((a) => normalizeAxis(a, x.rank)))].sort((a, b) => a - b);
}

/** Sums over `axis` (all axes when omitted). */
export function sum(x: Tensor, axis?: number | readonly number[], keepDims = false): Tensor {
  const dtype = floatDType(x, "sum");
  const axes = resolveAxes(x, axis);
  const everyAxis = axes.length === x.rank;
  const keptShape = everyAxis
    ? (unitShapes[x.rank] ??= Object.freeze(new Array<number>(x.rank).fill(1)))
    : x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  let outShape: readonly number[];
  if (keepDims) outShape = keptShape;
  else if (everyAxis) outShape = SCALAR_SHAPE;
  else outShape = x.shape.filter((_, i) => !axes.includes(i));
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
  return affine(sum(x, axis, keepDims), count === 0 ? NaN : 1 / count);
}
