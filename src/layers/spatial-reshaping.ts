/** Cropping, zero-padding and upsampling layers for 1-, 2- and 3-D inputs. */

import { ShapeError, ValueError, formatChoices, formatShape } from "../errors.js";
import { padOrCrop, repeatElements, resizeLinear } from "../ops/spatial.js";
import type { Tensor } from "../tensor/tensor.js";
import type { DataFormat } from "./conv_utils.js";
import { BASE_LAYER_OPTIONS, type CallOptions, Layer, type LayerOptions, type SymbolicShape, baseOptionsFromConfig } from "./layer.js";

type Pair = [number, number];

/** Spatial axes of a rank-(spatialRank + 2) input in `dataFormat`. */
function spatialAxes(spatialRank: number, dataFormat: DataFormat): number[] {
  const first = dataFormat === "channels_last" ? 1 : 2;
  return Array.from({ length: spatialRank }, (_, i) => first + i);
}

function parseDataFormat(value: unknown, owner: string): DataFormat {
  if (value === undefined || value === null) return "channels_last";
  if (value !== "channels_last" && value !== "channels_first") {
    throw new ValueError(`Invalid \`dataFormat\` for ${owner}: expected "channels_last" or "channels_first", received ${JSON.stringify(value)}.`);
  }
  return value;
}

function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0;
}

/**
 * Reads Keras's per-axis amounts: one integer for every end of every axis,
 * one integer or [before, after] per axis, or (for one spatial axis) a
 * plain [before, after]. Amounts must be non-negative integers.
 */
function parseAmounts(value: unknown, spatialRank: number, argument: string, owner: string): Pair[] {
  const fail = (): never => {
    const perAxis = spatialRank === 1 ? "[before, after]" : `an array of ${spatialRank} entries, each an integer or [before, after]`;
    throw new ValueError(
      `Invalid \`${argument}\` for ${owner}: expected a non-negative integer or ${perAxis}, received ${JSON.stringify(value)}.`,
    );
  };
  if (isCount(value)) return Array.from({ length: spatialRank }, () => [value, value] as Pair);
  if (!Array.isArray(value)) return fail();
  if (spatialRank === 1) {
    if (value.length !== 2 || !value.every(isCount)) return fail();
    return [[value[0] as number, value[1] as number]];
  }
  if (value.length !== spatialRank) return fail();
  return value.map((entry: unknown) => {
    if (isCount(entry)) return [entry, entry] as Pair;
    if (Array.isArray(entry) && entry.length === 2 && entry.every(isCount)) return [entry[0], entry[1]] as Pair;
    return fail();
  });
}

/** Throws a ShapeError unless `shape` has rank spatialRank + 2. */
function checkRank(shape: readonly (number | null)[], spatialRank: number, layer: Layer): void {
  if (shape.length !== spatialRank + 2) {
    throw new ShapeError(
      `Layer "${layer.name}" (${layer.className}) needs inputs of rank ${spatialRank + 2} (batch, ${spatialRank} spatial axes, channels), ` +
        `received shape ${formatShape(shape)} of rank ${shape.length}.`,
    );
  }
}

/** Base of the layers that change the spatial axes of channels-last or channels-first inputs without weights. */
abstract class SpatialLayer extends Layer {
  readonly dataFormat: DataFormat;

  constructor(
    options: LayerOptions & { dataFormat?: DataFormat | null },
    allowedOptions: readonly string[],
    protected readonly spatialRank: number,
  ) {
    super(options, allowedOptions);
    this.dataFormat = parseDataFormat(options.dataFormat, `layer "${this.name}" (${this.className})`);
  }

  protected get axes(): number[] {
    return spatialAxes(this.spatialRank, this.dataFormat);
  }

  protected override checkInputRank(shape: readonly number[]): void {
    checkRank(shape, this.spatialRank, this);
  }

  override build(inputShape: SymbolicShape): void {
    checkRank(inputShape, this.spatialRank, this);
    super.build(inputShape);
  }

  /** Returns the new length of spatial axis `index` (in 0 .. spatialRank − 1) of length `length`. */
  protected abstract spatialLength(index: number, length: number): number;

  override computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    checkRank(inputShape, this.spatialRank, this);
    const output = [...inputShape];
    this.axes.forEach((axis, i) => {
      const length = inputShape[axis];
      output[axis] = length === null || length === undefined ? null : this.spatialLength(i, length);
    });
    return output;
  }
}

export interface CroppingOptions extends LayerOptions {
  /**
   * Positions to remove from each end of each spatial axis: one integer for
   * all, one integer or [before, after] per axis, or [before, after] for
   * Cropping1D. Defaults: 1 for Cropping1D and Cropping3D, 0 for Cropping2D.
   */
  cropping?: number | Pair | (number | Pair)[];
  /** Layout of the input (default "channels_last"); Cropping1D has none. */
  dataFormat?: DataFormat | null;
}

/** Base of Cropping1D/2D/3D: removes positions from the ends of each spatial axis. */
abstract class Cropping extends SpatialLayer {
  readonly cropping: Pair[];

  constructor(options: CroppingOptions, spatialRank: number, defaultCropping: number) {
    const allowed = [...BASE_LAYER_OPTIONS, "cropping", ...(spatialRank === 1 ? [] : ["dataFormat"])];
    super(options, allowed, spatialRank);
    this.cropping = parseAmounts(options.cropping ?? defaultCropping, spatialRank, "cropping", `layer "${this.name}" (${this.className})`);
  }

  protected spatialLength(index: number, length: number): number {
    const [before, after] = this.cropping[index]!;
    if (before + after >= length) {
      throw new ShapeError(
        `Layer "${this.name}" (${this.className}) crops ${before} + ${after} positions from a spatial axis of length ${length}; ` +
          `the cropping must leave at least one position.`,
      );
    }
    return length - before - after;
  }

  call(inputs: Tensor, _options: CallOptions): Tensor {
    const widths: Pair[] = inputs.shape.map(() => [0, 0]);
    this.axes.forEach((axis, i) => {
      this.spatialLength(i, inputs.shape[axis]!);
      const [before, after] = this.cropping[i]!;
      widths[axis] = [-before, -after];
    });
    return padOrCrop(inputs, widths);
  }

  override getConfig(): Record<string, unknown> {
    const cropping = this.spatialRank === 1 ? [...this.cropping[0]!] : this.cropping.map((p) => [...p]);
    return { ...super.getConfig(), cropping, ...(this.spatialRank === 1 ? {} : { data_format: this.dataFormat }) };
  }
}

function croppingOptions(config: Record<string, unknown>, className: string, spatialRank: number): CroppingOptions {
  const keys = ["cropping", ...(spatialRank === 1 ? [] : ["data_format"])];
  const options: CroppingOptions = baseOptionsFromConfig(config, className, keys);
  if (config["cropping"] !== undefined) options.cropping = config["cropping"] as Pair;
  if (config["data_format"] !== undefined) options.dataFormat = config["data_format"] as DataFormat | null;
  return options;
}

/** Removes steps from the start and end of (batch, steps, channels) inputs. */
export class Cropping1D extends Cropping {
  constructor(options: CroppingOptions = {}) {
    super(options, 1, 1);
  }

  override get className(): string {
    return "Cropping1D";
  }

  static fromConfig(config: Record<string, unknown>): Cropping1D {
    return new Cropping1D(croppingOptions(config, "Cropping1D", 1));
  }
}

/** Removes rows and columns from the edges of images. */
export class Cropping2D extends Cropping {
  constructor(options: CroppingOptions = {}) {
    super(options, 2, 0);
  }

  override get className(): string {
    return "Cropping2D";
  }

  static fromConfig(config: Record<string, unknown>): Cropping2D {
    return new Cropping2D(croppingOptions(config, "Cropping2D", 2));
  }
}

/** Removes positions from the faces of volumes (batch, depth, height, width, channels). */
export class Cropping3D extends Cropping {
  constructor(options: CroppingOptions = {}) {
    super(options, 3, 1);
  }

  override get className(): string {
    return "Cropping3D";
  }

  static fromConfig(config: Record<string, unknown>): Cropping3D {
    return new Cropping3D(croppingOptions(config, "Cropping3D", 3));
  }
}

export interface ZeroPaddingOptions extends LayerOptions {
  /**
   * Zeros to add at each end of each spatial axis: one integer for all, one
   * integer or [before, after] per axis, or [before, after] for
   * ZeroPadding1D (default 1).
   */
  padding?: number | Pair | (number | Pair)[];
  /** Layout of the input (default "channels_last"). */
  dataFormat?: DataFormat | null;
}

/** Base of ZeroPadding1D/2D/3D: adds zeros at the ends of each spatial axis. */
abstract class ZeroPadding extends SpatialLayer {
  readonly padding: Pair[];

  constructor(options: ZeroPaddingOptions, spatialRank: number) {
    super(options, [...BASE_LAYER_OPTIONS, "padding", "dataFormat"], spatialRank);
    this.padding = parseAmounts(options.padding ?? 1, spatialRank, "padding", `layer "${this.name}" (${this.className})`);
  }

  protected spatialLength(index: number, length: number): number {
    const [before, after] = this.padding[index]!;
    return length + before + after;
  }

  call(inputs: Tensor, _options: CallOptions): Tensor {
    const widths: Pair[] = inputs.shape.map(() => [0, 0]);
    this.axes.forEach((axis, i) => (widths[axis] = [...this.padding[i]!]));
    return padOrCrop(inputs, widths);
  }

  override getConfig(): Record<string, unknown> {
    const padding = this.spatialRank === 1 ? [...this.padding[0]!] : this.padding.map((p) => [...p]);
    return { ...super.getConfig(), padding, data_format: this.dataFormat };
  }
}

function paddingOptions(config: Record<string, unknown>, className: string): ZeroPaddingOptions {
  const options: ZeroPaddingOptions = baseOptionsFromConfig(config, className, ["padding", "data_format"]);
  if (config["padding"] !== undefined) options.padding = config["padding"] as Pair;
  if (config["data_format"] !== undefined) options.dataFormat = config["data_format"] as DataFormat | null;
  return options;
}

/** Adds zero steps at the start and end of (batch, steps, channels) inputs. */
export class ZeroPadding1D extends ZeroPadding {
  constructor(options: ZeroPaddingOptions = {}) {
    super(options, 1);
  }

  override get className(): string {
    return "ZeroPadding1D";
  }

  static fromConfig(config: Record<string, unknown>): ZeroPadding1D {
    return new ZeroPadding1D(paddingOptions(config, "ZeroPadding1D"));
  }
}

/** Adds rows and columns of zeros around images. */
export class ZeroPadding2D extends ZeroPadding {
  constructor(options: ZeroPaddingOptions = {}) {
    super(options, 2);
  }

  override get className(): string {
    return "ZeroPadding2D";
  }

  static fromConfig(config: Record<string, unknown>): ZeroPadding2D {
    return new ZeroPadding2D(paddingOptions(config, "ZeroPadding2D"));
  }
}

/** Adds zeros around volumes (batch, depth, height, width, channels). */
export class ZeroPadding3D extends ZeroPadding {
  constructor(options: ZeroPaddingOptions = {}) {
    super(options, 3);
  }

  override get className(): string {
    return "ZeroPadding3D";
  }

  static fromConfig(config: Record<string, unknown>): ZeroPadding3D {
    return new ZeroPadding3D(paddingOptions(config, "ZeroPadding3D"));
  }
}

export type UpSamplingInterpolation = "nearest" | "bilinear";
const INTERPOLATIONS: readonly UpSamplingInterpolation[] = ["nearest", "bilinear"];

export interface UpSamplingOptions extends LayerOptions {
  /** Factor per spatial axis, or one factor for all (default 2). */
  size?: number | number[];
  /** Layout of the input (default "channels_last"); UpSampling1D has none. */
  dataFormat?: DataFormat | null;
  /** UpSampling2D only: "nearest" repeats rows and columns (default), "bilinear" interpolates with half-pixel centres. */
  interpolation?: UpSamplingInterpolation;
}

/** Base of UpSampling1D/2D/3D: scales each spatial axis by an integer factor. */
abstract class UpSampling extends SpatialLayer {
  readonly size: number[];
  readonly interpolation: UpSamplingInterpolation;

  constructor(options: UpSamplingOptions, spatialRank: number) {
    const allowed = [
      ...BASE_LAYER_OPTIONS,
      "size",
      ...(spatialRank === 1 ? [] : ["dataFormat"]),
      ...(spatialRank === 2 ? ["interpolation"] : []),
    ];
    super(options, allowed, spatialRank);
    const size = options.size ?? 2;
    const factors = typeof size === "number" ? new Array<number>(spatialRank).fill(size) : size;
    if (!Array.isArray(factors) || factors.length !== spatialRank || !factors.every((f) => Number.isInteger(f) && f >= 1)) {
      const expected = spatialRank === 1 ? "a positive integer" : `a positive integer or an array of ${spatialRank} positive integers`;
      throw new ValueError(`Invalid \`size\` for layer "${this.name}" (${this.className}): expected ${expected}, received ${JSON.stringify(size)}.`);
    }
    this.size = [...factors];
    const interpolation = typeof options.interpolation === "string" ? options.interpolation.toLowerCase() : (options.interpolation ?? "nearest");
    if (!(INTERPOLATIONS as readonly unknown[]).includes(interpolation)) {
      throw new ValueError(
        `Invalid \`interpolation\` for layer "${this.name}" (${this.className}): expected one of ${formatChoices(INTERPOLATIONS)}, ` +
          `received ${JSON.stringify(options.interpolation)}. Stratum has no bicubic or Lanczos resizing.`,
      );
    }
    this.interpolation = interpolation as UpSamplingInterpolation;
  }

  protected spatialLength(index: number, length: number): number {
    return length * this.size[index]!;
  }

  call(inputs: Tensor, _options: CallOptions): Tensor {
    const axes = this.axes;
    if (this.interpolation === "bilinear") {
      let output = inputs;
      axes.forEach((axis, i) => (output = resizeLinear(output, axis, inputs.shape[axis]! * this.size[i]!)));
      return output;
    }
    const repeats = inputs.shape.map(() => 1);
    axes.forEach((axis, i) => (repeats[axis] = this.size[i]!));
    return repeatElements(inputs, repeats);
  }
}

function upSamplingOptions(config: Record<string, unknown>, className: string, spatialRank: number): UpSamplingOptions {
  const keys = ["size", ...(spatialRank === 1 ? [] : ["data_format"]), ...(spatialRank === 2 ? ["interpolation"] : [])];
  const options: UpSamplingOptions = baseOptionsFromConfig(config, className, keys);
  if (config["size"] !== undefined) options.size = config["size"] as number[];
  if (config["data_format"] !== undefined) options.dataFormat = config["data_format"] as DataFormat | null;
  if (config["interpolation"] !== undefined) options.interpolation = config["interpolation"] as UpSamplingInterpolation;
  return options;
}

/** Repeats each step of (batch, steps, channels) inputs `size` times. */
export class UpSampling1D extends UpSampling {
  constructor(options: UpSamplingOptions = {}) {
    super(options, 1);
  }

  override get className(): string {
    return "UpSampling1D";
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), size: this.size[0]! };
  }

  static fromConfig(config: Record<string, unknown>): UpSampling1D {
    return new UpSampling1D(upSamplingOptions(config, "UpSampling1D", 1));
  }
}

/** Scales images up by repeating rows and columns, or by bilinear interpolation. */
export class UpSampling2D extends UpSampling {
  constructor(options: UpSamplingOptions = {}) {
    super(options, 2);
  }

  override get className(): string {
    return "UpSampling2D";
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), size: [...this.size], data_format: this.dataFormat, interpolation: this.interpolation };
  }

  static fromConfig(config: Record<string, unknown>): UpSampling2D {
    return new UpSampling2D(upSamplingOptions(config, "UpSampling2D", 2));
  }
}

/** Scales volumes up by repeating positions along depth, height and width. */
export class UpSampling3D extends UpSampling {
  constructor(options: UpSamplingOptions = {}) {
    super(options, 3);
  }

  override get className(): string {
    return "UpSampling3D";
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), size: [...this.size], data_format: this.dataFormat };
  }

  static fromConfig(config: Record<string, unknown>): UpSampling3D {
    return new UpSampling3D(upSamplingOptions(config, "UpSampling3D", 3));
  }
}
