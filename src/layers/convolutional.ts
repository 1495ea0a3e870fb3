import { ShapeError, ValueError, formatShape } from "../errors.js";
import * as activations from "../activations/index.js";
import * as initializers from "../initializers/index.js";
import * as ops from "../ops/index.js";
import type { AxisPadding } from "../ops/index.js";
import type { Tensor } from "../tensor/tensor.js";
import { checkPositiveInteger } from "../utils/validate.js";
import {
  type DataFormat,
  type PaddingMode,
  axisPadding,
  checkDataFormat,
  checkInputRankFor,
  checkOutputLengthsFor,
  checkStridesWithDilation,
  knownChannels,
  normalizePadding,
  normalizeTuple,
  transposeAxis,
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
import type { Variable } from "./variable.js";
import * as regularizers from "../regularizers/index.js";
import {
  type KernelPenaltyOptions,
  WeightPenalties,
  activityBaseConfig,
  activityOptionFromConfig,
  addActivityPenalty,
  penaltyConfigKeys,
  penaltyOptionNames,
  penaltyOptionsFromConfig,
} from "./weight-penalties.js";

/** Options shared by the convolution layers and their transposes. */
interface BaseConvOptions extends LayerOptions, KernelPenaltyOptions {
  /** Number of output channels. */
  filters: number;
  /** Window size: one integer for every spatial axis, or one per axis. */
  kernelSize: number | number[];
  strides?: number | number[];
  dilationRate?: number | number[];
  /** Only "channels_last" is supported. */
  dataFormat?: DataFormat | null;
  /** Activation name or function; the default (none) is linear. */
  activation?: activations.ActivationIdentifier;
  useBias?: boolean;
  kernelInitializer?: initializers.InitializerIdentifier;
  biasInitializer?: initializers.InitializerIdentifier;
}

export interface ConvOptions extends BaseConvOptions {
  /** "valid" (no padding), "same" (output length ceil(input / stride)) or, for Conv1D only, "causal". */
  padding?: PaddingMode;
  /** Number of channel groups; input channels and filters must both divide evenly. */
  groups?: number;
}

export interface ConvTransposeOptions extends BaseConvOptions {
  padding?: "valid" | "same";
  /** Extra output length per axis, each below the stride; null derives the length from the padding. */
  outputPadding?: number | number[] | null;
}

const BASE_OPTIONS = [
  ...BASE_LAYER_OPTIONS,
  "filters",
  "kernelSize",
  "strides",
  "padding",
  "dataFormat",
  "dilationRate",
  "activation",
  "useBias",
  "kernelInitializer",
  "biasInitializer",
  "activityRegularizer",
  ...penaltyOptionNames(["kernel", "bias"]),
];
const CONV_OPTIONS = [...BASE_OPTIONS, "groups"];
const CONV_TRANSPOSE_OPTIONS = [...BASE_OPTIONS, "outputPadding"];
const CONV_WEIGHTS = ["kernel", "bias"];

/** The state and checks that convolutions and transposed convolutions share. */
abstract class BaseConv extends Layer {
  readonly rank: 1 | 2 | 3;
  readonly filters: number;
  readonly kernelSize: number[];
  readonly strides: number[];
  readonly dilationRate: number[];
  readonly dataFormat: DataFormat = "channels_last";
  readonly activation: activations.ActivationFunction;
  readonly useBias: boolean;
  readonly kernelInitializer: initializers.Initializer;
  readonly biasInitializer: initializers.Initializer;
  readonly penalties: WeightPenalties;
  readonly activityRegularizer: regularizers.Regularizer | null;
  kernel: Variable | null = null;
  bias: Variable | null = null;

  constructor(rank: 1 | 2 | 3, options: BaseConvOptions, allowed: readonly string[]) {
    super(options, allowed);
    const owner = `${this.className} "${this.name}"`;
    this.rank = rank;
    if (typeof options.filters !== "number" || !Number.isInteger(options.filters) || options.filters <= 0) {
      throw new ValueError(`Invalid \`filters\` for ${owner}: expected a positive integer, received ${JSON.stringify(options.filters)}.`);
    }
    this.filters = options.filters;
    if (options.kernelSize === undefined) {
      throw new ValueError(`${owner} needs \`kernelSize\`, for example kernelSize: ${rank === 1 ? "3" : `[${new Array(rank).fill(3).join(", ")}]`}.`);
    }
    this.kernelSize = normalizeTuple(options.kernelSize, rank, "kernelSize", owner);
    this.strides = normalizeTuple(options.strides ?? 1, rank, "strides", owner);
    this.dilationRate = normalizeTuple(options.dilationRate ?? 1, rank, "dilationRate", owner);
    checkDataFormat(options.dataFormat, owner);
    checkStridesWithDilation(this.strides, this.dilationRate, owner);
    this.activation = activations.get(options.activation);
    this.useBias = options.useBias ?? true;
    this.kernelInitializer = initializers.get(options.kernelInitializer ?? "glorot_uniform", "kernelInitializer");
    this.biasInitializer = initializers.get(options.biasInitializer ?? "zeros", "biasInitializer");
    this.penalties = new WeightPenalties(CONV_WEIGHTS, options);
    this.activityRegularizer = regularizers.get(options.activityRegularizer, "activityRegularizer");
  }

  protected get owner(): string {
    return `Layer "${this.name}" (${this.className})`;
  }

  protected override checkInputRank(shape: readonly number[]): void {
    checkInputRankFor(shape, this.rank, this.owner);
  }

  /** Returns the channel count of a built input shape, which must be known. */
  protected inputChannels(inputShape: SymbolicShape): number {
    return knownChannels(inputShape, this.rank, this.owner);
  }

  protected override checkInputShape(shape: readonly number[]): void {
    checkInputRankFor(shape, this.rank, this.owner);
    const expected = this.kernelChannels();
    if (shape[shape.length - 1] !== expected) {
      throw new ShapeError(
        `${this.owner} expects inputs with ${expected} channels on the last axis, received shape ${formatShape(shape)}. ` +
          `Check the data's shape or the model's input shape.`,
      );
    }
  }

  /** Input channels the layer was built for. */
  protected abstract kernelChannels(): number;

  /** Adds the bias and applies the activation where the op has not already done so. */
  protected finish(y: Tensor, biasDone: boolean, activationDone: boolean): Tensor {
    let out = y;
    if (!biasDone && this.bias) out = ops.add(out, this.bias.value);
    if (!activationDone) out = this.activation(out);
    addActivityPenalty(this, this.activityRegularizer, out);
    return out;
  }

  /** Keras's config keys up to and including "padding", then the rest; subclasses insert their own. */
  protected baseConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      ...activityBaseConfig(this.activityRegularizer),
      filters: this.filters,
      kernel_size: [...this.kernelSize],
      strides: [...this.strides],
    };
  }

  protected tailConfig(): Record<string, unknown> {
    return {
      activation: activations.serialize(this.activation),
      use_bias: this.useBias,
      kernel_initializer: this.kernelInitializer.serialize(),
      bias_initializer: this.biasInitializer.serialize(),
      ...this.penalties.regularizerConfig(),
      activity_regularizer: regularizers.serialize(this.activityRegularizer),
      ...this.penalties.constraintConfig(),
    };
  }
}

/** Reads the options both convolution kinds share from a Keras config. */
function baseOptionsFromConvConfig(config: Record<string, unknown>, className: string, ownKeys: string[]): BaseConvOptions {
  const keys = [
    "filters",
    "kernel_size",
    "strides",
    "padding",
    "data_format",
    "dilation_rate",
    "activation",
    "use_bias",
    "kernel_initializer",
    "bias_initializer",
    "activity_regularizer",
    ...penaltyConfigKeys(CONV_WEIGHTS),
    ...ownKeys,
  ];
  return {
    ...baseOptionsFromConfig(config, className, keys),
    filters: config["filters"] as number,
    kernelSize: config["kernel_size"] as number[],
    strides: (config["strides"] as number[] | undefined) ?? 1,
    dataFormat: (config["data_format"] as DataFormat | null | undefined) ?? null,
    dilationRate: (config["dilation_rate"] as number[] | undefined) ?? 1,
    activation: (config["activation"] as string | null) ?? "linear",
    useBias: (config["use_bias"] as boolean | undefined) ?? true,
    kernelInitializer: initializers.deserialize((config["kernel_initializer"] ?? "glorot_uniform") as string),
    biasInitializer: initializers.deserialize((config["bias_initializer"] ?? "zeros") as string),
    ...penaltyOptionsFromConfig(config, CONV_WEIGHTS),
    ...activityOptionFromConfig(config),
  };
}

/**
 * A convolution over channels-last inputs: the shared base of Conv1D and
 * Conv2D. The kernel has shape (...kernelSize, inputChannels / groups, filters).
 */
abstract class Conv extends BaseConv {
  readonly padding: PaddingMode;
  readonly groups: number;

  constructor(rank: 1 | 2 | 3, options: ConvOptions) {
    if (options === undefined || options === null || typeof options !== "object") {
      throw new ValueError(`${new.target.name} needs an options object such as { filters: 32, kernelSize: 3 }.`);
    }
    super(rank, options, CONV_OPTIONS);
    const owner = `${this.className} "${this.name}"`;
    this.padding = normalizePadding(options.padding ?? "valid", rank === 1 ? ["valid", "same", "causal"] : ["valid", "same"], owner);
    this.groups = checkPositiveInteger(options.groups ?? 1, "groups", owner);
    if (this.filters % this.groups !== 0) {
      throw new ValueError(
        `Invalid \`groups\` for ${owner}: filters must be divisible by groups, received filters ${this.filters} and groups ${this.groups}.`,
      );
    }
  }

  override build(inputShape: SymbolicShape): void {
    const channels = this.inputChannels(inputShape);
    if (channels % this.groups !== 0) {
      throw new ValueError(
        `${this.owner} splits its input into ${this.groups} groups, but the input has ${channels} channels, which ${this.groups} does not divide ` +
          `(input shape ${formatShape(inputShape)}).`,
      );
    }
    this.checkOutputLengths(inputShape);
    this.kernel = this.penalties.attach(
      "kernel",
      this.addWeight({ name: "kernel", shape: [...this.kernelSize, channels / this.groups, this.filters], initializer: this.kernelInitializer }),
    );
    if (this.useBias) {
      this.bias = this.penalties.attach("bias", this.addWeight({ name: "bias", shape: [this.filters], initializer: this.biasInitializer }));
    }
    super.build(inputShape);
  }

  protected kernelChannels(): number {
    return this.kernel!.shape[this.rank]! * this.groups;
  }

  private outputLengths(inputShape: SymbolicShape): (number | null)[] {
    return this.kernelSize.map((size, axis) =>
      windowOutputLength(inputShape[axis + 1] ?? null, this.padding, size, this.strides[axis]!, this.dilationRate[axis]!),
    );
  }

  private checkOutputLengths(inputShape: SymbolicShape): void {
    checkOutputLengthsFor(this.outputLengths(inputShape), inputShape, this, this.owner);
  }

  override computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    checkInputRankFor(inputShape, this.rank, this.owner);
    return [inputShape[0] ?? null, ...this.outputLengths(inputShape), this.filters];
  }

  call(inputs: Tensor, _options: CallOptions): Tensor {
    this.checkOutputLengths([null, ...inputs.shape.slice(1)]);
    const spatial = inputs.shape.slice(1, -1);
    const pads = this.kernelSize.map((size, axis) =>
      axisPadding(this.padding, spatial[axis]!, size, this.strides[axis]!, this.dilationRate[axis]!),
    );
    const fused = this.activation.fused ?? "linear";
    const bias = this.bias ? this.bias.value : null;
    const options = (padding: [AxisPadding, AxisPadding], strides: number[], dilation: number[]) => ({
      strides: strides as [number, number],
      dilationRate: dilation as [number, number],
      padding,
      groups: this.groups,
      activation: fused,
    });
    let y: Tensor;
    if (this.rank === 3) {
      y = ops.conv3d(inputs, this.kernel!.value, bias, {
        strides: this.strides as [number, number, number],
        dilationRate: this.dilationRate as [number, number, number],
        padding: [pads[0]!, pads[1]!, pads[2]!],
        groups: this.groups,
        activation: fused,
      });
    } else if (this.rank === 2) {
      y = ops.conv2d(inputs, this.kernel!.value, bias, options([pads[0]!, pads[1]!], this.strides, this.dilationRate));
    } else {
      const [batch, steps, channels] = inputs.shape as [number, number, number];
      const kernel = this.kernel!.value;
      const image = ops.reshape(inputs, [batch, 1, steps, channels]);
      const kernel2d = ops.reshape(kernel, [1, ...kernel.shape]);
      const out = ops.conv2d(image, kernel2d, bias, options([[0, 0], pads[0]!], [1, this.strides[0]!], [1, this.dilationRate[0]!]));
      y = ops.reshape(out, [batch, out.shape[2]!, this.filters]);
    }
    return this.finish(y, true, this.activation.fused !== undefined);
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...this.baseConfig(),
      padding: this.padding,
      data_format: this.dataFormat,
      dilation_rate: [...this.dilationRate],
      groups: this.groups,
      ...this.tailConfig(),
    };
  }
}

function convOptionsFromConfig(config: Record<string, unknown>, className: string): ConvOptions {
  return {
    ...baseOptionsFromConvConfig(config, className, ["groups"]),
    padding: (config["padding"] as PaddingMode | undefined) ?? "valid",
    groups: (config["groups"] as number | undefined) ?? 1,
  };
}

/** Convolution over steps of (batch, steps, channels) inputs; "causal" padding lets output t see inputs up to t only. */
export class Conv1D extends Conv {
  constructor(options: ConvOptions) {
    super(1, options);
  }

  override get className(): string {
    return "Conv1D";
  }

  static fromConfig(config: Record<string, unknown>): Conv1D {
    return new Conv1D(convOptionsFromConfig(config, "Conv1D"));
  }
}

/** Convolution over (batch, height, width, channels) images. */
export class Conv2D extends Conv {
  constructor(options: ConvOptions) {
    super(2, options);
  }

  override get className(): string {
    return "Conv2D";
  }

  static fromConfig(config: Record<string, unknown>): Conv2D {
    return new Conv2D(convOptionsFromConfig(config, "Conv2D"));
  }
}

/**
 * The transpose of a convolution (sometimes called a deconvolution), the
 * shared base of Conv1DTranspose and Conv2DTranspose. The kernel has shape
 * (...kernelSize, filters, inputChannels). Without outputPadding, the output
 * length per axis is input · stride, plus max(kernel − stride, 0) for "valid".
 * With it, the length is (input − 1) · stride + kernel − 2 · padding + outputPadding,
 * where kernel is the dilated extent and padding is floor(kernel / 2) for "same"
 * and 0 for "valid", as in Keras.
 */
abstract class ConvTranspose extends BaseConv {
  readonly padding: "valid" | "same";
  readonly outputPadding: number[] | null;

  constructor(rank: 1 | 2 | 3, options: ConvTransposeOptions) {
    if (options === undefined || options === null || typeof options !== "object") {
      throw new ValueError(`${new.target.name} needs an options object such as { filters: 32, kernelSize: 3 }.`);
    }
    super(rank, options, CONV_TRANSPOSE_OPTIONS);
    const owner = `${this.className} "${this.name}"`;
    this.padding = normalizePadding(options.padding ?? "valid", ["valid", "same"], owner) as "valid" | "same";
    const outputPadding = options.outputPadding ?? null;
    this.outputPadding = outputPadding === null ? null : normalizeTuple(outputPadding, rank, "outputPadding", owner, true);
    this.outputPadding?.forEach((pad, axis) => {
      if (pad >= this.strides[axis]!) {
        throw new ValueError(
          `Invalid \`outputPadding\` for ${owner}: each entry must be less than the stride of its axis, but axis ${axis} has ` +
            `outputPadding ${pad} and stride ${this.strides[axis]} (outputPadding ${JSON.stringify(this.outputPadding)}, strides ${JSON.stringify(this.strides)}).`,
        );
      }
    });
  }

  override build(inputShape: SymbolicShape): void {
    const channels = this.inputChannels(inputShape);
    this.kernel = this.penalties.attach(
      "kernel",
      this.addWeight({ name: "kernel", shape: [...this.kernelSize, this.filters, channels], initializer: this.kernelInitializer }),
    );
    if (this.useBias) {
      this.bias = this.penalties.attach("bias", this.addWeight({ name: "bias", shape: [this.filters], initializer: this.biasInitializer }));
    }
    super.build(inputShape);
  }

  protected kernelChannels(): number {
    return this.kernel!.shape[this.rank + 1]!;
  }

  private axis(length: number, axis: number) {
    return transposeAxis(length, this.padding, this.kernelSize[axis]!, this.strides[axis]!, this.dilationRate[axis]!, this.outputPadding?.[axis] ?? null);
  }

  override computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    checkInputRankFor(inputShape, this.rank, this.owner);
    const lengths = this.kernelSize.map((_, axis) => {
      const length = inputShape[axis + 1] ?? null;
      return length === null ? null : this.axis(length, axis).length;
    });
    return [inputShape[0] ?? null, ...lengths, this.filters];
  }

  call(inputs: Tensor, _options: CallOptions): Tensor {
    const axes = inputs.shape.slice(1, -1).map((length, axis) => this.axis(length, axis));
    const kernel = this.kernel!.value;
    let y: Tensor;
    if (this.rank === 3) {
      y = ops.conv3dTranspose(inputs, kernel, {
        strides: this.strides as [number, number, number],
        dilationRate: this.dilationRate as [number, number, number],
        padBefore: [axes[0]!.padBefore, axes[1]!.padBefore, axes[2]!.padBefore],
        outputSize: [axes[0]!.length, axes[1]!.length, axes[2]!.length],
      });
    } else if (this.rank === 2) {
      y = ops.conv2dTranspose(inputs, kernel, {
        strides: this.strides as [number, number],
        dilationRate: this.dilationRate as [number, number],
        padBefore: [axes[0]!.padBefore, axes[1]!.padBefore],
        outputSize: [axes[0]!.length, axes[1]!.length],
      });
    } else {
      const [batch, steps, channels] = inputs.shape as [number, number, number];
      const out = ops.conv2dTranspose(ops.reshape(inputs, [batch, 1, steps, channels]), ops.reshape(kernel, [1, ...kernel.shape]), {
        strides: [1, this.strides[0]!],
        dilationRate: [1, this.dilationRate[0]!],
        padBefore: [0, axes[0]!.padBefore],
        outputSize: [1, axes[0]!.length],
      });
      y = ops.reshape(out, [batch, axes[0]!.length, this.filters]);
    }
    return this.finish(y, false, false);
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...this.baseConfig(),
      padding: this.padding,
      output_padding: this.outputPadding === null ? null : [...this.outputPadding],
      data_format: this.dataFormat,
      dilation_rate: [...this.dilationRate],
      ...this.tailConfig(),
    };
  }
}

function convTransposeOptionsFromConfig(config: Record<string, unknown>, className: string): ConvTransposeOptions {
  return {
    ...baseOptionsFromConvConfig(config, className, ["output_padding"]),
    padding: (config["padding"] as "valid" | "same" | undefined) ?? "valid",
    outputPadding: (config["output_padding"] as number[] | null | undefined) ?? null,
  };
}

/** Transposed convolution over steps of (batch, steps, channels) inputs. */
export class Conv1DTranspose extends ConvTranspose {
  constructor(options: ConvTransposeOptions) {
    super(1, options);
  }

  override get className(): string {
    return "Conv1DTranspose";
  }

  static fromConfig(config: Record<string, unknown>): Conv1DTranspose {
    return new Conv1DTranspose(convTransposeOptionsFromConfig(config, "Conv1DTranspose"));
  }
}

/** Transposed convolution over (batch, height, width, channels) images. */
export class Conv2DTranspose extends ConvTranspose {
  constructor(options: ConvTransposeOptions) {
    super(2, options);
  }

  override get className(): string {
    return "Conv2DTranspose";
  }

  static fromConfig(config: Record<string, unknown>): Conv2DTranspose {
    return new Conv2DTranspose(convTransposeOptionsFromConfig(config, "Conv2DTranspose"));
  }
}

/** Convolution over (batch, depth, height, width, channels) volumes. */
export class Conv3D extends Conv {
  constructor(options: ConvOptions) {
    super(3, options);
  }

  override get className(): string {
    return "Conv3D";
  }

  static fromConfig(config: Record<string, unknown>): Conv3D {
    return new Conv3D(convOptionsFromConfig(config, "Conv3D"));
  }
}

/** Transposed convolution over (batch, depth, height, width, channels) volumes. */
export class Conv3DTranspose extends ConvTranspose {
  constructor(options: ConvTransposeOptions) {
    super(3, options);
  }

  override get className(): string {
    return "Conv3DTranspose";
  }

  static fromConfig(config: Record<string, unknown>): Conv3DTranspose {
    return new Conv3DTranspose(convTransposeOptionsFromConfig(config, "Conv3DTranspose"));
  }
}
