/**
 * Differentiable convolution and pooling on channels-last images
 * [batch, height, width, channels]. Convolutions copy every window into a
 * row of patches (im2col) and multiply the patches with the kernel, so they
 * run on the backend's matrix multiply. One-dimensional layers call these
 * ops with height 1.
 */

import { ShapeError, ValueError, formatShape } from "../errors.js";
import type { FusedActivation, WindowGeometry } from "../backend/backend.js";
import { getBackend } from "../backend/registry.js";
import { allocateScratch } from "../backend/workspace.js";
import { record } from "../autodiff/tape.js";
import type { FloatArray, FloatDType } from "../tensor/dtype.js";
import type { Tensor } from "../tensor/tensor.js";
import { add, relu, sigmoid, tanh } from "./elementwise.js";
import { emptyLike, floatDType, sameFloatDType } from "./util.js";

/** Padding before and after one spatial axis, in elements. */
export type AxisPadding = [number, number];

export interface Conv2DOptions {
  strides: [number, number];
  dilationRate: [number, number];
  /** Zero padding of the height and width axes. */
  padding: [AxisPadding, AxisPadding];
  /** Number of channel groups; input channels and filters are split evenly between them. */
  groups: number;
  activation: FusedActivation;
}

export interface Conv2DTransposeOptions {
  strides: [number, number];
  dilationRate: [number, number];
  /**
   * Padding before each axis of the convolution that this op is the transpose of
   * (the convolution from the output back to the input).
   */
  padBefore: [number, number];
  /** Height and width of the output. */
  outputSize: [number, number];
}

export interface Pool2DOptions {
  poolSize: [number, number];
  strides: [number, number];
  /** Padding of the height and width axes; padding positions never win a maximum nor count in a mean. */
  padding: [AxisPadding, AxisPadding];
}

/** Returns the window extent `(size − 1) · dilation + 1` of a dilated kernel. */
export function dilatedSize(size: number, dilation: number): number {
  return (size - 1) * dilation + 1;
}

/** Returns the output length of a window sliding over `length` padded elements (negative when it never fits). */
export function slidingOutputLength(length: number, window: number, stride: number, dilation: number, padding: AxisPadding): number {
  return Math.floor((length + padding[0] + padding[1] - dilatedSize(window, dilation)) / stride) + 1;
}

/**
 * Returns the padding of Keras's "same" mode: the output has ceil(length / stride)
 * elements and the smaller half of the padding goes before the data.
 */
export function samePadding(length: number, window: number, stride: number, dilation: number): AxisPadding {
  const outLength = Math.ceil(length / stride);
  const total = Math.max((outLength - 1) * stride + dilatedSize(window, dilation) - length, 0);
  const before = Math.floor(total / 2);
  return [before, total - before];
}

function checkRank4(x: Tensor, op: string, argument: string, layout: string): void {
  if (x.rank !== 4) {
    throw new ShapeError(`${op} needs ${argument} of rank 4 ${layout}, received shape ${formatShape(x.shape)}.`);
  }
}

function geometry(
  x: Tensor,
  window: [number, number],
  strides: [number, number],
  dilation: [number, number],
  padding: [AxisPadding, AxisPadding],
  op: string,
): WindowGeometry {
  const [batch, height, width, channels] = x.shape as [number, number, number, number];
  const outHeight = slidingOutputLength(height, window[0], strides[0], dilation[0], padding[0]);
  const outWidth = slidingOutputLength(width, window[1], strides[1], dilation[1], padding[1]);
  if (outHeight < 0 || outWidth < 0) {
    throw new ShapeError(
      `${op}: a window of ${formatShape(window)} with dilation ${formatShape(dilation)} does not fit inputs of shape ${formatShape(x.shape)}.`,
    );
  }
  return {
    batch,
    height,
    width,
    channels,
    windowHeight: window[0],
    windowWidth: window[1],
    strideHeight: strides[0],
    strideWidth: strides[1],
    dilationHeight: dilation[0],
    dilationWidth: dilation[1],
    padTop: padding[0][0],
    padLeft: padding[1][0],
    outHeight,
    outWidth,
  };
}

/** Applies a fused activation as separate ops, for convolutions whose kernels do not fuse it. */
export function applyActivation(x: Tensor, activation: FusedActivation): Tensor {
  if (activation === "relu") return relu(x);
  if (activation === "sigmoid") return sigmoid(x);
  if (activation === "tanh") return tanh(x);
  return x;
}

/**
 * activation(conv(x, kernel) + bias) for x of shape [batch, height, width,
 * channels] and a kernel of shape [kernelHeight, kernelWidth, channels / groups,
 * filters]. Returns [batch, outHeight, outWidth, filters].
 */
export function conv2d(x: Tensor, kernel: Tensor, bias: Tensor | null, options: Conv2DOptions): Tensor {
  const dtype = sameFloatDType(x, kernel, "conv2d");
  checkRank4(x, "conv2d", "inputs", "(batch, height, width, channels)");
  checkRank4(kernel, "conv2d", "a kernel", "(height, width, channels / groups, filters)");
  const { groups } = options;
  const [kernelHeight, kernelWidth, groupChannels, filters] = kernel.shape as [number, number, number, number];
  const channels = x.shape[3]!;
  if (groupChannels * groups !== channels || filters % groups !== 0) {
    throw new ShapeError(
      `conv2d with ${groups} group(s) needs a kernel of shape (h, w, ${channels / groups}, filters) with filters divisible by ${groups} ` +
        `for inputs with ${channels} channels, received kernel shape ${formatShape(kernel.shape)}.`,
    );
  }
  if (bias) {
    sameFloatDType(kernel, bias, "conv2d");
    if (bias.rank !== 1 || bias.shape[0] !== filters) {
      throw new ShapeError(`conv2d needs a bias of shape ${formatShape([filters])}, received ${formatShape(bias.shape)}.`);
    }
  }
  const g = geometry(x, [kernelHeight, kernelWidth], options.strides, options.dilationRate, options.padding, "conv2d");
  if (groups === 1) return denseConv(x, kernel, bias, g, options.activation, dtype);
  let y = groupedConv(x, kernel, g, groups, dtype);
  if (bias) y = add(y, bias);
  return applyActivation(y, options.activation);
}

/** Returns the output spatial shape of a geometry: [outDepth, outHeight, outWidth] for volumes, else [outHeight, outWidth]. */
function outputSpatial(g: WindowGeometry): number[] {
  return g.outDepth === undefined ? [g.outHeight, g.outWidth] : [g.outDepth, g.outHeight, g.outWidth];
}

/** Returns the number of output positions of a geometry. */
function outputPositions(g: WindowGeometry): number {
  return g.batch * (g.outDepth ?? 1) * g.outHeight * g.outWidth;
}

/** Returns the number of window elements of a geometry. */
function windowElements(g: WindowGeometry): number {
  return (g.windowDepth ?? 1) * g.windowHeight * g.windowWidth;
}

/**
 * An ungrouped convolution: patches times the kernel in the backend's fused
 * dense kernels. The kernel's last axis is the filters; `g` may describe images or volumes.
 */
export function denseConv(x: Tensor, kernel: Tensor, bias: Tensor | null, g: WindowGeometry, activation: FusedActivation, dtype: FloatDType): Tensor {
  const backend = getBackend();
  const rows = outputPositions(g);
  const patch = windowElements(g) * g.channels;
  const filters = kernel.shape[kernel.rank - 1]!;
  const cols = allocateScratch(dtype, rows * patch, false);
  backend.im2col({ ...g, x: x.data as FloatArray, cols, channelOffset: 0, groupChannels: g.channels });
  const outShape = [g.batch, ...outputSpatial(g), filters];
  const out = emptyLike(dtype, outShape);
  backend.denseForward({
    x: cols,
    kernel: kernel.data as FloatArray,
    bias: bias ? (bias.data as FloatArray) : null,
    out: out.data as FloatArray,
    m: rows,
    k: patch,
    n: filters,
    activation,
  });
  const inputs = bias ? [x, kernel, bias] : [x, kernel];
  return record(inputs, out, (dy, needs) => {
    const backend = getBackend();
    const dCols = needs[0] ? allocateScratch(dtype, rows * patch, false) : null;
    const dKernel = needs[1] ? emptyLike(dtype, kernel.shape) : null;
    const dBias = bias && needs[2] ? emptyLike(dtype, bias.shape) : null;
    const dPre = activation === "linear" ? dy.data : emptyLike(dtype, outShape).data;
    backend.denseBackward({
      x: cols,
      kernel: kernel.data as FloatArray,
      y: out.data as FloatArray,
      dy: dy.data as FloatArray,
      dPre: dPre as FloatArray,
      dx: dCols,
      dKernel: dKernel ? (dKernel.data as FloatArray) : null,
      dBias: dBias ? (dBias.data as FloatArray) : null,
      m: rows,
      k: patch,
      n: filters,
      activation,
    });
    let dx: Tensor | null = null;
    if (dCols) {
      dx = emptyLike(dtype, x.shape);
      backend.col2im({ ...g, cols: dCols, dx: dx.data as FloatArray, channelOffset: 0, groupChannels: g.channels });
    }
    return [dx, dKernel, dBias];
  });
}

/**
 * Copies `width` columns starting at `fromColumn` of a row-major matrix with
 * `fromStride` columns into columns from `toColumn` of one with `toStride` columns.
 */
function copyColumns(
  from: FloatArray,
  fromStride: number,
  fromColumn: number,
  to: FloatArray,
  toStride: number,
  toColumn: number,
  rows: number,
  width: number,
): void {
  for (let r = 0; r < rows; r++) {
    const start = r * fromStride + fromColumn;
    to.set(from.subarray(start, start + width), r * toStride + toColumn);
  }
}

/**
 * A grouped convolution without bias or activation: group i multiplies the
 * patches of its channel slice with its slice of the kernel's filters.
 */
export function groupedConv(x: Tensor, kernel: Tensor, g: WindowGeometry, groups: number, dtype: FloatDType): Tensor {
  const backend = getBackend();
  const rows = outputPositions(g);
  const groupChannels = g.channels / groups;
  const patch = windowElements(g) * groupChannels;
  const filters = kernel.shape[kernel.rank - 1]!;
  const groupFilters = filters / groups;
  const kernelData = kernel.data as FloatArray;
  const out = emptyLike(dtype, [g.batch, ...outputSpatial(g), filters]);
  const groupOut = allocateScratch(dtype, rows * groupFilters, false);
  const groupCols: FloatArray[] = [];
  const groupKernels: FloatArray[] = [];
  for (let i = 0; i < groups; i++) {
    const cols = allocateScratch(dtype, rows * patch, false);
    backend.im2col({ ...g, x: x.data as FloatArray, cols, channelOffset: i * groupChannels, groupChannels });
    const groupKernel = allocateScratch(dtype, patch * groupFilters, false);
    copyColumns(kernelData, filters, i * groupFilters, groupKernel, groupFilters, 0, patch, groupFilters);
    backend.matmul(cols, groupKernel, groupOut, rows, patch, groupFilters, false, false);
    copyColumns(groupOut, groupFilters, 0, out.data as FloatArray, filters, i * groupFilters, rows, groupFilters);
    groupCols.push(cols);
    groupKernels.push(groupKernel);
  }
  return record([x, kernel], out, (dy, needs) => {
    const backend = getBackend();
    const dx = needs[0] ? emptyLike(dtype, x.shape) : null;
    const dKernel = needs[1] ? emptyLike(dtype, kernel.shape) : null;
    const groupDy = allocateScratch(dtype, rows * groupFilters, false);
    const dCols = dx ? allocateScratch(dtype, rows * patch, false) : null;
    const groupDKernel = dKernel ? allocateScratch(dtype, patch * groupFilters, false) : null;
    for (let i = 0; i < groups; i++) {
      copyColumns(dy.data as FloatArray, filters, i * groupFilters, groupDy, groupFilters, 0, rows, groupFilters);
      if (dx && dCols) {
        backend.matmul(groupDy, groupKernels[i]!, dCols, rows, groupFilters, patch, false, true);
        backend.col2im({ ...g, cols: dCols, dx: dx.data as FloatArray, channelOffset: i * groupChannels, groupChannels });
      }
      if (dKernel && groupDKernel) {
        backend.matmul(groupCols[i]!, groupDy, groupDKernel, patch, rows, groupFilters, true, false);
        copyColumns(groupDKernel, groupFilters, 0, dKernel.data as FloatArray, filters, i * groupFilters, patch, groupFilters);
      }
    }
    return [dx, dKernel];
  });
}

/**
 * The transpose (adjoint) of a convolution, for x of shape [batch, height,
 * width, channels] and a kernel of shape [kernelHeight, kernelWidth, filters,
 * channels]. Returns [batch, outputSize[0], outputSize[1], filters], whose
 * convolution with the same kernel, strides, dilation and `padBefore` has x's
 * spatial shape. Bias and activation are separate ops.
 */
export function conv2dTranspose(x: Tensor, kernel: Tensor, options: Conv2DTransposeOptions): Tensor {
  const dtype = sameFloatDType(x, kernel, "conv2dTranspose");
  checkRank4(x, "conv2dTranspose", "inputs", "(batch, height, width, channels)");
  checkRank4(kernel, "conv2dTranspose", "a kernel", "(height, width, filters, channels)");
  const [batch, inHeight, inWidth, channels] = x.shape as [number, number, number, number];
  const [kernelHeight, kernelWidth, filters, kernelChannels] = kernel.shape as [number, number, number, number];
  if (kernelChannels !== channels) {
    throw new ShapeError(
      `conv2dTranspose needs a kernel whose last axis is the ${channels} input channels, received kernel shape ${formatShape(kernel.shape)}.`,
    );
  }
  const [outHeight, outWidth] = options.outputSize;
  const g: WindowGeometry = {
    batch,
    height: outHeight,
    width: outWidth,
    channels: filters,
    windowHeight: kernelHeight,
    windowWidth: kernelWidth,
    strideHeight: options.strides[0],
    strideWidth: options.strides[1],
    dilationHeight: options.dilationRate[0],
    dilationWidth: options.dilationRate[1],
    padTop: options.padBefore[0],
    padLeft: options.padBefore[1],
    outHeight: inHeight,
    outWidth: inWidth,
  };
  if (g.padTop < 0 || g.padLeft < 0) {
    throw new ValueError(`conv2dTranspose needs non-negative padding, received ${formatShape(options.padBefore)}.`);
  }
  return transposeConv(x, kernel, g, dtype);
}

/**
 * The transpose of the convolution described by `g`, whose input is this op's
 * output and whose output positions are the positions of `x`. The kernel is
 * [...window, filters, channels]; `g` may describe images or volumes.
 */
export function transposeConv(x: Tensor, kernel: Tensor, g: WindowGeometry, dtype: FloatDType): Tensor {
  const channels = x.shape[x.rank - 1]!;
  const filters = g.channels;
  const backend = getBackend();
  const rows = x.size / channels;
  const patch = kernel.size / channels;
  const kernelData = kernel.data as FloatArray;
  const cols = allocateScratch(dtype, rows * patch, false);
  backend.matmul(x.data as FloatArray, kernelData, cols, rows, channels, patch, false, true);
  const spatial = g.depth === undefined ? [g.height, g.width] : [g.depth, g.height, g.width];
  const out = emptyLike(dtype, [g.batch, ...spatial, filters]);
  backend.col2im({ ...g, cols, dx: out.data as FloatArray, channelOffset: 0, groupChannels: filters });
  return record([x, kernel], out, (dy, needs) => {
    const backend = getBackend();
    const dCols = allocateScratch(dtype, rows * patch, false);
    backend.im2col({ ...g, x: dy.data as FloatArray, cols: dCols, channelOffset: 0, groupChannels: filters });
    let dx: Tensor | null = null;
    let dKernel: Tensor | null = null;
    if (needs[0]) {
      dx = emptyLike(dtype, x.shape);
      backend.matmul(dCols, kernelData, dx.data as FloatArray, rows, patch, channels, false, false);
    }
    if (needs[1]) {
      dKernel = emptyLike(dtype, kernel.shape);
      backend.matmul(dCols, x.data as FloatArray, dKernel.data as FloatArray, patch, rows, channels, true, false);
    }
    return [dx, dKernel];
  });
}

function pool2d(x: Tensor, options: Pool2DOptions, kind: "max" | "average"): Tensor {
  const op = kind === "max" ? "maxPool2d" : "averagePool2d";
  floatDType(x, op);
  checkRank4(x, op, "inputs", "(batch, height, width, channels)");
  const g = geometry(x, options.poolSize, options.strides, [1, 1], options.padding, op);
  return poolWindows(x, g, kind);
}

/** Max or average pooling over the windows of `g`, which may describe images or volumes. */
export function poolWindows(x: Tensor, g: WindowGeometry, kind: "max" | "average"): Tensor {
  const dtype = x.dtype as FloatDType;
  const out = emptyLike(dtype, [g.batch, ...outputSpatial(g), g.channels]);
  const backend = getBackend();
  if (kind === "max") backend.maxPool({ ...g, x: x.data as FloatArray, out: out.data as FloatArray });
  else backend.avgPool({ ...g, x: x.data as FloatArray, out: out.data as FloatArray });
  return record([x], out, (dy) => {
    const dx = emptyLike(dtype, x.shape);
    const args = { ...g, x: x.data as FloatArray, dy: dy.data as FloatArray, dx: dx.data as FloatArray };
    if (kind === "max") getBackend().maxPoolBackward(args);
    else getBackend().avgPoolBackward(args);
    return [dx];
  });
}

/** Maximum over windows of x [batch, height, width, channels]; returns [batch, outHeight, outWidth, channels]. */
export function maxPool2d(x: Tensor, options: Pool2DOptions): Tensor {
  return pool2d(x, options, "max");
}

/** Mean over windows of x, counting only positions inside the image. */
export function averagePool2d(x: Tensor, options: Pool2DOptions): Tensor {
  return pool2d(x, options, "average");
}
