/**
 * One guard per native kernel. A guard checks every argument of a call and
 * returns true when the call runs in C (every array float32), or false when
 * it runs on the TypeScript backend (every array float64). It throws a
 * ValueError or ShapeError for a call that C must not see. Such calls have
 * wrong lengths, sizes that are not integers from 0 to 2^31 − 1, unknown
 * operation codes, out-of-range indices or mixed dtypes, or outputs that
 * share memory with arrays that the kernel reads or writes separately.
 *
 * Outputs may be the very array of an elementwise input (in place) where the
 * C loop reads each element before writing it; every other overlap is
 * rejected. The window kernels' guards are in window.ts and the recurrent
 * kernels' in recurrent.ts.
 */

import type {
  AdamUpdateArgs,
  BatchNormBackwardArgs,
  BatchNormForwardArgs,
  BinaryCrossentropyArgs,
  BinaryCrossentropyBackwardArgs,
  CrossentropyArgs,
  CrossentropyBackwardArgs,
  DenseBackwardArgs,
  DenseForwardArgs,
  LayerNormBackwardArgs,
  LayerNormForwardArgs,
  SgdUpdateArgs,
  SparseCrossentropyArgs,
} from "../backend.js";
import type { FloatArray, TypedArray } from "../../tensor/dtype.js";
import { ShapeError, ValueError } from "../../errors.js";
import {
  checkDisjoint,
  checkFlag,
  checkIndexRange,
  checkInPlaceOrDisjoint,
  checkInt32,
  checkLength,
  checkNumber,
  checkSize,
  isFloat32Call,
  signature,
} from "./checks.js";

const ELEMENTWISE = signature("x", "out");
const UNARY_BACKWARD = signature("x", "y", "dy", "dx");
const BINARY = signature("a", "b", "out");
const MATMUL = signature("a", "b", "out");
const SUM = signature("x", "out");
const SOFTMAX = signature("x", "out");
const SOFTMAX_BACKWARD = signature("y", "dy", "dx");
const DENSE_FORWARD = signature("x", "kernel", "bias?", "out");
const DENSE_BACKWARD = signature("x", "kernel", "y", "dy", "dPre", "dx?", "dKernel?", "dBias?");
const CROSSENTROPY = signature("probs", "labels", "loss");
const SPARSE_CROSSENTROPY = signature("probs", "loss");
const CROSSENTROPY_BACKWARD = signature("probs", "dLoss", "grad", "labels?");
const BINARY_CROSSENTROPY_BACKWARD = signature("probs", "labels", "dLoss", "grad");
const ADAM = signature("variable", "gradient", "momentum", "velocity", "velocityHat?");
const SGD = signature("variable", "gradient", "momentum?");
const BATCH_NORM_FORWARD = signature("x", "weights?", "gamma?", "beta?", "mean", "variance", "out");
const BATCH_NORM_BACKWARD = signature("x", "weights?", "gamma?", "mean", "variance", "dy", "dx?", "dGamma?", "dBeta?");
const LAYER_NORM_FORWARD = signature("x", "gamma?", "beta?", "out", "mean", "invStd");
const LAYER_NORM_BACKWARD = signature("x", "gamma?", "mean", "invStd", "dy", "dx?", "dGamma?", "dBeta?");

/** Checks a call with one input and one output of the same length (unary, affine, clip). */
export function guardElementwise(kernel: string, x: FloatArray, out: FloatArray): boolean {
  if (!isFloat32Call(kernel, ELEMENTWISE, x, out)) return false;
  checkLength(kernel, "out", out, x.length);
  checkInPlaceOrDisjoint(kernel, "out", out, "x", x);
  return true;
}

export function guardUnaryBackward(x: FloatArray, y: FloatArray, dy: FloatArray, dx: FloatArray): boolean {
  const kernel = "unaryBackward";
  if (!isFloat32Call(kernel, UNARY_BACKWARD, x, y, dy, dx)) return false;
  const n = x.length;
  checkLength(kernel, "y", y, n);
  checkLength(kernel, "dy", dy, n);
  checkLength(kernel, "dx", dx, n);
  checkInPlaceOrDisjoint(kernel, "dx", dx, "x", x);
  checkInPlaceOrDisjoint(kernel, "dx", dx, "y", y);
  checkInPlaceOrDisjoint(kernel, "dx", dx, "dy", dy);
  return true;
}

function checkShape(kernel: string, name: string, shape: readonly number[], array: FloatArray): void {
  let size = 1;
  for (let axis = 0; axis < shape.length; axis++) {
    const dim = shape[axis]!;
    if (!Number.isInteger(dim) || dim < 0) {
      throw new ShapeError(`${kernel}: \`${name}\` has an invalid dimension ${String(dim)} at axis ${axis} of its shape [${shape.join(", ")}].`);
    }
    size *= dim;
  }
  if (size !== array.length) {
    throw new ShapeError(`${kernel}: \`${name}\` has ${array.length} elements, but its shape [${shape.join(", ")}] has ${size}.`);
  }
}

/**
 * Checks a broadcasting binary call. Each operand that has as many elements
 * as `out` may be `out` itself, but a repeated operand must not overlap `out`.
 */
export function guardBinary(
  a: FloatArray,
  aShape: readonly number[],
  b: FloatArray,
  bShape: readonly number[],
  out: FloatArray,
  outShape: readonly number[],
): boolean {
  const kernel = "binary";
  if (!isFloat32Call(kernel, BINARY, a, b, out)) return false;
  checkShape(kernel, "a", aShape, a);
  checkShape(kernel, "b", bShape, b);
  checkShape(kernel, "out", outShape, out);
  checkInPlaceOrDisjoint(kernel, "out", out, "a", a);
  checkInPlaceOrDisjoint(kernel, "out", out, "b", b);
  return true;
}

export function guardMatmul(
  a: FloatArray,
  b: FloatArray,
  out: FloatArray,
  m: number,
  k: number,
  n: number,
  transposeA: boolean,
  transposeB: boolean,
  accumulate: boolean,
): boolean {
  const kernel = "matmul";
  if (!isFloat32Call(kernel, MATMUL, a, b, out)) return false;
  checkSize(kernel, "m", m);
  checkSize(kernel, "k", k);
  checkSize(kernel, "n", n);
  checkFlag(kernel, "transposeA", transposeA);
  checkFlag(kernel, "transposeB", transposeB);
  checkFlag(kernel, "accumulate", accumulate);
  checkLength(kernel, "a", a, m * k);
  checkLength(kernel, "b", b, k * n);
  checkLength(kernel, "out", out, m * n);
  checkDisjoint(kernel, "out", out, "a", a);
  checkDisjoint(kernel, "out", out, "b", b);
  return true;
}

/** Checks a sum over one axis of a matrix. Returns false for other shapes, which the TypeScript backend sums. */
export function guardSum2d(x: FloatArray, shape: readonly number[], axes: readonly number[], out: FloatArray): boolean {
  const kernel = "sum";
  if (!isFloat32Call(kernel, SUM, x, out) || shape.length !== 2 || axes.length !== 1) return false;
  const rows = shape[0]!;
  const cols = shape[1]!;
  const axis = axes[0]!;
  checkSize(kernel, "shape[0]", rows);
  checkSize(kernel, "shape[1]", cols);
  if (axis !== 0 && axis !== 1) throw new ValueError(`${kernel}: the axis of a matrix sum must be 0 or 1, received ${String(axis)}.`);
  checkLength(kernel, "x", x, rows * cols);
  checkLength(kernel, "out", out, axis === 0 ? cols : rows);
  checkDisjoint(kernel, "out", out, "x", x);
  return true;
}

/**
 * Checks an argmax call. Returns false when `x` is not float32 or has no
 * columns, which the TypeScript backend handles. `out` may be longer than
 * `rows`, as on the TypeScript backend, and its entries past `rows` are left alone.
 */
export function guardArgmax(x: TypedArray, rows: number, cols: number, out: Int32Array): boolean {
  const kernel = "argmax";
  if (!(x instanceof Float32Array) || cols === 0) return false;
  checkSize(kernel, "rows", rows);
  checkSize(kernel, "cols", cols);
  checkInt32(kernel, "out", out);
  checkLength(kernel, "x", x, rows * cols);
  if (out.length < rows) throw new ShapeError(`${kernel}: \`out\` must have at least ${rows} elements, received ${out.length}.`);
  checkDisjoint(kernel, "out", out, "x", x);
  return true;
}

/** Checks a row gather, including every index. Returns false unless `x` and `out` are float32 and rows are not empty. */
export function guardGatherRows(x: TypedArray, rowSize: number, indices: Int32Array, out: TypedArray): boolean {
  const kernel = "gatherRows";
  checkSize(kernel, "rowSize", rowSize);
  checkInt32(kernel, "indices", indices);
  if (!(x instanceof Float32Array && out instanceof Float32Array) || rowSize === 0) return false;
  if (x.length % rowSize !== 0) {
    throw new ShapeError(`${kernel}: \`x\` has ${x.length} elements, which is not a whole number of rows of ${rowSize}.`);
  }
  checkLength(kernel, "out", out, indices.length * rowSize);
  checkIndexRange(kernel, "indices", indices, x.length / rowSize);
  checkDisjoint(kernel, "out", out, "x", x);
  checkDisjoint(kernel, "out", out, "indices", indices);
  return true;
}

export function guardSoftmax(x: FloatArray, out: FloatArray, rows: number, cols: number): boolean {
  const kernel = "softmax";
  if (!isFloat32Call(kernel, SOFTMAX, x, out)) return false;
  checkSize(kernel, "rows", rows);
  checkSize(kernel, "cols", cols);
  checkLength(kernel, "x", x, rows * cols);
  checkLength(kernel, "out", out, rows * cols);
  checkInPlaceOrDisjoint(kernel, "out", out, "x", x);
  return true;
}

export function guardSoftmaxBackward(y: FloatArray, dy: FloatArray, dx: FloatArray, rows: number, cols: number): boolean {
  const kernel = "softmaxBackward";
  if (!isFloat32Call(kernel, SOFTMAX_BACKWARD, y, dy, dx)) return false;
  checkSize(kernel, "rows", rows);
  checkSize(kernel, "cols", cols);
  const n = rows * cols;
  checkLength(kernel, "y", y, n);
  checkLength(kernel, "dy", dy, n);
  checkLength(kernel, "dx", dx, n);
  checkInPlaceOrDisjoint(kernel, "dx", dx, "y", y);
  checkInPlaceOrDisjoint(kernel, "dx", dx, "dy", dy);
  return true;
}

function checkMatrixSizes(kernel: string, m: number, k: number, n: number): void {
  checkSize(kernel, "m", m);
  checkSize(kernel, "k", k);
  checkSize(kernel, "n", n);
}

export function guardDenseForward(args: DenseForwardArgs): boolean {
  const kernel = "denseForward";
  const { x, kernel: weights, bias, out, m, k, n } = args;
  if (!isFloat32Call(kernel, DENSE_FORWARD, x, weights, bias, out)) return false;
  checkMatrixSizes(kernel, m, k, n);
  checkLength(kernel, "x", x, m * k);
  checkLength(kernel, "kernel", weights, k * n);
  checkLength(kernel, "bias", bias, n);
  checkLength(kernel, "out", out, m * n);
  checkDisjoint(kernel, "out", out, "x", x);
  checkDisjoint(kernel, "out", out, "kernel", weights);
  checkDisjoint(kernel, "out", out, "bias", bias);
  return true;
}

/**
 * Checks a dense backward call. `dPre` may be `dy` or `y` itself, because
 * the activation's derivative is applied element by element. The three
 * gradients must be separate from every other array.
 */
export function guardDenseBackward(args: DenseBackwardArgs): boolean {
  const kernel = "denseBackward";
  const { x, kernel: weights, y, dy, dPre, dx, dKernel, dBias, m, k, n } = args;
  if (!isFloat32Call(kernel, DENSE_BACKWARD, x, weights, y, dy, dPre, dx, dKernel, dBias)) return false;
  checkMatrixSizes(kernel, m, k, n);
  checkLength(kernel, "x", x, m * k);
  checkLength(kernel, "kernel", weights, k * n);
  checkLength(kernel, "y", y, m * n);
  checkLength(kernel, "dy", dy, m * n);
  checkLength(kernel, "dPre", dPre, m * n);
  checkLength(kernel, "dx", dx, m * k);
  checkLength(kernel, "dKernel", dKernel, k * n);
  checkLength(kernel, "dBias", dBias, n);
  checkInPlaceOrDisjoint(kernel, "dPre", dPre, "y", y);
  checkInPlaceOrDisjoint(kernel, "dPre", dPre, "dy", dy);
  checkDisjoint(kernel, "dPre", dPre, "x", x);
  checkDisjoint(kernel, "dPre", dPre, "kernel", weights);
  checkDisjointFromAll(kernel, "dx", dx, "x", x, "kernel", weights, "y", y, "dy", dy, "dPre", dPre, "dKernel", dKernel, "dBias", dBias);
  checkDisjointFromAll(kernel, "dKernel", dKernel, "x", x, "kernel", weights, "y", y, "dy", dy, "dPre", dPre, "dBias", dBias);
  checkDisjointFromAll(kernel, "dBias", dBias, "x", x, "kernel", weights, "y", y, "dy", dy, "dPre", dPre);
  return true;
}

function checkRowsAndClasses(kernel: string, rows: number, classes: number, classesName: string): void {
  checkSize(kernel, "rows", rows);
  checkSize(kernel, classesName, classes);
}

export function guardCategoricalCrossentropy(args: CrossentropyArgs): boolean {
  const kernel = "categoricalCrossentropy";
  const { probs, labels, loss, rows, classes } = args;
  if (!isFloat32Call(kernel, CROSSENTROPY, probs, labels, loss)) return false;
  checkRowsAndClasses(kernel, rows, classes, "classes");
  checkNumber(kernel, "epsilon", args.epsilon);
  checkLength(kernel, "probs", probs, rows * classes);
  checkLength(kernel, "labels", labels, rows * classes);
  checkLength(kernel, "loss", loss, rows);
  checkDisjoint(kernel, "loss", loss, "probs", probs);
  checkDisjoint(kernel, "loss", loss, "labels", labels);
  return true;
}

/** Checks sparse labels: an Int32Array of one class index per row, each in [0, classes). */
function checkSparseLabels(kernel: string, labels: unknown, rows: number, classes: number): void {
  checkInt32(kernel, "labels", labels);
  checkLength(kernel, "labels", labels as Int32Array, rows);
  checkIndexRange(kernel, "labels", labels as Int32Array, classes);
}

export function guardSparseCategoricalCrossentropy(args: SparseCrossentropyArgs): boolean {
  const kernel = "sparseCategoricalCrossentropy";
  const { probs, labels, loss, rows, classes } = args;
  if (!isFloat32Call(kernel, SPARSE_CROSSENTROPY, probs, loss)) return false;
  checkRowsAndClasses(kernel, rows, classes, "classes");
  checkNumber(kernel, "epsilon", args.epsilon);
  checkLength(kernel, "probs", probs, rows * classes);
  checkLength(kernel, "loss", loss, rows);
  checkSparseLabels(kernel, labels, rows, classes);
  checkDisjoint(kernel, "loss", loss, "probs", probs);
  checkDisjoint(kernel, "loss", loss, "labels", labels);
  return true;
}

/** Checks a crossentropy gradient call. Sparse labels are an Int32Array, and dense ones share the dtype of `probs`. */
export function guardCrossentropyBackward(args: CrossentropyBackwardArgs): boolean {
  const kernel = "crossentropyBackward";
  const { probs, labels, dLoss, grad, rows, classes, sparse } = args;
  checkFlag(kernel, "sparse", sparse);
  checkFlag(kernel, "throughSoftmax", args.throughSoftmax);
  const native = sparse
    ? isFloat32Call(kernel, CROSSENTROPY_BACKWARD, probs, dLoss, grad)
    : isFloat32Call(kernel, CROSSENTROPY_BACKWARD, probs, dLoss, grad, labels);
  if (!native) return false;
  checkRowsAndClasses(kernel, rows, classes, "classes");
  checkNumber(kernel, "epsilon", args.epsilon);
  checkLength(kernel, "probs", probs, rows * classes);
  checkLength(kernel, "dLoss", dLoss, rows);
  checkLength(kernel, "grad", grad, rows * classes);
  if (sparse) checkSparseLabels(kernel, labels, rows, classes);
  else checkLength(kernel, "labels", labels, rows * classes);
  checkDisjoint(kernel, "grad", grad, "probs", probs);
  checkDisjoint(kernel, "grad", grad, "labels", labels);
  checkDisjoint(kernel, "grad", grad, "dLoss", dLoss);
  return true;
}

export function guardBinaryCrossentropy(args: BinaryCrossentropyArgs): boolean {
  const kernel = "binaryCrossentropy";
  const { probs, labels, loss, rows, cols } = args;
  if (!isFloat32Call(kernel, CROSSENTROPY, probs, labels, loss)) return false;
  checkRowsAndClasses(kernel, rows, cols, "cols");
  checkNumber(kernel, "epsilon", args.epsilon);
  checkLength(kernel, "probs", probs, rows * cols);
  checkLength(kernel, "labels", labels, rows * cols);
  checkLength(kernel, "loss", loss, rows);
  checkDisjoint(kernel, "loss", loss, "probs", probs);
  checkDisjoint(kernel, "loss", loss, "labels", labels);
  return true;
}

export function guardBinaryCrossentropyBackward(args: BinaryCrossentropyBackwardArgs): boolean {
  const kernel = "binaryCrossentropyBackward";
  const { probs, labels, dLoss, grad, rows, cols } = args;
  if (!isFloat32Call(kernel, BINARY_CROSSENTROPY_BACKWARD, probs, labels, dLoss, grad)) return false;
  checkRowsAndClasses(kernel, rows, cols, "cols");
  checkNumber(kernel, "epsilon", args.epsilon);
  checkLength(kernel, "probs", probs, rows * cols);
  checkLength(kernel, "labels", labels, rows * cols);
  checkLength(kernel, "dLoss", dLoss, rows);
  checkLength(kernel, "grad", grad, rows * cols);
  checkInPlaceOrDisjoint(kernel, "grad", grad, "probs", probs);
  checkInPlaceOrDisjoint(kernel, "grad", grad, "labels", labels);
  checkDisjoint(kernel, "grad", grad, "dLoss", dLoss);
  return true;
}

/**
 * Throws a ValueError when the output `out` shares memory with any of up to
 * seven other arrays. Fixed arity, because building a list would allocate per call.
 */
function checkDisjointFromAll(
  kernel: string,
  outName: string,
  out: FloatArray | null,
  name1: string,
  array1: FloatArray | null,
  name2 = "",
  array2: FloatArray | null = null,
  name3 = "",
  array3: FloatArray | null = null,
  name4 = "",
  array4: FloatArray | null = null,
  name5 = "",
  array5: FloatArray | null = null,
  name6 = "",
  array6: FloatArray | null = null,
  name7 = "",
  array7: FloatArray | null = null,
): void {
  if (out === null) return;
  checkDisjoint(kernel, outName, out, name1, array1);
  checkDisjoint(kernel, outName, out, name2, array2);
  checkDisjoint(kernel, outName, out, name3, array3);
  checkDisjoint(kernel, outName, out, name4, array4);
  checkDisjoint(kernel, outName, out, name5, array5);
  checkDisjoint(kernel, outName, out, name6, array6);
  checkDisjoint(kernel, outName, out, name7, array7);
}

export function guardAdamUpdate(args: AdamUpdateArgs): boolean {
  const kernel = "adamUpdate";
  const { variable, gradient, momentum, velocity, velocityHat } = args;
  if (!isFloat32Call(kernel, ADAM, variable, gradient, momentum, velocity, velocityHat)) return false;
  const n = variable.length;
  checkLength(kernel, "gradient", gradient, n);
  checkLength(kernel, "momentum", momentum, n);
  checkLength(kernel, "velocity", velocity, n);
  checkLength(kernel, "velocityHat", velocityHat, n);
  checkNumber(kernel, "learningRate", args.learningRate);
  checkNumber(kernel, "beta1", args.beta1);
  checkNumber(kernel, "beta2", args.beta2);
  checkNumber(kernel, "epsilon", args.epsilon);
  checkNumber(kernel, "step", args.step);
  // The C loop declares these pointers `restrict`, so no two of them may overlap.
  checkDisjointFromAll(kernel, "variable", variable, "gradient", gradient, "momentum", momentum, "velocity", velocity, "velocityHat", velocityHat);
  checkDisjointFromAll(kernel, "momentum", momentum, "gradient", gradient, "velocity", velocity, "velocityHat", velocityHat);
  checkDisjointFromAll(kernel, "velocity", velocity, "gradient", gradient, "velocityHat", velocityHat);
  checkDisjoint(kernel, "velocityHat", velocityHat, "gradient", gradient);
  return true;
}

export function guardSgdUpdate(args: SgdUpdateArgs): boolean {
  const kernel = "sgdUpdate";
  const { variable, gradient, momentum } = args;
  if (!isFloat32Call(kernel, SGD, variable, gradient, momentum)) return false;
  const n = variable.length;
  checkLength(kernel, "gradient", gradient, n);
  checkLength(kernel, "momentum", momentum, n);
  checkNumber(kernel, "learningRate", args.learningRate);
  checkNumber(kernel, "momentumFactor", args.momentumFactor);
  checkFlag(kernel, "nesterov", args.nesterov);
  checkDisjointFromAll(kernel, "variable", variable, "gradient", gradient, "momentum", momentum);
  checkDisjoint(kernel, "momentum", momentum, "gradient", gradient);
  return true;
}

/** Checks the sizes of an [outer, channels, inner] batch-norm call and returns its element count. */
function batchNormSize(kernel: string, outer: number, channels: number, inner: number): number {
  checkSize(kernel, "outer", outer);
  checkSize(kernel, "channels", channels);
  checkSize(kernel, "inner", inner);
  return outer * channels * inner;
}

/**
 * Checks a batch-norm forward call. `out` may be `x` itself, but the
 * statistics (written when training) must be separate from every other array.
 */
export function guardBatchNormForward(args: BatchNormForwardArgs): boolean {
  const kernel = "batchNormForward";
  const { x, weights, gamma, beta, mean, variance, out, channels } = args;
  if (!isFloat32Call(kernel, BATCH_NORM_FORWARD, x, weights, gamma, beta, mean, variance, out)) return false;
  const n = batchNormSize(kernel, args.outer, channels, args.inner);
  checkFlag(kernel, "training", args.training);
  checkNumber(kernel, "epsilon", args.epsilon);
  checkLength(kernel, "x", x, n);
  checkLength(kernel, "weights", weights, n);
  checkLength(kernel, "gamma", gamma, channels);
  checkLength(kernel, "beta", beta, channels);
  checkLength(kernel, "mean", mean, channels);
  checkLength(kernel, "variance", variance, channels);
  checkLength(kernel, "out", out, n);
  checkInPlaceOrDisjoint(kernel, "out", out, "x", x);
  checkDisjointFromAll(kernel, "out", out, "weights", weights, "gamma", gamma, "beta", beta);
  checkDisjointFromAll(kernel, "mean", mean, "x", x, "weights", weights, "gamma", gamma, "beta", beta, "out", out, "variance", variance);
  checkDisjointFromAll(kernel, "variance", variance, "x", x, "weights", weights, "gamma", gamma, "beta", beta, "out", out);
  return true;
}

/**
 * Checks a batch-norm backward call. `dx` may be `x` or `dy` itself. `dGamma`
 * and `dBeta` are written before `dx`, so they must be separate from everything.
 */
export function guardBatchNormBackward(args: BatchNormBackwardArgs): boolean {
  const kernel = "batchNormBackward";
  const { x, weights, gamma, mean, variance, dy, dx, dGamma, dBeta, channels } = args;
  if (!isFloat32Call(kernel, BATCH_NORM_BACKWARD, x, weights, gamma, mean, variance, dy, dx, dGamma, dBeta)) return false;
  const n = batchNormSize(kernel, args.outer, channels, args.inner);
  checkFlag(kernel, "training", args.training);
  checkNumber(kernel, "epsilon", args.epsilon);
  checkLength(kernel, "x", x, n);
  checkLength(kernel, "weights", weights, n);
  checkLength(kernel, "gamma", gamma, channels);
  checkLength(kernel, "mean", mean, channels);
  checkLength(kernel, "variance", variance, channels);
  checkLength(kernel, "dy", dy, n);
  checkLength(kernel, "dx", dx, n);
  checkLength(kernel, "dGamma", dGamma, channels);
  checkLength(kernel, "dBeta", dBeta, channels);
  checkInPlaceOrDisjoint(kernel, "dx", dx, "x", x);
  checkInPlaceOrDisjoint(kernel, "dx", dx, "dy", dy);
  checkInPlaceOrDisjoint(kernel, "dx", dx, "weights", weights);
  checkDisjointFromAll(kernel, "dx", dx, "gamma", gamma, "mean", mean, "variance", variance);
  checkDisjointFromAll(kernel, "dGamma", dGamma, "x", x, "weights", weights, "gamma", gamma, "mean", mean, "variance", variance, "dy", dy, "dx", dx);
  checkDisjointFromAll(kernel, "dBeta", dBeta, "x", x, "weights", weights, "gamma", gamma, "mean", mean, "variance", variance, "dy", dy, "dx", dx);
  checkDisjoint(kernel, "dGamma", dGamma, "dBeta", dBeta);
  return true;
}

function layerNormSizes(kernel: string, rows: number, cols: number): void {
  checkSize(kernel, "rows", rows);
  checkSize(kernel, "cols", cols);
}

/** Checks a layer-norm forward call. `out` may be `x` itself, but the per-row statistics must be separate from everything. */
export function guardLayerNormForward(args: LayerNormForwardArgs): boolean {
  const kernel = "layerNormForward";
  const { x, rows, cols, gamma, beta, out, mean, invStd } = args;
  if (!isFloat32Call(kernel, LAYER_NORM_FORWARD, x, gamma, beta, out, mean, invStd)) return false;
  layerNormSizes(kernel, rows, cols);
  checkNumber(kernel, "epsilon", args.epsilon);
  checkFlag(kernel, "rmsScaling", args.rmsScaling);
  checkLength(kernel, "x", x, rows * cols);
  checkLength(kernel, "gamma", gamma, cols);
  checkLength(kernel, "beta", beta, cols);
  checkLength(kernel, "out", out, rows * cols);
  checkLength(kernel, "mean", mean, rows);
  checkLength(kernel, "invStd", invStd, rows);
  checkInPlaceOrDisjoint(kernel, "out", out, "x", x);
  checkDisjointFromAll(kernel, "out", out, "gamma", gamma, "beta", beta);
  checkDisjointFromAll(kernel, "mean", mean, "x", x, "gamma", gamma, "beta", beta, "out", out, "invStd", invStd);
  checkDisjointFromAll(kernel, "invStd", invStd, "x", x, "gamma", gamma, "beta", beta, "out", out);
  return true;
}

/** Checks a layer-norm backward call. `dx` may be `x` or `dy` itself, but `dGamma` and `dBeta` must be separate from everything. */
export function guardLayerNormBackward(args: LayerNormBackwardArgs): boolean {
  const kernel = "layerNormBackward";
  const { x, rows, cols, gamma, mean, invStd, dy, dx, dGamma, dBeta } = args;
  if (!isFloat32Call(kernel, LAYER_NORM_BACKWARD, x, gamma, mean, invStd, dy, dx, dGamma, dBeta)) return false;
  layerNormSizes(kernel, rows, cols);
  checkFlag(kernel, "rmsScaling", args.rmsScaling);
  checkLength(kernel, "x", x, rows * cols);
  checkLength(kernel, "gamma", gamma, cols);
  checkLength(kernel, "mean", mean, rows);
  checkLength(kernel, "invStd", invStd, rows);
  checkLength(kernel, "dy", dy, rows * cols);
  checkLength(kernel, "dx", dx, rows * cols);
  checkLength(kernel, "dGamma", dGamma, cols);
  checkLength(kernel, "dBeta", dBeta, cols);
  checkInPlaceOrDisjoint(kernel, "dx", dx, "x", x);
  checkInPlaceOrDisjoint(kernel, "dx", dx, "dy", dy);
  checkDisjointFromAll(kernel, "dx", dx, "gamma", gamma, "mean", mean, "invStd", invStd);
  checkDisjointFromAll(kernel, "dGamma", dGamma, "x", x, "gamma", gamma, "mean", mean, "invStd", invStd, "dy", dy, "dx", dx);
  checkDisjointFromAll(kernel, "dBeta", dBeta, "x", x, "gamma", gamma, "mean", mean, "invStd", invStd, "dy", dy, "dx", dx);
  checkDisjoint(kernel, "dGamma", dGamma, "dBeta", dBeta);
  return true;
}
