/**
 * Reference kernels for convolution and pooling on channels-last images:
 * image-to-columns and its adjoint, and max and average pooling with their
 * gradients. Every loop visits windows in the same order, so float32 and
 * float64 results differ only by rounding.
 */

import type { Col2imArgs, Im2colArgs, PoolArgs, PoolBackwardArgs, WindowGeometry } from "../backend.js";

/** Input row (or column) read by window element `k` of output position `o`. */
function inputIndex(o: number, stride: number, pad: number, k: number, dilation: number): number {
  return o * stride - pad + k * dilation;
}

export function im2col(args: Im2colArgs): void {
  const { x, cols, batch, height, width, channels, channelOffset, groupChannels } = args;
  const { windowHeight, windowWidth, strideHeight, strideWidth, dilationHeight, dilationWidth, padTop, padLeft, outHeight, outWidth } = args;
  let col = 0;
  for (let n = 0; n < batch; n++) {
    for (let oh = 0; oh < outHeight; oh++) {
      for (let ow = 0; ow < outWidth; ow++) {
        for (let kh = 0; kh < windowHeight; kh++) {
          const ih = inputIndex(oh, strideHeight, padTop, kh, dilationHeight);
          for (let kw = 0; kw < windowWidth; kw++) {
            const iw = inputIndex(ow, strideWidth, padLeft, kw, dilationWidth);
            if (ih < 0 || ih >= height || iw < 0 || iw >= width) {
              cols.fill(0, col, col + groupChannels);
            } else {
              const base = ((n * height + ih) * width + iw) * channels + channelOffset;
              for (let c = 0; c < groupChannels; c++) cols[col + c] = x[base + c]!;
            }
            col += groupChannels;
          }
        }
      }
    }
  }
}

export function col2im(args: Col2imArgs): void {
  const { cols, dx, batch, height, width, channels, channelOffset, groupChannels } = args;
  const { windowHeight, windowWidth, strideHeight, strideWidth, dilationHeight, dilationWidth, padTop, padLeft, outHeight, outWidth } = args;
  for (let p = 0; p < batch * height * width; p++) {
    dx.fill(0, p * channels + channelOffset, p * channels + channelOffset + groupChannels);
  }
  let col = 0;
  for (let n = 0; n < batch; n++) {
    for (let oh = 0; oh < outHeight; oh++) {
      for (let ow = 0; ow < outWidth; ow++) {
        for (let kh = 0; kh < windowHeight; kh++) {
          const ih = inputIndex(oh, strideHeight, padTop, kh, dilationHeight);
          for (let kw = 0; kw < windowWidth; kw++) {
            const iw = inputIndex(ow, strideWidth, padLeft, kw, dilationWidth);
            if (ih >= 0 && ih < height && iw >= 0 && iw < width) {
              const base = ((n * height + ih) * width + iw) * channels + channelOffset;
              for (let c = 0; c < groupChannels; c++) dx[base + c]! += cols[col + c]!;
            }
            col += groupChannels;
          }
        }
      }
    }
  }
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
  for (let n = 0; n < g.batch; n++) {
    for (let oh = 0; oh < g.outHeight; oh++) {
      for (let ow = 0; ow < g.outWidth; ow++) {
        const outputBase = ((n * g.outHeight + oh) * g.outWidth + ow) * g.channels;
        startWindow(outputBase);
        let count = 0;
        for (let kh = 0; kh < g.windowHeight; kh++) {
          const ih = inputIndex(oh, g.strideHeight, g.padTop, kh, g.dilationHeight);
          if (ih < 0 || ih >= g.height) continue;
          for (let kw = 0; kw < g.windowWidth; kw++) {
            const iw = inputIndex(ow, g.strideWidth, g.padLeft, kw, g.dilationWidth);
            if (iw < 0 || iw >= g.width) continue;
            visit(((n * g.height + ih) * g.width + iw) * g.channels, outputBase);
            count++;
          }
        }
        endWindow(outputBase, count);
      }
    }
  }
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
