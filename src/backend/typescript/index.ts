import type {
  AdamUpdateArgs,
  Backend,
  BinaryCrossentropyArgs,
  BinaryOp,
  BinaryCrossentropyBackwardArgs,
  Col2imArgs,
  CrossentropyArgs,
  CrossentropyBackwardArgs,
  DenseBackwardArgs,
  DenseForwardArgs,
  RecurrentGatesBackwardArgs,
  RecurrentGatesForwardArgs,
  RecurrentSequenceBackwardArgs,
  RecurrentSequenceForwardArgs,
  Im2colArgs,
  PoolArgs,
  PoolBackwardArgs,
  SgdUpdateArgs,
  SparseCrossentropyArgs,
  UnaryOp,
} from "../backend.js";
import type { DType, FloatArray, TypedArray } from "../../tensor/dtype.js";
import * as elementwise from "./elementwise.js";
import { sum, unary } from "./elementwise.js";
import { matmul } from "./matmul.js";
import * as conv from "./conv.js";
import * as optimizers from "./optimizers.js";
import type {
  AdadeltaUpdateArgs,
  AdafactorUpdateArgs,
  AdagradUpdateArgs,
  AdamaxUpdateArgs,
  EmaUpdateArgs,
  FtrlUpdateArgs,
  LambUpdateArgs,
  LionUpdateArgs,
  NadamUpdateArgs,
  RmspropUpdateArgs,
} from "../optimizer-args.js";
import * as activations from "./activations.js";
import type {
  ActivationOp,
  RowActivationOp,
  SigmoidCrossentropyArgs,
  SigmoidCrossentropyBackwardArgs,
  SoftmaxCrossentropyArgs,
  SoftmaxCrossentropyBackwardArgs,
} from "../backend.js";
import * as normalization from "./normalization.js";
import type { BatchNormBackwardArgs, BatchNormForwardArgs, LayerNormBackwardArgs, LayerNormForwardArgs } from "../backend.js";
import { recurrentGatesBackward, recurrentGatesForward, recurrentSequenceBackward, recurrentSequenceForward } from "./recurrent.js";
import type { BatchMatmulArgs, DepthwiseConvArgs, DepthwiseConvBackwardArgs } from "../backend.js";

/**
 * The reference backend: every kernel in plain TypeScript, in float32 and
 * float64. It runs anywhere JavaScript runs and defines the results that
 * other backends are tested against.
 */
export class TypeScriptBackend implements Backend {
  readonly name: string = "typescript";
  readonly dtypes: readonly DType[] = ["float32", "float64", "int32"];

  unary(op: UnaryOp, x: FloatArray, out: FloatArray): void {
    elementwise.unary(op, x, out);
  }

  unaryBackward(op: UnaryOp, x: FloatArray, y: FloatArray, dy: FloatArray, dx: FloatArray): void {
    elementwise.unaryBackward(op, x, y, dy, dx);
  }

  binary(
    op: BinaryOp,
    a: FloatArray,
    aShape: readonly number[],
    b: FloatArray,
    bShape: readonly number[],
    out: FloatArray,
    outShape: readonly number[],
  ): void {
    elementwise.binary(op, a, aShape, b, bShape, out, outShape);
  }

  sum(x: FloatArray, shape: readonly number[], axes: readonly number[], out: FloatArray): void {
    elementwise.sum(x, shape, axes, out);
  }

  broadcastTo(x: FloatArray, shape: readonly number[], out: FloatArray, outShape: readonly number[]): void {
    elementwise.broadcastTo(x, shape, out, outShape);
  }

  affine(x: FloatArray, scale: number, offset: number, out: FloatArray): void {
    for (let i = 0; i < x.length; i++) out[i] = x[i]! * scale + offset;
  }

  clip(x: FloatArray, low: number, high: number, out: FloatArray): void {
    for (let i = 0; i < x.length; i++) out[i] = clamp(x[i]!, low, high);
  }

  matmul(
    a: FloatArray,
    b: FloatArray,
    out: FloatArray,
    m: number,
    k: number,
    n: number,
    transposeA: boolean,
    transposeB: boolean,
    accumulate = false,
  ): void {
    matmul(a, b, out, m, k, n, transposeA, transposeB, accumulate);
  }

  argmax(x: TypedArray, rows: number, cols: number, out: Int32Array): void {
    for (let r = 0; r < rows; r++) {
      const row = r * cols;
      let best = 0;
      let bestValue = x[row]!;
      for (let c = 1; c < cols; c++) {
        const v = x[row + c]!;
        if (v > bestValue) {
          bestValue = v;
          best = c;
        }
      }
      out[r] = best;
    }
  }

  gatherRows(x: TypedArray, rowSize: number, indices: Int32Array, out: TypedArray): void {
    for (let i = 0; i < indices.length; i++) {
      const start = indices[i]! * rowSize;
      out.set(x.subarray(start, start + rowSize), i * rowSize);
    }
  }

  softmax(x: FloatArray, out: FloatArray, rows: number, cols: number): void {
    for (let r = 0; r < rows; r++) {
      const row = r * cols;
      let max = -Infinity;
      for (let c = 0; c < cols; c++) if (x[row + c]! > max) max = x[row + c]!;
      let total = 0;
      for (let c = 0; c < cols; c++) {
        const e = Math.exp(x[row + c]! - max);
        out[row + c] = e;
        total += e;
      }
      for (let c = 0; c < cols; c++) out[row + c]! /= total;
    }
  }

  softmaxBackward(y: FloatArray, dy: FloatArray, dx: FloatArray, rows: number, cols: number): void {
    for (let r = 0; r < rows; r++) {
      const row = r * cols;
      let dot = 0;
      for (let c = 0; c < cols; c++) dot += dy[row + c]! * y[row + c]!;
      for (let c = 0; c < cols; c++) dx[row + c] = y[row + c]! * (dy[row + c]! - dot);
    }
  }

  denseForward({ x, kernel, bias, out, m, k, n, activation }: DenseForwardArgs): void {
    if (bias) {
      for (let i = 0; i < m; i++) out.set(bias, i * n);
    }
    matmul(x, kernel, out, m, k, n, false, false, bias !== null);
    if (activation === "softmax") this.softmax(out, out, m, n);
    else if (activation !== "linear") unary(activation, out, out);
  }

  denseBackward(args: DenseBackwardArgs): void {
    const { x, kernel, y, dy, dPre, dx, dKernel, dBias, m, k, n, activation } = args;
    let grad: FloatArray = dy;
    if (activation === "relu") {
      for (let i = 0; i < m * n; i++) dPre[i] = y[i]! > 0 ? dy[i]! : 0;
      grad = dPre;
    } else if (activation === "sigmoid") {
      for (let i = 0; i < m * n; i++) dPre[i] = dy[i]! * y[i]! * (1 - y[i]!);
      grad = dPre;
    } else if (activation === "tanh") {
      for (let i = 0; i < m * n; i++) dPre[i] = dy[i]! * (1 - y[i]! * y[i]!);
      grad = dPre;
    }
    if (dKernel) matmul(x, grad, dKernel, k, m, n, true, false, false);
    if (dBias) sum(grad, [m, n], [0], dBias);
    if (dx) matmul(grad, kernel, dx, m, n, k, false, true, false);
  }

  categoricalCrossentropy({ probs, labels, loss, rows, classes, epsilon }: CrossentropyArgs): void {
    for (let r = 0; r < rows; r++) {
      const row = r * classes;
      let total = 0;
      for (let c = 0; c < classes; c++) total += probs[row + c]!;
      let value = 0;
      for (let c = 0; c < classes; c++) {
        const label = labels[row + c]!;
        if (label === 0) continue;
        value -= label * Math.log(clamp(probs[row + c]! / total, epsilon, 1 - epsilon));
      }
      loss[r] = value;
    }
  }

  sparseCategoricalCrossentropy({ probs, labels, loss, rows, classes, epsilon }: SparseCrossentropyArgs): void {
    for (let r = 0; r < rows; r++) {
      const row = r * classes;
      let total = 0;
      for (let c = 0; c < classes; c++) total += probs[row + c]!;
      loss[r] = -Math.log(clamp(probs[row + labels[r]!]! / total, epsilon, 1 - epsilon));
    }
  }

  crossentropyBackward(args: CrossentropyBackwardArgs): void {
    const { probs, labels, dLoss, grad, rows, classes, epsilon, sparse, throughSoftmax } = args;
    for (let r = 0; r < rows; r++) {
      const row = r * classes;
      const upstream = dLoss[r]!;
      let total = 0;
      for (let c = 0; c < classes; c++) total += probs[row + c]!;
      // g_c = ∂loss/∂q_c for the renormalized, clipped q = p / total; zero where the clip is active.
      let weighted = 0;
      for (let c = 0; c < classes; c++) {
        let label: number;
        if (sparse) label = labels[r] === c ? 1 : 0;
        else label = labels[row + c]!;
        const q = probs[row + c]! / total;
        const g = label !== 0 && q > epsilon && q < 1 - epsilon ? (-label / q) * upstream : 0;
        grad[row + c] = g;
        weighted += g * q;
      }
      if (throughSoftmax) {
        // Softmax output sums to 1, so the renormalization drops out: dz = p ⊙ (g − Σ g p).
        for (let c = 0; c < classes; c++) {
          grad[row + c] = probs[row + c]! * (grad[row + c]! - weighted);
        }
      } else {
        // Through q = p / total: ∂/∂p_c = (g_c − Σ g q) / total.
        for (let c = 0; c < classes; c++) grad[row + c] = (grad[row + c]! - weighted) / total;
      }
    }
  }

  binaryCrossentropy({ probs, labels, loss, rows, cols, epsilon }: BinaryCrossentropyArgs): void {
    for (let r = 0; r < rows; r++) {
      let total = 0;
      for (let c = 0; c < cols; c++) {
        const i = r * cols + c;
        const p = clamp(probs[i]!, epsilon, 1 - epsilon);
        const y = labels[i]!;
        total -= y * Math.log(p) + (1 - y) * Math.log(1 - p);
      }
      loss[r] = total / cols;
    }
  }

  binaryCrossentropyBackward({ probs, labels, dLoss, grad, rows, cols, epsilon }: BinaryCrossentropyBackwardArgs): void {
    for (let r = 0; r < rows; r++) {
      const upstream = dLoss[r]! / cols;
      for (let c = 0; c < cols; c++) {
        const i = r * cols + c;
        const p = probs[i]!;
        const y = labels[i]!;
        grad[i] = p > epsilon && p < 1 - epsilon ? upstream * ((1 - y) / (1 - p) - y / p) : 0;
      }
    }
  }

  adamUpdate(args: AdamUpdateArgs): void {
    const { variable, gradient, momentum, velocity, velocityHat, learningRate, beta1, beta2, epsilon, step } = args;
    // Keras computes the step size in the variable's dtype. In float32, 1 − β2^t loses digits
    // to cancellation, so each operation is rounded to float32 here as well.
    const round = variable instanceof Float32Array ? Math.fround : (x: number) => x;
    const beta1Power = round(Math.pow(round(beta1), step));
    const beta2Power = round(Math.pow(round(beta2), step));
    const alpha = round(round(round(learningRate) * round(Math.sqrt(round(1 - beta2Power)))) / round(1 - beta1Power));
    const oneMinusBeta1 = 1 - beta1;
    const oneMinusBeta2 = 1 - beta2;
    for (let i = 0; i < variable.length; i++) {
      const g = gradient[i]!;
      const m = momentum[i]! + (g - momentum[i]!) * oneMinusBeta1;
      const v = velocity[i]! + (g * g - velocity[i]!) * oneMinusBeta2;
      momentum[i] = m;
      velocity[i] = v;
      let denominatorSource = v;
      if (velocityHat) {
        const vHat = Math.max(velocityHat[i]!, v);
        velocityHat[i] = vHat;
        denominatorSource = vHat;
      }
      // Keras adds epsilon to the square root of the uncorrected second moment.
      variable[i]! -= (alpha * m) / (Math.sqrt(denominatorSource) + epsilon);
    }
  }

  sgdUpdate({ variable, gradient, momentum, learningRate, momentumFactor, nesterov }: SgdUpdateArgs): void {
    if (!momentum) {
      for (let i = 0; i < variable.length; i++) variable[i]! -= learningRate * gradient[i]!;
      return;
    }
    for (let i = 0; i < variable.length; i++) {
      const g = gradient[i]!;
      const m = momentumFactor * momentum[i]! - learningRate * g;
      momentum[i] = m;
      variable[i]! += nesterov ? momentumFactor * m - learningRate * g : m;
    }
  }

  im2col(args: Im2colArgs): void {
    conv.im2col(args);
  }

  col2im(args: Col2imArgs): void {
    conv.col2im(args);
  }

  maxPool(args: PoolArgs): void {
    conv.maxPool(args);
  }

  maxPoolBackward(args: PoolBackwardArgs): void {
    conv.maxPoolBackward(args);
  }

  avgPool(args: PoolArgs): void {
    conv.avgPool(args);
  }

  avgPoolBackward(args: PoolBackwardArgs): void {
    conv.avgPoolBackward(args);
  }

  rmspropUpdate(args: RmspropUpdateArgs): void {
    optimizers.rmspropUpdate(args);
  }

  adagradUpdate(args: AdagradUpdateArgs): void {
    optimizers.adagradUpdate(args);
  }

  adadeltaUpdate(args: AdadeltaUpdateArgs): void {
    optimizers.adadeltaUpdate(args);
  }

  adamaxUpdate(args: AdamaxUpdateArgs): void {
    optimizers.adamaxUpdate(args);
  }

  nadamUpdate(args: NadamUpdateArgs): void {
    optimizers.nadamUpdate(args);
  }

  lionUpdate(args: LionUpdateArgs): void {
    optimizers.lionUpdate(args);
  }

  lambUpdate(args: LambUpdateArgs): void {
    optimizers.lambUpdate(args);
  }

  ftrlUpdate(args: FtrlUpdateArgs): void {
    optimizers.ftrlUpdate(args);
  }

  adafactorUpdate(args: AdafactorUpdateArgs): void {
    optimizers.adafactorUpdate(args);
  }

  emaUpdate(args: EmaUpdateArgs): void {
    optimizers.emaUpdate(args);
  }

  squaredNorm(x: FloatArray): number {
    return optimizers.squaredNorm(x);
  }

  activation(op: ActivationOp, x: FloatArray, out: FloatArray, params: readonly number[]): void {
    activations.activation(op, x, out, params);
  }

  activationBackward(op: ActivationOp, x: FloatArray, y: FloatArray, dy: FloatArray, dx: FloatArray, params: readonly number[]): void {
    activations.activationBackward(op, x, y, dy, dx, params);
  }

  rowActivation(op: RowActivationOp, x: FloatArray, out: FloatArray, rows: number, cols: number): void {
    activations.rowActivation(op, x, out, rows, cols);
  }

  rowActivationBackward(op: RowActivationOp, x: FloatArray, y: FloatArray, dy: FloatArray, dx: FloatArray, rows: number, cols: number): void {
    activations.rowActivationBackward(op, x, y, dy, dx, rows, cols);
  }

  softmaxCrossentropy(args: SoftmaxCrossentropyArgs): void {
    activations.softmaxCrossentropy(args);
  }

  softmaxCrossentropyBackward(args: SoftmaxCrossentropyBackwardArgs): void {
    activations.softmaxCrossentropyBackward(args);
  }

  sigmoidCrossentropy(args: SigmoidCrossentropyArgs): void {
    activations.sigmoidCrossentropy(args);
  }

  sigmoidCrossentropyBackward(args: SigmoidCrossentropyBackwardArgs): void {
    activations.sigmoidCrossentropyBackward(args);
  }

  batchNormForward(args: BatchNormForwardArgs): void {
    normalization.batchNormForward(args);
  }

  batchNormBackward(args: BatchNormBackwardArgs): void {
    normalization.batchNormBackward(args);
  }

  layerNormForward(args: LayerNormForwardArgs): void {
    normalization.layerNormForward(args);
  }

  layerNormBackward(args: LayerNormBackwardArgs): void {
    normalization.layerNormBackward(args);
  }

  recurrentGatesForward(args: RecurrentGatesForwardArgs): void {
    recurrentGatesForward(args);
  }

  recurrentGatesBackward(args: RecurrentGatesBackwardArgs): void {
    recurrentGatesBackward(args);
  }

  recurrentSequenceForward(args: RecurrentSequenceForwardArgs): void {
    recurrentSequenceForward(this, args);
  }

  recurrentSequenceBackward(args: RecurrentSequenceBackwardArgs): void {
    recurrentSequenceBackward(this, args);
  }

  /** Runs `matmul` on each pair of matrices, so a backend with a faster `matmul` speeds this up too. */
  batchMatmul({ a, b, out, batch, m, k, n, transposeA, transposeB }: BatchMatmulArgs): void {
    const sizeA = m * k;
    const sizeB = k * n;
    const sizeOut = m * n;
    if (a.length !== batch * sizeA || b.length !== batch * sizeB || out.length !== batch * sizeOut) {
      throw new RangeError(
        `batchMatmul: expected arrays of ${batch * sizeA}, ${batch * sizeB} and ${batch * sizeOut} elements, ` +
          `received ${a.length}, ${b.length} and ${out.length}.`,
      );
    }
    for (let i = 0; i < batch; i++) {
      this.matmul(
        a.subarray(i * sizeA, (i + 1) * sizeA),
        b.subarray(i * sizeB, (i + 1) * sizeB),
        out.subarray(i * sizeOut, (i + 1) * sizeOut),
        m,
        k,
        n,
        transposeA,
        transposeB,
      );
    }
  }

  depthwiseConv(args: DepthwiseConvArgs): void {
    conv.depthwiseConv(args);
  }

  depthwiseConvBackward(args: DepthwiseConvBackwardArgs): void {
    conv.depthwiseConvBackward(args);
  }

  findNonFinite(x: TypedArray): number {
    if (x instanceof Int32Array) return -1;
    for (let i = 0; i < x.length; i++) if (!Number.isFinite(x[i]!)) return i;
    return -1;
  }
}

function clamp(value: number, low: number, high: number): number {
  if (value < low) return low;
  if (value > high) return high;
  return value;
}

