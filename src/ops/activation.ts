import { ShapeError, ValueError, formatShape } from "../errors.js";
import { record } from "../autodiff/tape.js";
import { normalizeAxis, sizeOf } from "../tensor/shape.js";
import type { Tensor } from "../tensor/tensor.js";
import { add, mul, neg, relu } from "./elementwise.js";
import { transpose } from "./manipulation.js";
import { softmax } from "./nn.js";
import { reshape } from "./shape.js";
import { emptyLike, floatData, floatDType } from "./util.js";

/** Applies `f` element-wise. The backward pass multiplies by `df`, which receives the input and the output. */
function pointwise(
  name: string,
  x: Tensor,
  f: (value: number) => number,
  df: (value: number, output: number) => number,
): Tensor {
  const dtype = floatDType(x, name);
  const xs = floatData(x, name);
  const out = emptyLike(dtype, x.shape);
  const ys = out.data;
  for (let i = 0; i < xs.length; i++) ys[i] = f(xs[i]!);
  return record([x], out, (dy) => {
    const dx = emptyLike(dtype, x.shape);
    const g = dy.data;
    for (let i = 0; i < xs.length; i++) dx.data[i] = g[i]! * df(xs[i]!, ys[i]!);
    return [dx];
  });
}

/** x for x ≥ 0, negativeSlope · x below. */
export function leakyRelu(x: Tensor, negativeSlope: number): Tensor {
  return pointwise(
    "leakyRelu",
    x,
    (v) => (v >= 0 ? v : negativeSlope * v),
    (v) => (v >= 0 ? 1 : negativeSlope),
  );
}

/** x for x > 0, alpha · (exp(x) − 1) otherwise. */
export function elu(x: Tensor, alpha = 1): Tensor {
  return pointwise(
    "elu",
    x,
    (v) => (v > 0 ? v : alpha * Math.expm1(v)),
    (v) => (v > 0 ? 1 : alpha * Math.exp(v)),
  );
}

export interface ReluOptions {
  /** Slope below the threshold. */
  negativeSlope?: number;
  /** Upper bound of the output above the threshold, or null for none. */
  maxValue?: number | null;
  /** Inputs at or below it give negativeSlope · (x − threshold). */
  threshold?: number;
}

/**
 * Keras's `relu` with all its options: min(x, maxValue) for x > threshold,
 * negativeSlope · (x − threshold) otherwise. With no threshold and no slope
 * this is clip(x, 0, maxValue).
 */
export function reluWithOptions(x: Tensor, options: ReluOptions): Tensor {
  const slope = options.negativeSlope ?? 0;
  const maxValue = options.maxValue ?? Infinity;
  const threshold = options.threshold ?? 0;
  if (threshold === 0 && slope === 0) {
    return pointwise(
      "relu",
      x,
      (v) => (v <= 0 ? 0 : Math.min(v, maxValue)),
      (v) => (v > 0 && v < maxValue ? 1 : 0),
    );
  }
  return pointwise(
    "relu",
    x,
    (v) => (v > threshold ? Math.min(v, maxValue) : slope * (v - threshold)),
    (v) => {
      if (v <= threshold) return slope;
      return v < maxValue ? 1 : 0;
    },
  );
}

/** Parametric ReLU: relu(x) − alpha · relu(−x), with `alpha` broadcast against x. */
export function prelu(x: Tensor, alpha: Tensor): Tensor {
  return add(relu(x), mul(neg(alpha), relu(neg(x))));
}

/**
 * Softmax over one axis or several (normalized together). Other axes than
 * the last are moved to the end, flattened, and moved back.
 */
export function softmaxAlong(x: Tensor, axis: number | readonly number[] = -1): Tensor {
  floatDType(x, "softmax");
  if (x.rank === 0) throw new ShapeError("softmax needs a tensor of rank 1 or more, received a scalar.");
  const list = typeof axis === "number" ? [axis] : [...axis];
  if (list.length === 0) throw new ValueError("softmax needs at least one axis, received an empty list.");
  const axes = [...new Set(list.map((a) => normalizeAxis(a, x.rank)))].sort((a, b) => a - b);
  const kept = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const perm = [...kept, ...axes];
  const moved = transpose(x, perm);
  const keptShape = kept.map((i) => x.shape[i]!);
  const flat = reshape(moved, [...keptShape, sizeOf(axes.map((a) => x.shape[a]!))]);
  const result = reshape(softmax(flat), moved.shape);
  const inverse = new Array<number>(x.rank);
  perm.forEach((a, i) => (inverse[a] = i));
  return transpose(result, inverse);
}

/** Keras's stand-in for minus infinity in masked softmax, for float32 and float64. */
const LARGE_NEGATIVE = -1e9;

/**
 * Computes a softmax that leaves out the positions `mask` removes. The mask
 * broadcasts to x with NumPy's rules, and values above 0.5 keep a position.
 * Removed positions are set to a large negative number before the softmax
 * and to 0 after it.
 */
export function maskedSoftmax(x: Tensor, mask: Tensor, axis: number | readonly number[] = -1): Tensor {
  const dtype = floatDType(x, "softmax");
  const fits =
    mask.rank <= x.rank &&
    mask.shape.every((d, i) => d === 1 || d === x.shape[x.rank - mask.rank + i]);
  if (!fits) {
    throw new ShapeError(
      `Softmax needs a mask that broadcasts to the input (each axis 1 or equal, aligned from the last): ` +
        `received a mask of shape ${formatShape(mask.shape)} for inputs of shape ${formatShape(x.shape)}.`,
    );
  }
  const keep = emptyLike(dtype, mask.shape);
  const offset = emptyLike(dtype, mask.shape);
  for (let i = 0; i < mask.size; i++) {
    const kept = mask.data[i]! > 0.5;
    keep.data[i] = kept ? 1 : 0;
    offset.data[i] = kept ? 0 : LARGE_NEGATIVE;
  }
  // x · keep + offset is exactly x where kept and exactly the large negative number where masked.
  const filled = add(mul(x, keep), offset);
  return mul(softmaxAlong(filled, axis), keep);
}
