/**
 * Index-copy ops behind the cropping, zero-padding and upsampling layers.
 * They move whole rows of the innermost axis with typed-array copies, as
 * `concatenate` does, so they need no backend kernel.
 */

import { ShapeError, ValueError, formatShape } from "../errors.js";
import { record } from "../autodiff/tape.js";
import type { FloatArray, FloatDType } from "../tensor/dtype.js";
import { sizeOf } from "../tensor/shape.js";
import type { Tensor } from "../tensor/tensor.js";
import { broadcastTo } from "./manipulation.js";
import { reshape } from "./shape.js";
import { emptyLike, floatDType } from "./util.js";

/**
 * Copies the overlap of `x` into `out`, where `before[axis]` is how many
 * positions axis `axis` of `out` starts before that of `x` (negative values
 * crop). Positions of `out` outside `x` are left as they are.
 */
function copyShifted(
  x: FloatArray,
  shape: readonly number[],
  out: FloatArray,
  outShape: readonly number[],
  before: readonly number[],
): void {
  const rank = shape.length;
  if (rank === 0 || sizeOf(outShape) === 0 || sizeOf(shape) === 0) return;
  // Per axis: the first input index copied, the first output index written, and how many.
  const inStart = before.map((b) => Math.max(0, -b));
  const outStart = before.map((b) => Math.max(0, b));
  const count = shape.map((d, i) => Math.min(d - inStart[i]!, outShape[i]! - outStart[i]!));
  if (count.some((c) => c <= 0)) return;
  const inStrides = new Array<number>(rank);
  const outStrides = new Array<number>(rank);
  let inStride = 1;
  let outStride = 1;
  for (let axis = rank - 1; axis >= 0; axis--) {
    inStrides[axis] = inStride;
    outStrides[axis] = outStride;
    inStride *= shape[axis]!;
    outStride *= outShape[axis]!;
  }
  const last = rank - 1;
  const rowLength = count[last]!;
  const counter = new Array<number>(rank).fill(0);
  let source = 0;
  let target = 0;
  for (let axis = 0; axis < rank; axis++) {
    source += inStart[axis]! * inStrides[axis]!;
    target += outStart[axis]! * outStrides[axis]!;
  }
  for (;;) {
    out.set(x.subarray(source, source + rowLength), target);
    // Advance the counter over the leading axes, moving both offsets.
    let axis = last - 1;
    for (; axis >= 0; axis--) {
      counter[axis]!++;
      source += inStrides[axis]!;
      target += outStrides[axis]!;
      if (counter[axis]! < count[axis]!) break;
      source -= inStrides[axis]! * count[axis]!;
      target -= outStrides[axis]! * count[axis]!;
      counter[axis] = 0;
    }
    if (axis < 0) return;
  }
}

/**
 * Pads or crops every axis of `x`: `widths[axis]` is [before, after], the
 * number of zeros added at each end, and a negative number removes that
 * many positions instead. The gradient crops or pads back.
 */
export function padOrCrop(x: Tensor, widths: readonly (readonly [number, number])[]): Tensor {
  const dtype = floatDType(x, "padOrCrop");
  if (widths.length !== x.rank || widths.some(([b, a]) => !Number.isInteger(b) || !Number.isInteger(a))) {
    throw new ValueError(`padOrCrop needs one pair of integers per axis of a rank-${x.rank} tensor, received ${JSON.stringify(widths)}.`);
  }
  const outShape = x.shape.map((d, i) => d + widths[i]![0] + widths[i]![1]);
  if (outShape.some((d) => d < 0)) {
    throw new ShapeError(`Cannot crop a tensor of shape ${formatShape(x.shape)} by ${JSON.stringify(widths)}: an axis would be left with fewer than 0 positions.`);
  }
  if (widths.every(([b, a]) => b === 0 && a === 0)) return x;
  const before = widths.map(([b]) => b);
  const out = emptyLike(dtype, outShape);
  copyShifted(x.data as FloatArray, x.shape, out.data as FloatArray, outShape, before);
  return record([x], out, (dy) => {
    const dx = emptyLike(dtype, x.shape);
    copyShifted(dy.data as FloatArray, outShape, dx.data as FloatArray, x.shape, before.map((b) => -b));
    return [dx];
  });
}

/**
 * Repeats every entry of `x` `repeats[axis]` times along each axis, next
 * to itself ([a, b] with 2 repeats gives [a, a, b, b]): nearest-neighbour
 * upsampling. It is a broadcast between two reshapes, so the gradient sums
 * each block of copies.
 */
export function repeatElements(x: Tensor, repeats: readonly number[]): Tensor {
  if (repeats.length !== x.rank || repeats.some((r) => !Number.isInteger(r) || r < 1)) {
    throw new ValueError(`repeatElements needs one positive integer per axis of a rank-${x.rank} tensor, received [${repeats.join(", ")}].`);
  }
  if (repeats.every((r) => r === 1)) return x;
  const split = x.shape.flatMap((d) => [d, 1]);
  const spread = x.shape.flatMap((d, i) => [d, repeats[i]!]);
  return reshape(broadcastTo(reshape(x, split), spread), x.shape.map((d, i) => d * repeats[i]!));
}

/** For each output index of a linear resize along one axis: the two input indices and their weights. */
interface LinearTaps {
  low: Int32Array;
  high: Int32Array;
  highWeight: Float64Array;
}

/**
 * Sample positions of a linear resize from `inLength` to `outLength` with
 * half-pixel centres: output j reads input position (j + 0.5) · in / out − 0.5,
 * clamped to the valid range.
 */
function linearTaps(inLength: number, outLength: number): LinearTaps {
  const low = new Int32Array(outLength);
  const high = new Int32Array(outLength);
  const highWeight = new Float64Array(outLength);
  const scale = inLength / outLength;
  for (let j = 0; j < outLength; j++) {
    const position = Math.min(Math.max((j + 0.5) * scale - 0.5, 0), inLength - 1);
    const i = Math.floor(position);
    low[j] = i;
    high[j] = Math.min(i + 1, inLength - 1);
    highWeight[j] = position - i;
  }
  return { low, high, highWeight };
}

/** out[o, j, k] = (1 − w_j) · x[o, low_j, k] + w_j · x[o, high_j, k], or its transpose (a sum into x's layout). */
function applyTaps(
  x: FloatArray,
  out: FloatArray,
  outer: number,
  inLength: number,
  outLength: number,
  inner: number,
  taps: LinearTaps,
  transpose: boolean,
): void {
  for (let o = 0; o < outer; o++) {
    const inBase = o * inLength * inner;
    const outBase = o * outLength * inner;
    for (let j = 0; j < outLength; j++) {
      const w = taps.highWeight[j]!;
      const lowRow = inBase + taps.low[j]! * inner;
      const highRow = inBase + taps.high[j]! * inner;
      const outRow = outBase + j * inner;
      if (transpose) {
        for (let k = 0; k < inner; k++) {
          const g = x[outRow + k]!;
          out[lowRow + k]! += (1 - w) * g;
          out[highRow + k]! += w * g;
        }
      } else {
        for (let k = 0; k < inner; k++) out[outRow + k] = (1 - w) * x[lowRow + k]! + w * x[highRow + k]!;
      }
    }
  }
}

/** Resizes axis `axis` of `x` to `length` by linear interpolation with half-pixel centres (the bilinear method, one axis at a time). */
export function resizeLinear(x: Tensor, axis: number, length: number): Tensor {
  const dtype = floatDType(x, "resizeLinear") as FloatDType;
  if (!Number.isInteger(axis) || axis < 0 || axis >= x.rank || !Number.isInteger(length) || length < 1) {
    throw new ValueError(`resizeLinear needs an axis of the rank-${x.rank} tensor and a positive length, received axis ${axis} and length ${length}.`);
  }
  const inLength = x.shape[axis]!;
  if (inLength === length) return x;
  const outer = sizeOf(x.shape.slice(0, axis));
  const inner = sizeOf(x.shape.slice(axis + 1));
  const outShape = [...x.shape];
  outShape[axis] = length;
  const taps = linearTaps(inLength, length);
  const out = emptyLike(dtype, outShape);
  if (inLength > 0) applyTaps(x.data as FloatArray, out.data as FloatArray, outer, inLength, length, inner, taps, false);
  return record([x], out, (dy) => {
    const dx = emptyLike(dtype, x.shape);
    if (inLength > 0) applyTaps(dy.data as FloatArray, dx.data as FloatArray, outer, inLength, length, inner, taps, true);
    return [dx];
  });
}
