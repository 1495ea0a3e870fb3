/**
 * Reference kernels for batch and layer normalization. Statistics and sums
 * are accumulated in float64 whatever the array type, in a fixed order, and
 * the native kernels follow the same order.
 */
import type { BatchNormBackwardArgs, BatchNormForwardArgs, LayerNormBackwardArgs, LayerNormForwardArgs } from "../backend.js";

/** Keras's fuzz factor (`keras.config.epsilon()`), added to the weight total of masked statistics. */
const WEIGHT_EPSILON = 1e-7;

interface ChannelMoments {
  mean: Float64Array;
  variance: Float64Array;
  /** Σw + 1e-7 with weights, the element count without. */
  count: Float64Array;
  /** Σ w (x − mean) / count, which is not exactly 0 with weights because of the 1e-7 in count. */
  residual: Float64Array;
}

/** Per-channel weighted mean and biased variance of an [outer, channels, inner] array, in two passes. */
function channelMoments(args: BatchNormForwardArgs | BatchNormBackwardArgs): ChannelMoments {
  const { x, outer, channels, inner, weights } = args;
  const sums = new Float64Array(channels);
  const count = new Float64Array(channels);
  let index = 0;
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++) {
      let sum = 0;
      let weight = 0;
      for (let i = 0; i < inner; i++, index++) {
        const w = weights ? weights[index]! : 1;
        sum += w * x[index]!;
        weight += w;
      }
      sums[c]! += sum;
      count[c]! += weight;
    }
  }
  const mean = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    if (weights) count[c]! += WEIGHT_EPSILON;
    mean[c] = sums[c]! / count[c]!;
  }
  const squares = new Float64Array(channels);
  const deviations = new Float64Array(channels);
  index = 0;
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++) {
      const m = mean[c]!;
      let square = 0;
      let deviation = 0;
      for (let i = 0; i < inner; i++, index++) {
        const w = weights ? weights[index]! : 1;
        const d = x[index]! - m;
        square += w * d * d;
        deviation += w * d;
      }
      squares[c]! += square;
      deviations[c]! += deviation;
    }
  }
  const variance = new Float64Array(channels);
  const residual = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    variance[c] = squares[c]! / count[c]!;
    residual[c] = weights ? deviations[c]! / count[c]! : 0;
  }
  return { mean, variance, count, residual };
}

export function batchNormForward(args: BatchNormForwardArgs): void {
  const { x, outer, channels, inner, gamma, beta, mean, variance, training, epsilon, out } = args;
  let means: ArrayLike<number> = mean;
  let variances: ArrayLike<number> = variance;
  if (training) {
    const moments = channelMoments(args);
    means = moments.mean;
    variances = moments.variance;
    mean.set(moments.mean);
    variance.set(moments.variance);
  }
  const scale = new Float64Array(channels);
  const shift = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    scale[c] = (gamma ? gamma[c]! : 1) / Math.sqrt(variances[c]! + epsilon);
    shift[c] = (beta ? beta[c]! : 0) - means[c]! * scale[c]!;
  }
  let index = 0;
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++) {
      const s = scale[c]!;
      const t = shift[c]!;
      for (let i = 0; i < inner; i++, index++) out[index] = x[index]! * s + t;
    }
  }
}

/**
 * With batch statistics, dx = γ·s·(dy − (w / count)·(Σdy + Σ(dy·x̂)·(x̂ − s·r))),
 * where s = 1 / sqrt(variance + ε), x̂ = (x − mean)·s and r is the moments'
 * residual. With weights all 1 this is the usual γ·s·(dy − mean(dy) − x̂·mean(dy·x̂)).
 */
export function batchNormBackward(args: BatchNormBackwardArgs): void {
  const { x, outer, channels, inner, weights, gamma, mean, variance, training, epsilon, dy, dx, dGamma, dBeta } = args;
  const moments = training ? channelMoments(args) : null;
  const means = moments ? moments.mean : mean;
  const variances = moments ? moments.variance : variance;
  const invStd = new Float64Array(channels);
  for (let c = 0; c < channels; c++) invStd[c] = 1 / Math.sqrt(variances[c]! + epsilon);

  const sumDy = new Float64Array(channels);
  const sumDyXhat = new Float64Array(channels);
  let index = 0;
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++) {
      const m = means[c]!;
      const s = invStd[c]!;
      let a = 0;
      let b = 0;
      for (let i = 0; i < inner; i++, index++) {
        const g = dy[index]!;
        a += g;
        b += g * (x[index]! - m) * s;
      }
      sumDy[c]! += a;
      sumDyXhat[c]! += b;
    }
  }
  if (dGamma) for (let c = 0; c < channels; c++) dGamma[c] = sumDyXhat[c]!;
  if (dBeta) for (let c = 0; c < channels; c++) dBeta[c] = sumDy[c]!;
  if (!dx) return;

  index = 0;
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++) {
      const m = means[c]!;
      const s = invStd[c]!;
      const scale = (gamma ? gamma[c]! : 1) * s;
      if (!moments) {
        for (let i = 0; i < inner; i++, index++) dx[index] = dy[index]! * scale;
        continue;
      }
      const perWeight = 1 / moments.count[c]!;
      const shiftedResidual = s * moments.residual[c]!;
      for (let i = 0; i < inner; i++, index++) {
        const w = weights ? weights[index]! : 1;
        const xhat = (x[index]! - m) * s;
        dx[index] = scale * (dy[index]! - w * perWeight * (sumDy[c]! + sumDyXhat[c]! * (xhat - shiftedResidual)));
      }
    }
  }
}

export function layerNormForward(args: LayerNormForwardArgs): void {
  const { x, rows, cols, gamma, beta, epsilon, rmsScaling, out, mean, invStd } = args;
  for (let r = 0; r < rows; r++) {
    const start = r * cols;
    let sum = 0;
    for (let j = 0; j < cols; j++) sum += x[start + j]!;
    const m = sum / cols;
    let squares = 0;
    for (let j = 0; j < cols; j++) {
      const d = x[start + j]! - m;
      squares += d * d;
    }
    const s = 1 / Math.sqrt(squares / cols + epsilon);
    mean[r] = m;
    invStd[r] = s;
    const center = rmsScaling ? 0 : m;
    for (let j = 0; j < cols; j++) {
      const normalized = (x[start + j]! - center) * s;
      out[start + j] = normalized * (gamma ? gamma[j]! : 1) + (beta ? beta[j]! : 0);
    }
  }
}

/**
 * Per row, with g = dy·γ: dx = s·(g − mean(g) − x̂·mean(g·x̂)) for the usual
 * normalization, and dx = s·g − s³·(x − mean)·Σ(g·x) / cols with `rmsScaling`.
 */
export function layerNormBackward(args: LayerNormBackwardArgs): void {
  const { x, rows, cols, gamma, mean, invStd, rmsScaling, dy, dx, dGamma, dBeta } = args;
  if (dGamma) dGamma.fill(0);
  if (dBeta) dBeta.fill(0);
  const gammaSums = dGamma ? new Float64Array(cols) : null;
  const betaSums = dBeta ? new Float64Array(cols) : null;
  for (let r = 0; r < rows; r++) {
    const start = r * cols;
    const m = mean[r]!;
    const s = invStd[r]!;
    const center = rmsScaling ? 0 : m;
    let sumG = 0;
    let sumGX = 0;
    for (let j = 0; j < cols; j++) {
      const g = dy[start + j]! * (gamma ? gamma[j]! : 1);
      const xhat = (x[start + j]! - center) * s;
      sumG += g;
      sumGX += rmsScaling ? g * x[start + j]! : g * xhat;
      if (gammaSums) gammaSums[j]! += dy[start + j]! * xhat;
      if (betaSums) betaSums[j]! += dy[start + j]!;
    }
    if (!dx) continue;
    for (let j = 0; j < cols; j++) {
      const g = dy[start + j]! * (gamma ? gamma[j]! : 1);
      if (rmsScaling) {
        dx[start + j] = s * g - s * s * s * (x[start + j]! - m) * (sumGX / cols);
      } else {
        const xhat = (x[start + j]! - m) * s;
        dx[start + j] = s * (g - sumG / cols - xhat * (sumGX / cols));
      }
    }
  }
  if (dGamma && gammaSums) dGamma.set(gammaSums);
  if (dBeta && betaSums) dBeta.set(betaSums);
}
