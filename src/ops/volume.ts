/**
 * Differentiable 3-D convolution and pooling on channels-last volumes
 * [batch, depth, height, width, channels], and depthwise convolution on
 * images. They share the window kernels of the 2-D ops in `conv.ts`.
 */

import { ShapeError, ValueError, formatShape } from "../errors.js";
import type { FusedActivation, WindowGeometry } from "../backend/backend.js";
import { getBackend } from "../backend/registry.js";
import { record } from "../autodiff/tape.js";
import type { FloatArray } from "../tensor/dtype.js";
import type { Tensor } from "../tensor/tensor.js";
import { type AxisPadding, applyActivation, denseConv, groupedConv, poolWindows, slidingOutputLength, transposeConv } from "./conv.js";
import { add } from "./elementwise.js";
import { emptyLike, floatDType, sameFloatDType } from "./util.js";

type Triple = [number, number, number];

export interface Conv3DOptions {
  strides: Triple;
  dilationRate: Triple;
  /** Zero padding of the depth, height and width axes. */
  padding: [AxisPadding, AxisPadding, AxisPadding];
  /** Number of channel groups; input channels and filters are split evenly between them. */
  groups: number;
  activation: FusedActivation;
}

export interface Conv3DTransposeOptions {
  strides: Triple;
  dilationRate: Triple;
  /** Padding before each axis of the convolution that this op is the transpose of. */
  padBefore: Triple;
  /** Depth, height and width of the output. */
  outputSize: Triple;
}

export interface Pool3DOptions {
  poolSize: Triple;
  strides: Triple;
  /** Padding of the depth, height and width axes; padding positions never win a maximum nor count in a mean. */
  padding: [AxisPadding, AxisPadding, AxisPadding];
}

export interface DepthwiseConv2DOptions {
  strides: [number, number];
  dilationRate: [number, number];
  padding: [AxisPadding, AxisPadding];
}

function checkRank(x: Tensor, rank: number, op: string, argument: string, layout: string): void {
  if (x.rank !== rank) {
    throw new ShapeError(`${op} needs ${argument} of rank ${rank} ${layout}, received shape ${formatShape(x.shape)}.`);
  }
}

/** The geometry of a window sliding over the volumes of x [batch, depth, height, width, channels]. */
function volumeGeometry(
  x: Tensor,
  window: Triple,
  strides: Triple,
  dilation: Triple,
  padding: [AxisPadding, AxisPadding, AxisPadding],
  op: string,
): WindowGeometry {
  const [batch, depth, height, width, channels] = x.shape as [number, number, number, number, number];
  const out = [depth, height, width].map((length, axis) =>
    slidingOutputLength(length, window[axis]!, strides[axis]!, dilation[axis]!, padding[axis]!),
  );
  if (out.some((length) => length < 0)) {
    throw new ShapeError(
      `${op}: a window of ${formatShape(window)} with dilation ${formatShape(dilation)} does not fit inputs of shape ${formatShape(x.shape)}.`,
    );
  }
  return {
    batch,
    depth,
    height,
    width,
    channels,
    windowDepth: window[0],
    windowHeight: window[1],
    windowWidth: window[2],
    strideDepth: strides[0],
    strideHeight: strides[1],
    strideWidth: strides[2],
    dilationDepth: dilation[0],
    dilationHeight: dilation[1],
    dilationWidth: dilation[2],
    padFront: padding[0][0],
    padTop: padding[1][0],
    padLeft: padding[2][0],
    outDepth: out[0]!,
    outHeight: out[1]!,
    outWidth: out[2]!,
  };
}

/**
 * activation(conv(x, kernel) + bias) for x of shape [batch, depth, height,
 * width, channels] and a kernel of shape [kd, kh, kw, channels / groups,
 * filters]. Returns [batch, outDepth, outHeight, outWidth, filters].
 */
export function conv3d(x: Tensor, kernel: Tensor, bias: Tensor | null, options: Conv3DOptions): Tensor {
  const dtype = sameFloatDType(x, kernel, "conv3d");
  checkRank(x, 5, "conv3d", "inputs", "(batch, depth, height, width, channels)");
  checkRank(kernel, 5, "conv3d", "a kernel", "(depth, height, width, channels / groups, filters)");
  const { groups } = options;
  const [kd, kh, kw, groupChannels, filters] = kernel.shape as [number, number, number, number, number];
  const channels = x.shape[4]!;
  if (groupChannels * groups !== channels || filters % groups !== 0) {
    throw new ShapeError(
      `conv3d with ${groups} group(s) needs a kernel of shape (d, h, w, ${channels / groups}, filters) with filters divisible by ${groups} ` +
        `for inputs with ${channels} channels, received kernel shape ${formatShape(kernel.shape)}.`,
    );
  }
  if (bias) {
    sameFloatDType(kernel, bias, "conv3d");
    if (bias.rank !== 1 || bias.shape[0] !== filters) {
      throw new ShapeError(`conv3d needs a bias of shape ${formatShape([filters])}, received ${formatShape(bias.shape)}.`);
    }
  }
  const g = volumeGeometry(x, [kd, kh, kw], options.strides, options.dilationRate, options.padding, "conv3d");
  if (groups === 1) return denseConv(x, kernel, bias, g, options.activation, dtype);
  let y = groupedConv(x, kernel, g, groups, dtype);
  if (bias) y = add(y, bias);
  return applyActivation(y, options.activation);
}

/**
 * The transpose of a 3-D convolution, for x of shape [batch, depth, height,
 * width, channels] and a kernel of shape [kd, kh, kw, filters, channels].
 * Returns [batch, ...outputSize, filters]. Bias and activation are separate ops.
 */
export function conv3dTranspose(x: Tensor, kernel: Tensor, options: Conv3DTransposeOptions): Tensor {
  const dtype = sameFloatDType(x, kernel, "conv3dTranspose");
  checkRank(x, 5, "conv3dTranspose", "inputs", "(batch, depth, height, width, channels)");
  checkRank(kernel, 5, "conv3dTranspose", "a kernel", "(depth, height, width, filters, channels)");
  const [batch, inDepth, inHeight, inWidth, channels] = x.shape as [number, number, number, number, number];
  const [kd, kh, kw, filters, kernelChannels] = kernel.shape as [number, number, number, number, number];
  if (kernelChannels !== channels) {
    throw new ShapeError(
      `conv3dTranspose needs a kernel whose last axis is the ${channels} input channels, received kernel shape ${formatShape(kernel.shape)}.`,
    );
  }
  if (options.padBefore.some((pad) => pad < 0)) {
    throw new ValueError(`conv3dTranspose needs non-negative padding, received ${formatShape(options.padBefore)}.`);
  }
  const [outDepth, outHeight, outWidth] = options.outputSize;
  const g: WindowGeometry = {
    batch,
    depth: outDepth,
    height: outHeight,
    width: outWidth,
    channels: filters,
    windowDepth: kd,
    windowHeight: kh,
    windowWidth: kw,
    strideDepth: options.strides[0],
    strideHeight: options.strides[1],
    strideWidth: options.strides[2],
    dilationDepth: options.dilationRate[0],
    dilationHeight: options.dilationRate[1],
    dilationWidth: options.dilationRate[2],
    padFront: options.padBefore[0],
    padTop: options.padBefore[1],
    padLeft: options.padBefore[2],
    outDepth: inDepth,
    outHeight: inHeight,
    outWidth: inWidth,
  };
  return transposeConv(x, kernel, g, dtype);
}

function pool3d(x: Tensor, options: Pool3DOptions, kind: "max" | "average"): Tensor {
  const op = kind === "max" ? "maxPool3d" : "averagePool3d";
  floatDType(x, op);
  checkRank(x, 5, op, "inputs", "(batch, depth, height, width, channels)");
  return poolWindows(x, volumeGeometry(x, options.poolSize, options.strides, [1, 1, 1], options.padding, op), kind);
}

/** Maximum over windows of volumes x [batch, depth, height, width, channels]. */
export function maxPool3d(x: Tensor, options: Pool3DOptions): Tensor {
  return pool3d(x, options, "max");
}

/** Mean over windows of volumes, counting only positions inside the volume. */
export function averagePool3d(x: Tensor, options: Pool3DOptions): Tensor {
  return pool3d(x, options, "average");
}

/**
 * Depthwise convolution of x [batch, height, width, channels] with a kernel
 * [kh, kw, channels, multiplier]: each input channel has its own filters.
 * Returns [batch, outHeight, outWidth, channels · multiplier], where output
 * channel c · multiplier + j is input channel c with filter j, as in Keras.
 */
export function depthwiseConv2d(x: Tensor, kernel: Tensor, options: DepthwiseConv2DOptions): Tensor {
  const dtype = sameFloatDType(x, kernel, "depthwiseConv2d");
  checkRank(x, 4, "depthwiseConv2d", "inputs", "(batch, height, width, channels)");
  checkRank(kernel, 4, "depthwiseConv2d", "a kernel", "(height, width, channels, multiplier)");
  const [batch, height, width, channels] = x.shape as [number, number, number, number];
  const [kh, kw, kernelChannels, multiplier] = kernel.shape as [number, number, number, number];
  if (kernelChannels !== channels) {
    throw new ShapeError(
      `depthwiseConv2d needs a kernel of shape (h, w, ${channels}, multiplier) for inputs with ${channels} channels, received ${formatShape(kernel.shape)}.`,
    );
  }
  const { strides, dilationRate, padding } = options;
  const outHeight = slidingOutputLength(height, kh, strides[0], dilationRate[0], padding[0]);
  const outWidth = slidingOutputLength(width, kw, strides[1], dilationRate[1], padding[1]);
  if (outHeight < 0 || outWidth < 0) {
    throw new ShapeError(`depthwiseConv2d: a window of ${formatShape([kh, kw])} does not fit inputs of shape ${formatShape(x.shape)}.`);
  }
  const g: WindowGeometry = {
    batch,
    height,
    width,
    channels,
    windowHeight: kh,
    windowWidth: kw,
    strideHeight: strides[0],
    strideWidth: strides[1],
    dilationHeight: dilationRate[0],
    dilationWidth: dilationRate[1],
    padTop: padding[0][0],
    padLeft: padding[1][0],
    outHeight,
    outWidth,
  };
  const out = emptyLike(dtype, [batch, outHeight, outWidth, channels * multiplier]);
  getBackend().depthwiseConv({ ...g, x: x.data as FloatArray, kernel: kernel.data as FloatArray, out: out.data as FloatArray, multiplier });
  return record([x, kernel], out, (dy, needs) => {
    const dx = needs[0] ? emptyLike(dtype, x.shape) : null;
    const dKernel = needs[1] ? emptyLike(dtype, kernel.shape) : null;
    getBackend().depthwiseConvBackward({
      ...g,
      x: x.data as FloatArray,
      kernel: kernel.data as FloatArray,
      dy: dy.data as FloatArray,
      dx: dx ? (dx.data as FloatArray) : null,
      dKernel: dKernel ? (dKernel.data as FloatArray) : null,
      multiplier,
    });
    return [dx, dKernel];
  });
}
