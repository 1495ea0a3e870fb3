import { ValueError, formatShape } from "../errors.js";
import { getBackend } from "../backend/registry.js";
import { scratchTensor } from "../backend/workspace.js";
import type { FloatArray, FloatDType } from "../tensor/dtype.js";
import { Tensor } from "../tensor/tensor.js";
import { sizeOf } from "../tensor/shape.js";

/** Returns the float data of `t`, or throws a ValueError naming the op when `t` is an integer tensor. */
export function floatData(t: Tensor, op: string): FloatArray {
  if (t.dtype === "int32") {
    throw new ValueError(`${op} needs a float32 or float64 tensor, received int32 with shape ${formatShape(t.shape)}. Cast it first.`);
  }
  return t.data as FloatArray;
}

export function floatDType(t: Tensor, op: string): FloatDType {
  floatData(t, op);
  return t.dtype as FloatDType;
}

/** Returns a float tensor of the given shape, filled with zeros (from the active workspace, if any). */
export function emptyLike(dtype: FloatDType, shape: readonly number[]): Tensor {
  return scratchTensor(dtype, shape);
}

/** Checks that two float tensors share a dtype, which every binary kernel requires. */
export function sameFloatDType(a: Tensor, b: Tensor, op: string): FloatDType {
  const dtype = floatDType(a, op);
  if (b.dtype !== dtype) {
    throw new ValueError(`${op} needs both tensors in one dtype, received ${a.dtype} and ${b.dtype}. Cast one of them first.`);
  }
  return dtype;
}

/** Sums `gradient` down to `shape`, the adjoint of broadcasting to the gradient's shape. */
export function unbroadcast(gradient: Tensor, shape: readonly number[]): Tensor {
  if (gradient.shape.length === shape.length && gradient.shape.every((d, i) => d === shape[i])) return gradient;
  const rank = gradient.shape.length;
  const axes: number[] = [];
  for (let axis = 0; axis < rank; axis++) {
    const own = shape[axis - (rank - shape.length)];
    if (own === undefined || (own === 1 && gradient.shape[axis] !== 1)) axes.push(axis);
  }
  const out = emptyLike(gradient.dtype as FloatDType, shape);
  getBackend().sum(gradient.data as FloatArray, gradient.shape, axes, out.data as FloatArray);
  return out;
}
