/**
 * Differentiable ops on sequences and on slices of the last axis, used by the
 * embedding and recurrent layers. They copy data and need no backend kernel.
 */

import { ShapeError, ValueError, formatShape } from "../errors.js";
import { getBackend } from "../backend/registry.js";
import { record } from "../autodiff/tape.js";
import type { FloatArray, FloatDType } from "../tensor/dtype.js";
import { Tensor } from "../tensor/tensor.js";
import { emptyLike, floatDType } from "./util.js";

/** Copies columns [start, start + size) of the last axis of `x`. */
export function sliceLastAxis(x: Tensor, start: number, size: number): Tensor {
  const dtype = floatDType(x, "sliceLastAxis");
  const width = x.rank === 0 ? 0 : x.shape[x.rank - 1]!;
  if (x.rank === 0 || !Number.isInteger(start) || !Number.isInteger(size) || start < 0 || size < 0 || start + size > width) {
    throw new ShapeError(
      `sliceLastAxis cannot take columns [${start}, ${start + size}) of a tensor of shape ${formatShape(x.shape)}.`,
    );
  }
  const rows = width === 0 ? 0 : x.size / width;
  const out = emptyLike(dtype, [...x.shape.slice(0, -1), size]);
  const source = x.data as FloatArray;
  const target = out.data as FloatArray;
  for (let r = 0; r < rows; r++) target.set(source.subarray(r * width + start, r * width + start + size), r * size);
  return record([x], out, (dy) => {
    const dx = emptyLike(dtype, x.shape);
    const gradient = dx.data as FloatArray;
    for (let r = 0; r < rows; r++) gradient.set((dy.data as FloatArray).subarray(r * size, (r + 1) * size), r * width + start);
    return [dx];
  });
}

function checkSequence(x: Tensor, op: string): [number, number, number] {
  if (x.rank < 2) {
    throw new ShapeError(`${op} needs a tensor of shape (batch, steps, ...), received shape ${formatShape(x.shape)}.`);
  }
  const batch = x.shape[0]!;
  const steps = x.shape[1]!;
  const stepSize = batch * steps === 0 ? 0 : x.size / (batch * steps);
  return [batch, steps, stepSize];
}

/** Steps [start, start + count) of a (batch, steps, ...) tensor. */
export function sliceSteps(x: Tensor, start: number, count: number): Tensor {
  const dtype = floatDType(x, "sliceSteps");
  const [batch, steps, stepSize] = checkSequence(x, "sliceSteps");
  if (!Number.isInteger(start) || !Number.isInteger(count) || start < 0 || count < 0 || start + count > steps) {
    throw new ShapeError(`sliceSteps cannot take steps [${start}, ${start + count}) of a tensor of shape ${formatShape(x.shape)}.`);
  }
  const out = emptyLike(dtype, [batch, count, ...x.shape.slice(2)]);
  const source = x.data as FloatArray;
  const target = out.data as FloatArray;
  const block = count * stepSize;
  for (let b = 0; b < batch; b++) {
    const from = (b * steps + start) * stepSize;
    target.set(source.subarray(from, from + block), b * block);
  }
  return record([x], out, (dy) => {
    const dx = emptyLike(dtype, x.shape);
    const gradient = dx.data as FloatArray;
    const upstream = dy.data as FloatArray;
    for (let b = 0; b < batch; b++) gradient.set(upstream.subarray(b * block, (b + 1) * block), (b * steps + start) * stepSize);
    return [dx];
  });
}

function reverseInto(source: FloatArray, target: FloatArray, batch: number, steps: number, stepSize: number): void {
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < steps; t++) {
      const from = (b * steps + t) * stepSize;
      target.set(source.subarray(from, from + stepSize), (b * steps + steps - 1 - t) * stepSize);
    }
  }
}

/** Reverses a (batch, steps, ...) tensor along the steps axis. */
export function reverseSteps(x: Tensor): Tensor {
  const dtype = floatDType(x, "reverseSteps");
  const [batch, steps, stepSize] = checkSequence(x, "reverseSteps");
  const out = emptyLike(dtype, x.shape);
  reverseInto(x.data as FloatArray, out.data as FloatArray, batch, steps, stepSize);
  return record([x], out, (dy) => {
    const dx = emptyLike(dtype, x.shape);
    reverseInto(dy.data as FloatArray, dx.data as FloatArray, batch, steps, stepSize);
    return [dx];
  });
}

/**
 * Reads integer indices from an int32 tensor, or from a float tensor whose
 * values are integers, and checks that each lies in [0, inputDim).
 */
export function readIndices(indices: Tensor, inputDim: number, owner: string): Int32Array {
  if (indices.dtype === "int32") {
    const values = indices.data as Int32Array;
    checkIndexRange(values, inputDim, owner);
    return values;
  }
  const values = new Int32Array(indices.size);
  for (let i = 0; i < indices.size; i++) {
    const value = indices.data[i]!;
    if (!Number.isInteger(value)) {
      throw new ValueError(
        `${owner} needs integer indices, but element ${i} of the input is ${value}. Pass token ids as integers (an int32 tensor or whole numbers).`,
      );
    }
    values[i] = value;
  }
  checkIndexRange(values, inputDim, owner);
  return values;
}

function checkIndexRange(values: Int32Array, inputDim: number, owner: string): void {
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    if (value < 0 || value >= inputDim) {
      throw new ValueError(
        `${owner} received index ${value} at element ${i}, outside the valid range [0, ${inputDim}). Raise \`inputDim\` or fix the data.`,
      );
    }
  }
}

/**
 * Rows `indices` of a [rows, width] table, shaped `[...indexShape, width]`.
 * The gradient adds each output row's gradient into the row it came from.
 */
export function gatherTableRows(table: Tensor, indices: Int32Array, indexShape: readonly number[]): Tensor {
  const dtype = floatDType(table, "gatherTableRows");
  if (table.rank !== 2) throw new ShapeError(`gatherTableRows needs a table of rank 2, received shape ${formatShape(table.shape)}.`);
  const width = table.shape[1]!;
  const out = emptyLike(dtype, [...indexShape, width]);
  if (out.size !== indices.length * width) {
    throw new ShapeError(`gatherTableRows received ${indices.length} indices for the index shape ${formatShape(indexShape)}.`);
  }
  getBackend().gatherRows(table.data as FloatArray, width, indices, out.data as FloatArray);
  return record([table], out, (dy) => {
    const dTable = emptyLike(dtype as FloatDType, table.shape);
    const gradient = dTable.data as FloatArray;
    const upstream = dy.data as FloatArray;
    for (let i = 0; i < indices.length; i++) {
      const row = indices[i]! * width;
      const from = i * width;
      for (let j = 0; j < width; j++) gradient[row + j]! += upstream[from + j]!;
    }
    return [dTable];
  });
}
