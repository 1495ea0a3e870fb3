/** Argument checks and shape arithmetic shared by the convolution and pooling layers. */

import { ShapeError, ValueError, formatChoices, formatShape } from "../errors.js";
import { type AxisPadding, dilatedSize, samePadding, slidingOutputLength } from "../ops/conv.js";
import { didYouMean } from "../utils/suggest.js";
import type { SymbolicShape } from "./layer.js";

export type PaddingMode = "valid" | "same" | "causal";
export type DataFormat = "channels_last" | "channels_first";

/**
 * Returns `value` as an array of `rank` integers: a single integer is
 * repeated, an array must have `rank` integer entries. Entries must be at
 * least 1, or at least 0 with `allowZero`.
 */
export function normalizeTuple(value: unknown, rank: number, argument: string, owner: string, allowZero = false): number[] {
  const minimum = allowZero ? 0 : 1;
  const entries = typeof value === "number" ? new Array<unknown>(rank).fill(value) : value;
  const valid =
    Array.isArray(entries) &&
    entries.length === rank &&
    entries.every((v) => typeof v === "number" && Number.isInteger(v) && v >= minimum);
  if (!valid) {
    const expected = rank === 1 ? "an integer" : `an integer or an array of ${rank} integers`;
    throw new ValueError(
      `Invalid \`${argument}\` for ${owner}: expected ${expected}, each at least ${minimum}, received ${JSON.stringify(value)}.`,
    );
  }
  return entries as number[];
}

/** Returns the padding mode in lower case, or throws a ValueError listing the allowed ones. */
export function normalizePadding(value: unknown, allowed: readonly PaddingMode[], owner: string): PaddingMode {
  const mode = typeof value === "string" ? value.toLowerCase() : value;
  if (typeof mode !== "string" || !(allowed as readonly string[]).includes(mode)) {
    const hint = typeof mode === "string" ? didYouMean(mode, allowed) : "";
    throw new ValueError(
      `Invalid \`padding\` for ${owner}: expected one of ${formatChoices(allowed)}, received ${JSON.stringify(value)}.${hint}`,
    );
  }
  return mode as PaddingMode;
}

/** Checks `dataFormat`: only channels_last (the default) is supported. */
export function checkDataFormat(value: unknown, owner: string): DataFormat {
  if (value === undefined || value === null || value === "channels_last") return "channels_last";
  if (value === "channels_first") {
    throw new ValueError(
      `Invalid \`dataFormat\` for ${owner}: Stratum supports only "channels_last" (inputs shaped (batch, ..., channels)), received "channels_first". Transpose the data to channels_last instead.`,
    );
  }
  throw new ValueError(`Invalid \`dataFormat\` for ${owner}: expected "channels_last" or "channels_first", received ${JSON.stringify(value)}.`);
}

/** Throws a ShapeError unless `shape` has the rank of a channels-last input with `spatialRank` spatial axes. */
export function checkInputRankFor(shape: readonly (number | null)[], spatialRank: number, owner: string): void {
  if (shape.length !== spatialRank + 2) {
    const layouts = ["(batch, steps, channels)", "(batch, height, width, channels)", "(batch, depth, height, width, channels)"];
    const layout = layouts[spatialRank - 1] ?? `(batch, ${spatialRank} spatial axes, channels)`;
    // A grayscale image or a one-feature sequence often arrives without its channel axis.
    const hint =
      shape.length === spatialRank + 1
        ? ` If the data has one channel, add that axis: Input({ shape: [${shape.slice(1).map((d) => d ?? "null").join(", ")}, 1] }), and reshape the data to match.`
        : "";
    throw new ShapeError(
      `${owner} needs inputs of rank ${spatialRank + 2} ${layout}, received shape ${formatShape(shape)} of rank ${shape.length}.${hint}`,
    );
  }
}

/** Returns the padding of one spatial axis of length `length` for `mode`. */
export function axisPadding(mode: PaddingMode, length: number, window: number, stride: number, dilation: number): AxisPadding {
  if (mode === "same") return samePadding(length, window, stride, dilation);
  // Causal padding puts every padding element before the data, so output t sees inputs up to t only.
  if (mode === "causal") return [dilatedSize(window, dilation) - 1, 0];
  return [0, 0];
}

/** Returns the output length of a convolution or pooling window along one axis, null when the input length is unknown. */
export function windowOutputLength(
  length: number | null,
  mode: PaddingMode,
  window: number,
  stride: number,
  dilation: number,
): number | null {
  if (length === null) return null;
  return slidingOutputLength(length, window, stride, dilation, axisPadding(mode, length, window, stride, dilation));
}

export interface TransposeAxis {
  /** Output length. */
  length: number;
  /** Padding before the data of the convolution that maps the output back to the input. */
  padBefore: number;
}

/**
 * Returns the output length and padding of one axis of a transposed
 * convolution. The length follows Keras's `compute_conv_transpose_output_shape`,
 * and the padding matches the placement of Keras 3.15.1's JAX backend
 * (`compute_conv_transpose_padding_args_for_jax`).
 */
export function transposeAxis(
  length: number,
  mode: "valid" | "same",
  window: number,
  stride: number,
  dilation: number,
  outputPadding: number | null,
): TransposeAxis {
  const extent = dilatedSize(window, dilation);
  let outLength: number;
  let leftPad: number;
  if (mode === "valid") {
    outLength = outputPadding === null ? length * stride + Math.max(extent - stride, 0) : (length - 1) * stride + extent + outputPadding;
    leftPad = extent - 1;
  } else {
    outLength = outputPadding === null ? length * stride : (length - 1) * stride + extent - 2 * Math.floor(extent / 2) + outputPadding;
    const total = outputPadding === null ? stride + extent - 2 : extent + (extent % 2) - 2 + outputPadding;
    leftPad = Math.min(Math.floor(total / 2) + (total % 2), extent - 1);
  }
  // JAX pads the stride-dilated input by leftPad before a stride-1 convolution with the flipped
  // kernel; in the adjoint form that is a padding of extent − 1 − leftPad before the output.
  return { length: outLength, padBefore: extent - 1 - leftPad };
}

/** Throws a ValueError when both strides and dilation exceed 1, which Keras rejects too. */
export function checkStridesWithDilation(strides: readonly number[], dilation: readonly number[], owner: string): void {
  if (Math.max(...strides) > 1 && Math.max(...dilation) > 1) {
    throw new ValueError(
      `Invalid arguments for ${owner}: strides above 1 cannot be combined with dilationRate above 1, received strides ${JSON.stringify(strides)} and dilationRate ${JSON.stringify(dilation)}.`,
    );
  }
}

/** Returns the shape with the known spatial axes replaced by `lengths`. */
export function spatialShape(inputShape: SymbolicShape, lengths: (number | null)[], channels: number | null): SymbolicShape {
  return [inputShape[0] ?? null, ...lengths, channels];
}

/** Returns the channel count (the last axis) of a channels-last input shape, which must be known. */
export function knownChannels(inputShape: SymbolicShape, spatialRank: number, owner: string): number {
  checkInputRankFor(inputShape, spatialRank, owner);
  const channels = inputShape[inputShape.length - 1];
  if (channels === null || channels === undefined) {
    throw new ShapeError(`${owner} needs the channel axis (the last) of its input to be known, received shape ${formatShape(inputShape)}.`);
  }
  return channels;
}

/** The window arguments of a convolution layer, as its error messages show them. */
export interface WindowArguments {
  kernelSize: readonly number[];
  strides: readonly number[];
  dilationRate: readonly number[];
  padding: PaddingMode;
}

/** Throws a ShapeError when a convolution's output `lengths` for inputs of `inputShape` would be empty. */
export function checkOutputLengthsFor(lengths: readonly (number | null)[], inputShape: SymbolicShape, window: WindowArguments, owner: string): void {
  if (lengths.some((d) => d !== null && d <= 0)) {
    throw new ShapeError(
      `${owner}: the output would be empty or negative for inputs of shape ${formatShape(inputShape)} with kernelSize ` +
        `${JSON.stringify(window.kernelSize)}, dilationRate ${JSON.stringify(window.dilationRate)}, strides ${JSON.stringify(window.strides)} ` +
        `and padding "${window.padding}". Use a smaller kernel or "same" padding.`,
    );
  }
}
