/**
 * Checks and encodes the window geometry of the convolution and pooling
 * kernels for the addon, which reads it as an int32 array in the field
 * order of `stratum_window` (native/src/conv.h).
 */

import { ShapeError, ValueError } from "../../errors.js";
import type { WindowGeometry } from "../backend.js";
import { depthAxis } from "../typescript/conv.js";

const WINDOW_FIELDS = [
  "batch",
  "height",
  "width",
  "channels",
  "windowHeight",
  "windowWidth",
  "strideHeight",
  "strideWidth",
  "dilationHeight",
  "dilationWidth",
  "padTop",
  "padLeft",
  "outHeight",
  "outWidth",
] as const satisfies readonly (keyof WindowGeometry)[];

/** The optional depth fields, encoded after the channel slice with the defaults of `depthAxis`. */
const DEPTH_FIELDS = ["depth", "windowDepth", "strideDepth", "dilationDepth", "padFront", "outDepth"] as const satisfies readonly (keyof WindowGeometry)[];

const AT_LEAST_ONE = new Set<string>([
  "windowHeight",
  "windowWidth",
  "strideHeight",
  "strideWidth",
  "dilationHeight",
  "dilationWidth",
  "depth",
  "windowDepth",
  "strideDepth",
  "dilationDepth",
]);

/**
 * Returns the geometry as the addon's int32 array, or throws a ValueError
 * naming the kernel and the first invalid entry. `channelOffset` and
 * `groupChannels` select the channel slice (the whole channel axis for pooling).
 * NOTE: entries are checked one by one, not for consistency with each other.
 * So a geometry with huge batch and outHeight but an empty output still makes
 * the C loops run batch · outHeight empty iterations.
 */
export function encodeWindow(kernel: string, g: WindowGeometry, channelOffset: number, groupChannels: number): Int32Array {
  const d = depthAxis(g);
  const values = [
    ...WINDOW_FIELDS.map((field) => g[field]),
    channelOffset,
    groupChannels,
    ...[d.depth, d.window, d.stride, d.dilation, d.pad, d.out],
  ];
  const names = [...WINDOW_FIELDS, "channelOffset", "groupChannels", ...DEPTH_FIELDS];
  values.forEach((value, i) => {
    const name = names[i]!;
    const minimum = AT_LEAST_ONE.has(name) ? 1 : 0;
    if (!Number.isInteger(value) || value < minimum || value > 0x7fffffff) {
      throw new ValueError(`${kernel}: \`${name}\` must be an integer from ${minimum} to 2147483647, received ${value}.`);
    }
  });
  if (channelOffset + groupChannels > g.channels) {
    throw new ValueError(
      `${kernel}: the channel slice [${channelOffset}, ${channelOffset + groupChannels}) exceeds the ${g.channels} channels of the input.`,
    );
  }
  return Int32Array.from(values);
}

/** Throws a ShapeError unless `array` has exactly `expected` elements, which the geometry implies. */
export function checkLength(kernel: string, argument: string, array: ArrayLike<number>, expected: number): void {
  if (array.length !== expected) {
    throw new ShapeError(`${kernel}: \`${argument}\` must have ${expected} elements for this window geometry, received ${array.length}.`);
  }
}

export const imageSize = (g: WindowGeometry): number => g.batch * (g.depth ?? 1) * g.height * g.width * g.channels;
export const pooledSize = (g: WindowGeometry): number => g.batch * (g.outDepth ?? 1) * g.outHeight * g.outWidth * g.channels;
export const patchSize = (g: WindowGeometry, groupChannels: number): number =>
  g.batch * (g.outDepth ?? 1) * g.outHeight * g.outWidth * (g.windowDepth ?? 1) * g.windowHeight * g.windowWidth * groupChannels;
