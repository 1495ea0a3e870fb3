/**
 * Differentiable ops behind Keras's activations and the losses built on
 * them: parameterized element-wise activations, row-wise ones along any
 * axis, crossentropy from logits, and a maximum along the last axis.
 */

import type { ActivationOp, RowActivationOp } from "../backend/backend.js";
import { getBackend } from "../backend/registry.js";
import { record } from "../autodiff/tape.js";
import { ShapeError, formatShape } from "../errors.js";
import type { FloatArray, FloatDType } from "../tensor/dtype.js";
import { normalizeAxis } from "../tensor/shape.js";
import { Tensor } from "../tensor/tensor.js";
import { transpose } from "./manipulation.js";
import { emptyLike, floatData, floatDType, sameFloatDType } from "./util.js";

/**
 * Applies an element-wise activation kernel with its parameters (see
 * `ActivationOp`). For float32 inputs the parameters are rounded to float32
 * first, as Keras casts them to the input's dtype: threshold 0.3 then equals
 * the input 0.3 instead of lying just below it.
 */
export function activation(op: ActivationOp, x: Tensor, params: readonly number[] = []): Tensor {
  const dtype = floatDType(x, op);
  if (dtype === "float32") params = params.map(Math.fround);
  const out = emptyLike(dtype, x.shape);
  getBackend().activation(op, floatData(x, op), out.data as FloatArray, params);
  return record([x], out, (dy) => {
    const dx = emptyLike(dtype, x.shape);
    getBackend().activationBackward(op, x.data as FloatArray, out.data as FloatArray, dy.data as FloatArray, dx.data as FloatArray, params);
    return [dx];
  });
}

/** Returns the permutation that moves `axis` to the end, or null when it is already last. */
function permutationToEnd(rank: number, axis: number): number[] | null {
  if (axis === rank - 1) return null;
  const order: number[] = [];
  for (let a = 0; a < rank; a++) if (a !== axis) order.push(a);
  order.push(axis);
  return order;
}

/** Runs `fn` with `axis` of `x` moved last, then moves it back. */
function alongAxis(x: Tensor, axis: number, fn: (lastAxis: Tensor) => Tensor): Tensor {
  const resolved = normalizeAxis(axis, x.rank);
  const order = permutationToEnd(x.rank, resolved);
  if (order === null) return fn(x);
  const inverse = new Array<number>(order.length);
  order.forEach((a, i) => (inverse[a] = i));
  return transpose(fn(transpose(x, order)), inverse);
}

function rowActivationLastAxis(op: RowActivationOp, x: Tensor): Tensor {
  const dtype = floatDType(x, op);
  const cols = x.shape[x.rank - 1]!;
  if (op === "glu" && cols % 2 !== 0) {
    throw new ShapeError(`glu splits its axis in two halves, so the axis needs an even size: received shape ${formatShape(x.shape)}.`);
  }
  const rows = cols === 0 ? 0 : x.size / cols;
  const outShape = op === "glu" ? [...x.shape.slice(0, -1), cols / 2] : x.shape;
  const out = emptyLike(dtype, outShape);
  getBackend().rowActivation(op, x.data as FloatArray, out.data as FloatArray, rows, cols);
  return record([x], out, (dy) => {
    const dx = emptyLike(dtype, x.shape);
    getBackend().rowActivationBackward(op, x.data as FloatArray, out.data as FloatArray, dy.data as FloatArray, dx.data as FloatArray, rows, cols);
    return [dx];
  });
}

function requireRank(x: Tensor, op: string): void {
  if (x.rank === 0) throw new ShapeError(`${op} needs a tensor of rank 1 or more, received a scalar.`);
}

/** log(softmax(x)) along `axis`, computed as x − logsumexp(x). */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  requireRank(x, "log_softmax");
  return alongAxis(x, axis, (t) => rowActivationLastAxis("log_softmax", t));
}

/** Sparsemax along `axis`: the Euclidean projection onto the probability simplex. */
export function sparsemax(x: Tensor, axis = -1): Tensor {
  requireRank(x, "sparsemax");
  return alongAxis(x, axis, (t) => rowActivationLastAxis("sparsemax", t));
}

/** Gated linear unit: splits `axis` into halves a and b and returns a · σ(b). */
export function glu(x: Tensor, axis = -1): Tensor {
  requireRank(x, "glu");
  return alongAxis(x, axis, (t) => rowActivationLastAxis("glu", t));
}

/**
 * Per-row crossentropy from logits along the last axis: −Σ y · log_softmax(z).
 * `labels` is a float tensor of the logits' shape, or one class index per row
 * (already checked to be in range). The gradient goes to the logits only.
 */
export function softmaxCrossentropy(labels: Tensor | Int32Array, logits: Tensor): Tensor {
  const dtype = floatDType(logits, "categorical_crossentropy");
  const classes = logits.shape[logits.rank - 1]!;
  const rows = classes === 0 ? 0 : logits.size / classes;
  const sparse = labels instanceof Int32Array;
  const labelData = sparse ? labels : (labels.data as FloatArray);
  if (!sparse) sameFloatDType(logits, labels, "categorical_crossentropy");
  const loss = emptyLike(dtype, logits.shape.slice(0, -1));
  const probs = emptyLike(dtype, logits.shape);
  getBackend().softmaxCrossentropy({
    logits: logits.data as FloatArray,
    labels: labelData,
    sparse,
    loss: loss.data as FloatArray,
    probs: probs.data as FloatArray,
    rows,
    classes,
  });
  return record([logits], loss, (dy) => {
    const grad = emptyLike(dtype, logits.shape);
    getBackend().softmaxCrossentropyBackward({
      probs: probs.data as FloatArray,
      labels: labelData,
      sparse,
      dLoss: dy.data as FloatArray,
      grad: grad.data as FloatArray,
      rows,
      classes,
    });
    return [grad];
  });
}

/** Per-row binary crossentropy from logits, averaged over the last axis; the gradient goes to the logits only. */
export function sigmoidCrossentropy(labels: Tensor, logits: Tensor): Tensor {
  const dtype = sameFloatDType(logits, labels, "binary_crossentropy");
  const cols = logits.rank === 0 ? 1 : logits.shape[logits.rank - 1]!;
  const rows = cols === 0 ? 0 : logits.size / cols;
  const loss = emptyLike(dtype, logits.shape.slice(0, -1));
  getBackend().sigmoidCrossentropy({ logits: logits.data as FloatArray, labels: labels.data as FloatArray, loss: loss.data as FloatArray, rows, cols });
  return record([logits], loss, (dy) => {
    const grad = emptyLike(dtype, logits.shape);
    getBackend().sigmoidCrossentropyBackward({
      logits: logits.data as FloatArray,
      labels: labels.data as FloatArray,
      dLoss: dy.data as FloatArray,
      grad: grad.data as FloatArray,
      rows,
      cols,
    });
    return [grad];
  });
}

/** Takes the maximum along the last axis. The gradient goes to the first maximal element of each row. */
export function maxLastAxis(x: Tensor): Tensor {
  const dtype = floatDType(x, "max");
  requireRank(x, "max");
  const cols = x.shape[x.rank - 1]!;
  const rows = cols === 0 ? 0 : x.size / cols;
  const positions = new Int32Array(rows);
  getBackend().argmax(x.data, rows, cols, positions);
  const flatIndices = new Int32Array(rows);
  for (let r = 0; r < rows; r++) flatIndices[r] = r * cols + positions[r]!;
  const out = emptyLike(dtype, x.shape.slice(0, -1));
  getBackend().gatherRows(x.data, 1, flatIndices, out.data);
  return record([x], out, (dy) => {
    const dx = emptyLike(dtype as FloatDType, x.shape);
    for (let r = 0; r < rows; r++) dx.data[flatIndices[r]!] = dy.data[r]!;
    return [dx];
  });
}
