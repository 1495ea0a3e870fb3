import { ShapeError, ValueError, formatShape } from "../errors.js";
import { getBackend } from "../backend/registry.js";
import { record } from "../autodiff/tape.js";
import type { FloatArray } from "../tensor/dtype.js";
import { normalizeAxis, sizeOf, stridesOf } from "../tensor/shape.js";
import type { Tensor } from "../tensor/tensor.js";
import { emptyLike, floatDType } from "./util.js";

/** Throws unless `perm` lists each axis of a rank-`rank` tensor exactly once. */
function checkPermutation(perm: readonly number[], rank: number): void {
  const sorted = [...perm].sort((a, b) => a - b);
  if (perm.length !== rank || sorted.some((axis, i) => axis !== i)) {
    throw new ValueError(
      `transpose needs a permutation of the axes 0 to ${rank - 1}, received [${perm.join(", ")}].`,
    );
  }
}

/** Copies `x` (of shape `shape`) into `out` with its axes reordered: out axis i is x axis perm[i]. */
function permuteInto(x: FloatArray, shape: readonly number[], perm: readonly number[], out: FloatArray): void {
  const rank = shape.length;
  const inputStrides = stridesOf(shape);
  const outShape = perm.map((axis) => shape[axis]!);
  const strides = perm.map((axis) => inputStrides[axis]!);
  const size = out.length;
  if (size === 0) return;
  if (rank === 0) {
    out[0] = x[0]!;
    return;
  }
  const counter = new Array<number>(rank).fill(0);
  const last = rank - 1;
  const lastStride = strides[last]!;
  const lastSize = outShape[last]!;
  let source = 0;
  for (let index = 0; index < size; index += lastSize) {
    for (let j = 0; j < lastSize; j++) out[index + j] = x[source + j * lastStride]!;
    // Advance the counter over the leading output axes, updating the source offset.
    for (let axis = last - 1; axis >= 0; axis--) {
      counter[axis]!++;
      source += strides[axis]!;
      if (counter[axis]! < outShape[axis]!) break;
      source -= strides[axis]! * outShape[axis]!;
      counter[axis] = 0;
    }
  }
}

/** Reorders the axes of `x`: output axis i is input axis perm[i], as in NumPy's transpose. */
export function transpose(x: Tensor, perm: readonly number[]): Tensor {
  const dtype = floatDType(x, "transpose");
  checkPermutation(perm, x.rank);
  if (perm.every((axis, i) => axis === i)) return x;
  const out = emptyLike(dtype, perm.map((axis) => x.shape[axis]!));
  permuteInto(x.data as FloatArray, x.shape, perm, out.data as FloatArray);
  const inverse = new Array<number>(perm.length);
  perm.forEach((axis, i) => (inverse[axis] = i));
  return record([x], out, (dy) => {
    const dx = emptyLike(dtype, x.shape);
    permuteInto(dy.data as FloatArray, dy.shape, inverse, dx.data as FloatArray);
    return [dx];
  });
}

/**
 * Joins tensors along `axis`. Every other axis must match; the error names
 * the first pair of shapes that differ.
 */
export function concatenate(tensors: readonly Tensor[], axis = -1): Tensor {
  if (tensors.length === 0) throw new ValueError("concatenate needs at least one tensor, received an empty array.");
  const first = tensors[0]!;
  const dtype = floatDType(first, "concatenate");
  const rank = first.rank;
  if (rank === 0) throw new ShapeError("concatenate needs tensors of rank 1 or more, received a scalar.");
  const resolved = normalizeAxis(axis, rank);
  tensors.forEach((t, i) => {
    if (t.dtype !== dtype) {
      throw new ValueError(`concatenate needs tensors of one dtype, received ${dtype} (tensor 0) and ${t.dtype} (tensor ${i}). Cast them first.`);
    }
    const matches = t.rank === rank && t.shape.every((d, j) => j === resolved || d === first.shape[j]);
    if (!matches) {
      throw new ShapeError(
        `concatenate on axis ${axis} needs shapes that match on every other axis, received ${formatShape(first.shape)} (tensor 0) ` +
          `and ${formatShape(t.shape)} (tensor ${i}).`,
      );
    }
  });
  const outer = sizeOf(first.shape.slice(0, resolved));
  const inner = sizeOf(first.shape.slice(resolved + 1));
  const widths = tensors.map((t) => t.shape[resolved]! * inner);
  const outWidth = widths.reduce((a, b) => a + b, 0);
  const outShape = [...first.shape];
  outShape[resolved] = tensors.reduce((total, t) => total + t.shape[resolved]!, 0);
  const out = emptyLike(dtype, outShape);
  const outData = out.data as FloatArray;
  let offset = 0;
  tensors.forEach((t, k) => {
    const width = widths[k]!;
    const data = t.data as FloatArray;
    for (let o = 0; o < outer; o++) outData.set(data.subarray(o * width, (o + 1) * width), o * outWidth + offset);
    offset += width;
  });
  return record(tensors, out, (dy, needs) => {
    const dyData = dy.data as FloatArray;
    let start = 0;
    return tensors.map((t, k) => {
      const width = widths[k]!;
      const begin = start;
      start += width;
      if (!needs[k]) return null;
      const dx = emptyLike(dtype, t.shape);
      const dxData = dx.data as FloatArray;
      for (let o = 0; o < outer; o++) dxData.set(dyData.subarray(o * outWidth + begin, o * outWidth + begin + width), o * width);
      return dx;
    });
  });
}

/** Broadcasts `x` to `shape` with NumPy's rules; the gradient sums over the broadcast axes. */
export function broadcastTo(x: Tensor, shape: readonly number[]): Tensor {
  const dtype = floatDType(x, "broadcastTo");
  const offset = shape.length - x.rank;
  const fits = offset >= 0 && x.shape.every((d, i) => d === 1 || d === shape[i + offset]);
  if (!fits) throw new ShapeError(`Cannot broadcast a tensor of shape ${formatShape(x.shape)} to ${formatShape(shape)}.`);
  const out = emptyLike(dtype, shape);
  getBackend().broadcastTo(x.data as FloatArray, x.shape, out.data as FloatArray, shape);
  return record([x], out, (dy) => {
    const axes: number[] = [];
    shape.forEach((d, axis) => {
      const own = x.shape[axis - offset];
      if (own === undefined || (own === 1 && d !== 1)) axes.push(axis);
    });
    const dx = emptyLike(dtype, x.shape);
    getBackend().sum(dy.data as FloatArray, dy.shape, axes, dx.data as FloatArray);
    return [dx];
  });
}
