/**
 * The native backend: C kernels in a Node-API addon (built by node-gyp when
 * the package installs) that read and write the tensors' typed arrays in
 * place. It computes float32. Float64 and int32 calls, and broadcasting
 * patterns the addon does not cover, run on the TypeScript backend it extends.
 */

import { createRequire } from "node:module";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type {
  AdamUpdateArgs,
  BinaryCrossentropyArgs,
  BinaryCrossentropyBackwardArgs,
  BinaryOp,
  Col2imArgs,
  CrossentropyArgs,
  CrossentropyBackwardArgs,
  DenseBackwardArgs,
  DenseForwardArgs,
  DenseForwardActivation,
  FusedActivation,
  Im2colArgs,
  PoolArgs,
  PoolBackwardArgs,
  SgdUpdateArgs,
  SparseCrossentropyArgs,
  UnaryOp,
} from "../backend.js";
import type {
  ActivationOp,
  RowActivationOp,
  SigmoidCrossentropyArgs,
  SigmoidCrossentropyBackwardArgs,
  SoftmaxCrossentropyArgs,
  SoftmaxCrossentropyBackwardArgs,
} from "../backend.js";
import type { FloatArray, TypedArray } from "../../tensor/dtype.js";
import { TypeScriptBackend } from "../typescript/index.js";
import { ValueError } from "../../errors.js";
import { checkLength, encodeWindow, imageSize, patchSize, pooledSize } from "./window.js";
import { checkDisjoint, codeOf, codeTable, isFloat32Call, signature } from "./checks.js";
import {
  guardAdamUpdate,
  guardArgmax,
  guardBatchNormBackward,
  guardBatchNormForward,
  guardBinary,
  guardBinaryCrossentropy,
  guardBinaryCrossentropyBackward,
  guardCategoricalCrossentropy,
  guardCrossentropyBackward,
  guardDenseBackward,
  guardDenseForward,
  guardElementwise,
  guardGatherRows,
  guardLayerNormBackward,
  guardLayerNormForward,
  guardMatmul,
  guardSgdUpdate,
  guardSoftmax,
  guardSoftmaxBackward,
  guardSparseCategoricalCrossentropy,
  guardSum2d,
  guardUnaryBackward,
} from "./guards.js";
import {
  guardActivation,
  guardActivationBackward,
  guardDepthwiseConv,
  guardDepthwiseConvBackward,
  guardRowActivation,
  guardRowActivationBackward,
  guardSigmoidCrossentropy,
  guardSigmoidCrossentropyBackward,
  guardSoftmaxCrossentropy,
  guardSoftmaxCrossentropyBackward,
} from "./activation-guards.js";
import * as nativeOptimizers from "./optimizers.js";
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
import type { BatchNormBackwardArgs, BatchNormForwardArgs, LayerNormBackwardArgs, LayerNormForwardArgs } from "../backend.js";
import type { RecurrentGatesBackwardArgs, RecurrentGatesForwardArgs, RecurrentSequenceBackwardArgs, RecurrentSequenceForwardArgs } from "../backend.js";
import {
  type RecurrentAddon,
  type RecurrentSequenceAddon,
  nativeGatesBackward,
  nativeGatesForward,
  nativeSequenceBackward,
  nativeSequenceForward,
} from "./recurrent.js";
import type { DepthwiseConvArgs, DepthwiseConvBackwardArgs } from "../backend.js";

/** The functions the addon exports (see native/src/addon.c). */
export interface NativeAddon {
  matmul(a: Float32Array, b: Float32Array, out: Float32Array, m: number, k: number, n: number, ta: boolean, tb: boolean, acc: boolean): void;
  unary(op: number, x: Float32Array, out: Float32Array): void;
  unaryBackward(op: number, x: Float32Array, y: Float32Array, dy: Float32Array, dx: Float32Array): void;
  binary(op: number, a: Float32Array, b: Float32Array, out: Float32Array, period: number, periodOnLeft: boolean): void;
  affine(x: Float32Array, scale: number, offset: number, out: Float32Array): void;
  clip(x: Float32Array, low: number, high: number, out: Float32Array): void;
  sum2d(x: Float32Array, rows: number, cols: number, axis: number, out: Float32Array): void;
  argmax(x: Float32Array, rows: number, cols: number, out: Int32Array): void;
  gatherRows(x: Float32Array, rowSize: number, indices: Int32Array, out: Float32Array): void;
  softmax(x: Float32Array, out: Float32Array, rows: number, cols: number): void;
  softmaxBackward(y: Float32Array, dy: Float32Array, dx: Float32Array, rows: number, cols: number): void;
  denseForward(x: Float32Array, kernel: Float32Array, bias: Float32Array | null, out: Float32Array, m: number, k: number, n: number, act: number): void;
  denseBackward(
    x: Float32Array,
    kernel: Float32Array,
    y: Float32Array,
    dy: Float32Array,
    dPre: Float32Array,
    dx: Float32Array | null,
    dKernel: Float32Array | null,
    dBias: Float32Array | null,
    m: number,
    k: number,
    n: number,
    act: number,
  ): void;
  categoricalCrossentropy(p: Float32Array, y: Float32Array, loss: Float32Array, rows: number, classes: number, eps: number): void;
  sparseCategoricalCrossentropy(p: Float32Array, y: Int32Array, loss: Float32Array, rows: number, classes: number, eps: number): void;
  crossentropyBackward(
    p: Float32Array,
    y: Float32Array | Int32Array,
    dLoss: Float32Array,
    grad: Float32Array,
    rows: number,
    classes: number,
    eps: number,
    sparse: boolean,
    throughSoftmax: boolean,
  ): void;
  binaryCrossentropy(p: Float32Array, y: Float32Array, loss: Float32Array, rows: number, cols: number, eps: number): void;
  binaryCrossentropyBackward(p: Float32Array, y: Float32Array, dLoss: Float32Array, grad: Float32Array, rows: number, cols: number, eps: number): void;
  adamUpdate(
    w: Float32Array,
    g: Float32Array,
    m: Float32Array,
    v: Float32Array,
    vHat: Float32Array | null,
    lr: number,
    beta1: number,
    beta2: number,
    eps: number,
    step: number,
  ): void;
  sgdUpdate(w: Float32Array, g: Float32Array, m: Float32Array | null, lr: number, momentum: number, nesterov: boolean): void;
  setThreads(count: number): number;
  setIsaLimit(level: number): string;
  info(): { isa: string; threads: number };
  /** The window kernels take their geometry as an int32 array (see `encodeWindow`). */
  im2col(x: Float32Array, cols: Float32Array, geometry: Int32Array): void;
  col2im(cols: Float32Array, dx: Float32Array, geometry: Int32Array): void;
  maxPool(x: Float32Array, out: Float32Array, geometry: Int32Array): void;
  maxPoolBackward(x: Float32Array, dy: Float32Array, dx: Float32Array, geometry: Int32Array): void;
  avgPool(x: Float32Array, out: Float32Array, geometry: Int32Array): void;
  avgPoolBackward(x: Float32Array, dy: Float32Array, dx: Float32Array, geometry: Int32Array): void;
  activation(op: number, x: Float32Array, out: Float32Array, p0: number, p1: number, p2: number): void;
  activationBackward(op: number, x: Float32Array, y: Float32Array, dy: Float32Array, dx: Float32Array, p0: number, p1: number, p2: number): void;
  rowActivation(op: number, x: Float32Array, out: Float32Array, rows: number, cols: number): void;
  rowActivationBackward(op: number, x: Float32Array, y: Float32Array, dy: Float32Array, dx: Float32Array, rows: number, cols: number): void;
  softmaxCrossentropy(
    logits: Float32Array,
    labels: Float32Array | Int32Array,
    sparse: boolean,
    loss: Float32Array,
    probs: Float32Array,
    rows: number,
    classes: number,
  ): void;
  softmaxCrossentropyBackward(
    probs: Float32Array,
    labels: Float32Array | Int32Array,
    sparse: boolean,
    dLoss: Float32Array,
    grad: Float32Array,
    rows: number,
    classes: number,
  ): void;
  sigmoidCrossentropy(logits: Float32Array, labels: Float32Array, loss: Float32Array, rows: number, cols: number): void;
  sigmoidCrossentropyBackward(logits: Float32Array, labels: Float32Array, dLoss: Float32Array, grad: Float32Array, rows: number, cols: number): void;
  depthwiseConv(x: Float32Array, kernel: Float32Array, out: Float32Array, multiplier: number, geometry: Int32Array): void;
  depthwiseConvBackward(
    x: Float32Array,
    kernel: Float32Array,
    dy: Float32Array,
    dx: Float32Array | null,
    dKernel: Float32Array | null,
    multiplier: number,
    geometry: Int32Array,
  ): void;
  findNonFinite(x: Float32Array): number;
  batchNormForward(
    x: Float32Array,
    outer: number,
    channels: number,
    inner: number,
    weights: Float32Array | null,
    gamma: Float32Array | null,
    beta: Float32Array | null,
    mean: Float32Array,
    variance: Float32Array,
    training: boolean,
    epsilon: number,
    out: Float32Array,
  ): void;
  batchNormBackward(
    x: Float32Array,
    outer: number,
    channels: number,
    inner: number,
    weights: Float32Array | null,
    gamma: Float32Array | null,
    mean: Float32Array,
    variance: Float32Array,
    training: boolean,
    epsilon: number,
    dy: Float32Array,
    dx: Float32Array | null,
    dGamma: Float32Array | null,
    dBeta: Float32Array | null,
  ): void;
  layerNormForward(
    x: Float32Array,
    rows: number,
    cols: number,
    gamma: Float32Array | null,
    beta: Float32Array | null,
    epsilon: number,
    rmsScaling: boolean,
    out: Float32Array,
    mean: Float32Array,
    invStd: Float32Array,
  ): void;
  layerNormBackward(
    x: Float32Array,
    rows: number,
    cols: number,
    gamma: Float32Array | null,
    mean: Float32Array,
    invStd: Float32Array,
    rmsScaling: boolean,
    dy: Float32Array,
    dx: Float32Array | null,
    dGamma: Float32Array | null,
    dBeta: Float32Array | null,
  ): void;
}

const UNARY_CODES = codeTable<UnaryOp>({ neg: 0, abs: 1, exp: 2, log: 3, sqrt: 4, square: 5, relu: 6, sigmoid: 7, tanh: 8 });
const BINARY_CODES = codeTable<BinaryOp>({ add: 0, sub: 1, mul: 2, div: 3, maximum: 4, minimum: 5 });
const FUSED_ACTIVATIONS: Record<FusedActivation, number> = { linear: 0, relu: 1, sigmoid: 2, tanh: 3 };
const ACTIVATION_CODES = codeTable(FUSED_ACTIVATIONS);
// Softmax is a forward-only code: see STRATUM_DENSE_SOFTMAX in native/src/kernels.h.
const DENSE_FORWARD_ACTIVATION_CODES = codeTable<DenseForwardActivation>({ ...FUSED_ACTIVATIONS, softmax: 4 });
/** Codes of the enums in native/src/activations.h. */
const ACTIVATION_OP_CODES = codeTable<ActivationOp>({
  relu_full: 0,
  leaky_relu: 1,
  relu6: 2,
  elu: 3,
  selu: 4,
  celu: 5,
  softplus: 6,
  softsign: 7,
  silu: 8,
  gelu: 9,
  gelu_tanh: 10,
  exponential: 11,
  hard_sigmoid: 12,
  hard_silu: 13,
  hard_tanh: 14,
  hard_shrink: 15,
  soft_shrink: 16,
  tanh_shrink: 17,
  sparse_plus: 18,
  sparse_sigmoid: 19,
  squareplus: 20,
  mish: 21,
  log_sigmoid: 22,
  threshold: 23,
  power: 24,
});
const ROW_ACTIVATION_CODES = codeTable<RowActivationOp>({ log_softmax: 0, sparsemax: 1, glu: 2 });

const IM2COL = signature("x", "cols");
const COL2IM = signature("cols", "dx");
const POOL = signature("x", "out");
const POOL_BACKWARD = signature("x", "dy", "dx");
const SQUARED_NORM = signature("x");

/**
 * Loads the addon from build/Release of the package, or from the file that
 * STRATUM_NATIVE_ADDON names. Returns the addon, or the reason it could not be loaded.
 */
export function loadNativeAddon(): { addon: NativeAddon } | { error: string } {
  const packageRoot = dirname(dirname(dirname(dirname(fileURLToPath(import.meta.url)))));
  const path = process.env["STRATUM_NATIVE_ADDON"] || join(packageRoot, "build", "Release", "stratum_native.node");
  if (!existsSync(path)) return { error: `${path} was not built` };
  try {
    return { addon: createRequire(import.meta.url)(path) as NativeAddon };
  } catch (error) {
    return { error: `loading ${path} failed: ${(error as Error).message}` };
  }
}

export class NativeBackend extends TypeScriptBackend {
  override readonly name: string = "native";
  readonly addon: NativeAddon;

  constructor(addon: NativeAddon) {
    super();
    this.addon = addon;
  }

  override unary(op: UnaryOp, x: FloatArray, out: FloatArray): void {
    const code = codeOf("unary", "operation", UNARY_CODES, op);
    if (guardElementwise("unary", x, out)) this.addon.unary(code, x as Float32Array, out as Float32Array);
    else super.unary(op, x, out);
  }

  override unaryBackward(op: UnaryOp, x: FloatArray, y: FloatArray, dy: FloatArray, dx: FloatArray): void {
    const code = codeOf("unaryBackward", "operation", UNARY_CODES, op);
    if (guardUnaryBackward(x, y, dy, dx)) {
      this.addon.unaryBackward(code, x as Float32Array, y as Float32Array, dy as Float32Array, dx as Float32Array);
    } else {
      super.unaryBackward(op, x, y, dy, dx);
    }
  }

  override binary(
    op: BinaryOp,
    a: FloatArray,
    aShape: readonly number[],
    b: FloatArray,
    bShape: readonly number[],
    out: FloatArray,
    outShape: readonly number[],
  ): void {
    const code = codeOf("binary", "operation", BINARY_CODES, op);
    if (guardBinary(a, aShape, b, bShape, out, outShape)) {
      const n = out.length;
      const lastAxis = outShape[outShape.length - 1] ?? 1;
      // Patterns the addon covers: equal sizes, a scalar, or a row repeated along the last axis.
      if (a.length === n && (b.length === n || b.length === 1 || (b.length === lastAxis && isTrailingRow(bShape, outShape)))) {
        this.addon.binary(code, a as Float32Array, b as Float32Array, out as Float32Array, b.length === n ? n : b.length, false);
        return;
      }
      if (b.length === n && (a.length === 1 || (a.length === lastAxis && isTrailingRow(aShape, outShape)))) {
        this.addon.binary(code, a as Float32Array, b as Float32Array, out as Float32Array, a.length, true);
        return;
      }
    }
    super.binary(op, a, aShape, b, bShape, out, outShape);
  }

  override affine(x: FloatArray, scale: number, offset: number, out: FloatArray): void {
    if (guardElementwise("affine", x, out)) this.addon.affine(x as Float32Array, scale, offset, out as Float32Array);
    else super.affine(x, scale, offset, out);
  }

  override clip(x: FloatArray, low: number, high: number, out: FloatArray): void {
    if (guardElementwise("clip", x, out)) this.addon.clip(x as Float32Array, low, high, out as Float32Array);
    else super.clip(x, low, high, out);
  }

  override matmul(
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
    if (guardMatmul(a, b, out, m, k, n, transposeA, transposeB, accumulate)) {
      this.addon.matmul(a as Float32Array, b as Float32Array, out as Float32Array, m, k, n, transposeA, transposeB, accumulate);
    } else {
      super.matmul(a, b, out, m, k, n, transposeA, transposeB, accumulate);
    }
  }

  override sum(x: FloatArray, shape: readonly number[], axes: readonly number[], out: FloatArray): void {
    if (guardSum2d(x, shape, axes, out)) {
      this.addon.sum2d(x as Float32Array, shape[0]!, shape[1]!, axes[0]!, out as Float32Array);
    } else {
      super.sum(x, shape, axes, out);
    }
  }

  override argmax(x: TypedArray, rows: number, cols: number, out: Int32Array): void {
    if (guardArgmax(x, rows, cols, out)) this.addon.argmax(x as Float32Array, rows, cols, out);
    else super.argmax(x, rows, cols, out);
  }

  override gatherRows(x: TypedArray, rowSize: number, indices: Int32Array, out: TypedArray): void {
    if (guardGatherRows(x, rowSize, indices, out)) this.addon.gatherRows(x as Float32Array, rowSize, indices, out as Float32Array);
    else super.gatherRows(x, rowSize, indices, out);
  }

  override softmax(x: FloatArray, out: FloatArray, rows: number, cols: number): void {
    if (guardSoftmax(x, out, rows, cols)) this.addon.softmax(x as Float32Array, out as Float32Array, rows, cols);
    else super.softmax(x, out, rows, cols);
  }

  override softmaxBackward(y: FloatArray, dy: FloatArray, dx: FloatArray, rows: number, cols: number): void {
    if (guardSoftmaxBackward(y, dy, dx, rows, cols)) this.addon.softmaxBackward(y as Float32Array, dy as Float32Array, dx as Float32Array, rows, cols);
    else super.softmaxBackward(y, dy, dx, rows, cols);
  }

  override denseForward(args: DenseForwardArgs): void {
    const { x, kernel, bias, out, m, k, n, activation } = args;
    const activationCode = codeOf("denseForward", "activation", DENSE_FORWARD_ACTIVATION_CODES, activation);
    if (!guardDenseForward(args)) return super.denseForward(args);
    this.addon.denseForward(
      x as Float32Array,
      kernel as Float32Array,
      bias as Float32Array | null,
      out as Float32Array,
      m,
      k,
      n,
      activationCode,
    );
  }

  override denseBackward(args: DenseBackwardArgs): void {
    const { x, kernel, y, dy, dPre, dx, dKernel, dBias, m, k, n, activation } = args;
    const activationCode = codeOf("denseBackward", "activation", ACTIVATION_CODES, activation);
    if (!guardDenseBackward(args)) return super.denseBackward(args);
    this.addon.denseBackward(
      x as Float32Array,
      kernel as Float32Array,
      y as Float32Array,
      dy as Float32Array,
      dPre as Float32Array,
      dx as Float32Array | null,
      dKernel as Float32Array | null,
      dBias as Float32Array | null,
      m,
      k,
      n,
      activationCode,
    );
  }

  override categoricalCrossentropy(args: CrossentropyArgs): void {
    const { probs, labels, loss, rows, classes, epsilon } = args;
    if (!guardCategoricalCrossentropy(args)) return super.categoricalCrossentropy(args);
    this.addon.categoricalCrossentropy(probs as Float32Array, labels as Float32Array, loss as Float32Array, rows, classes, epsilon);
  }

  override sparseCategoricalCrossentropy(args: SparseCrossentropyArgs): void {
    const { probs, labels, loss, rows, classes, epsilon } = args;
    if (!guardSparseCategoricalCrossentropy(args)) return super.sparseCategoricalCrossentropy(args);
    this.addon.sparseCategoricalCrossentropy(probs as Float32Array, labels, loss as Float32Array, rows, classes, epsilon);
  }

  override crossentropyBackward(args: CrossentropyBackwardArgs): void {
    const { probs, labels, dLoss, grad, rows, classes, epsilon, sparse, throughSoftmax } = args;
    if (!guardCrossentropyBackward(args)) return super.crossentropyBackward(args);
    this.addon.crossentropyBackward(
      probs as Float32Array,
      labels as Float32Array | Int32Array,
      dLoss as Float32Array,
      grad as Float32Array,
      rows,
      classes,
      epsilon,
      sparse,
      throughSoftmax,
    );
  }

  override binaryCrossentropy(args: BinaryCrossentropyArgs): void {
    const { probs, labels, loss, rows, cols, epsilon } = args;
    if (!guardBinaryCrossentropy(args)) return super.binaryCrossentropy(args);
    this.addon.binaryCrossentropy(probs as Float32Array, labels as Float32Array, loss as Float32Array, rows, cols, epsilon);
  }

  override binaryCrossentropyBackward(args: BinaryCrossentropyBackwardArgs): void {
    const { probs, labels, dLoss, grad, rows, cols, epsilon } = args;
    if (!guardBinaryCrossentropyBackward(args)) return super.binaryCrossentropyBackward(args);
    this.addon.binaryCrossentropyBackward(
      probs as Float32Array,
      labels as Float32Array,
      dLoss as Float32Array,
      grad as Float32Array,
      rows,
      cols,
      epsilon,
    );
  }

  override adamUpdate(args: AdamUpdateArgs): void {
    const { variable, gradient, momentum, velocity, velocityHat, learningRate, beta1, beta2, epsilon, step } = args;
    if (!guardAdamUpdate(args)) return super.adamUpdate(args);
    this.addon.adamUpdate(
      variable as Float32Array,
      gradient as Float32Array,
      momentum as Float32Array,
      velocity as Float32Array,
      velocityHat as Float32Array | null,
      learningRate,
      beta1,
      beta2,
      epsilon,
      step,
    );
  }

  override sgdUpdate(args: SgdUpdateArgs): void {
    const { variable, gradient, momentum, learningRate, momentumFactor, nesterov } = args;
    if (!guardSgdUpdate(args)) return super.sgdUpdate(args);
    this.addon.sgdUpdate(
      variable as Float32Array,
      gradient as Float32Array,
      momentum as Float32Array | null,
      learningRate,
      momentumFactor,
      nesterov,
    );
  }

  override im2col(args: Im2colArgs): void {
    const { x, cols, channelOffset, groupChannels } = args;
    if (!isFloat32Call("im2col", IM2COL, x, cols)) return super.im2col(args);
    const geometry = encodeWindow("im2col", args, channelOffset, groupChannels);
    checkLength("im2col", "x", x, imageSize(args));
    checkLength("im2col", "cols", cols, patchSize(args, groupChannels));
    checkDisjoint("im2col", "cols", cols, "x", x);
    this.addon.im2col(x as Float32Array, cols as Float32Array, geometry);
  }

  override col2im(args: Col2imArgs): void {
    const { cols, dx, channelOffset, groupChannels } = args;
    if (!isFloat32Call("col2im", COL2IM, cols, dx)) return super.col2im(args);
    const geometry = encodeWindow("col2im", args, channelOffset, groupChannels);
    checkLength("col2im", "cols", cols, patchSize(args, groupChannels));
    checkLength("col2im", "dx", dx, imageSize(args));
    checkDisjoint("col2im", "dx", dx, "cols", cols);
    this.addon.col2im(cols as Float32Array, dx as Float32Array, geometry);
  }

  override maxPool(args: PoolArgs): void {
    if (!isFloat32Call("maxPool", POOL, args.x, args.out)) return super.maxPool(args);
    const geometry = checkPoolArgs("maxPool", args, "out", args.out);
    checkDisjoint("maxPool", "out", args.out, "x", args.x);
    this.addon.maxPool(args.x as Float32Array, args.out as Float32Array, geometry);
  }

  override maxPoolBackward(args: PoolBackwardArgs): void {
    const { x, dy, dx } = args;
    if (!isFloat32Call("maxPoolBackward", POOL_BACKWARD, x, dy, dx)) return super.maxPoolBackward(args);
    const geometry = checkPoolArgs("maxPoolBackward", args, "dy", dy);
    checkLength("maxPoolBackward", "dx", dx, imageSize(args));
    checkDisjoint("maxPoolBackward", "dx", dx, "x", x);
    checkDisjoint("maxPoolBackward", "dx", dx, "dy", dy);
    this.addon.maxPoolBackward(x as Float32Array, dy as Float32Array, dx as Float32Array, geometry);
  }

  override avgPool(args: PoolArgs): void {
    if (!isFloat32Call("avgPool", POOL, args.x, args.out)) return super.avgPool(args);
    const geometry = checkPoolArgs("avgPool", args, "out", args.out);
    checkDisjoint("avgPool", "out", args.out, "x", args.x);
    this.addon.avgPool(args.x as Float32Array, args.out as Float32Array, geometry);
  }

  override avgPoolBackward(args: PoolBackwardArgs): void {
    const { x, dy, dx } = args;
    if (!isFloat32Call("avgPoolBackward", POOL_BACKWARD, x, dy, dx)) return super.avgPoolBackward(args);
    const geometry = checkPoolArgs("avgPoolBackward", args, "dy", dy);
    checkLength("avgPoolBackward", "dx", dx, imageSize(args));
    checkDisjoint("avgPoolBackward", "dx", dx, "x", x);
    checkDisjoint("avgPoolBackward", "dx", dx, "dy", dy);
    this.addon.avgPoolBackward(x as Float32Array, dy as Float32Array, dx as Float32Array, geometry);
  }

  override rmspropUpdate(args: RmspropUpdateArgs): void {
    if (!nativeOptimizers.rmspropUpdate(this.optimizerAddon, args)) super.rmspropUpdate(args);
  }

  override adagradUpdate(args: AdagradUpdateArgs): void {
    if (!nativeOptimizers.adagradUpdate(this.optimizerAddon, args)) super.adagradUpdate(args);
  }

  override adadeltaUpdate(args: AdadeltaUpdateArgs): void {
    if (!nativeOptimizers.adadeltaUpdate(this.optimizerAddon, args)) super.adadeltaUpdate(args);
  }

  override adamaxUpdate(args: AdamaxUpdateArgs): void {
    if (!nativeOptimizers.adamaxUpdate(this.optimizerAddon, args)) super.adamaxUpdate(args);
  }

  override nadamUpdate(args: NadamUpdateArgs): void {
    if (!nativeOptimizers.nadamUpdate(this.optimizerAddon, args)) super.nadamUpdate(args);
  }

  override lionUpdate(args: LionUpdateArgs): void {
    if (!nativeOptimizers.lionUpdate(this.optimizerAddon, args)) super.lionUpdate(args);
  }

  override lambUpdate(args: LambUpdateArgs): void {
    if (!nativeOptimizers.lambUpdate(this.optimizerAddon, args)) super.lambUpdate(args);
  }

  override ftrlUpdate(args: FtrlUpdateArgs): void {
    if (!nativeOptimizers.ftrlUpdate(this.optimizerAddon, args)) super.ftrlUpdate(args);
  }

  override adafactorUpdate(args: AdafactorUpdateArgs): void {
    if (!nativeOptimizers.adafactorUpdate(this.optimizerAddon, args)) super.adafactorUpdate(args);
  }

  override emaUpdate(args: EmaUpdateArgs): void {
    if (!nativeOptimizers.emaUpdate(this.optimizerAddon, args)) super.emaUpdate(args);
  }

  override squaredNorm(x: FloatArray): number {
    return isFloat32Call("squaredNorm", SQUARED_NORM, x) ? this.optimizerAddon.squaredNorm(x as Float32Array) : super.squaredNorm(x);
  }

  /** The addon seen through its optimizer functions (declared in ./optimizers.ts). */
  private get optimizerAddon(): nativeOptimizers.NativeOptimizerAddon {
    return this.addon as unknown as nativeOptimizers.NativeOptimizerAddon;
  }

  override activation(op: ActivationOp, x: FloatArray, out: FloatArray, params: readonly number[]): void {
    const code = codeOf("activation", "activation", ACTIVATION_OP_CODES, op);
    if (!guardActivation(x, out, params)) return super.activation(op, x, out, params);
    this.addon.activation(code, x as Float32Array, out as Float32Array, params[0] ?? 0, params[1] ?? 0, params[2] ?? 0);
  }

  override activationBackward(op: ActivationOp, x: FloatArray, y: FloatArray, dy: FloatArray, dx: FloatArray, params: readonly number[]): void {
    const code = codeOf("activationBackward", "activation", ACTIVATION_OP_CODES, op);
    if (!guardActivationBackward(x, y, dy, dx, params)) return super.activationBackward(op, x, y, dy, dx, params);
    this.addon.activationBackward(
      code,
      x as Float32Array,
      y as Float32Array,
      dy as Float32Array,
      dx as Float32Array,
      params[0] ?? 0,
      params[1] ?? 0,
      params[2] ?? 0,
    );
  }

  override rowActivation(op: RowActivationOp, x: FloatArray, out: FloatArray, rows: number, cols: number): void {
    const code = codeOf("rowActivation", "row activation", ROW_ACTIVATION_CODES, op);
    if (!guardRowActivation(op === "glu", x, out, rows, cols)) return super.rowActivation(op, x, out, rows, cols);
    this.addon.rowActivation(code, x as Float32Array, out as Float32Array, rows, cols);
  }

  override rowActivationBackward(op: RowActivationOp, x: FloatArray, y: FloatArray, dy: FloatArray, dx: FloatArray, rows: number, cols: number): void {
    const code = codeOf("rowActivationBackward", "row activation", ROW_ACTIVATION_CODES, op);
    if (!guardRowActivationBackward(op === "glu", x, y, dy, dx, rows, cols)) return super.rowActivationBackward(op, x, y, dy, dx, rows, cols);
    this.addon.rowActivationBackward(code, x as Float32Array, y as Float32Array, dy as Float32Array, dx as Float32Array, rows, cols);
  }

  override softmaxCrossentropy(args: SoftmaxCrossentropyArgs): void {
    const { logits, labels, sparse, loss, probs, rows, classes } = args;
    if (!guardSoftmaxCrossentropy(args)) return super.softmaxCrossentropy(args);
    this.addon.softmaxCrossentropy(logits as Float32Array, labels as Float32Array | Int32Array, sparse, loss as Float32Array, probs as Float32Array, rows, classes);
  }

  override softmaxCrossentropyBackward(args: SoftmaxCrossentropyBackwardArgs): void {
    const { probs, labels, sparse, dLoss, grad, rows, classes } = args;
    if (!guardSoftmaxCrossentropyBackward(args)) return super.softmaxCrossentropyBackward(args);
    this.addon.softmaxCrossentropyBackward(probs as Float32Array, labels as Float32Array | Int32Array, sparse, dLoss as Float32Array, grad as Float32Array, rows, classes);
  }

  override sigmoidCrossentropy(args: SigmoidCrossentropyArgs): void {
    const { logits, labels, loss, rows, cols } = args;
    if (!guardSigmoidCrossentropy(args)) return super.sigmoidCrossentropy(args);
    this.addon.sigmoidCrossentropy(logits as Float32Array, labels as Float32Array, loss as Float32Array, rows, cols);
  }

  override sigmoidCrossentropyBackward(args: SigmoidCrossentropyBackwardArgs): void {
    const { logits, labels, dLoss, grad, rows, cols } = args;
    if (!guardSigmoidCrossentropyBackward(args)) return super.sigmoidCrossentropyBackward(args);
    this.addon.sigmoidCrossentropyBackward(logits as Float32Array, labels as Float32Array, dLoss as Float32Array, grad as Float32Array, rows, cols);
  }

  override batchNormForward(args: BatchNormForwardArgs): void {
    const { x, outer, channels, inner, weights, gamma, beta, mean, variance, training, epsilon, out } = args;
    if (!guardBatchNormForward(args)) return super.batchNormForward(args);
    this.addon.batchNormForward(
      x as Float32Array,
      outer,
      channels,
      inner,
      weights as Float32Array | null,
      gamma as Float32Array | null,
      beta as Float32Array | null,
      mean as Float32Array,
      variance as Float32Array,
      training,
      epsilon,
      out as Float32Array,
    );
  }

  override batchNormBackward(args: BatchNormBackwardArgs): void {
    const { x, outer, channels, inner, weights, gamma, mean, variance, training, epsilon, dy, dx, dGamma, dBeta } = args;
    if (!guardBatchNormBackward(args)) return super.batchNormBackward(args);
    this.addon.batchNormBackward(
      x as Float32Array,
      outer,
      channels,
      inner,
      weights as Float32Array | null,
      gamma as Float32Array | null,
      mean as Float32Array,
      variance as Float32Array,
      training,
      epsilon,
      dy as Float32Array,
      dx as Float32Array | null,
      dGamma as Float32Array | null,
      dBeta as Float32Array | null,
    );
  }

  override layerNormForward(args: LayerNormForwardArgs): void {
    const { x, rows, cols, gamma, beta, epsilon, rmsScaling, out, mean, invStd } = args;
    if (!guardLayerNormForward(args)) return super.layerNormForward(args);
    this.addon.layerNormForward(
      x as Float32Array,
      rows,
      cols,
      gamma as Float32Array | null,
      beta as Float32Array | null,
      epsilon,
      rmsScaling,
      out as Float32Array,
      mean as Float32Array,
      invStd as Float32Array,
    );
  }

  override layerNormBackward(args: LayerNormBackwardArgs): void {
    const { x, rows, cols, gamma, mean, invStd, rmsScaling, dy, dx, dGamma, dBeta } = args;
    if (!guardLayerNormBackward(args)) return super.layerNormBackward(args);
    this.addon.layerNormBackward(
      x as Float32Array,
      rows,
      cols,
      gamma as Float32Array | null,
      mean as Float32Array,
      invStd as Float32Array,
      rmsScaling,
      dy as Float32Array,
      dx as Float32Array | null,
      dGamma as Float32Array | null,
      dBeta as Float32Array | null,
    );
  }

  override recurrentGatesForward(args: RecurrentGatesForwardArgs): void {
    if (!nativeGatesForward(this.addon as NativeAddon & RecurrentAddon, args)) super.recurrentGatesForward(args);
  }

  override recurrentGatesBackward(args: RecurrentGatesBackwardArgs): void {
    if (!nativeGatesBackward(this.addon as NativeAddon & RecurrentAddon, args)) super.recurrentGatesBackward(args);
  }

  override recurrentSequenceForward(args: RecurrentSequenceForwardArgs): void {
    if (!nativeSequenceForward(this.addon as NativeAddon & RecurrentSequenceAddon, args)) super.recurrentSequenceForward(args);
  }

  override recurrentSequenceBackward(args: RecurrentSequenceBackwardArgs): void {
    if (!nativeSequenceBackward(this.addon as NativeAddon & RecurrentSequenceAddon, args)) super.recurrentSequenceBackward(args);
  }

  override depthwiseConv(args: DepthwiseConvArgs): void {
    const { x, kernel, out, multiplier } = args;
    const geometry = guardDepthwiseConv(args);
    if (geometry === null) return super.depthwiseConv(args);
    this.addon.depthwiseConv(x as Float32Array, kernel as Float32Array, out as Float32Array, multiplier, geometry);
  }

  override depthwiseConvBackward(args: DepthwiseConvBackwardArgs): void {
    const { x, kernel, dy, dx, dKernel, multiplier } = args;
    const geometry = guardDepthwiseConvBackward(args);
    if (geometry === null) return super.depthwiseConvBackward(args);
    this.addon.depthwiseConvBackward(
      x as Float32Array,
      kernel as Float32Array,
      dy as Float32Array,
      dx as Float32Array | null,
      dKernel as Float32Array | null,
      multiplier,
      geometry,
    );
  }

  override findNonFinite(x: TypedArray): number {
    if (!ArrayBuffer.isView(x)) {
      throw new ValueError(`findNonFinite: \`x\` must be a typed array, received ${x === null ? "null" : typeof x}.`);
    }
    return x instanceof Float32Array ? this.addon.findNonFinite(x) : super.findNonFinite(x);
  }
}

/** True when `shape` is a single row along the last axis of `outShape` (like a bias of shape (n,) against (m, n)). */
function isTrailingRow(shape: readonly number[], outShape: readonly number[]): boolean {
  const last = outShape[outShape.length - 1];
  const leading = shape.slice(0, -1);
  return shape[shape.length - 1] === last && leading.every((d) => d === 1);
}

/** Checks the input and the pooled array of a pooling call and returns the encoded geometry. */
function checkPoolArgs(kernel: string, args: PoolArgs | PoolBackwardArgs, pooledName: string, pooled: FloatArray): Int32Array {
  const geometry = encodeWindow(kernel, args, 0, args.channels);
  checkLength(kernel, "x", args.x, imageSize(args));
  checkLength(kernel, pooledName, pooled, pooledSize(args));
  return geometry;
}
