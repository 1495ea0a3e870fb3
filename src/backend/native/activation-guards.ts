/**
 * Guards of the native activation, logit-crossentropy and depthwise
 * convolution kernels. They keep the contract of those in guards.ts. A guard
 * returns true to run the call in C and false to run it on the TypeScript
 * backend, and it throws a ValueError or ShapeError before any C code runs.
 */

import type {
  DepthwiseConvArgs,
  DepthwiseConvBackwardArgs,
  SigmoidCrossentropyArgs,
  SigmoidCrossentropyBackwardArgs,
  SoftmaxCrossentropyArgs,
  SoftmaxCrossentropyBackwardArgs,
} from "../backend.js";
import type { FloatArray } from "../../tensor/dtype.js";
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
import { encodeWindow, imageSize, pooledSize } from "./window.js";

const ACTIVATION = signature("x", "out");
const ACTIVATION_BACKWARD = signature("x", "y", "dy", "dx");
const SOFTMAX_CROSSENTROPY = signature("logits", "loss", "probs", "labels?");
const SOFTMAX_CROSSENTROPY_BACKWARD = signature("probs", "dLoss", "grad", "labels?");
const SIGMOID_CROSSENTROPY = signature("logits", "labels", "loss");
const SIGMOID_CROSSENTROPY_BACKWARD = signature("logits", "labels", "dLoss", "grad");
const DEPTHWISE = signature("x", "kernel", "out");
const DEPTHWISE_BACKWARD = signature("x", "kernel", "dy", "dx?", "dKernel?");

/** Throws a ValueError unless each of the three activation parameters is a number. */
function checkParams(kernel: string, params: readonly number[]): void {
  if (!Array.isArray(params)) throw new ValueError(`${kernel}: \`params\` must be an array of numbers, received ${typeof params}.`);
  for (let i = 0; i < 3; i++) checkNumber(kernel, `params[${i}]`, params[i] ?? 0);
}

export function guardActivation(x: FloatArray, out: FloatArray, params: readonly number[]): boolean {
  const kernel = "activation";
  if (!isFloat32Call(kernel, ACTIVATION, x, out)) return false;
  checkParams(kernel, params);
  checkLength(kernel, "out", out, x.length);
  checkInPlaceOrDisjoint(kernel, "out", out, "x", x);
  return true;
}

export function guardActivationBackward(x: FloatArray, y: FloatArray, dy: FloatArray, dx: FloatArray, params: readonly number[]): boolean {
  const kernel = "activationBackward";
  if (!isFloat32Call(kernel, ACTIVATION_BACKWARD, x, y, dy, dx)) return false;
  checkParams(kernel, params);
  checkLength(kernel, "y", y, x.length);
  checkLength(kernel, "dy", dy, x.length);
  checkLength(kernel, "dx", dx, x.length);
  checkInPlaceOrDisjoint(kernel, "dx", dx, "x", x);
  checkInPlaceOrDisjoint(kernel, "dx", dx, "y", y);
  checkInPlaceOrDisjoint(kernel, "dx", dx, "dy", dy);
  return true;
}

/** Returns the element count of a row activation's output: glu halves the last axis, which must then be even. */
function rowOutputSize(kernel: string, glu: boolean, rows: number, cols: number): number {
  if (!glu) return rows * cols;
  if (cols % 2 !== 0) throw new ShapeError(`${kernel}: glu splits the last axis in halves, so \`cols\` must be even, received ${cols}.`);
  return rows * (cols / 2);
}

/**
 * Checks a row activation (log_softmax, sparsemax or glu). The output may be
 * the input itself, because each row is read in full before it is written.
 * A glu output has half the length, so it must be separate.
 */
export function guardRowActivation(glu: boolean, x: FloatArray, out: FloatArray, rows: number, cols: number): boolean {
  const kernel = "rowActivation";
  if (!isFloat32Call(kernel, ACTIVATION, x, out)) return false;
  checkSize(kernel, "rows", rows);
  checkSize(kernel, "cols", cols);
  checkLength(kernel, "x", x, rows * cols);
  checkLength(kernel, "out", out, rowOutputSize(kernel, glu, rows, cols));
  checkInPlaceOrDisjoint(kernel, "out", out, "x", x);
  return true;
}

export function guardRowActivationBackward(glu: boolean, x: FloatArray, y: FloatArray, dy: FloatArray, dx: FloatArray, rows: number, cols: number): boolean {
  const kernel = "rowActivationBackward";
  if (!isFloat32Call(kernel, ACTIVATION_BACKWARD, x, y, dy, dx)) return false;
  checkSize(kernel, "rows", rows);
  checkSize(kernel, "cols", cols);
  const outputSize = rowOutputSize(kernel, glu, rows, cols);
  checkLength(kernel, "x", x, rows * cols);
  checkLength(kernel, "y", y, outputSize);
  checkLength(kernel, "dy", dy, outputSize);
  checkLength(kernel, "dx", dx, rows * cols);
  checkInPlaceOrDisjoint(kernel, "dx", dx, "x", x);
  checkInPlaceOrDisjoint(kernel, "dx", dx, "y", y);
  checkInPlaceOrDisjoint(kernel, "dx", dx, "dy", dy);
  return true;
}

/** Checks the labels of a softmax crossentropy call: class indices in [0, classes) when sparse, else soft labels like `probs`. */
function checkLabels(kernel: string, labels: FloatArray | Int32Array, sparse: boolean, rows: number, classes: number): void {
  if (sparse) {
    checkInt32(kernel, "labels", labels);
    checkLength(kernel, "labels", labels, rows);
    checkIndexRange(kernel, "labels", labels as Int32Array, classes);
  } else {
    checkLength(kernel, "labels", labels, rows * classes);
  }
}

/** Checks a softmax crossentropy on logits. `probs` may be `logits` itself, but `loss` must be separate from everything. */
export function guardSoftmaxCrossentropy(args: SoftmaxCrossentropyArgs): boolean {
  const kernel = "softmaxCrossentropy";
  const { logits, labels, sparse, loss, probs, rows, classes } = args;
  checkFlag(kernel, "sparse", sparse);
  const native = sparse
    ? isFloat32Call(kernel, SOFTMAX_CROSSENTROPY, logits, loss, probs)
    : isFloat32Call(kernel, SOFTMAX_CROSSENTROPY, logits, loss, probs, labels);
  if (!native) return false;
  checkSize(kernel, "rows", rows);
  checkSize(kernel, "classes", classes);
  checkLength(kernel, "logits", logits, rows * classes);
  checkLength(kernel, "loss", loss, rows);
  checkLength(kernel, "probs", probs, rows * classes);
  checkLabels(kernel, labels, sparse, rows, classes);
  checkInPlaceOrDisjoint(kernel, "probs", probs, "logits", logits);
  checkDisjoint(kernel, "probs", probs, "labels", labels);
  checkDisjoint(kernel, "loss", loss, "logits", logits);
  checkDisjoint(kernel, "loss", loss, "labels", labels);
  checkDisjoint(kernel, "loss", loss, "probs", probs);
  return true;
}

/** Checks a softmax crossentropy gradient. `grad` may be `probs` or dense `labels` itself, but not overlap `dLoss`. */
export function guardSoftmaxCrossentropyBackward(args: SoftmaxCrossentropyBackwardArgs): boolean {
  const kernel = "softmaxCrossentropyBackward";
  const { probs, labels, sparse, dLoss, grad, rows, classes } = args;
  checkFlag(kernel, "sparse", sparse);
  const native = sparse
    ? isFloat32Call(kernel, SOFTMAX_CROSSENTROPY_BACKWARD, probs, dLoss, grad)
    : isFloat32Call(kernel, SOFTMAX_CROSSENTROPY_BACKWARD, probs, dLoss, grad, labels);
  if (!native) return false;
  checkSize(kernel, "rows", rows);
  checkSize(kernel, "classes", classes);
  checkLength(kernel, "probs", probs, rows * classes);
  checkLength(kernel, "dLoss", dLoss, rows);
  checkLength(kernel, "grad", grad, rows * classes);
  checkLabels(kernel, labels, sparse, rows, classes);
  checkInPlaceOrDisjoint(kernel, "grad", grad, "probs", probs);
  if (sparse) checkDisjoint(kernel, "grad", grad, "labels", labels);
  else checkInPlaceOrDisjoint(kernel, "grad", grad, "labels", labels);
  checkDisjoint(kernel, "grad", grad, "dLoss", dLoss);
  return true;
}

export function guardSigmoidCrossentropy(args: SigmoidCrossentropyArgs): boolean {
  const kernel = "sigmoidCrossentropy";
  const { logits, labels, loss, rows, cols } = args;
  if (!isFloat32Call(kernel, SIGMOID_CROSSENTROPY, logits, labels, loss)) return false;
  checkSize(kernel, "rows", rows);
  checkSize(kernel, "cols", cols);
  checkLength(kernel, "logits", logits, rows * cols);
  checkLength(kernel, "labels", labels, rows * cols);
  checkLength(kernel, "loss", loss, rows);
  checkDisjoint(kernel, "loss", loss, "logits", logits);
  checkDisjoint(kernel, "loss", loss, "labels", labels);
  return true;
}

export function guardSigmoidCrossentropyBackward(args: SigmoidCrossentropyBackwardArgs): boolean {
  const kernel = "sigmoidCrossentropyBackward";
  const { logits, labels, dLoss, grad, rows, cols } = args;
  if (!isFloat32Call(kernel, SIGMOID_CROSSENTROPY_BACKWARD, logits, labels, dLoss, grad)) return false;
  checkSize(kernel, "rows", rows);
  checkSize(kernel, "cols", cols);
  checkLength(kernel, "logits", logits, rows * cols);
  checkLength(kernel, "labels", labels, rows * cols);
  checkLength(kernel, "dLoss", dLoss, rows);
  checkLength(kernel, "grad", grad, rows * cols);
  checkInPlaceOrDisjoint(kernel, "grad", grad, "logits", logits);
  checkInPlaceOrDisjoint(kernel, "grad", grad, "labels", labels);
  checkDisjoint(kernel, "grad", grad, "dLoss", dLoss);
  return true;
}

/** Checks the geometry and the multiplier of a depthwise call and returns the encoded geometry and the kernel's length. */
function depthwiseGeometry(kernel: string, args: DepthwiseConvArgs | DepthwiseConvBackwardArgs): { geometry: Int32Array; kernelSize: number } {
  const geometry = encodeWindow(kernel, args, 0, args.channels);
  if ((args.depth ?? 1) !== 1 || (args.windowDepth ?? 1) !== 1 || (args.outDepth ?? 1) !== 1 || (args.padFront ?? 0) !== 0) {
    throw new ValueError(`${kernel}: depthwise convolution takes images, so the depth fields must be 1 (and padFront 0).`);
  }
  checkSize(kernel, "multiplier", args.multiplier);
  if (args.multiplier === 0) throw new ValueError(`${kernel}: \`multiplier\` must be at least 1, received 0.`);
  return { geometry, kernelSize: args.windowHeight * args.windowWidth * args.channels * args.multiplier };
}

/** Checks a depthwise convolution and returns its encoded geometry, or null when the arrays are float64. */
export function guardDepthwiseConv(args: DepthwiseConvArgs): Int32Array | null {
  const kernel = "depthwiseConv";
  const { x, kernel: weights, out } = args;
  if (!isFloat32Call(kernel, DEPTHWISE, x, weights, out)) return null;
  const { geometry, kernelSize } = depthwiseGeometry(kernel, args);
  checkLength(kernel, "x", x, imageSize(args));
  checkLength(kernel, "kernel", weights, kernelSize);
  checkLength(kernel, "out", out, pooledSize(args) * args.multiplier);
  checkDisjoint(kernel, "out", out, "x", x);
  checkDisjoint(kernel, "out", out, "kernel", weights);
  return geometry;
}

/** Checks a depthwise convolution gradient and returns its encoded geometry, or null when the arrays are float64. */
export function guardDepthwiseConvBackward(args: DepthwiseConvBackwardArgs): Int32Array | null {
  const kernel = "depthwiseConvBackward";
  const { x, kernel: weights, dy, dx, dKernel } = args;
  if (!isFloat32Call(kernel, DEPTHWISE_BACKWARD, x, weights, dy, dx, dKernel)) return null;
  const { geometry, kernelSize } = depthwiseGeometry(kernel, args);
  checkLength(kernel, "x", x, imageSize(args));
  checkLength(kernel, "kernel", weights, kernelSize);
  checkLength(kernel, "dy", dy, pooledSize(args) * args.multiplier);
  checkLength(kernel, "dx", dx, imageSize(args));
  checkLength(kernel, "dKernel", dKernel, kernelSize);
  for (const [name, gradient] of [["dx", dx], ["dKernel", dKernel]] as const) {
    checkDisjoint(kernel, name, gradient, "x", x);
    checkDisjoint(kernel, name, gradient, "kernel", weights);
    checkDisjoint(kernel, name, gradient, "dy", dy);
  }
  checkDisjoint(kernel, "dx", dx, "dKernel", dKernel);
  return geometry;
}
