/**
 * The numeric kernels every part of Stratum goes through.
 *
 * Kernels work on flat typed arrays and write into output buffers that the
 * caller allocates, so a backend never owns memory and a native backend can
 * fill the same JavaScript buffers in place. Shapes are row-major. Float
 * kernels accept Float32Array or Float64Array (all arguments of one call share
 * the type); a backend lists the dtypes it supports in `dtypes`.
 *
 * Besides the primitives, the interface has fused kernels for the hot path of
 * training: a dense layer forward and backward, softmax with crossentropy, and
 * one optimizer update over a whole variable. A faster backend therefore
 * speeds up layers, losses and optimizers without any change to them.
 */

import type { DType, FloatArray, TypedArray } from "../tensor/dtype.js";

export type UnaryOp =
  | "neg"
  | "abs"
  | "exp"
  | "log"
  | "sqrt"
  | "square"
  | "relu"
  | "sigmoid"
  | "tanh";

export type BinaryOp = "add" | "sub" | "mul" | "div" | "maximum" | "minimum";

/** Activations that the dense kernels apply in their epilogue. */
export type FusedActivation = "linear" | "relu" | "sigmoid" | "tanh";

/**
 * Activations of a dense forward call: the fused ones, and softmax over each
 * row of the output, as `softmax` computes it. Softmax has no dense backward;
 * its gradient goes through `softmaxBackward`.
 */
export type DenseForwardActivation = FusedActivation | "softmax";

export interface DenseForwardArgs {
  /** Input, [m, k]. */
  x: FloatArray;
  /** Kernel, [k, n]. */
  kernel: FloatArray;
  /** Bias, [n], or null for a layer without bias. */
  bias: FloatArray | null;
  /** Output, [m, n]: activation(x · kernel + bias). */
  out: FloatArray;
  m: number;
  k: number;
  n: number;
  activation: DenseForwardActivation;
}

export interface DenseBackwardArgs {
  x: FloatArray;
  kernel: FloatArray;
  /** The forward output (after the activation), [m, n]. */
  y: FloatArray;
  /** Gradient with respect to `y`, [m, n]. */
  dy: FloatArray;
  /** Scratch for the gradient before the activation, [m, n]; may be `dy` itself when it can be overwritten. */
  dPre: FloatArray;
  /** Gradient with respect to `x`, [m, k], or null when it is not needed. */
  dx: FloatArray | null;
  /** Gradient with respect to the kernel, [k, n], or null. */
  dKernel: FloatArray | null;
  /** Gradient with respect to the bias, [n], or null. */
  dBias: FloatArray | null;
  m: number;
  k: number;
  n: number;
  activation: FusedActivation;
}

export interface CrossentropyArgs {
  /** Predicted probabilities, [rows, classes]. */
  probs: FloatArray;
  /** One-hot (or soft) labels, [rows, classes]. */
  labels: FloatArray;
  /** Per-row loss, [rows]. */
  loss: FloatArray;
  rows: number;
  classes: number;
  /** Probabilities are clipped to [epsilon, 1 - epsilon] before the logarithm. */
  epsilon: number;
}

export interface SparseCrossentropyArgs {
  probs: FloatArray;
  /** Class index per row, [rows]. */
  labels: Int32Array;
  loss: FloatArray;
  rows: number;
  classes: number;
  epsilon: number;
}

export interface CrossentropyBackwardArgs {
  probs: FloatArray;
  labels: FloatArray | Int32Array;
  /** Upstream gradient of each row's loss, [rows]. */
  dLoss: FloatArray;
  /**
   * Output, [rows, classes]: with `throughSoftmax` the gradient with respect to
   * the logits that produced `probs` through softmax, otherwise with respect to `probs`.
   */
  grad: FloatArray;
  rows: number;
  classes: number;
  epsilon: number;
  sparse: boolean;
  throughSoftmax: boolean;
}

export interface BinaryCrossentropyArgs {
  probs: FloatArray;
  labels: FloatArray;
  /** Per-row loss: the mean over the last axis, [rows]. */
  loss: FloatArray;
  rows: number;
  cols: number;
  epsilon: number;
}

export interface BinaryCrossentropyBackwardArgs {
  probs: FloatArray;
  labels: FloatArray;
  dLoss: FloatArray;
  grad: FloatArray;
  rows: number;
  cols: number;
  epsilon: number;
}

export interface AdamUpdateArgs {
  variable: FloatArray;
  gradient: FloatArray;
  momentum: FloatArray;
  velocity: FloatArray;
  /** The running maximum of `velocity` when amsgrad is on, else null. */
  velocityHat: FloatArray | null;
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** The 1-based step number used for bias correction. */
  step: number;
}

export interface SgdUpdateArgs {
  variable: FloatArray;
  gradient: FloatArray;
  /** Momentum buffer, or null when momentum is 0. */
  momentum: FloatArray | null;
  learningRate: number;
  momentumFactor: number;
  nesterov: boolean;
}

/**
 * A sliding window over a batch of channels-last images, [batch, height,
 * width, channels] in row-major order. One-dimensional inputs use height 1.
 * The window's element (kh, kw) for output position (oh, ow) reads input row
 * oh · strideHeight − padTop + kh · dilationHeight and the matching column.
 * Positions outside the image count as padding.
 */
export interface WindowGeometry {
  batch: number;
  height: number;
  width: number;
  channels: number;
  windowHeight: number;
  windowWidth: number;
  strideHeight: number;
  strideWidth: number;
  dilationHeight: number;
  dilationWidth: number;
  padTop: number;
  padLeft: number;
  outHeight: number;
  outWidth: number;
  /**
   * The depth axis of volumes [batch, depth, height, width, channels], which
   * comes before the height. Omitted fields describe images: depth, window,
   * stride, dilation and output depth 1, and no padding in front.
   */
  depth?: number;
  windowDepth?: number;
  strideDepth?: number;
  dilationDepth?: number;
  padFront?: number;
  outDepth?: number;
}

export interface Im2colArgs extends WindowGeometry {
  /** Images, [batch, height, width, channels] (or volumes with a depth axis). */
  x: FloatArray;
  /**
   * Output patches, [batch · outDepth · outHeight · outWidth, windowDepth · windowHeight · windowWidth · groupChannels],
   * each row ordered (kd, kh, kw, channel); padding positions are written as zeros.
   */
  cols: FloatArray;
  /** First channel of the slice that is copied (the group's offset for grouped convolutions). */
  channelOffset: number;
  /** Number of channels in the slice. */
  groupChannels: number;
}

export interface Col2imArgs extends WindowGeometry {
  /** Patches laid out as `Im2colArgs.cols`. */
  cols: FloatArray;
  /**
   * Output images, [batch, height, width, channels]. The channel slice is
   * overwritten with the sum of every patch entry that reads each position;
   * other channels are left alone.
   */
  dx: FloatArray;
  channelOffset: number;
  groupChannels: number;
}

export interface PoolArgs extends WindowGeometry {
  /** Images, [batch, height, width, channels]. */
  x: FloatArray;
  /** Pooled output, [batch, outHeight, outWidth, channels]. */
  out: FloatArray;
}

export interface PoolBackwardArgs extends WindowGeometry {
  x: FloatArray;
  /** Gradient with respect to the pooled output, [batch, outHeight, outWidth, channels]. */
  dy: FloatArray;
  /** Gradient with respect to `x`, overwritten. */
  dx: FloatArray;
}

/**
 * Element-wise activations beyond `UnaryOp`, each with up to three numeric
 * parameters passed in `params` (unused ones are ignored):
 * relu_full (negative slope, max value or Infinity, threshold), leaky_relu (negative slope),
 * elu and celu (alpha), hard_shrink and soft_shrink (threshold), squareplus (b),
 * threshold (threshold, default value), power (exponent). The others take none.
 * power is xᵖ for the focal crossentropies, not a Keras activation.
 */
export type ActivationOp =
  | "relu_full"
  | "leaky_relu"
  | "relu6"
  | "elu"
  | "selu"
  | "celu"
  | "softplus"
  | "softsign"
  | "silu"
  | "gelu"
  | "gelu_tanh"
  | "exponential"
  | "hard_sigmoid"
  | "hard_silu"
  | "hard_tanh"
  | "hard_shrink"
  | "soft_shrink"
  | "tanh_shrink"
  | "sparse_plus"
  | "sparse_sigmoid"
  | "squareplus"
  | "mish"
  | "log_sigmoid"
  | "threshold"
  | "power";

/** Row-wise activations over the last axis of a [rows, cols] matrix. */
export type RowActivationOp = "log_softmax" | "sparsemax" | "glu";

export interface SoftmaxCrossentropyArgs {
  /** Logits, [rows, classes]. */
  logits: FloatArray;
  /** Soft labels [rows, classes], or one class index per row when `sparse`. */
  labels: FloatArray | Int32Array;
  sparse: boolean;
  /** Per-row loss −Σ y · log_softmax(z), [rows]. */
  loss: FloatArray;
  /** Output: the softmax of the logits, [rows, classes], which the backward kernel reads. */
  probs: FloatArray;
  rows: number;
  classes: number;
}

export interface SoftmaxCrossentropyBackwardArgs {
  /** The softmax written by `softmaxCrossentropy`. */
  probs: FloatArray;
  labels: FloatArray | Int32Array;
  sparse: boolean;
  dLoss: FloatArray;
  /** Gradient with respect to the logits, [rows, classes]: dLoss · (p · Σy − y). */
  grad: FloatArray;
  rows: number;
  classes: number;
}

export interface SigmoidCrossentropyArgs {
  logits: FloatArray;
  labels: FloatArray;
  /** Per-row mean over the last axis of max(z, 0) − z · y + log(1 + e^−|z|), [rows]. */
  loss: FloatArray;
  rows: number;
  cols: number;
}

export interface SigmoidCrossentropyBackwardArgs {
  logits: FloatArray;
  labels: FloatArray;
  dLoss: FloatArray;
  /** Gradient with respect to the logits: dLoss · (σ(z) − y) / cols. */
  grad: FloatArray;
  rows: number;
  cols: number;
}

export interface Backend {
  readonly name: string;
  readonly dtypes: readonly DType[];

  /** out[i] = op(x[i]). */
  unary(op: UnaryOp, x: FloatArray, out: FloatArray): void;
  /** dx[i] = dy[i] · op'(x[i]); `y` is the forward output, which some ops use instead of `x`. */
  unaryBackward(op: UnaryOp, x: FloatArray, y: FloatArray, dy: FloatArray, dx: FloatArray): void;
  /** out = a op b with NumPy broadcasting; `outShape` is the broadcast shape. */
  binary(
    op: BinaryOp,
    a: FloatArray,
    aShape: readonly number[],
    b: FloatArray,
    bShape: readonly number[],
    out: FloatArray,
    outShape: readonly number[],
  ): void;
  /** out[i] = x[i] · scale + offset. */
  affine(x: FloatArray, scale: number, offset: number, out: FloatArray): void;
  /** out[i] = min(max(x[i], low), high). */
  clip(x: FloatArray, low: number, high: number, out: FloatArray): void;
  /**
   * out = op(a) · op(b), where op transposes when the flag is set; op(a) is
   * [m, k] and op(b) is [k, n]. With `accumulate`, adds to `out` instead of overwriting it.
   */
  matmul(
    a: FloatArray,
    b: FloatArray,
    out: FloatArray,
    m: number,
    k: number,
    n: number,
    transposeA: boolean,
    transposeB: boolean,
    accumulate?: boolean,
  ): void;
  /** Sums `x` (of shape `shape`) over `axes`; `out` has the shape with those axes removed. */
  sum(x: FloatArray, shape: readonly number[], axes: readonly number[], out: FloatArray): void;
  /** Writes `x` broadcast to `outShape` into `out` (the adjoint of `sum`). */
  broadcastTo(x: FloatArray, shape: readonly number[], out: FloatArray, outShape: readonly number[]): void;
  /** Index of the largest value in each row of a [rows, cols] matrix (the first one on ties). */
  argmax(x: TypedArray, rows: number, cols: number, out: Int32Array): void;
  /** Copies rows `indices[i]` of a [*, rowSize] matrix into consecutive rows of `out`. */
  gatherRows(x: TypedArray, rowSize: number, indices: Int32Array, out: TypedArray): void;
  /** Softmax over the last axis of a [rows, cols] matrix, subtracting each row's maximum first. */
  softmax(x: FloatArray, out: FloatArray, rows: number, cols: number): void;
  /** dx = y ⊙ (dy − Σ(dy ⊙ y)) per row, where y is the softmax output. */
  softmaxBackward(y: FloatArray, dy: FloatArray, dx: FloatArray, rows: number, cols: number): void;

  /** Fused dense forward: out = activation(x · kernel + bias). */
  denseForward(args: DenseForwardArgs): void;
  /** Fused dense backward: the activation's derivative, then the three products. */
  denseBackward(args: DenseBackwardArgs): void;

  /**
   * Categorical crossentropy on probabilities, as Keras computes it: each row
   * is renormalized to sum 1, clipped to [ε, 1 − ε], then −Σ y · log p.
   */
  categoricalCrossentropy(args: CrossentropyArgs): void;
  sparseCategoricalCrossentropy(args: SparseCrossentropyArgs): void;
  /** Gradient of either crossentropy, optionally carried through the softmax that produced `probs`. */
  crossentropyBackward(args: CrossentropyBackwardArgs): void;
  /** Binary crossentropy on probabilities clipped to [ε, 1 − ε], averaged over the last axis. */
  binaryCrossentropy(args: BinaryCrossentropyArgs): void;
  binaryCrossentropyBackward(args: BinaryCrossentropyBackwardArgs): void;

  /** One Adam step over a whole variable, in place. */
  adamUpdate(args: AdamUpdateArgs): void;
  /** One SGD step (optionally with momentum or Nesterov momentum) over a whole variable, in place. */
  sgdUpdate(args: SgdUpdateArgs): void;

  /** Copies every window of the images into one row of patches (image to columns). */
  im2col(args: Im2colArgs): void;
  /** The adjoint of `im2col`: sums patch entries back into the positions they were read from. */
  col2im(args: Col2imArgs): void;
  /** Maximum over each window, ignoring padding positions (−∞ for a window of padding only). */
  maxPool(args: PoolArgs): void;
  /** Routes each output gradient to the first position in the window (row-major) that contains the maximum. */
  maxPoolBackward(args: PoolBackwardArgs): void;
  /** Mean over each window's positions inside the image, so padding never counts (NaN for a window of padding only). */
  avgPool(args: PoolArgs): void;
  avgPoolBackward(args: PoolBackwardArgs): void;

  /** One RMSprop step (optionally centered, optionally with momentum) over a whole variable, in place. */
  rmspropUpdate(args: RmspropUpdateArgs): void;
  adagradUpdate(args: AdagradUpdateArgs): void;
  adadeltaUpdate(args: AdadeltaUpdateArgs): void;
  adamaxUpdate(args: AdamaxUpdateArgs): void;
  nadamUpdate(args: NadamUpdateArgs): void;
  lionUpdate(args: LionUpdateArgs): void;
  /** Adam's direction scaled by the trust ratio ‖w‖ / ‖update‖ over the whole variable. */
  lambUpdate(args: LambUpdateArgs): void;
  ftrlUpdate(args: FtrlUpdateArgs): void;
  /** One Adafactor step with factored second moments over the last two axes. */
  adafactorUpdate(args: AdafactorUpdateArgs): void;
  /** Moving average of a variable's values, for optimizers with `useEma`. */
  emaUpdate(args: EmaUpdateArgs): void;
  /** Σ x[i]², summed in float64 in a fixed order, for gradient clipping by norm. */
  squaredNorm(x: FloatArray): number;

  /** out[i] = op(x[i]) with the op's parameters (see `ActivationOp`). */
  activation(op: ActivationOp, x: FloatArray, out: FloatArray, params: readonly number[]): void;
  /** dx[i] = dy[i] · op'(x[i]); `y` is the forward output. */
  activationBackward(op: ActivationOp, x: FloatArray, y: FloatArray, dy: FloatArray, dx: FloatArray, params: readonly number[]): void;
  /**
   * A row-wise activation over [rows, cols]. log_softmax and sparsemax write [rows, cols];
   * glu needs an even `cols` and writes [rows, cols / 2]: first half · σ(second half).
   */
  rowActivation(op: RowActivationOp, x: FloatArray, out: FloatArray, rows: number, cols: number): void;
  /** The gradient of `rowActivation` with respect to `x`, [rows, cols]; `y` is the forward output. */
  rowActivationBackward(op: RowActivationOp, x: FloatArray, y: FloatArray, dy: FloatArray, dx: FloatArray, rows: number, cols: number): void;
  /** Categorical crossentropy from logits (log-softmax, no clipping); also writes the softmax. */
  softmaxCrossentropy(args: SoftmaxCrossentropyArgs): void;
  softmaxCrossentropyBackward(args: SoftmaxCrossentropyBackwardArgs): void;
  /** Binary crossentropy from logits in the overflow-free form, averaged over the last axis. */
  sigmoidCrossentropy(args: SigmoidCrossentropyArgs): void;
  sigmoidCrossentropyBackward(args: SigmoidCrossentropyBackwardArgs): void;
  /** Normalizes each channel of an [outer, channels, inner] array (batch normalization). */
  batchNormForward(args: BatchNormForwardArgs): void;
  /** Gradients of `batchNormForward` with respect to its input, gamma and beta. */
  batchNormBackward(args: BatchNormBackwardArgs): void;
  /** Normalizes each row of a [rows, cols] matrix over its columns (layer normalization). */
  layerNormForward(args: LayerNormForwardArgs): void;
  /** Gradients of `layerNormForward` with respect to its input, gamma and beta. */
  layerNormBackward(args: LayerNormBackwardArgs): void;

  /** The gates of one recurrent step, after its recurrent matmul: new states and output. */
  recurrentGatesForward(args: RecurrentGatesForwardArgs): void;
  /** Backpropagation through the gates of one recurrent step. */
  recurrentGatesBackward(args: RecurrentGatesBackwardArgs): void;
  /** Every step of a recurrent cell: the recurrent matmul and the gates, step after step. */
  recurrentSequenceForward(args: RecurrentSequenceForwardArgs): void;
  /** Backpropagation through a whole `recurrentSequenceForward` call. */
  recurrentSequenceBackward(args: RecurrentSequenceBackwardArgs): void;
  /** out[i] = op(a[i]) · op(b[i]) for each of `batch` matrix pairs stored one after another (see `matmul`). */
  batchMatmul(args: BatchMatmulArgs): void;
  /** Convolves each input channel with its own `multiplier` filters (a depthwise convolution). */
  depthwiseConv(args: DepthwiseConvArgs): void;
  /** Gradients of `depthwiseConv` with respect to its input and kernel. */
  depthwiseConvBackward(args: DepthwiseConvBackwardArgs): void;
  /** Index of the first NaN or infinite element of `x`, or -1 when every element is finite. */
  findNonFinite(x: TypedArray): number;
}

export interface BatchMatmulArgs {
  /** `batch` matrices op(a[i]) of [m, k], each stored as [m, k], or as [k, m] when `transposeA`. */
  a: FloatArray;
  /** `batch` matrices op(b[i]) of [k, n], each stored as [k, n], or as [n, k] when `transposeB`. */
  b: FloatArray;
  /** Output, [batch, m, n], overwritten. */
  out: FloatArray;
  batch: number;
  m: number;
  k: number;
  n: number;
  transposeA: boolean;
  transposeB: boolean;
}

/** A depthwise convolution over images; the geometry's depth fields must be omitted. */
export interface DepthwiseConvArgs extends WindowGeometry {
  /** Images, [batch, height, width, channels]. */
  x: FloatArray;
  /** Kernel, [windowHeight, windowWidth, channels, multiplier]. */
  kernel: FloatArray;
  /** Output, [batch, outHeight, outWidth, channels · multiplier]; channel c · multiplier + j is input channel c with filter j. */
  out: FloatArray;
  multiplier: number;
}

export interface DepthwiseConvBackwardArgs extends WindowGeometry {
  x: FloatArray;
  kernel: FloatArray;
  /** Gradient with respect to the output, [batch, outHeight, outWidth, channels · multiplier]. */
  dy: FloatArray;
  /** Gradient with respect to `x`, overwritten, or null when not needed. */
  dx: FloatArray | null;
  /** Gradient with respect to the kernel, overwritten, or null when not needed. */
  dKernel: FloatArray | null;
  multiplier: number;
}

export interface BatchNormForwardArgs {
  /** Input, [outer, channels, inner]. Statistics are per channel, over the outer and inner axes. */
  x: FloatArray;
  outer: number;
  channels: number;
  inner: number;
  /**
   * Per-element weights of x's size (1 keeps an element, 0 masks it), or null.
   * With weights, the batch statistics are weighted sums divided by Σw + 1e-7.
   */
  weights: FloatArray | null;
  /** Scale, [channels], or null for 1. */
  gamma: FloatArray | null;
  /** Offset, [channels], or null for 0. */
  beta: FloatArray | null;
  /** [channels]: written with the batch mean when `training`, otherwise read. */
  mean: FloatArray;
  /** [channels]: written with the biased batch variance when `training`, otherwise read. */
  variance: FloatArray;
  training: boolean;
  epsilon: number;
  /** Output, x's size: gamma · (x − mean) / sqrt(variance + epsilon) + beta. */
  out: FloatArray;
}

export interface BatchNormBackwardArgs {
  x: FloatArray;
  outer: number;
  channels: number;
  inner: number;
  weights: FloatArray | null;
  gamma: FloatArray | null;
  /** The statistics the forward pass used, [channels]. */
  mean: FloatArray;
  variance: FloatArray;
  /** True when the forward pass used batch statistics, whose dependence on x then enters dx. */
  training: boolean;
  epsilon: number;
  dy: FloatArray;
  /** Gradients with respect to x, gamma and beta, or null when not needed. */
  dx: FloatArray | null;
  dGamma: FloatArray | null;
  dBeta: FloatArray | null;
}

export interface LayerNormForwardArgs {
  /** Input, [rows, cols]. Each row is normalized over its columns. */
  x: FloatArray;
  rows: number;
  cols: number;
  /** Scale, [cols], or null for 1. */
  gamma: FloatArray | null;
  /** Offset, [cols], or null for 0 (always null with `rmsScaling`). */
  beta: FloatArray | null;
  epsilon: number;
  /**
   * Keras's deprecated `rms_scaling`: out = gamma · x / sqrt(variance + epsilon),
   * without subtracting the mean (the variance is still taken about the mean).
   */
  rmsScaling: boolean;
  out: FloatArray;
  /** Per-row mean and 1 / sqrt(variance + epsilon), [rows], written for the backward pass. */
  mean: FloatArray;
  invStd: FloatArray;
}

export interface LayerNormBackwardArgs {
  x: FloatArray;
  rows: number;
  cols: number;
  gamma: FloatArray | null;
  /** The per-row statistics `layerNormForward` wrote. */
  mean: FloatArray;
  invStd: FloatArray;
  rmsScaling: boolean;
  dy: FloatArray;
  dx: FloatArray | null;
  dGamma: FloatArray | null;
  dBeta: FloatArray | null;
}

/**
 * Cells whose step the recurrent gate kernels compute. "gru" is a GRU with
 * the reset gate applied after the recurrent matmul (Keras's default).
 * Gates sit side by side in the last axis: LSTM i, f, c, o and GRU z, r, h.
 */
export type RecurrentGateKind = "simple_rnn" | "lstm" | "gru";

/** The cell, its activations and the sizes of every recurrent kernel call. */
export interface RecurrentCellSizes {
  kind: RecurrentGateKind;
  activation: FusedActivation;
  recurrentActivation: FusedActivation;
  batch: number;
  units: number;
  steps: number;
}

export interface RecurrentGatesForwardArgs extends RecurrentCellSizes {
  /** The time index this call reads from `projected` and `mask`. */
  step: number;
  /** Input projections of every step, [batch, steps, gates · units]. */
  projected: FloatArray;
  /** Recurrent products h_prev · recurrent_kernel of this step, [batch, gates · units]. */
  products: FloatArray;
  /** The GRU's recurrent bias, [gates · units], or null. */
  recurrentBias: FloatArray | null;
  /** Step mask [batch, steps] (0 masks), or null. A masked row keeps its states. */
  mask: FloatArray | null;
  /** A masked row outputs zeros instead of h_prev. */
  zeroOutput: boolean;
  hPrev: FloatArray;
  /** LSTM only, else null. */
  cPrev: FloatArray | null;
  /** Output: activated gates, [batch, gates · units]. */
  gateValues: FloatArray;
  /** Output [batch, units]: LSTM activation(c), GRU the recurrent h-gate product with its bias; null for SimpleRNN. */
  extra: FloatArray | null;
  /** Outputs [batch, units]: new states, and the step's output. */
  hNew: FloatArray;
  cNew: FloatArray | null;
  output: FloatArray;
}

export interface RecurrentGatesBackwardArgs extends RecurrentCellSizes {
  step: number;
  mask: FloatArray | null;
  zeroOutput: boolean;
  /** The values that the forward call of this step wrote or read. */
  gateValues: FloatArray;
  extra: FloatArray | null;
  hPrev: FloatArray;
  cPrev: FloatArray | null;
  /** Gradient of the step's output, [batch, units]. */
  dOutput: FloatArray;
  /** Gradients of the new states, [batch, units]. */
  dH: FloatArray;
  dC: FloatArray | null;
  /** Output: this step's slice of the [batch, steps, gates · units] gradient is overwritten. */
  dProjected: FloatArray;
  /** Output, [batch, gates · units]: gradient of the recurrent products (zero rows where masked). */
  productGradients: FloatArray;
  /**
   * Output, [batch, units]: the gradient of h_prev that does not pass through
   * the recurrent matmul (the caller adds productGradients · kernelᵀ).
   */
  dHPrev: FloatArray;
  dCPrev: FloatArray | null;
}

/** Sizes and switches shared by the two whole-sequence recurrent kernels. */
export interface RecurrentSequenceConfig extends RecurrentCellSizes {
  /** Process the steps from last to first; histories and outputs are in processing order. */
  goBackwards: boolean;
  /** Step mask [batch, steps] in time order (0 masks), or null. A masked row keeps its states. */
  mask: FloatArray | null;
  /** A masked row outputs zeros instead of h_prev. */
  zeroOutput: boolean;
}

export interface RecurrentSequenceForwardArgs extends RecurrentSequenceConfig {
  /** Input projections of every step, [batch, steps, gates · units], in time order. */
  projected: FloatArray;
  /** [units, gates · units]: one matmul per step gives the recurrent products of all gates. */
  kernel: FloatArray;
  /** The GRU's recurrent bias, [gates · units], or null. */
  recurrentBias: FloatArray | null;
  /** [steps + 1, batch, units]: the caller fills the first slot with the initial h, the call writes the others. */
  hHistory: FloatArray;
  /** The same for c, LSTM only, else null. */
  cHistory: FloatArray | null;
  /** Output: activated gates of every step, [steps, batch, gates · units]. */
  gateValues: FloatArray;
  /** Output: `extra` of `recurrentGatesForward` for every step, [steps, batch, units]; null for SimpleRNN. */
  extra: FloatArray | null;
  /** Output, [batch, steps + states, units]: the output of each step, then the final states (h, and c for LSTM). */
  output: FloatArray;
}

export interface RecurrentSequenceBackwardArgs extends RecurrentSequenceConfig {
  kernel: FloatArray;
  /** Gate values that the forward call wrote. */
  gateValues: FloatArray;
  extra: FloatArray | null;
  hHistory: FloatArray;
  cHistory: FloatArray | null;
  /** Gradient of the forward call's output, [batch, steps + states, units]. */
  dy: FloatArray;
  /** Output: [batch, steps, gates · units], fully overwritten. */
  dProjected: FloatArray;
  /**
   * Output: gradients of the recurrent products, [steps, batch, gates · units].
   * The kernel's gradient is hHistory[0 .. steps]ᵀ · productGradients, which
   * the caller forms in one matmul.
   */
  productGradients: FloatArray;
  /** Outputs, [batch, units]: gradients of the initial states (c for LSTM only, else null). */
  dInitialH: FloatArray;
  dInitialC: FloatArray | null;
}

export type {
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
} from "./optimizer-args.js";
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
} from "./optimizer-args.js";
