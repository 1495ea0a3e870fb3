import { ShapeError, ValueError, formatShape } from "../errors.js";
import * as activations from "../activations/index.js";
import * as ops from "../ops/index.js";
import { RandomGenerator, globalRandom } from "../random.js";
import type { Tensor } from "../tensor/tensor.js";
import {
  BASE_LAYER_OPTIONS,
  type CallOptions,
  Layer,
  type LayerOptions,
  type SymbolicShape,
  baseOptionsFromConfig,
} from "./layer.js";

export interface ActivationOptions extends LayerOptions {
  activation: activations.ActivationIdentifier;
}

/** Applies an activation function to its input. */
export class Activation extends Layer {
  readonly activation: activations.ActivationFunction;

  constructor(options: ActivationOptions) {
    super(options ?? {}, [...BASE_LAYER_OPTIONS, "activation"]);
    if (options?.activation === undefined) {
      throw new ValueError('Activation needs `activation`, for example new Activation({ activation: "relu" }).');
    }
    this.activation = activations.get(options.activation);
  }

  override get className(): string {
    return "Activation";
  }

  call(inputs: Tensor, _options: CallOptions): Tensor {
    return this.activation(inputs);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), activation: activations.serialize(this.activation) };
  }

  static fromConfig(config: Record<string, unknown>): Activation {
    const options = baseOptionsFromConfig(config, "Activation", ["activation"]);
    return new Activation({ ...options, activation: config["activation"] as string });
  }
}

export interface DropoutOptions extends LayerOptions {
  /** Fraction of inputs to drop, in [0, 1]. A rate of 1 zeroes every input in training. */
  rate: number;
  /** Seed for this layer's own generator; without it, masks come from the global generator. */
  seed?: number | null;
}

/**
 * Inverted dropout. In training it zeroes a random fraction `rate` of the
 * inputs and scales the rest by 1 / (1 − rate). Outside training it passes
 * inputs through.
 */
export class Dropout extends Layer {
  readonly rate: number;
  readonly seed: number | null;
  private readonly generator: RandomGenerator | null;

  constructor(options: DropoutOptions) {
    super(options ?? {}, [...BASE_LAYER_OPTIONS, "rate", "seed"]);
    const rate = options?.rate;
    if (typeof rate !== "number" || !(rate >= 0 && rate <= 1)) {
      throw new ValueError(`Invalid \`rate\` for Dropout "${this.name}": expected a number in [0, 1], received ${JSON.stringify(rate)}.`);
    }
    this.rate = rate;
    this.seed = options.seed ?? null;
    this.generator = this.seed === null ? null : new RandomGenerator(this.seed);
  }

  override get className(): string {
    return "Dropout";
  }

  call(inputs: Tensor, options: CallOptions): Tensor {
    if (!options.training || this.rate === 0) return inputs;
    return ops.dropout(inputs, this.rate, this.generator ?? globalRandom());
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), rate: this.rate, seed: this.seed, noise_shape: null };
  }

  static fromConfig(config: Record<string, unknown>): Dropout {
    const options = baseOptionsFromConfig(config, "Dropout", ["rate", "seed"], ["noise_shape"]);
    return new Dropout({ ...options, rate: config["rate"] as number, seed: (config["seed"] as number | null) ?? null });
  }
}

/** Flattens each sample to one axis: (batch, 28, 28) becomes (batch, 784). */
export class Flatten extends Layer {
  constructor(options: LayerOptions = {}) {
    super(options, BASE_LAYER_OPTIONS);
  }

  override get className(): string {
    return "Flatten";
  }

  call(inputs: Tensor, _options: CallOptions): Tensor {
    if (inputs.rank < 1) throw new ShapeError(`Flatten needs a batch axis, received a scalar.`);
    const batch = inputs.shape[0]!;
    return ops.reshape(inputs, [batch, batch === 0 ? 0 : inputs.size / batch]);
  }

  override computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    const rest = inputShape.slice(1);
    const known = rest.every((d) => d !== null);
    if (inputShape.length < 1) throw new ShapeError(`Flatten needs a batch axis, received shape ${formatShape(inputShape)}.`);
    return [inputShape[0]!, known ? (rest as number[]).reduce((a, b) => a * b, 1) : null];
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), data_format: "channels_last" };
  }

  static fromConfig(config: Record<string, unknown>): Flatten {
    return new Flatten(baseOptionsFromConfig(config, "Flatten", ["data_format"]));
  }
}
