/** Depthwise and depthwise-separable convolutions over channels-last inputs. */

import { ShapeError, ValueError, formatShape } from "../errors.js";
import * as activations from "../activations/index.js";
import * as initializers from "../initializers/index.js";
import * as ops from "../ops/index.js";
import type { AxisPadding } from "../ops/index.js";
import type { Tensor } from "../tensor/tensor.js";
import { checkPositiveInteger } from "../utils/validate.js";
import {
  type DataFormat,
  axisPadding,
  checkDataFormat,
  checkInputRankFor,
  checkOutputLengthsFor,
  checkStridesWithDilation,
  knownChannels,
  normalizePadding,
  normalizeTuple,
  windowOutputLength,
} from "./conv_utils.js";
import { BASE_LAYER_OPTIONS, type CallOptions, Layer, type LayerOptions, type SymbolicShape, baseOptionsFromConfig } from "./layer.js";
import type { Variable } from "./variable.js";
import * as regularizers from "../regularizers/index.js";
import type { ConstraintIdentifier } from "../constraints/index.js";
import {
  WeightPenalties,
  activityBaseConfig,
  activityOptionFromConfig,
  addActivityPenalty,
  penaltyConfigKeys,
  penaltyOptionNames,
  penaltyOptionsFromConfig,
} from "./weight-penalties.js";

export interface DepthwiseConvOptions extends LayerOptions {
  /** Window size: one integer for every spatial axis, or one per axis. */
  kernelSize: number | number[];
  strides?: number | number[];
  padding?: "valid" | "same";
  /** Filters per input channel; the output has inputChannels · depthMultiplier channels. */
  depthMultiplier?: number;
  /** Only "channels_last" is supported. */
  dataFormat?: DataFormat | null;
  dilationRate?: number | number[];
  activation?: activations.ActivationIdentifier;
  useBias?: boolean;
  depthwiseInitializer?: initializers.InitializerIdentifier;
  biasInitializer?: initializers.InitializerIdentifier;
  /** Penalty on the depthwise kernel, such as "l2", added to the training loss. */
  depthwiseRegularizer?: regularizers.RegularizerIdentifier;
  biasRegularizer?: regularizers.RegularizerIdentifier;
  /** Penalty on the layer's output, divided by the batch size. */
  activityRegularizer?: regularizers.RegularizerIdentifier;
  /** Projection applied to the depthwise kernel after each optimizer update, such as "max_norm". */
  depthwiseConstraint?: ConstraintIdentifier;
  biasConstraint?: ConstraintIdentifier;
}

export interface SeparableConvOptions extends DepthwiseConvOptions {
  /** Number of output channels of the pointwise (1 × 1) convolution. */
  filters: number;
  pointwiseInitializer?: initializers.InitializerIdentifier;
  /** Penalty on the pointwise kernel. */
  pointwiseRegularizer?: regularizers.RegularizerIdentifier;
  pointwiseConstraint?: ConstraintIdentifier;
}

/** The weights that take a regularizer and a constraint, in Keras's config order. */
const DEPTHWISE_WEIGHTS = ["depthwise", "bias"];
const SEPARABLE_WEIGHTS = ["depthwise", "pointwise", "bias"];

const DEPTHWISE_OPTIONS = [
  ...BASE_LAYER_OPTIONS,
  "kernelSize",
  "strides",
  "padding",
  "depthMultiplier",
  "dataFormat",
  "dilationRate",
  "activation",
  "useBias",
  "depthwiseInitializer",
  "biasInitializer",
  "activityRegularizer",
  ...penaltyOptionNames(DEPTHWISE_WEIGHTS),
];
const SEPARABLE_OPTIONS = [...DEPTHWISE_OPTIONS, "filters", "pointwiseInitializer", ...penaltyOptionNames(["pointwise"])];

/**
 * The state both kinds share: a depthwise kernel (...kernelSize, channels,
 * depthMultiplier) applied to each input channel separately.
 */
abstract class BaseDepthwise extends Layer {
  readonly rank: 1 | 2;
  readonly kernelSize: number[];
  readonly strides: number[];
  readonly padding: "valid" | "same";
  readonly depthMultiplier: number;
  readonly dataFormat: DataFormat = "channels_last";
  readonly dilationRate: number[];
  readonly activation: activations.ActivationFunction;
  readonly useBias: boolean;
  readonly depthwiseInitializer: initializers.Initializer;
  readonly biasInitializer: initializers.Initializer;
  readonly penalties: WeightPenalties;
  readonly activityRegularizer: regularizers.Regularizer | null;
  bias: Variable | null = null;

  constructor(rank: 1 | 2, options: DepthwiseConvOptions, allowed: readonly string[], penaltyWeights: readonly string[]) {
    if (options === undefined || options === null || typeof options !== "object") {
      throw new ValueError(`${new.target.name} needs an options object such as { kernelSize: 3 }.`);
    }
    super(options, allowed);
    const owner = `${this.className} "${this.name}"`;
    this.rank = rank;
    if (options.kernelSize === undefined) {
      throw new ValueError(`${owner} needs \`kernelSize\`, for example kernelSize: ${rank === 1 ? "3" : "[3, 3]"}.`);
    }
    this.kernelSize = normalizeTuple(options.kernelSize, rank, "kernelSize", owner);
    this.strides = normalizeTuple(options.strides ?? 1, rank, "strides", owner);
    this.dilationRate = normalizeTuple(options.dilationRate ?? 1, rank, "dilationRate", owner);
    this.padding = normalizePadding(options.padding ?? "valid", ["valid", "same"], owner) as "valid" | "same";
    this.depthMultiplier = checkPositiveInteger(options.depthMultiplier ?? 1, "depthMultiplier", owner);
    checkDataFormat(options.dataFormat, owner);
    checkStridesWithDilation(this.strides, this.dilationRate, owner);
    this.activation = activations.get(options.activation);
    this.useBias = options.useBias ?? true;
    this.depthwiseInitializer = initializers.get(options.depthwiseInitializer ?? "glorot_uniform", "depthwiseInitializer");
    this.biasInitializer = initializers.get(options.biasInitializer ?? "zeros", "biasInitializer");
    this.penalties = new WeightPenalties(penaltyWeights, options);
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

  protected outputLengths(inputShape: SymbolicShape): (number | null)[] {
    return this.kernelSize.map((size, axis) =>
      windowOutputLength(inputShape[axis + 1] ?? null, this.padding, size, this.strides[axis]!, this.dilationRate[axis]!),
    );
  }

  protected checkOutputLengths(inputShape: SymbolicShape): void {
    checkOutputLengthsFor(this.outputLengths(inputShape), inputShape, this, this.owner);
  }

  /** Applies the depthwise kernel (...kernelSize, channels, multiplier) to channels-last inputs. */
  protected depthwise(inputs: Tensor, kernel: Tensor): Tensor {
    this.checkOutputLengths([null, ...inputs.shape.slice(1)]);
    const spatial = inputs.shape.slice(1, -1);
    const pads = this.kernelSize.map((size, axis) =>
      axisPadding(this.padding, spatial[axis]!, size, this.strides[axis]!, this.dilationRate[axis]!),
    );
    if (this.rank === 2) {
      return ops.depthwiseConv2d(inputs, kernel, {
        strides: this.strides as [number, number],
        dilationRate: this.dilationRate as [number, number],
        padding: [pads[0]!, pads[1]!],
      });
    }
    const [batch, steps, channels] = inputs.shape as [number, number, number];
    const out = ops.depthwiseConv2d(ops.reshape(inputs, [batch, 1, steps, channels]), ops.reshape(kernel, [1, ...kernel.shape]), {
      strides: [1, this.strides[0]!],
      dilationRate: [1, this.dilationRate[0]!],
      padding: [[0, 0] as AxisPadding, pads[0]!],
    });
    return ops.reshape(out, [batch, out.shape[2]!, out.shape[3]!]);
  }

  /** Keras's config keys from "kernel_size" to "use_bias"; subclasses put their own around them. */
  protected windowConfig(): Record<string, unknown> {
    return {
      kernel_size: [...this.kernelSize],
      strides: [...this.strides],
      padding: this.padding,
      data_format: this.dataFormat,
      dilation_rate: [...this.dilationRate],
      activation: activations.serialize(this.activation),
      use_bias: this.useBias,
    };
  }
}

/** Reads the options both kinds share from a Keras config. */
function depthwiseOptionsFromConfig(config: Record<string, unknown>, className: string, ownKeys: string[], penaltyWeights: string[]): DepthwiseConvOptions {
  const keys = [
    "depth_multiplier",
    "kernel_size",
    "strides",
    "padding",
    "data_format",
    "dilation_rate",
    "activation",
    "use_bias",
    "depthwise_initializer",
    "bias_initializer",
    "activity_regularizer",
    ...penaltyConfigKeys(penaltyWeights),
    ...ownKeys,
  ];
  return {
    ...baseOptionsFromConfig(config, className, keys),
    kernelSize: config["kernel_size"] as number[],
    strides: (config["strides"] as number[] | undefined) ?? 1,
    padding: (config["padding"] as "valid" | "same" | undefined) ?? "valid",
    depthMultiplier: (config["depth_multiplier"] as number | undefined) ?? 1,
    dataFormat: (config["data_format"] as DataFormat | null | undefined) ?? null,
    dilationRate: (config["dilation_rate"] as number[] | undefined) ?? 1,
    activation: (config["activation"] as string | null) ?? "linear",
    useBias: (config["use_bias"] as boolean | undefined) ?? true,
    depthwiseInitializer: initializers.deserialize((config["depthwise_initializer"] ?? "glorot_uniform") as string),
    biasInitializer: initializers.deserialize((config["bias_initializer"] ?? "zeros") as string),
    ...penaltyOptionsFromConfig(config, penaltyWeights),
    ...activityOptionFromConfig(config),
  };
}

/**
 * The shared base of DepthwiseConv1D and DepthwiseConv2D: output channel
 * c · depthMultiplier + j is input channel c convolved with its filter j.
 */
abstract class DepthwiseConv extends BaseDepthwise {
  kernel: Variable | null = null;

  constructor(rank: 1 | 2, options: DepthwiseConvOptions) {
    super(rank, options, DEPTHWISE_OPTIONS, DEPTHWISE_WEIGHTS);
  }

  override build(inputShape: SymbolicShape): void {
    const channels = this.inputChannels(inputShape);
    this.checkOutputLengths(inputShape);
    this.kernel = this.penalties.attach(
      "depthwise",
      this.addWeight({ name: "kernel", shape: [...this.kernelSize, channels, this.depthMultiplier], initializer: this.depthwiseInitializer }),
    );
    if (this.useBias) {
      this.bias = this.penalties.attach(
        "bias",
        this.addWeight({ name: "bias", shape: [channels * this.depthMultiplier], initializer: this.biasInitializer }),
      );
    }
    super.build(inputShape);
  }

  protected override checkInputShape(shape: readonly number[]): void {
    checkInputRankFor(shape, this.rank, this.owner);
    const expected = this.kernel!.shape[this.rank]!;
    if (shape[shape.length - 1] !== expected) {
      throw new ShapeError(`${this.owner} expects inputs with ${expected} channels on the last axis, received shape ${formatShape(shape)}.`);
    }
  }

  override computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    checkInputRankFor(inputShape, this.rank, this.owner);
    const channels = inputShape[inputShape.length - 1] ?? null;
    return [inputShape[0] ?? null, ...this.outputLengths(inputShape), channels === null ? null : channels * this.depthMultiplier];
  }

  call(inputs: Tensor, _options: CallOptions): Tensor {
    let y = this.depthwise(inputs, this.kernel!.value);
    if (this.bias) y = ops.add(y, this.bias.value);
    const output = this.activation(y);
    addActivityPenalty(this, this.activityRegularizer, output);
    return output;
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      ...activityBaseConfig(this.activityRegularizer),
      depth_multiplier: this.depthMultiplier,
      ...this.windowConfig(),
      depthwise_initializer: this.depthwiseInitializer.serialize(),
      bias_initializer: this.biasInitializer.serialize(),
      ...this.penalties.regularizerConfig(),
      activity_regularizer: regularizers.serialize(this.activityRegularizer),
      ...this.penalties.constraintConfig(),
    };
  }
}

/** Depthwise convolution over steps of (batch, steps, channels) inputs. */
export class DepthwiseConv1D extends DepthwiseConv {
  constructor(options: DepthwiseConvOptions) {
    super(1, options);
  }

  override get className(): string {
    return "DepthwiseConv1D";
  }

  static fromConfig(config: Record<string, unknown>): DepthwiseConv1D {
    return new DepthwiseConv1D(depthwiseOptionsFromConfig(config, "DepthwiseConv1D", [], DEPTHWISE_WEIGHTS));
  }
}

/** Depthwise convolution over (batch, height, width, channels) images. */
export class DepthwiseConv2D extends DepthwiseConv {
  constructor(options: DepthwiseConvOptions) {
    super(2, options);
  }

  override get className(): string {
    return "DepthwiseConv2D";
  }

  static fromConfig(config: Record<string, unknown>): DepthwiseConv2D {
    return new DepthwiseConv2D(depthwiseOptionsFromConfig(config, "DepthwiseConv2D", [], DEPTHWISE_WEIGHTS));
  }
}

/**
 * The shared base of SeparableConv1D and SeparableConv2D: a depthwise
 * convolution followed by a pointwise (1 × 1) convolution to `filters`
 * channels, then the bias and activation.
 */
abstract class SeparableConv extends BaseDepthwise {
  readonly filters: number;
  readonly pointwiseInitializer: initializers.Initializer;
  depthwiseKernel: Variable | null = null;
  pointwiseKernel: Variable | null = null;

  constructor(rank: 1 | 2, options: SeparableConvOptions) {
    super(rank, options, SEPARABLE_OPTIONS, SEPARABLE_WEIGHTS);
    if (typeof options.filters !== "number" || !Number.isInteger(options.filters) || options.filters <= 0) {
      throw new ValueError(`Invalid \`filters\` for ${this.className} "${this.name}": expected a positive integer, received ${JSON.stringify(options.filters)}.`);
    }
    this.filters = options.filters;
    this.pointwiseInitializer = initializers.get(options.pointwiseInitializer ?? "glorot_uniform", "pointwiseInitializer");
  }

  override build(inputShape: SymbolicShape): void {
    const channels = this.inputChannels(inputShape);
    this.checkOutputLengths(inputShape);
    const depthwiseKernel = this.addWeight({
      name: "depthwise_kernel",
      shape: [...this.kernelSize, channels, this.depthMultiplier],
      initializer: this.depthwiseInitializer,
    });
    this.depthwiseKernel = this.penalties.attach("depthwise", depthwiseKernel);
    const pointwiseKernel = this.addWeight({
      name: "pointwise_kernel",
      shape: [...new Array<number>(this.rank).fill(1), channels * this.depthMultiplier, this.filters],
      initializer: this.pointwiseInitializer,
    });
    this.pointwiseKernel = this.penalties.attach("pointwise", pointwiseKernel);
    if (this.useBias) {
      this.bias = this.penalties.attach("bias", this.addWeight({ name: "bias", shape: [this.filters], initializer: this.biasInitializer }));
    }
    super.build(inputShape);
  }

  protected override checkInputShape(shape: readonly number[]): void {
    checkInputRankFor(shape, this.rank, this.owner);
    const expected = this.depthwiseKernel!.shape[this.rank]!;
    if (shape[shape.length - 1] !== expected) {
      throw new ShapeError(`${this.owner} expects inputs with ${expected} channels on the last axis, received shape ${formatShape(shape)}.`);
    }
  }

  override computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    checkInputRankFor(inputShape, this.rank, this.owner);
    return [inputShape[0] ?? null, ...this.outputLengths(inputShape), this.filters];
  }

  call(inputs: Tensor, _options: CallOptions): Tensor {
    const depthwise = this.depthwise(inputs, this.depthwiseKernel!.value);
    const pointwise = this.pointwiseKernel!.value;
    const kernel = ops.reshape(pointwise, pointwise.shape.slice(-2));
    const fused = this.activation.fused ?? "linear";
    const y = ops.dense(depthwise, kernel, this.bias ? this.bias.value : null, fused);
    const output = this.activation.fused !== undefined ? y : this.activation(y);
    addActivityPenalty(this, this.activityRegularizer, output);
    return output;
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      ...activityBaseConfig(this.activityRegularizer),
      depth_multiplier: this.depthMultiplier,
      filters: this.filters,
      ...this.windowConfig(),
      depthwise_initializer: this.depthwiseInitializer.serialize(),
      pointwise_initializer: this.pointwiseInitializer.serialize(),
      bias_initializer: this.biasInitializer.serialize(),
      ...this.penalties.regularizerConfig(),
      activity_regularizer: regularizers.serialize(this.activityRegularizer),
      ...this.penalties.constraintConfig(),
    };
  }
}

function separableOptionsFromConfig(config: Record<string, unknown>, className: string): SeparableConvOptions {
  return {
    ...depthwiseOptionsFromConfig(config, className, ["filters", "pointwise_initializer"], SEPARABLE_WEIGHTS),
    filters: config["filters"] as number,
    pointwiseInitializer: initializers.deserialize((config["pointwise_initializer"] ?? "glorot_uniform") as string),
  };
}

/** Depthwise-separable convolution over steps of (batch, steps, channels) inputs. */
export class SeparableConv1D extends SeparableConv {
  constructor(options: SeparableConvOptions) {
    super(1, options);
  }

  override get className(): string {
    return "SeparableConv1D";
  }

  static fromConfig(config: Record<string, unknown>): SeparableConv1D {
    return new SeparableConv1D(separableOptionsFromConfig(config, "SeparableConv1D"));
  }
}

/** Depthwise-separable convolution over (batch, height, width, channels) images. */
export class SeparableConv2D extends SeparableConv {
  constructor(options: SeparableConvOptions) {
    super(2, options);
  }

  override get className(): string {
    return "SeparableConv2D";
  }

  static fromConfig(config: Record<string, unknown>): SeparableConv2D {
    return new SeparableConv2D(separableOptionsFromConfig(config, "SeparableConv2D"));
  }
}
