/** Layers that add noise or penalties during training: spatial dropout, Gaussian noise and dropout, alpha dropout, activity regularization. */

import { ShapeError, ValueError, formatShape } from "../errors.js";
import * as ops from "../ops/index.js";
import { emptyLike } from "../ops/util.js";
import { RandomGenerator, globalRandom } from "../random.js";
import type { FloatDType } from "../tensor/dtype.js";
import type { Tensor } from "../tensor/tensor.js";
import type { DataFormat } from "./conv_utils.js";
import { BASE_LAYER_OPTIONS, type CallOptions, Layer, type LayerOptions, type SymbolicShape, baseOptionsFromConfig } from "./layer.js";

/** Returns `rate` when it is a number in [0, 1], else throws a ValueError naming the layer. */
function checkRate(rate: unknown, layer: string, className: string): number {
  if (typeof rate !== "number" || !(rate >= 0 && rate <= 1)) {
    throw new ValueError(`Invalid \`rate\` for ${className} "${layer}": expected a number in [0, 1], received ${JSON.stringify(rate)}.`);
  }
  return rate;
}

function checkSeed(seed: unknown, layer: string, className: string): number | null {
  if (seed === undefined || seed === null) return null;
  if (typeof seed !== "number" || !Number.isInteger(seed) || seed < 0) {
    throw new ValueError(`Invalid \`seed\` for ${className} "${layer}": expected a non-negative integer or null, received ${JSON.stringify(seed)}.`);
  }
  return seed;
}

/** Returns a tensor of `shape` whose entries come from `sample`, drawn in row-major order. */
function randomTensor(dtype: FloatDType, shape: readonly number[], sample: () => number): Tensor {
  const out = emptyLike(dtype, shape);
  for (let i = 0; i < out.size; i++) out.data[i] = sample();
  return out;
}

interface SeededOptions extends LayerOptions {
  /** Seed for this layer's own generator; without it, samples come from the global generator. */
  seed?: number | null;
}

/** Base of the random layers: a seed, and a generator of their own when seeded. */
abstract class RandomLayer extends Layer {
  readonly seed: number | null;
  private readonly generator: RandomGenerator | null;

  constructor(options: SeededOptions, allowedOptions: readonly string[]) {
    super(options, allowedOptions);
    this.seed = checkSeed(options.seed, this.name, this.className);
    this.generator = this.seed === null ? null : new RandomGenerator(this.seed);
    this.supportsMasking = true;
  }

  protected get random(): RandomGenerator {
    return this.generator ?? globalRandom();
  }
}

export interface SpatialDropoutOptions extends SeededOptions {
  /** Fraction of channels to drop, in [0, 1]. */
  rate: number;
  /** SpatialDropout2D and 3D: layout of the input (default "channels_last"). */
  dataFormat?: DataFormat | null;
}

/**
 * Base of SpatialDropout1D/2D/3D: in training, drops whole channels of each
 * sample (the same channels at every position) and scales the rest by
 * 1 / (1 − rate). Outside training it passes inputs through.
 */
abstract class SpatialDropout extends RandomLayer {
  readonly rate: number;
  readonly dataFormat: DataFormat;

  constructor(options: SpatialDropoutOptions, private readonly spatialRank: number) {
    super(options ?? {}, [...BASE_LAYER_OPTIONS, "rate", "seed", ...(spatialRank === 1 ? [] : ["dataFormat"])]);
    this.rate = checkRate(options?.rate, this.name, this.className);
    const format = options.dataFormat ?? "channels_last";
    if (format !== "channels_last" && format !== "channels_first") {
      throw new ValueError(
        `Invalid \`dataFormat\` for ${this.className} "${this.name}": expected "channels_last" or "channels_first", received ${JSON.stringify(format)}.`,
      );
    }
    this.dataFormat = format;
  }

  private checkRank(shape: readonly (number | null)[]): void {
    if (shape.length !== this.spatialRank + 2) {
      throw new ShapeError(
        `Layer "${this.name}" (${this.className}) needs inputs of rank ${this.spatialRank + 2}, received shape ${formatShape(shape)}.`,
      );
    }
  }

  protected override checkInputRank(shape: readonly number[]): void {
    this.checkRank(shape);
  }

  override build(inputShape: SymbolicShape): void {
    this.checkRank(inputShape);
    super.build(inputShape);
  }

  call(inputs: Tensor, options: CallOptions): Tensor {
    if (!options.training || this.rate === 0) return inputs;
    const channelAxis = this.dataFormat === "channels_last" ? inputs.rank - 1 : 1;
    const noiseShape = inputs.shape.map((d, axis) => (axis === 0 || axis === channelAxis ? d : 1));
    const keep = 1 - this.rate;
    const random = this.random;
    const mask = randomTensor(inputs.dtype as FloatDType, noiseShape, () => (random.uniform() < keep ? 1 / keep : 0));
    return ops.mul(inputs, mask);
  }

  override getConfig(): Record<string, unknown> {
    // Keras 3.15.1 writes these keys in this order, with the dtype as a plain string and without `trainable`.
    return { rate: this.rate, seed: this.seed, name: this.name, dtype: this.dtype, ...(this.spatialRank === 1 ? {} : { data_format: this.dataFormat }) };
  }
}

function spatialDropoutOptions(config: Record<string, unknown>, className: string, spatialRank: number): SpatialDropoutOptions {
  const keys = ["rate", "seed", ...(spatialRank === 1 ? [] : ["data_format"])];
  const options: SpatialDropoutOptions = { ...baseOptionsFromConfig(config, className, keys), rate: config["rate"] as number };
  if (config["seed"] !== undefined) options.seed = config["seed"] as number | null;
  if (config["data_format"] !== undefined) options.dataFormat = config["data_format"] as DataFormat | null;
  return options;
}

/** Drops whole channels of (batch, steps, channels) inputs in training. */
export class SpatialDropout1D extends SpatialDropout {
  constructor(options: SpatialDropoutOptions) {
    super(options, 1);
  }

  override get className(): string {
    return "SpatialDropout1D";
  }

  static fromConfig(config: Record<string, unknown>): SpatialDropout1D {
    return new SpatialDropout1D(spatialDropoutOptions(config, "SpatialDropout1D", 1));
  }
}

/** Drops whole feature maps of images in training. */
export class SpatialDropout2D extends SpatialDropout {
  constructor(options: SpatialDropoutOptions) {
    super(options, 2);
  }

  override get className(): string {
    return "SpatialDropout2D";
  }

  static fromConfig(config: Record<string, unknown>): SpatialDropout2D {
    return new SpatialDropout2D(spatialDropoutOptions(config, "SpatialDropout2D", 2));
  }
}

/** Drops whole feature volumes of (batch, depth, height, width, channels) inputs in training. */
export class SpatialDropout3D extends SpatialDropout {
  constructor(options: SpatialDropoutOptions) {
    super(options, 3);
  }

  override get className(): string {
    return "SpatialDropout3D";
  }

  static fromConfig(config: Record<string, unknown>): SpatialDropout3D {
    return new SpatialDropout3D(spatialDropoutOptions(config, "SpatialDropout3D", 3));
  }
}

export interface GaussianNoiseOptions extends SeededOptions {
  /** Standard deviation of the noise, at least 0. */
  stddev: number;
}

/** Adds zero-mean Gaussian noise with standard deviation `stddev` in training; outside training it passes inputs through. */
export class GaussianNoise extends RandomLayer {
  readonly stddev: number;

  constructor(options: GaussianNoiseOptions) {
    super(options ?? {}, [...BASE_LAYER_OPTIONS, "stddev", "seed"]);
    const stddev = options?.stddev;
    if (typeof stddev !== "number" || !Number.isFinite(stddev) || stddev < 0) {
      throw new ValueError(`Invalid \`stddev\` for GaussianNoise "${this.name}": expected a number of at least 0, received ${JSON.stringify(stddev)}.`);
    }
    this.stddev = stddev;
  }

  override get className(): string {
    return "GaussianNoise";
  }

  call(inputs: Tensor, options: CallOptions): Tensor {
    if (!options.training || this.stddev === 0) return inputs;
    const random = this.random;
    return ops.add(inputs, randomTensor(inputs.dtype as FloatDType, inputs.shape, () => random.normal() * this.stddev));
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), stddev: this.stddev, seed: this.seed };
  }

  static fromConfig(config: Record<string, unknown>): GaussianNoise {
    const options = baseOptionsFromConfig(config, "GaussianNoise", ["stddev", "seed"]);
    return new GaussianNoise({ ...options, stddev: config["stddev"] as number, seed: (config["seed"] as number | null) ?? null });
  }
}

export interface GaussianDropoutOptions extends SeededOptions {
  /** Drop probability in [0, 1); the noise has standard deviation sqrt(rate / (1 − rate)). */
  rate: number;
}

/**
 * Multiplies inputs by Gaussian noise of mean 1 and standard deviation
 * sqrt(rate / (1 − rate)) in training; outside training it passes inputs through.
 */
export class GaussianDropout extends RandomLayer {
  readonly rate: number;

  constructor(options: GaussianDropoutOptions) {
    super(options ?? {}, [...BASE_LAYER_OPTIONS, "rate", "seed"]);
    this.rate = checkRate(options?.rate, this.name, "GaussianDropout");
  }

  override get className(): string {
    return "GaussianDropout";
  }

  call(inputs: Tensor, options: CallOptions): Tensor {
    if (!options.training || this.rate === 0) return inputs;
    const stddev = Math.sqrt(this.rate / (1 - this.rate));
    const random = this.random;
    return ops.mul(inputs, randomTensor(inputs.dtype as FloatDType, inputs.shape, () => 1 + random.normal() * stddev));
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), rate: this.rate, seed: this.seed };
  }

  static fromConfig(config: Record<string, unknown>): GaussianDropout {
    const options = baseOptionsFromConfig(config, "GaussianDropout", ["rate", "seed"]);
    return new GaussianDropout({ ...options, rate: config["rate"] as number, seed: (config["seed"] as number | null) ?? null });
  }
}

export interface AlphaDropoutOptions extends SeededOptions {
  /** Fraction of inputs to drop, in [0, 1]. */
  rate: number;
  /**
   * Shape of the drop mask, batch axis included, broadcast against the
   * input; a null entry takes the input's size. Default: the input's shape.
   */
  noiseShape?: (number | null)[] | null;
}

/** SELU's constants, as Keras's AlphaDropout uses them. */
const SELU_ALPHA = 1.6732632423543772848170429916717;
const SELU_SCALE = 1.0507009873554804934193349852946;

/**
 * Dropout for self-normalizing networks. In training, dropped inputs are
 * set to SELU's negative saturation value −alpha · scale, and an affine map
 * a · x + b then restores the mean and variance of the inputs. Outside
 * training it passes inputs through.
 */
export class AlphaDropout extends RandomLayer {
  readonly rate: number;
  readonly noiseShape: (number | null)[] | null;

  constructor(options: AlphaDropoutOptions) {
    super(options ?? {}, [...BASE_LAYER_OPTIONS, "rate", "noiseShape", "seed"]);
    this.rate = checkRate(options?.rate, this.name, "AlphaDropout");
    const noiseShape = options.noiseShape ?? null;
    if (noiseShape !== null && (!Array.isArray(noiseShape) || !noiseShape.every((d) => d === null || (Number.isInteger(d) && d >= 1)))) {
      throw new ValueError(
        `Invalid \`noiseShape\` for AlphaDropout "${this.name}": expected null or an array of positive integers and nulls, received ${JSON.stringify(noiseShape)}.`,
      );
    }
    this.noiseShape = noiseShape === null ? null : [...noiseShape];
  }

  override get className(): string {
    return "AlphaDropout";
  }

  private concreteNoiseShape(shape: readonly number[]): number[] {
    if (this.noiseShape === null) return [...shape];
    if (this.noiseShape.length !== shape.length) {
      throw new ShapeError(
        `AlphaDropout "${this.name}" has noiseShape [${this.noiseShape.join(", ")}] of rank ${this.noiseShape.length}, ` +
          `but received inputs of shape ${formatShape(shape)}.`,
      );
    }
    return this.noiseShape.map((d, i) => d ?? shape[i]!);
  }

  call(inputs: Tensor, options: CallOptions): Tensor {
    if (!options.training || this.rate === 0) return inputs;
    const rate = this.rate;
    const alphaP = -SELU_ALPHA * SELU_SCALE;
    const random = this.random;
    const kept = randomTensor(inputs.dtype as FloatDType, this.concreteNoiseShape(inputs.shape), () => (random.uniform() >= rate ? 1 : 0));
    const a = ((1 - rate) * (1 + rate * alphaP * alphaP)) ** -0.5;
    const b = -a * alphaP * rate;
    // inputs · kept + alphaP · (1 − kept), then a · x + b.
    const x = ops.add(ops.mul(inputs, kept), ops.affine(kept, -alphaP, alphaP));
    return ops.affine(x, a, b);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), rate: this.rate, seed: this.seed, noise_shape: this.noiseShape === null ? null : [...this.noiseShape] };
  }

  static fromConfig(config: Record<string, unknown>): AlphaDropout {
    const options = baseOptionsFromConfig(config, "AlphaDropout", ["rate", "seed", "noise_shape"]);
    return new AlphaDropout({
      ...options,
      rate: config["rate"] as number,
      seed: (config["seed"] as number | null) ?? null,
      noiseShape: (config["noise_shape"] as (number | null)[] | null) ?? null,
    });
  }
}

export interface ActivityRegularizationOptions extends LayerOptions {
  /** Weight of the L1 penalty, sum |x| (default 0). */
  l1?: number;
  /** Weight of the L2 penalty, sum x² (default 0). */
  l2?: number;
}

/**
 * Passes its input through and adds the penalty
 * (l1 · Σ|x| + l2 · Σx²) / batch size to `losses` on every call, which a
 * model adds to the training loss.
 */
export class ActivityRegularization extends Layer {
  readonly l1: number;
  readonly l2: number;

  constructor(options: ActivityRegularizationOptions = {}) {
    super(options, [...BASE_LAYER_OPTIONS, "l1", "l2"]);
    this.l1 = this.checkWeight(options.l1 ?? 0, "l1");
    this.l2 = this.checkWeight(options.l2 ?? 0, "l2");
    this.supportsMasking = true;
  }

  private checkWeight(value: unknown, argument: string): number {
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
      throw new ValueError(`Invalid \`${argument}\` for ActivityRegularization "${this.name}": expected a number of at least 0, received ${JSON.stringify(value)}.`);
    }
    return value;
  }

  override get className(): string {
    return "ActivityRegularization";
  }

  call(inputs: Tensor, _options: CallOptions): Tensor {
    let penalty: Tensor | null = null;
    if (this.l1 !== 0) penalty = ops.affine(ops.sum(ops.abs(inputs)), this.l1);
    if (this.l2 !== 0) {
      const l2 = ops.affine(ops.sum(ops.square(inputs)), this.l2);
      penalty = penalty === null ? l2 : ops.add(penalty, l2);
    }
    if (penalty !== null) {
      const batch = inputs.rank > 0 ? inputs.shape[0]! : 1;
      // Keras divides by the batch size with divide_no_nan, so an empty batch adds 0.
      this.addLoss(batch === 0 ? ops.affine(penalty, 0) : ops.affine(penalty, 1 / batch));
    }
    return inputs;
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), l1: this.l1, l2: this.l2 };
  }

  static fromConfig(config: Record<string, unknown>): ActivityRegularization {
    const options = baseOptionsFromConfig(config, "ActivityRegularization", ["l1", "l2"]);
    return new ActivityRegularization({
      ...options,
      ...(config["l1"] === undefined ? {} : { l1: config["l1"] as number }),
      ...(config["l2"] === undefined ? {} : { l2: config["l2"] as number }),
    });
  }
}
