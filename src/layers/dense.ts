import { ShapeError, ValueError, formatShape } from "../errors.js";
import * as activations from "../activations/index.js";
import * as initializers from "../initializers/index.js";
import * as ops from "../ops/index.js";
import { Tensor } from "../tensor/tensor.js";
import {
  BASE_LAYER_OPTIONS,
  type CallOptions,
  Layer,
  type LayerOptions,
  type SymbolicShape,
  baseOptionsFromConfig,
} from "./layer.js";
import { checkPositiveInteger } from "../utils/validate.js";
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

export interface DenseOptions extends LayerOptions, KernelPenaltyOptions {
  /** Size of the output's last axis. */
  units: number;
  /** Activation name or function; the default (none) is linear. */
  activation?: activations.ActivationIdentifier;
  useBias?: boolean;
  kernelInitializer?: initializers.InitializerIdentifier;
  biasInitializer?: initializers.InitializerIdentifier;
}

const DENSE_WEIGHTS = ["kernel", "bias"];

const DENSE_CONFIG_KEYS = [
  "units",
  "activation",
  "use_bias",
  "kernel_initializer",
  "bias_initializer",
  "activity_regularizer",
  ...penaltyConfigKeys(DENSE_WEIGHTS),
];
const DENSE_UNSUPPORTED_KEYS = [
  "quantization_config",
  "lora_rank",
  "lora_alpha",
];
const DENSE_OPTIONS = [
  ...BASE_LAYER_OPTIONS,
  "units",
  "activation",
  "useBias",
  "kernelInitializer",
  "biasInitializer",
  "activityRegularizer",
  ...penaltyOptionNames(DENSE_WEIGHTS),
];

/**
 * A densely connected layer: `activation(inputs · kernel + bias)`, with a
 * kernel of shape (inputDim, units). Inputs of rank above 2 are contracted
 * over their last axis only, so (batch, 5, 6) gives (batch, 5, units).
 */
export class Dense extends Layer {
  readonly units: number;
  readonly activation: activations.ActivationFunction;
  readonly useBias: boolean;
  readonly kernelInitializer: initializers.Initializer;
  readonly biasInitializer: initializers.Initializer;
  readonly penalties: WeightPenalties;
  readonly activityRegularizer: regularizers.Regularizer | null;
  kernel: Variable | null = null;
  bias: Variable | null = null;

  constructor(options: DenseOptions) {
    if (options === undefined || options === null || typeof options !== "object") {
      throw new ValueError("Dense needs an options object such as { units: 64 }.");
    }
    super(options, DENSE_OPTIONS);
    checkPositiveInteger(options.units, "units", `"${this.name}"`);
    this.units = options.units;
    this.activation = activations.get(options.activation);
    this.useBias = options.useBias ?? true;
    this.kernelInitializer = initializers.get(options.kernelInitializer ?? "glorot_uniform", "kernelInitializer");
    this.biasInitializer = initializers.get(options.biasInitializer ?? "zeros", "biasInitializer");
    this.penalties = new WeightPenalties(DENSE_WEIGHTS, options);
    this.activityRegularizer = regularizers.get(options.activityRegularizer, "activityRegularizer");
  }

  override get className(): string {
    return "Dense";
  }

  override build(inputShape: SymbolicShape): void {
    if (inputShape.length < 2) {
      throw new ShapeError(
        `Layer "${this.name}" (Dense) needs inputs of rank 2 or more (batch, ..., features), received shape ${formatShape(inputShape)}.`,
      );
    }
    const inputDim = inputShape[inputShape.length - 1];
    if (inputDim === null || inputDim === undefined) {
      throw new ShapeError(
        `Layer "${this.name}" (Dense) needs the last axis of its input to be known, received shape ${formatShape(inputShape)}.`,
      );
    }
    this.kernel = this.penalties.attach("kernel", this.addWeight({ name: "kernel", shape: [inputDim, this.units], initializer: this.kernelInitializer }));
    if (this.useBias) {
      this.bias = this.penalties.attach("bias", this.addWeight({ name: "bias", shape: [this.units], initializer: this.biasInitializer }));
    }
    super.build(inputShape);
  }

  protected override checkInputRank(shape: readonly number[]): void {
    if (shape.length < 2) {
      throw new ShapeError(
        `Layer "${this.name}" (Dense) needs inputs of rank 2 or more (batch, ..., features), received shape ${formatShape(shape)}.`,
      );
    }
  }

  protected override checkInputShape(shape: readonly number[]): void {
    const expected = this.kernel!.shape[0]!;
    if (shape.length < 2 || shape[shape.length - 1] !== expected) {
      const expectedShape = formatShape([null, ...shape.slice(1, -1), expected]);
      throw new ShapeError(
        `Layer "${this.name}" (Dense) expects inputs whose last axis is ${expected}, such as shape ${expectedShape}, ` +
          `received ${formatShape(shape)}. Check the data's shape or the model's input shape.`,
      );
    }
  }

  call(inputs: Tensor, _options: CallOptions): Tensor {
    const kernel = this.kernel!.value;
    const bias = this.bias ? this.bias.value : null;
    // Softmax over the last axis, as the activation computes it by default, can run in the dense kernel too.
    const fused = this.activation === activations.softmax ? "softmax" : this.activation.fused;
    const output = fused ? ops.dense(inputs, kernel, bias, fused) : this.activation(ops.dense(inputs, kernel, bias, "linear"));
    addActivityPenalty(this, this.activityRegularizer, output);
    return output;
  }

  override computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    return [...inputShape.slice(0, -1), this.units];
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      ...activityBaseConfig(this.activityRegularizer),
      units: this.units,
      activation: activations.serialize(this.activation),
      use_bias: this.useBias,
      kernel_initializer: this.kernelInitializer.serialize(),
      bias_initializer: this.biasInitializer.serialize(),
      ...this.penalties.regularizerConfig(),
      ...this.penalties.constraintConfig(),
      quantization_config: null,
    };
  }

  static fromConfig(config: Record<string, unknown>): Dense {
    return new Dense({
      ...baseOptionsFromConfig(config, "Dense", DENSE_CONFIG_KEYS, DENSE_UNSUPPORTED_KEYS),
      units: config["units"] as number,
      activation: (config["activation"] as string | null) ?? "linear",
      useBias: (config["use_bias"] as boolean | undefined) ?? true,
      kernelInitializer: initializers.deserialize((config["kernel_initializer"] ?? "glorot_uniform") as string),
      biasInitializer: initializers.deserialize((config["bias_initializer"] ?? "zeros") as string),
      ...penaltyOptionsFromConfig(config, DENSE_WEIGHTS),
      ...activityOptionFromConfig(config),
    });
  }
}
