import { ShapeError, ValueError, formatShape } from "../errors.js";
import { getBackend } from "../backend/registry.js";
import { record } from "../autodiff/tape.js";
import type { FloatArray, FloatDType } from "../tensor/dtype.js";
import { normalizeAxis, sizeOf } from "../tensor/shape.js";
import type { Tensor } from "../tensor/tensor.js";
import { transpose } from "./manipulation.js";
import { emptyLike, floatDType } from "./util.js";

export interface BatchNormalizationOptions {
  /** The channel axis; statistics are taken over every other axis. */
  axis: number;
  epsilon: number;
  /** Scale and offset, each [channels] or null. */
  gamma: Tensor | null;
  beta: Tensor | null;
  /**
   * With `training`, the batch statistics are computed (and returned) and
   * these are ignored. Otherwise they are the statistics to normalize with.
   */
  mean: Tensor | null;
  variance: Tensor | null;
  training: boolean;
  /**
   * Weights of x's shape (1 keeps an element, 0 masks it) for the batch
   * statistics, or null. Masked elements are still normalized.
   */
  weights?: Tensor | null;
}

export interface BatchNormalizationResult {
  output: Tensor;
  /** The statistics used: the batch's in training, else the given ones. */
  mean: Tensor;
  variance: Tensor;
}

function checkChannelVector(t: Tensor | null, channels: number, name: string, dtype: FloatDType): void {
  if (t === null) return;
  if (t.rank !== 1 || t.shape[0] !== channels) {
    throw new ShapeError(`batchNormalization needs \`${name}\` of shape ${formatShape([channels])}, received ${formatShape(t.shape)}.`);
  }
  if (t.dtype !== dtype) {
    throw new ValueError(`batchNormalization needs \`${name}\` in the input's dtype ${dtype}, received ${t.dtype}.`);
  }
}

/**
 * Batch normalization: gamma · (x − mean) / sqrt(variance + epsilon) + beta
 * per channel. In training the mean and biased variance come from the batch
 * and the gradient flows through them; the moving statistics are the
 * caller's to update.
 */
export function batchNormalization(x: Tensor, options: BatchNormalizationOptions): BatchNormalizationResult {
  const dtype = floatDType(x, "batchNormalization");
  const axis = normalizeAxis(options.axis, x.rank);
  const channels = x.shape[axis]!;
  const outer = sizeOf(x.shape.slice(0, axis));
  const inner = sizeOf(x.shape.slice(axis + 1));
  const { gamma, beta, training, epsilon } = options;
  const weights = options.weights ?? null;
  checkChannelVector(gamma, channels, "gamma", dtype);
  checkChannelVector(beta, channels, "beta", dtype);
  if (weights !== null && (weights.size !== x.size || weights.dtype !== dtype)) {
    throw new ShapeError(`batchNormalization needs weights of the input's shape ${formatShape(x.shape)} and dtype, received ${formatShape(weights.shape)} (${weights.dtype}).`);
  }
  let mean: Tensor;
  let variance: Tensor;
  if (training) {
    mean = emptyLike(dtype, [channels]);
    variance = emptyLike(dtype, [channels]);
  } else {
    if (options.mean === null || options.variance === null) {
      throw new ValueError("batchNormalization in inference mode needs `mean` and `variance`.");
    }
    checkChannelVector(options.mean, channels, "mean", dtype);
    checkChannelVector(options.variance, channels, "variance", dtype);
    mean = options.mean;
    variance = options.variance;
  }
  const out = emptyLike(dtype, x.shape);
  const common = {
    x: x.data as FloatArray,
    outer,
    channels,
    inner,
    weights: weights ? (weights.data as FloatArray) : null,
    gamma: gamma ? (gamma.data as FloatArray) : null,
    mean: mean.data as FloatArray,
    variance: variance.data as FloatArray,
    training,
    epsilon,
  };
  getBackend().batchNormForward({ ...common, beta: beta ? (beta.data as FloatArray) : null, out: out.data as FloatArray });

  const inputs = [x, gamma, beta].filter((t): t is Tensor => t !== null);
  const output = record(inputs, out, (dy, needs) => {
    let slot = 1;
    const gammaSlot = gamma ? slot++ : -1;
    const betaSlot = beta ? slot++ : -1;
    const dx = needs[0] ? emptyLike(dtype, x.shape) : null;
    const dGamma = gammaSlot > 0 && needs[gammaSlot] ? emptyLike(dtype, [channels]) : null;
    const dBeta = betaSlot > 0 && needs[betaSlot] ? emptyLike(dtype, [channels]) : null;
    getBackend().batchNormBackward({
      ...common,
      dy: dy.data as FloatArray,
      dx: dx ? (dx.data as FloatArray) : null,
      dGamma: dGamma ? (dGamma.data as FloatArray) : null,
      dBeta: dBeta ? (dBeta.data as FloatArray) : null,
    });
    const gradients: (Tensor | null)[] = [dx];
    if (gamma) gradients.push(dGamma);
    if (beta) gradients.push(dBeta);
    return gradients;
  });
  return { output, mean, variance };
}

export interface LayerNormalizationOptions {
  /** The axes normalized together (any order, negative allowed). */
  axes: readonly number[];
  epsilon: number;
  /** Scale and offset, each of the normalized axes' shape (or flat with that size), or null. */
  gamma: Tensor | null;
  beta: Tensor | null;
  /** Keras's deprecated `rms_scaling`: gamma · x / sqrt(variance + epsilon), no centering and no beta. */
  rmsScaling?: boolean;
}

/**
 * Layer normalization over `axes`. Axes that are not the trailing ones are
 * moved to the end first (and back afterwards), so the kernel always
 * normalizes the rows of a matrix.
 */
export function layerNormalization(x: Tensor, options: LayerNormalizationOptions): Tensor {
  const dtype = floatDType(x, "layerNormalization");
  const rank = x.rank;
  const axes = [...new Set(options.axes.map((a) => normalizeAxis(a, rank)))].sort((a, b) => a - b);
  if (axes.length === 0) throw new ValueError("layerNormalization needs at least one axis.");
  const rmsScaling = options.rmsScaling ?? false;
  const kept = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const perm = [...kept, ...axes];
  const trailing = perm.every((axis, i) => axis === i);
  const moved = trailing ? x : transpose(x, perm);
  const cols = sizeOf(axes.map((a) => x.shape[a]!));
  const rows = cols === 0 ? 0 : x.size / cols;
  const { gamma, beta } = options;
  for (const [name, t] of [["gamma", gamma], ["beta", beta]] as const) {
    if (t === null) continue;
    if (t.size !== cols || t.dtype !== dtype) {
      throw new ShapeError(
        `layerNormalization needs \`${name}\` with ${cols} ${dtype} elements (the normalized axes' shape ${formatShape(axes.map((a) => x.shape[a]!))}), ` +
          `received shape ${formatShape(t.shape)} (${t.dtype}).`,
      );
    }
  }
  if (rmsScaling && beta !== null) throw new ValueError("layerNormalization with rmsScaling takes no beta.");

  const out = emptyLike(dtype, moved.shape);
  const mean = emptyLike(dtype, [rows]);
  const invStd = emptyLike(dtype, [rows]);
  getBackend().layerNormForward({
    x: moved.data as FloatArray,
    rows,
    cols,
    gamma: gamma ? (gamma.data as FloatArray) : null,
    beta: beta ? (beta.data as FloatArray) : null,
    epsilon: options.epsilon,
    rmsScaling,
    out: out.data as FloatArray,
    mean: mean.data as FloatArray,
    invStd: invStd.data as FloatArray,
  });
  const inputs = [moved, gamma, beta].filter((t): t is Tensor => t !== null);
  const normalized = record(inputs, out, (dy, needs) => {
    let slot = 1;
    const gammaSlot = gamma ? slot++ : -1;
    const betaSlot = beta ? slot++ : -1;
    const dx = needs[0] ? emptyLike(dtype, moved.shape) : null;
    const dGamma = gamma && needs[gammaSlot] ? emptyLike(dtype, gamma.shape) : null;
    const dBeta = beta && needs[betaSlot] ? emptyLike(dtype, beta.shape) : null;
    getBackend().layerNormBackward({
      x: moved.data as FloatArray,
      rows,
      cols,
      gamma: gamma ? (gamma.data as FloatArray) : null,
      mean: mean.data as FloatArray,
      invStd: invStd.data as FloatArray,
      rmsScaling,
      dy: dy.data as FloatArray,
      dx: dx ? (dx.data as FloatArray) : null,
      dGamma: dGamma ? (dGamma.data as FloatArray) : null,
      dBeta: dBeta ? (dBeta.data as FloatArray) : null,
    });
    const gradients: (Tensor | null)[] = [dx];
    if (gamma) gradients.push(dGamma);
    if (beta) gradients.push(dBeta);
    return gradients;
  });
  if (trailing) return normalized;
  const inverse = new Array<number>(rank);
  perm.forEach((axis, i) => (inverse[axis] = i));
  return transpose(normalized, inverse);
}
