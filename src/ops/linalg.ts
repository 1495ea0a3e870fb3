import { ShapeError, formatShape } from "../errors.js";
import type { DenseBackwardArgs, DenseForwardActivation, DenseForwardArgs, FusedActivation } from "../backend/backend.js";
import { allocateScratch, scratchTensor } from "../backend/workspace.js";
import { getBackend } from "../backend/registry.js";
import { record, shouldRecord } from "../autodiff/tape.js";
import type { FloatArray, FloatDType } from "../tensor/dtype.js";
import { Tensor } from "../tensor/tensor.js";
import { softmax } from "./nn.js";
import { emptyLike, sameFloatDType } from "./util.js";

/** Matrix product of two rank-2 tensors. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  const dtype = sameFloatDType(a, b, "matmul");
  if (a.rank !== 2 || b.rank !== 2 || a.shape[1] !== b.shape[0]) {
    throw new ShapeError(
      `matmul needs shapes (m, k) and (k, n), received ${formatShape(a.shape)} and ${formatShape(b.shape)}.`,
    );
  }
  const [m, k] = a.shape as [number, number];
  const n = b.shape[1]!;
  // The products below write every element of their outputs, so reused buffers need no zero fill.
  const out = scratchTensor(dtype, [m, n], false);
  getBackend().matmul(a.data as FloatArray, b.data as FloatArray, out.data as FloatArray, m, k, n, false, false);
  return record([a, b], out, (dy, needs) => {
    const backend = getBackend();
    let da: Tensor | null = null;
    let db: Tensor | null = null;
    if (needs[0]) {
      da = scratchTensor(dtype, [m, k], false);
      backend.matmul(dy.data as FloatArray, b.data as FloatArray, da.data as FloatArray, m, n, k, false, true);
    }
    if (needs[1]) {
      db = scratchTensor(dtype, [k, n], false);
      backend.matmul(a.data as FloatArray, dy.data as FloatArray, db.data as FloatArray, k, m, n, true, false);
    }
    return [da, db];
  });
}

/**
 * activation(x · kernel + bias) in one fused kernel, contracting the last axis
 * of `x`, which may have any rank ≥ 2: the leading axes are flattened into rows.
 * Softmax (over the last axis) is fused only when no gradient is recorded.
 */
export function dense(x: Tensor, kernel: Tensor, bias: Tensor | null, activation: DenseForwardActivation): Tensor {
  const dtype = sameFloatDType(x, kernel, "dense");

  if (kernel.rank !== 2) {
    throw new ShapeError(`dense needs a kernel of rank 2, received shape ${formatShape(kernel.shape)}.`);
  }
  const k = kernel.shape[0]!;
  const n = kernel.shape[1]!;
  if (bias && (bias.rank !== 1 || bias.shape[0] !== n)) {
    throw new ShapeError(
      `dense needs a bias of shape ${formatShape([n])} for a kernel of shape ${formatShape(kernel.shape)}, received ${formatShape(bias.shape)}.`,
    );
  }
  if (bias) sameFloatDType(kernel, bias, "dense");

  if (x.rank < 1 || x.shape[x.rank - 1] !== k) {
    throw new ShapeError(
      `dense needs inputs whose last axis is ${k}, received shape ${formatShape(x.shape)}.`,
    );
  }
  const inputs = bias ? [x, kernel, bias] : [x, kernel];
  // The crossentropy losses take their gradient from the logits of a recorded softmax, so training keeps it a separate op.
  if (activation === "softmax" && shouldRecord(inputs)) return softmax(dense(x, kernel, bias, "linear"));
  const m = x.size / k;
  const outShape = x.rank === 2 ? matrixShape(m, n) : [...x.shape.slice(0, -1), n];
  // The dense kernels write every element of `out`, `dx` and `dKernel` (zeros when the sum is empty),
  // so reused buffers need no zero fill.
  const out = scratchTensor(dtype, outShape, false);
  const forwardArgs = denseForwardArgs;
  forwardArgs.x = x.data as FloatArray;
  forwardArgs.kernel = kernel.data as FloatArray;
  forwardArgs.bias = bias ? (bias.data as FloatArray) : null;
  forwardArgs.out = out.data as FloatArray;
  forwardArgs.m = m;
  forwardArgs.k = k;
  forwardArgs.n = n;
  forwardArgs.activation = activation;
  getBackend().denseForward(forwardArgs);
  if (activation === "softmax") return out;
  const fused: FusedActivation = activation;
  return record(inputs, out, (dy, needs) => {
    const dx = needs[0] ? scratchTensor(dtype as FloatDType, x.shape, false) : null;
    const dKernel = needs[1] ? scratchTensor(dtype, kernel.shape, false) : null;
    const dBias = bias && needs[2] ? emptyLike(dtype, bias.shape) : null;
    const dPre = fused === "linear" ? dy.data : allocateScratch(dtype, out.size, false);
    const backwardArgs = denseBackwardArgs;
    backwardArgs.x = x.data as FloatArray;
    backwardArgs.kernel = kernel.data as FloatArray;
    backwardArgs.y = out.data as FloatArray;
    backwardArgs.dy = dy.data as FloatArray;
    backwardArgs.dPre = dPre as FloatArray;
    backwardArgs.dx = dx ? (dx.data as FloatArray) : null;
    backwardArgs.dKernel = dKernel ? (dKernel.data as FloatArray) : null;
    backwardArgs.dBias = dBias ? (dBias.data as FloatArray) : null;
    backwardArgs.m = m;
    backwardArgs.k = k;
    backwardArgs.n = n;
    backwardArgs.activation = fused;
    getBackend().denseBackward(backwardArgs);
    return [dx, dKernel, dBias];
  });
}

// One arguments object per dense kernel, refilled for every call, because backends do not keep it.
const EMPTY = new Float32Array(0);
const denseForwardArgs: DenseForwardArgs = { x: EMPTY, kernel: EMPTY, bias: null, out: EMPTY, m: 0, k: 0, n: 0, activation: "linear" };
const denseBackwardArgs: DenseBackwardArgs = {
  x: EMPTY,
  kernel: EMPTY,
  y: EMPTY,
  dy: EMPTY,
  dPre: EMPTY,
  dx: null,
  dKernel: null,
  dBias: null,
  m: 0,
  k: 0,
  n: 0,
  activation: "linear",
};

/** Shapes [m, n] of recent dense outputs, so that a training step does not build the same small array every time. */
const matrixShapes = new Map<number, readonly number[]>();

function matrixShape(m: number, n: number): readonly number[] {
  // One number per pair while both sizes are below 2^26, which keeps the key an exact integer.
  if (m >= 2 ** 26 || n >= 2 ** 26) return Object.freeze([m, n]);
  const key = m * 2 ** 26 + n;
  let shape = matrixShapes.get(key);
  if (shape === undefined) {
    if (matrixShapes.size >= 64) matrixShapes.clear();
    shape = Object.freeze([m, n]);
    matrixShapes.set(key, shape);
  }
  return shape;
}
