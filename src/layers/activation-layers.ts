import { ShapeError, ValueError, formatShape } from "../errors.js";
import * as initializers from "../initializers/index.js";
import { warn } from "../logger.js";
import * as ops from "../ops/index.js";
import type { Tensor } from "../tensor/tensor.js";
import {
  BASE_LAYER_OPTIONS,
  type CallOptions,
  Layer,
  type LayerOptions,
  type SymbolicShape,
  baseOptionsFromConfig,
} from "./layer.js";
import type { Variable } from "./variable.js";
import type { RegularizerIdentifier } from "../regularizers/index.js";
import type { ConstraintIdentifier } from "../constraints/index.js";
import { WeightPenalties, penaltyConfigKeys, penaltyOptionNames, penaltyOptionsFromConfig } from "./weight-penalties.js";

function checkNonNegative(value: unknown, argument: string, layer: string): number {
  if (typeof value !== "number" || !(value >= 0) || !Number.isFinite(value)) {
    throw new ValueError(`Invalid \`${argument}\` for layer "${layer}": expected a non-negative number, received ${JSON.stringify(value)}.`);
  }
  return value;
}

export interface ReLUOptions extends LayerOptions {
  /** Upper bound of the output, or null (the default) for none. */
  maxValue?: number | null;
  /** Slope below the threshold (default 0). */
  negativeSlope?: number;
  /** Inputs at or below it are mapped to negativeSlope · (x − threshold) (default 0). */
  threshold?: number;
}

/**
 * Rectified linear unit with Keras's options: min(x, maxValue) above
 * `threshold`, negativeSlope · (x − threshold) at or below it.
 */
export class ReLU extends Layer {
  readonly maxValue: number | null;
  readonly negativeSlope: number;
  readonly threshold: number;

  constructor(options: ReLUOptions = {}) {
    super(options, [...BASE_LAYER_OPTIONS, "maxValue", "negativeSlope", "threshold"]);
    this.maxValue = options.maxValue === undefined || options.maxValue === null ? null : checkNonNegative(options.maxValue, "maxValue", this.name);
    this.negativeSlope = checkNonNegative(options.negativeSlope ?? 0, "negativeSlope", this.name);
    this.threshold = checkNonNegative(options.threshold ?? 0, "threshold", this.name);
    this.supportsMasking = true;
  }

  override get className(): string {
    return "ReLU";
  }

  call(inputs: Tensor, _options: CallOptions): Tensor {
    return ops.reluWithOptions(inputs, { maxValue: this.maxValue, negativeSlope: this.negativeSlope, threshold: this.threshold });
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), max_value: this.maxValue, negative_slope: this.negativeSlope, threshold: this.threshold };
  }

  static fromConfig(config: Record<string, unknown>): ReLU {
    const options = baseOptionsFromConfig(config, "ReLU", ["max_value", "negative_slope", "threshold"]);
    return new ReLU({
      ...options,
      maxValue: (config["max_value"] as number | null | undefined) ?? null,
      negativeSlope: (config["negative_slope"] as number | undefined) ?? 0,
      threshold: (config["threshold"] as number | undefined) ?? 0,
    });
  }
}

export interface LeakyReLUOptions extends LayerOptions {
  /** Slope for negative inputs (default 0.3). */
  negativeSlope?: number;
  /** Keras 2's name for `negativeSlope`; accepted with a warning. */
  alpha?: number;
}

/** x for x ≥ 0, negativeSlope · x below. */
export class LeakyReLU extends Layer {
  readonly negativeSlope: number;

  constructor(options: LeakyReLUOptions = {}) {
    super(options, [...BASE_LAYER_OPTIONS, "negativeSlope", "alpha"]);
    let slope = options.negativeSlope ?? 0.3;
    if (options.alpha !== undefined) {
      warn(`Layer "${this.name}" (LeakyReLU) was given \`alpha\`, the Keras 2 name of \`negativeSlope\` (negative_slope in configs); use negativeSlope instead.`);
      slope = options.alpha;
    }
    this.negativeSlope = checkNonNegative(slope, "negativeSlope", this.name);
    this.supportsMasking = true;
  }

  override get className(): string {
    return "LeakyReLU";
  }

  call(inputs: Tensor, _options: CallOptions): Tensor {
    return ops.leakyRelu(inputs, this.negativeSlope);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), negative_slope: this.negativeSlope };
  }

  static fromConfig(config: Record<string, unknown>): LeakyReLU {
    const options = baseOptionsFromConfig(config, "LeakyReLU", ["negative_slope", "alpha"]);
    return new LeakyReLU({
      ...options,
      ...(config["negative_slope"] === undefined ? {} : { negativeSlope: config["negative_slope"] as number }),
      ...(config["alpha"] === undefined ? {} : { alpha: config["alpha"] as number }),
    });
  }
}

export interface PReLUOptions extends LayerOptions {
  /** Initializer of the learned slope `alpha` (default zeros). */
  alphaInitializer?: initializers.InitializerIdentifier;
  /** Sample axes (1-based, as in Keras) along which one slope is shared, such as [1, 2] for images. */
  sharedAxes?: number | number[] | null;
  /** Penalty on `alpha`, such as "l2", added to the training loss. */
  alphaRegularizer?: RegularizerIdentifier;
  /** Projection applied to `alpha` after each optimizer update, such as "non_neg". */
  alphaConstraint?: ConstraintIdentifier;
}

/**
 * Parametric ReLU: x for x ≥ 0, alpha · x below, with a learned `alpha` of
 * the sample's shape (size 1 along `sharedAxes`).
 */
export class PReLU extends Layer {
  readonly alphaInitializer: initializers.Initializer;
  readonly sharedAxes: number[] | null;
  readonly penalties: WeightPenalties;
  alpha: Variable | null = null;

  constructor(options: PReLUOptions = {}) {
    super(options, [...BASE_LAYER_OPTIONS, "alphaInitializer", "sharedAxes", ...penaltyOptionNames(["alpha"])]);
    this.penalties = new WeightPenalties(["alpha"], options);
    this.alphaInitializer = initializers.get(options.alphaInitializer ?? "zeros", "alphaInitializer");
    const shared = options.sharedAxes ?? null;
    const list = shared === null ? null : Array.isArray(shared) ? [...shared] : [shared];
    if (list !== null && list.some((a) => !Number.isInteger(a) || a < 1)) {
      throw new ValueError(
        `Invalid \`sharedAxes\` for layer "${this.name}": expected sample axes (integers from 1), received ${JSON.stringify(shared)}.`,
      );
    }
    this.sharedAxes = list;
    this.supportsMasking = true;
  }

  override get className(): string {
    return "PReLU";
  }

  override build(inputShape: SymbolicShape): void {
    const shape = inputShape.slice(1);
    for (const axis of this.sharedAxes ?? []) {
      if (axis >= inputShape.length) {
        throw new ShapeError(`Layer "${this.name}" (PReLU) shares axis ${axis}, which inputs of shape ${formatShape(inputShape)} do not have.`);
      }
      shape[axis - 1] = 1;
    }
    if (shape.some((d) => d === null)) {
      throw new ShapeError(
        `Layer "${this.name}" (PReLU) needs every unshared sample axis to be known, received shape ${formatShape(inputShape)}. Share the unknown axes with sharedAxes.`,
      );
    }
    this.alpha = this.penalties.attach("alpha", this.addWeight({ name: "alpha", shape: shape as number[], initializer: this.alphaInitializer }));
    super.build(inputShape);
  }

  protected override checkInputShape(shape: readonly number[]): void {
    const expected = this.buildInputShape as SymbolicShape;
    const shared = this.sharedAxes ?? [];
    const mismatch =
      shape.length !== expected.length || expected.some((d, i) => i > 0 && !shared.includes(i) && d !== null && d !== shape[i]);
    if (mismatch) {
      throw new ShapeError(`Layer "${this.name}" (PReLU) expects inputs of shape ${formatShape(expected)}, received ${formatShape(shape)}.`);
    }
  }

  call(inputs: Tensor, _options: CallOptions): Tensor {
    return ops.prelu(inputs, this.alpha!.value);
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      alpha_initializer: this.alphaInitializer.serialize(),
      ...this.penalties.regularizerConfig(),
      ...this.penalties.constraintConfig(),
      shared_axes: this.sharedAxes === null ? null : [...this.sharedAxes],
    };
  }

  static fromConfig(config: Record<string, unknown>): PReLU {
    const options = baseOptionsFromConfig(config, "PReLU", ["alpha_initializer", "shared_axes", ...penaltyConfigKeys(["alpha"])]);
    const initializer = config["alpha_initializer"];
    return new PReLU({
      ...options,
      alphaInitializer: initializers.deserialize((initializer ?? "zeros") as initializers.SerializedInitializer | string),
      sharedAxes: (config["shared_axes"] as number[] | null | undefined) ?? null,
      ...penaltyOptionsFromConfig(config, ["alpha"]),
    });
  }
}

export interface ELUOptions extends LayerOptions {
  /** Scale of the negative part (default 1). */
  alpha?: number;
}

/** Exponential linear unit: x for x > 0, alpha · (exp(x) − 1) otherwise. */
export class ELU extends Layer {
  readonly alpha: number;

  constructor(options: ELUOptions = {}) {
    super(options, [...BASE_LAYER_OPTIONS, "alpha"]);
    const alpha = options.alpha ?? 1;
    if (typeof alpha !== "number" || !Number.isFinite(alpha)) {
      throw new ValueError(`Invalid \`alpha\` for layer "${this.name}": expected a number, received ${JSON.stringify(alpha)}.`);
    }
    this.alpha = alpha;
    this.supportsMasking = true;
  }

  override get className(): string {
    return "ELU";
  }

  call(inputs: Tensor, _options: CallOptions): Tensor {
    return ops.elu(inputs, this.alpha);
  }

  /** Keras 3.15.1 writes ELU's `alpha` right after `name`, before the base keys. */
  override getConfig(): Record<string, unknown> {
    const { name, ...rest } = super.getConfig();
    return { name, alpha: this.alpha, ...rest };
  }

  static fromConfig(config: Record<string, unknown>): ELU {
    const options = baseOptionsFromConfig(config, "ELU", ["alpha"]);
    return new ELU({ ...options, alpha: (config["alpha"] as number | undefined) ?? 1 });
  }
}

export interface SoftmaxOptions extends LayerOptions {
  /** The axis, or axes normalized together (default -1). */
  axis?: number | number[];
}

/**
 * Softmax over `axis`. With a mask (broadcast to the input, aligned from the
 * last axis), masked positions get probability 0 and the rest share 1.
 */
export class Softmax extends Layer {
  readonly axis: number | number[];

  constructor(options: SoftmaxOptions = {}) {
    super(options, [...BASE_LAYER_OPTIONS, "axis"]);
    const axis = options.axis ?? -1;
    const valid = Number.isInteger(axis) || (Array.isArray(axis) && axis.length > 0 && axis.every((a) => Number.isInteger(a)));
    if (!valid) {
      throw new ValueError(`Invalid \`axis\` for layer "${this.name}": expected an integer or a non-empty array of integers, received ${JSON.stringify(axis)}.`);
    }
    this.axis = Array.isArray(axis) ? [...axis] : axis;
    this.supportsMasking = true;
  }

  override get className(): string {
    return "Softmax";
  }

  call(inputs: Tensor, options: CallOptions): Tensor {
    const mask = options.mask ?? null;
    if (mask !== null) return ops.maskedSoftmax(inputs, mask, this.axis);
    return ops.softmaxAlong(inputs, this.axis);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), axis: Array.isArray(this.axis) ? [...this.axis] : this.axis };
  }

  static fromConfig(config: Record<string, unknown>): Softmax {
    const options = baseOptionsFromConfig(config, "Softmax", ["axis"]);
    return new Softmax({ ...options, ...(config["axis"] === undefined ? {} : { axis: config["axis"] as number | number[] }) });
  }
}
