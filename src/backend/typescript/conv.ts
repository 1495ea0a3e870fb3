/**
 * Reference kernels for convolution and pooling on channels-last images and
 * volumes: image-to-columns and its adjoint, max and average pooling with
 * their gradients, and depthwise convolution. Every loop visits windows in
 * the same order, so float32 and float64 results differ only by rounding.
 */

import type {
  Col2imArgs,
  DepthwiseConvArgs,
  DepthwiseConvBackwardArgs,
  Im2colArgs,
  PoolArgs,
  PoolBackwardArgs,
  WindowGeometry,
} from "../backend.js";

/** Input row (or column) read by window element `k` of output position `o`. */
function inputIndex(o: number, stride: number, pad: number, k: number, dilation: number): number {
  return o * stride - pad + k * dilation;
}

/** The depth fields of a geometry, with the defaults of a two-dimensional window. */
interface DepthAxis {
  depth: number;
  window: number;
  stride: number;
  dilation: number;
  pad: number;
  out: number;
}

export function depthAxis(g: WindowGeometry): DepthAxis {
  return {
    depth: g.depth ?? 1,
    window: g.windowDepth ?? 1,
    stride: g.strideDepth ?? 1,
    dilation: g.dilationDepth ?? 1,
    pad: g.padFront ?? 0,
    out: g.outDepth ?? 1,
  };
}

/**
 * Calls `visit(offset, inside)` for every window element of every output
 * position in row-major order: output (n, od, oh, ow), then window element
 * (kd, kh, kw). `offset` is the element's input offset of channel 0 and
 * `inside` is false for a padding position (whose offset is meaningless).
 */
function forEachPatchEntry(g: WindowGeometry, visit: (offset: number, inside: boolean) => void): void {
  const d = depthAxis(g);
  for (let n = 0; n < g.batch; n++) {
    for (let od = 0; od < d.out; od++) {
      for (let oh = 0; oh < g.outHeight; oh++) {
        for (let ow = 0; ow < g.outWidth; ow++) {
          for (let kd = 0; kd < d.window; kd++) {
            const id = inputIndex(od, d.stride, d.pad, kd, d.dilation);
            for (let kh = 0; kh < g.windowHeight; kh++) {
              const ih = inputIndex(oh, g.strideHeight, g.padTop, kh, g.dilationHeight);
              for (let kw = 0; kw < g.windowWidth; kw++) {
                const iw = inputIndex(ow, g.strideWidth, g.padLeft, kw, g.dilationWidth);
                const inside = id >= 0 && id < d.depth && ih >= 0 && ih < g.height && iw >= 0 && iw < g.width;
                visit(inside ? (((n * d.depth + id) * g.height + ih) * g.width + iw) * g.channels : 0, inside);
              }
            }
          }
        }
      }
    }
  }
}

export function im2col(args: Im2colArgs): void {
  const { x, cols, channelOffset, groupChannels } = args;
  let col = 0;
  forEachPatchEntry(args, (offset, inside) => {
    if (!inside) {
      cols.fill(0, col, col + groupChannels);
    } else {
      const base = offset + channelOffset;
      for (let c = 0; c < groupChannels; c++) cols[col + c] = x[base + c]!;
    }
    col += groupChannels;
  });
}

export function col2im(args: Col2imArgs): void {
  const { cols, dx, channels, channelOffset, groupChannels } = args;
  const positions = args.batch * depthAxis(args).depth * args.height * args.width;
  for (let p = 0; p < positions; p++) {
    dx.fill(0, p * channels + channelOffset, p * channels + channelOffset + groupChannels);
  }
  let col = 0;
  forEachPatchEntry(args, (offset, inside) => {
    if (inside) {
      const base = offset + channelOffset;
      for (let c = 0; c < groupChannels; c++) dx[base + c]! += cols[col + c]!;
    }
    col += groupChannels;
  });
}

/**
 * Calls `visit(inputBase, outputBase)` for every window position inside the
 * image, window by window in row-major order. Bases are offsets of channel 0.
 * `startWindow` and `endWindow` run before and after each output position
 * with the number of positions the window covered.
 */
function forEachWindow(
  g: WindowGeometry,
  startWindow: (outputBase: number) => void,
  visit: (inputBase: number, outputBase: number) => void,
  endWindow: (outputBase: number, count: number) => void,
): void {
  const windowSize = (g.windowDepth ?? 1) * g.windowHeight * g.windowWidth;
  let entry = 0;
  let outputBase = 0;
  let count = 0;
  forEachPatchEntry(g, (offset, inside) => {
    if (entry === 0) {
      startWindow(outputBase);
      count = 0;
    }
    if (inside) {
      visit(offset, outputBase);
      count++;
    }
    entry++;
    if (entry === windowSize) {
      endWindow(outputBase, count);
      entry = 0;
      outputBase += g.channels;
    }
  });
}

export function maxPool(args: PoolArgs): void {
  const { x, out, channels } = args;
  forEachWindow(
    args,
    (o) => out.fill(-Infinity, o, o + channels),
    (i, o) => {
      for (let c = 0; c < channels; c++) {
        const v = x[i + c]!;
        if (v > out[o + c]!) out[o + c] = v;
      }
    },
    () => {},
  );
}

export function maxPoolBackward(args: PoolBackwardArgs): void {
  const { x, dy, dx, channels } = args;
  dx.fill(0);
  const best = new Float64Array(channels);
  const bestIndex = new Int32Array(channels);
  forEachWindow(
    args,
    () => {
      best.fill(-Infinity);
      bestIndex.fill(-1);
    },
    (i) => {
      for (let c = 0; c < channels; c++) {
        const v = x[i + c]!;
        if (v > best[c]! || bestIndex[c] === -1) {
          best[c] = v;
          bestIndex[c] = i + c;
        }
      }
    },
    (o) => {
      for (let c = 0; c < channels; c++) {
        if (bestIndex[c]! >= 0) dx[bestIndex[c]!]! += dy[o + c]!;
      }
    },
  );
}

export function avgPool(args: PoolArgs): void {
  const { x, out, channels } = args;
  forEachWindow(
    args,
    (o) => out.fill(0, o, o + channels),
    (i, o) => {
      for (let c = 0; c < channels; c++) out[o + c]! += x[i + c]!;
    },
    (o, count) => {
      for (let c = 0; c < channels; c++) out[o + c]! /= count;
    },
  );
}

export function avgPoolBackward(args: PoolBackwardArgs): void {
  const { dy, dx, channels } = args;
  dx.fill(0);
  // The divisor, the number of positions inside the image, is known only at the end of a window,
  // so the positions are collected first.
  const positions: number[] = [];
  forEachWindow(
    args,
    () => {
      positions.length = 0;
    },
    (i) => {
      positions.push(i);
    },
    (o, count) => {
      for (const i of positions) {
        for (let c = 0; c < channels; c++) dx[i + c]! += dy[o + c]! / count;
      }
    },
  );
}

/** Throws unless the geometry is two-dimensional, which the depthwise kernels require. */
function checkNoDepth(g: WindowGeometry, kernel: string): void {
  const d = depthAxis(g);
  if (d.depth !== 1 || d.window !== 1 || d.out !== 1 || d.pad !== 0) {
    throw new RangeError(`${kernel} supports images only, received a geometry with a depth axis.`);
  }
}

export function depthwiseConv(args: DepthwiseConvArgs): void {
  checkNoDepth(args, "depthwiseConv");
  const { x, kernel, out, channels, multiplier } = args;
  const outChannels = channels * multiplier;
  const windowSize = args.windowHeight * args.windowWidth;
  let entry = 0;
  let outputBase = 0;
  out.fill(0);
  forEachPatchEntry(args, (offset, inside) => {
    if (inside) {
      const kernelBase = entry * outChannels;
      for (let c = 0; c < channels; c++) {
        const v = x[offset + c]!;
        for (let j = 0; j < multiplier; j++) out[outputBase + c * multiplier + j]! += v * kernel[kernelBase + c * multiplier + j]!;
      }
    }
    entry++;
    if (entry === windowSize) {
      entry = 0;
      outputBase += outChannels;
    }
  });
}

export function depthwiseConvBackward(args: DepthwiseConvBackwardArgs): void {
  checkNoDepth(args, "depthwiseConvBackward");
  const { x, kernel, dy, dx, dKernel, channels, multiplier } = args;
  const outChannels = channels * multiplier;
  const windowSize = args.windowHeight * args.windowWidth;
  let entry = 0;
  let outputBase = 0;
  dx?.fill(0);
  dKernel?.fill(0);
  forEachPatchEntry(args, (offset, inside) => {
    if (inside) {
      const kernelBase = entry * outChannels;
      for (let c = 0; c < channels; c++) {
        let sum = 0;
        for (let j = 0; j < multiplier; j++) {
          const g = dy[outputBase + c * multiplier + j]!;
          sum += g * kernel[kernelBase + c * multiplier + j]!;
          if (dKernel) dKernel[kernelBase + c * multiplier + j]! += g * x[offset + c]!;
        }
        if (dx) dx[offset + c]! += sum;
      }
    }
    entry++;
    if (entry === windowSize) {
      entry = 0;
      outputBase += outChannels;
    }
  });
}
