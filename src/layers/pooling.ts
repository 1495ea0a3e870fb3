import { ShapeError, ValueError, formatShape } from "../errors.js";
import * as ops from "../ops/index.js";
import { type Tensor, cast } from "../tensor/tensor.js";
import {
  type DataFormat,
  axisPadding,
  checkDataFormat,
  checkInputRankFor,
  normalizePadding,
  normalizeTuple,
  windowOutputLength,
} from "./conv_utils.js";
import {
  BASE_LAYER_OPTIONS,
  type CallOptions,
  Layer,
  type LayerOptions,
  type SymbolicShape,
  baseOptionsFromConfig,
} from "./layer.js";

export interface PoolingOptions extends LayerOptions {
  /** Window size: one integer for every spatial axis, or one per axis. */
  poolSize?: number | number[];
  /** Step between windows; null or omitted means `poolSize`. */
  strides?: number | number[] | null;
  /** "valid" drops windows that do not fit; "same" pads so the output length is ceil(input / stride). */
  padding?: "valid" | "same";
  /** Only "channels_last" is supported. */
  dataFormat?: DataFormat | null;
}

const POOLING_OPTIONS = [...BASE_LAYER_OPTIONS, "poolSize", "strides", "padding", "dataFormat"];

/** Max or average pooling over the spatial axes of channels-last inputs. */
abstract class Pooling extends Layer {
  readonly rank: 1 | 2 | 3;
  readonly kind: "max" | "average";
  readonly poolSize: number[];
  readonly strides: number[];
  readonly padding: "valid" | "same";
  readonly dataFormat: DataFormat = "channels_last";

  constructor(rank: 1 | 2 | 3, kind: "max" | "average", options: PoolingOptions) {
    super(options ?? {}, POOLING_OPTIONS);
    const owner = `${this.className} "${this.name}"`;
    this.rank = rank;
    this.kind = kind;
    let poolSize = options?.poolSize;
    if (poolSize === undefined || poolSize === null) {
      // Keras gives max pooling a default window of 2 but makes average pooling's window required.
      if (kind === "average") {
        throw new ValueError(`${owner} needs \`poolSize\`, for example poolSize: ${rank === 1 ? "2" : `[${new Array(rank).fill(2).join(", ")}]`}.`);
      }
      poolSize = 2;
    }
    this.poolSize = normalizeTuple(poolSize, rank, "poolSize", owner);
    this.strides = options?.strides === undefined || options.strides === null ? [...this.poolSize] : normalizeTuple(options.strides, rank, "strides", owner);
    this.padding = normalizePadding(options?.padding ?? "valid", ["valid", "same"], owner) as "valid" | "same";
    checkDataFormat(options?.dataFormat, owner);
  }

  private get owner(): string {
    return `Layer "${this.name}" (${this.className})`;
  }

  protected override checkInputRank(shape: readonly number[]): void {
    checkInputRankFor(shape, this.rank, this.owner);
  }

  override build(inputShape: SymbolicShape): void {
    checkInputRankFor(inputShape, this.rank, this.owner);
    super.build(inputShape);
  }

  private outputLengths(inputShape: readonly (number | null)[]): (number | null)[] {
    return this.poolSize.map((size, axis) => {
      const length = windowOutputLength(inputShape[axis + 1] ?? null, this.padding, size, this.strides[axis]!, 1);
      return length === null ? null : Math.max(length, 0);
    });
  }

  override computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    checkInputRankFor(inputShape, this.rank, this.owner);
    return [inputShape[0] ?? null, ...this.outputLengths(inputShape), inputShape[inputShape.length - 1] ?? null];
  }

  call(inputs: Tensor, _options: CallOptions): Tensor {
    const op = this.kind === "max" ? ops.maxPool2d : ops.averagePool2d;
    const spatial = inputs.shape.slice(1, -1);
    const pads = this.poolSize.map((size, axis) => axisPadding(this.padding, spatial[axis]!, size, this.strides[axis]!, 1));
    if (this.rank === 3) {
      const op3d = this.kind === "max" ? ops.maxPool3d : ops.averagePool3d;
      return op3d(inputs, {
        poolSize: this.poolSize as [number, number, number],
        strides: this.strides as [number, number, number],
        padding: [pads[0]!, pads[1]!, pads[2]!],
      });
    }
    if (this.rank === 2) {
      return op(inputs, {
        poolSize: this.poolSize as [number, number],
        strides: this.strides as [number, number],
        padding: [pads[0]!, pads[1]!],
      });
    }
    const [batch, steps, channels] = inputs.shape as [number, number, number];
    const out = op(ops.reshape(inputs, [batch, 1, steps, channels]), {
      poolSize: [1, this.poolSize[0]!],
      strides: [1, this.strides[0]!],
      padding: [[0, 0], pads[0]!],
    });
    return ops.reshape(out, [batch, out.shape[2]!, channels]);
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      pool_size: [...this.poolSize],
      padding: this.padding,
      strides: [...this.strides],
      data_format: this.dataFormat,
    };
  }
}

function poolingOptionsFromConfig(config: Record<string, unknown>, className: string): PoolingOptions {
  return {
    ...baseOptionsFromConfig(config, className, ["pool_size", "padding", "strides", "data_format"]),
    poolSize: config["pool_size"] as number[],
    padding: (config["padding"] as "valid" | "same" | undefined) ?? "valid",
    strides: (config["strides"] as number[] | null | undefined) ?? null,
    dataFormat: (config["data_format"] as DataFormat | null | undefined) ?? null,
  };
}

/** Maximum over windows of steps of (batch, steps, channels) inputs; poolSize defaults to 2. */
export class MaxPooling1D extends Pooling {
  constructor(options: PoolingOptions = {}) {
    super(1, "max", options);
  }
  override get className(): string {
    return "MaxPooling1D";
  }
  static fromConfig(config: Record<string, unknown>): MaxPooling1D {
    return new MaxPooling1D(poolingOptionsFromConfig(config, "MaxPooling1D"));
  }
}

/** Maximum over windows of (batch, height, width, channels) images; poolSize defaults to [2, 2]. */
export class MaxPooling2D extends Pooling {
  constructor(options: PoolingOptions = {}) {
    super(2, "max", options);
  }
  override get className(): string {
    return "MaxPooling2D";
  }
  static fromConfig(config: Record<string, unknown>): MaxPooling2D {
    return new MaxPooling2D(poolingOptionsFromConfig(config, "MaxPooling2D"));
  }
}

/** Mean over windows of steps; with "same" padding each mean counts only the real steps in its window. */
export class AveragePooling1D extends Pooling {
  constructor(options: PoolingOptions) {
    super(1, "average", options);
  }
  override get className(): string {
    return "AveragePooling1D";
  }
  static fromConfig(config: Record<string, unknown>): AveragePooling1D {
    return new AveragePooling1D(poolingOptionsFromConfig(config, "AveragePooling1D"));
  }
}

/** Mean over windows of images; with "same" padding each mean counts only the real pixels in its window. */
export class AveragePooling2D extends Pooling {
  constructor(options: PoolingOptions) {
    super(2, "average", options);
  }
  override get className(): string {
    return "AveragePooling2D";
  }
  static fromConfig(config: Record<string, unknown>): AveragePooling2D {
    return new AveragePooling2D(poolingOptionsFromConfig(config, "AveragePooling2D"));
  }
}

export interface GlobalPoolingOptions extends LayerOptions {
  /** Keep the spatial axes with length 1, so (batch, h, w, c) gives (batch, 1, 1, c) instead of (batch, c). */
  keepdims?: boolean;
  /** Only "channels_last" is supported. */
  dataFormat?: DataFormat | null;
}

const GLOBAL_POOLING_OPTIONS = [...BASE_LAYER_OPTIONS, "keepdims", "dataFormat"];

/** Max or mean over every spatial axis of channels-last inputs. */
abstract class GlobalPooling extends Layer {
  readonly rank: 1 | 2 | 3;
  readonly kind: "max" | "average";
  readonly keepdims: boolean;
  readonly dataFormat: DataFormat = "channels_last";

  constructor(rank: 1 | 2 | 3, kind: "max" | "average", options: GlobalPoolingOptions) {
    super(options ?? {}, GLOBAL_POOLING_OPTIONS);
    this.rank = rank;
    this.kind = kind;
    const keepdims = options?.keepdims ?? false;
    if (typeof keepdims !== "boolean") {
      throw new ValueError(`Invalid \`keepdims\` for ${this.className} "${this.name}": expected a boolean, received ${JSON.stringify(keepdims)}.`);
    }
    this.keepdims = keepdims;
    checkDataFormat(options?.dataFormat, `${this.className} "${this.name}"`);
  }

  protected get owner(): string {
    return `Layer "${this.name}" (${this.className})`;
  }

  protected override checkInputRank(shape: readonly number[]): void {
    checkInputRankFor(shape, this.rank, this.owner);
  }

  override build(inputShape: SymbolicShape): void {
    checkInputRankFor(inputShape, this.rank, this.owner);
    super.build(inputShape);
  }

  override computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    checkInputRankFor(inputShape, this.rank, this.owner);
    const channels = inputShape[inputShape.length - 1] ?? null;
    return this.keepdims ? [inputShape[0] ?? null, ...new Array<number>(this.rank).fill(1), channels] : [inputShape[0] ?? null, channels];
  }

  /** Returns null: pooling consumes the steps that a mask describes. */
  override computeMask(_inputs: Tensor | Tensor[], _mask: Tensor | null): Tensor | null {
    return null;
  }

  call(inputs: Tensor, options: CallOptions): Tensor {
    const batch = inputs.shape[0]!;
    const channels = inputs.shape[inputs.rank - 1]!;
    const outShape = this.keepdims ? [batch, ...new Array<number>(this.rank).fill(1), channels] : [batch, channels];
    if (this.kind === "average") return ops.reshape(this.average(inputs, options.mask ?? null), outShape);
    const spatial = inputs.shape.slice(1, -1);
    if (spatial.some((d) => d === 0)) {
      throw new ShapeError(`${this.owner} needs at least one position to take a maximum over, received shape ${formatShape(inputs.shape)}.`);
    }
    if (this.rank === 3) {
      const [depth, height, width] = spatial as [number, number, number];
      const pooled = ops.maxPool3d(inputs, { poolSize: [depth, height, width], strides: [1, 1, 1], padding: [[0, 0], [0, 0], [0, 0]] });
      return ops.reshape(pooled, outShape);
    }
    const image = this.rank === 2 ? inputs : ops.reshape(inputs, [batch, 1, spatial[0]!, channels]);
    const [height, width] = image.shape.slice(1, 3) as [number, number];
    const pooled = ops.maxPool2d(image, { poolSize: [height, width], strides: [1, 1], padding: [[0, 0], [0, 0]] });
    return ops.reshape(pooled, outShape);
  }

  /** Averages over the spatial axes (GlobalAveragePooling1D overrides it to skip masked steps). */
  protected average(inputs: Tensor, _mask: Tensor | null): Tensor {
    const axes = this.rank === 3 ? [1, 2, 3] : this.rank === 2 ? [1, 2] : [1];
    return ops.mean(inputs, axes);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), data_format: this.dataFormat, keepdims: this.keepdims };
  }
}

function globalPoolingOptionsFromConfig(config: Record<string, unknown>, className: string): GlobalPoolingOptions {
  return {
    ...baseOptionsFromConfig(config, className, ["data_format", "keepdims"]),
    keepdims: (config["keepdims"] as boolean | undefined) ?? false,
    dataFormat: (config["data_format"] as DataFormat | null | undefined) ?? null,
  };
}

/** Maximum over the steps of (batch, steps, channels) inputs. Like Keras's, it does not take a mask. */
export class GlobalMaxPooling1D extends GlobalPooling {
  constructor(options: GlobalPoolingOptions = {}) {
    super(1, "max", options);
  }
  override get className(): string {
    return "GlobalMaxPooling1D";
  }
  static fromConfig(config: Record<string, unknown>): GlobalMaxPooling1D {
    return new GlobalMaxPooling1D(globalPoolingOptionsFromConfig(config, "GlobalMaxPooling1D"));
  }
}

/**
 * Mean over the steps of (batch, steps, channels) inputs. With a mask
 * [batch, steps] (1 keeps a step), it averages only the kept steps. A row
 * with every step masked gives NaN, as 0 / 0 does in Keras.
 */
export class GlobalAveragePooling1D extends GlobalPooling {
  constructor(options: GlobalPoolingOptions = {}) {
    super(1, "average", options);
    this.supportsMasking = true;
  }
  override get className(): string {
    return "GlobalAveragePooling1D";
  }

  protected override average(inputs: Tensor, mask: Tensor | null): Tensor {
    if (mask === null) return super.average(inputs, null);
    const [batch, steps] = inputs.shape as [number, number];
    if (mask.rank !== 2 || mask.shape[0] !== batch || mask.shape[1] !== steps) {
      throw new ShapeError(
        `${this.owner} needs a mask of shape ${formatShape([batch, steps])} for inputs of shape ${formatShape(inputs.shape)}, received ${formatShape(mask.shape)}.`,
      );
    }
    const weights = ops.reshape(mask.dtype === inputs.dtype ? mask : cast(mask, inputs.dtype), [batch, steps, 1]);
    return ops.div(ops.sum(ops.mul(inputs, weights), 1), ops.sum(weights, 1));
  }

  static fromConfig(config: Record<string, unknown>): GlobalAveragePooling1D {
    return new GlobalAveragePooling1D(globalPoolingOptionsFromConfig(config, "GlobalAveragePooling1D"));
  }
}

/** Maximum over the height and width of (batch, height, width, channels) images. */
export class GlobalMaxPooling2D extends GlobalPooling {
  constructor(options: GlobalPoolingOptions = {}) {
    super(2, "max", options);
  }
  override get className(): string {
    return "GlobalMaxPooling2D";
  }
  static fromConfig(config: Record<string, unknown>): GlobalMaxPooling2D {
    return new GlobalMaxPooling2D(globalPoolingOptionsFromConfig(config, "GlobalMaxPooling2D"));
  }
}

/** Mean over the height and width of (batch, height, width, channels) images. */
export class GlobalAveragePooling2D extends GlobalPooling {
  constructor(options: GlobalPoolingOptions = {}) {
    super(2, "average", options);
  }
  override get className(): string {
    return "GlobalAveragePooling2D";
  }
  static fromConfig(config: Record<string, unknown>): GlobalAveragePooling2D {
    return new GlobalAveragePooling2D(globalPoolingOptionsFromConfig(config, "GlobalAveragePooling2D"));
  }
}

/** Maximum over windows of (batch, depth, height, width, channels) volumes; poolSize defaults to [2, 2, 2]. */
export class MaxPooling3D extends Pooling {
  constructor(options: PoolingOptions = {}) {
    super(3, "max", options);
  }
  override get className(): string {
    return "MaxPooling3D";
  }
  static fromConfig(config: Record<string, unknown>): MaxPooling3D {
    return new MaxPooling3D(poolingOptionsFromConfig(config, "MaxPooling3D"));
  }
}

/** Mean over windows of volumes; with "same" padding each mean counts only the real positions in its window. */
export class AveragePooling3D extends Pooling {
  constructor(options: PoolingOptions) {
    super(3, "average", options);
  }
  override get className(): string {
    return "AveragePooling3D";
  }
  static fromConfig(config: Record<string, unknown>): AveragePooling3D {
    return new AveragePooling3D(poolingOptionsFromConfig(config, "AveragePooling3D"));
  }
}

/** Maximum over the depth, height and width of (batch, depth, height, width, channels) volumes. */
export class GlobalMaxPooling3D extends GlobalPooling {
  constructor(options: GlobalPoolingOptions = {}) {
    super(3, "max", options);
  }
  override get className(): string {
    return "GlobalMaxPooling3D";
  }
  static fromConfig(config: Record<string, unknown>): GlobalMaxPooling3D {
    return new GlobalMaxPooling3D(globalPoolingOptionsFromConfig(config, "GlobalMaxPooling3D"));
  }
}

/** Mean over the depth, height and width of (batch, depth, height, width, channels) volumes. */
export class GlobalAveragePooling3D extends GlobalPooling {
  constructor(options: GlobalPoolingOptions = {}) {
    super(3, "average", options);
  }
  override get className(): string {
    return "GlobalAveragePooling3D";
  }
  static fromConfig(config: Record<string, unknown>): GlobalAveragePooling3D {
    return new GlobalAveragePooling3D(globalPoolingOptionsFromConfig(config, "GlobalAveragePooling3D"));
  }
}
