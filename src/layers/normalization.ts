import { ShapeError, ValueError, formatShape } from "../errors.js";
import * as initializers from "../initializers/index.js";
import { warn } from "../logger.js";
import * as ops from "../ops/index.js";
import { emptyLike } from "../ops/util.js";
import type { FloatDType } from "../tensor/dtype.js";
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

/** Returns `value` when it is a finite number, else throws a ValueError naming the argument and layer. */
export function checkNumber(value: unknown, argument: string, layer: string, condition: (v: number) => boolean, expected: string): number {
  if (typeof value !== "number" || !Number.isFinite(value) || !condition(value)) {
    throw new ValueError(`Invalid \`${argument}\` for layer "${layer}": expected ${expected}, received ${JSON.stringify(value)}.`);
  }
  return value;
}

export function checkBoolean(value: unknown, argument: string, layer: string): boolean {
  if (typeof value !== "boolean") {
    throw new ValueError(`Invalid \`${argument}\` for layer "${layer}": expected true or false, received ${JSON.stringify(value)}.`);
  }
  return value;
}

/** Returns the axis in [0, rank), or throws a ShapeError naming the layer and the input shape. */
export function resolveAxis(axis: number, shape: SymbolicShape, layer: string, className: string): number {
  const rank = shape.length;
  if (axis >= rank || axis < -rank) {
    throw new ShapeError(
      `Layer "${layer}" (${className}) normalizes axis ${axis}, which is out of range for inputs of shape ${formatShape(shape)}.`,
    );
  }
  return axis < 0 ? axis + rank : axis;
}

/** The weights of the normalization layers that take a regularizer and a constraint, in Keras's config order. */
export const NORMALIZATION_WEIGHTS = ["beta", "gamma"];
/** The regularizer and constraint options of the normalization layers. */
export const NORMALIZATION_PENALTY_OPTIONS = penaltyOptionNames(NORMALIZATION_WEIGHTS);
/** Keras's config keys for the regularizers and constraints of beta and gamma. */
export const NORMALIZATION_PENALTY_KEYS = penaltyConfigKeys(NORMALIZATION_WEIGHTS);

/** The regularizers and constraints of `beta` and `gamma`, which the normalization layers take. */
export interface NormalizationPenaltyOptions {
  /** Penalty on the offset `beta`, such as "l2", added to the training loss. */
  betaRegularizer?: RegularizerIdentifier;
  /** Penalty on the scale `gamma`. */
  gammaRegularizer?: RegularizerIdentifier;
  /** Projection applied to `beta` after each optimizer update, such as "non_neg". */
  betaConstraint?: ConstraintIdentifier;
  gammaConstraint?: ConstraintIdentifier;
}

/** Resolves the normalization layers' `beta` and `gamma` penalties from their options. */
export function normalizationPenalties(options: NormalizationPenaltyOptions): WeightPenalties {
  return new WeightPenalties(NORMALIZATION_WEIGHTS, options);
}

/** Reads the `beta` and `gamma` regularizers and constraints from a Keras config. */
export function normalizationPenaltiesFromConfig(config: Record<string, unknown>): NormalizationPenaltyOptions {
  return penaltyOptionsFromConfig(config, NORMALIZATION_WEIGHTS) as NormalizationPenaltyOptions;
}

export interface BatchNormalizationOptions extends LayerOptions, NormalizationPenaltyOptions {
  /** The channel axis (default -1, channels last); statistics are taken over every other axis. */
  axis?: number;
  /** Weight of the old value in each moving-statistics update (default 0.99). */
  momentum?: number;
  /** Added to the variance before the square root (default 1e-3). */
  epsilon?: number;
  /** Adds the offset `beta` (default true). */
  center?: boolean;
  /** Multiplies by the scale `gamma` (default true). */
  scale?: boolean;
  betaInitializer?: initializers.InitializerIdentifier;
  gammaInitializer?: initializers.InitializerIdentifier;
  movingMeanInitializer?: initializers.InitializerIdentifier;
  movingVarianceInitializer?: initializers.InitializerIdentifier;
}

const BATCH_NORMALIZATION_OPTIONS = [
  ...BASE_LAYER_OPTIONS,
  "axis",
  "momentum",
  "epsilon",
  "center",
  "scale",
  "betaInitializer",
  "gammaInitializer",
  "movingMeanInitializer",
  "movingVarianceInitializer",
  ...NORMALIZATION_PENALTY_OPTIONS,
];
const BATCH_NORMALIZATION_CONFIG_KEYS = [
  "axis",
  "momentum",
  "epsilon",
  "center",
  "scale",
  "beta_initializer",
  "gamma_initializer",
  "moving_mean_initializer",
  "moving_variance_initializer",
  "synchronized",
  "renorm",
  "renorm_clipping",
  "renorm_momentum",
  ...NORMALIZATION_PENALTY_KEYS,
];

/**
 * Normalizes each channel to zero mean and unit variance, then scales by
 * `gamma` and shifts by `beta`. In training (and only when the layer is
 * trainable) it uses the batch's mean and biased variance over every axis
 * but `axis`, and moves the moving statistics towards them:
 * moving = moving · momentum + batch · (1 − momentum). Otherwise it uses the
 * moving statistics. A mask of shape [batch, steps] (the input's shape
 * without its last axis) leaves masked steps out of the batch statistics.
 */
export class BatchNormalization extends Layer {
  readonly axis: number;
  readonly momentum: number;
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;
  readonly betaInitializer: initializers.Initializer;
  readonly gammaInitializer: initializers.Initializer;
  readonly movingMeanInitializer: initializers.Initializer;
  readonly movingVarianceInitializer: initializers.Initializer;
  readonly penalties: WeightPenalties;
  gamma: Variable | null = null;
  beta: Variable | null = null;
  movingMean: Variable | null = null;
  movingVariance: Variable | null = null;
  private channelAxis = -1;

  constructor(options: BatchNormalizationOptions = {}) {
    super(options, BATCH_NORMALIZATION_OPTIONS);
    this.axis = checkNumber(options.axis ?? -1, "axis", this.name, Number.isInteger, "an integer axis such as -1");
    this.momentum = checkNumber(options.momentum ?? 0.99, "momentum", this.name, () => true, "a number such as 0.99");
    this.epsilon = checkNumber(options.epsilon ?? 1e-3, "epsilon", this.name, (v) => v >= 0, "a non-negative number such as 1e-3");
    this.center = checkBoolean(options.center ?? true, "center", this.name);
    this.scale = checkBoolean(options.scale ?? true, "scale", this.name);
    this.betaInitializer = initializers.get(options.betaInitializer ?? "zeros", "betaInitializer");
    this.gammaInitializer = initializers.get(options.gammaInitializer ?? "ones", "gammaInitializer");
    this.movingMeanInitializer = initializers.get(options.movingMeanInitializer ?? "zeros", "movingMeanInitializer");
    this.movingVarianceInitializer = initializers.get(options.movingVarianceInitializer ?? "ones", "movingVarianceInitializer");
    this.penalties = normalizationPenalties(options);
    this.supportsMasking = true;
  }

  override get className(): string {
    return "BatchNormalization";
  }

  override build(inputShape: SymbolicShape): void {
    this.channelAxis = resolveAxis(this.axis, inputShape, this.name, this.className);
    const channels = inputShape[this.channelAxis];
    if (channels === null || channels === undefined) {
      throw new ShapeError(
        `Layer "${this.name}" (BatchNormalization) needs the size of axis ${this.axis} to be known, received shape ${formatShape(inputShape)}.`,
      );
    }
    const shape = [channels];
    if (this.scale) this.gamma = this.penalties.attach("gamma", this.addWeight({ name: "gamma", shape, initializer: this.gammaInitializer }));
    if (this.center) this.beta = this.penalties.attach("beta", this.addWeight({ name: "beta", shape, initializer: this.betaInitializer }));
    this.movingMean = this.addWeight({ name: "moving_mean", shape, initializer: this.movingMeanInitializer, trainable: false });
    this.movingVariance = this.addWeight({ name: "moving_variance", shape, initializer: this.movingVarianceInitializer, trainable: false });
    super.build(inputShape);
  }

  protected override checkInputShape(shape: readonly number[]): void {
    const expected = this.buildInputShape as SymbolicShape;
    const channels = this.movingMean!.shape[0]!;
    if (shape.length !== expected.length || shape[this.channelAxis] !== channels) {
      throw new ShapeError(
        `Layer "${this.name}" (BatchNormalization) expects inputs of rank ${expected.length} with ${channels} channels on axis ${this.axis}, ` +
          `received shape ${formatShape(shape)}.`,
      );
    }
  }

  call(inputs: Tensor, options: CallOptions): Tensor {
    const mask = options.mask ?? null;
    const training = (options.training ?? false) && this.trainable;
    const common = {
      axis: this.channelAxis,
      epsilon: this.epsilon,
      gamma: this.gamma ? this.gamma.value : null,
      beta: this.beta ? this.beta.value : null,
    };
    if (!training) {
      const moving = { mean: this.movingMean!.value, variance: this.movingVariance!.value };
      return ops.batchNormalization(inputs, { ...common, ...moving, training: false }).output;
    }
    const weights = mask === null ? null : this.maskWeights(inputs, mask);
    const result = ops.batchNormalization(inputs, { ...common, mean: null, variance: null, training: true, weights });
    // The moving statistics are updated in place: the variables keep their buffers for their whole life.
    updateMovingStatistic(this.movingMean!, result.mean, this.momentum);
    updateMovingStatistic(this.movingVariance!, result.variance, this.momentum);
    return result.output;
  }

  /** Broadcasts a [batch, steps] mask over the last axis of the input, as per-element weights of the batch statistics. */
  private maskWeights(inputs: Tensor, mask: Tensor): Tensor {
    const matches = mask.rank === inputs.rank - 1 && mask.shape.every((d, i) => d === inputs.shape[i]);
    if (!matches) {
      throw new ShapeError(
        `Layer "${this.name}" (BatchNormalization) needs a mask of the input's shape without its last axis, ` +
          `${formatShape(inputs.shape.slice(0, -1))}, received ${formatShape(mask.shape)}.`,
      );
    }
    const weights = emptyLike(inputs.dtype as FloatDType, inputs.shape);
    const last = inputs.shape[inputs.rank - 1]!;
    for (let i = 0; i < mask.size; i++) {
      if (mask.data[i]! !== 0) weights.data.fill(1, i * last, (i + 1) * last);
    }
    return weights;
  }

  override computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    resolveAxis(this.axis, inputShape, this.name, this.className);
    return [...inputShape];
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      axis: this.axis,
      momentum: this.momentum,
      epsilon: this.epsilon,
      center: this.center,
      scale: this.scale,
      beta_initializer: this.betaInitializer.serialize(),
      gamma_initializer: this.gammaInitializer.serialize(),
      moving_mean_initializer: this.movingMeanInitializer.serialize(),
      moving_variance_initializer: this.movingVarianceInitializer.serialize(),
      ...this.penalties.regularizerConfig(),
      ...this.penalties.constraintConfig(),
      synchronized: false,
      renorm: false,
      renorm_clipping: null,
      renorm_momentum: 0.99,
    };
  }

  static fromConfig(config: Record<string, unknown>): BatchNormalization {
    const options = baseOptionsFromConfig(config, "BatchNormalization", BATCH_NORMALIZATION_CONFIG_KEYS);
    for (const key of ["synchronized", "renorm"]) {
      if (config[key] !== undefined && config[key] !== false) {
        throw new ValueError(`BatchNormalization config sets "${key}" to ${JSON.stringify(config[key])}, which Stratum does not support. Set it to false.`);
      }
    }
    if (config["renorm_clipping"] !== undefined && config["renorm_clipping"] !== null) {
      throw new ValueError(
        `BatchNormalization config sets "renorm_clipping" to ${JSON.stringify(config["renorm_clipping"])}, which Stratum does not support. Set it to null.`,
      );
    }
    return new BatchNormalization({
      ...options,
      ...definedEntries({
        axis: config["axis"] as number | undefined,
        momentum: config["momentum"] as number | undefined,
        epsilon: config["epsilon"] as number | undefined,
        center: config["center"] as boolean | undefined,
        scale: config["scale"] as boolean | undefined,
      }),
      betaInitializer: initializerFromConfig(config["beta_initializer"], "zeros"),
      gammaInitializer: initializerFromConfig(config["gamma_initializer"], "ones"),
      movingMeanInitializer: initializerFromConfig(config["moving_mean_initializer"], "zeros"),
      movingVarianceInitializer: initializerFromConfig(config["moving_variance_initializer"], "ones"),
      ...normalizationPenaltiesFromConfig(config),
    });
  }
}

/** moving ← moving · momentum + batch · (1 − momentum), written into the variable's own buffer. */
function updateMovingStatistic(variable: Variable, batch: Tensor, momentum: number): void {
  const moving = variable.value.data;
  for (let i = 0; i < moving.length; i++) moving[i] = moving[i]! * momentum + batch.data[i]! * (1 - momentum);
}

export function initializerFromConfig(value: unknown, fallback: string): initializers.Initializer {
  return initializers.deserialize((value ?? fallback) as initializers.SerializedInitializer | string);
}

/** Drops the keys whose value is undefined, so that constructor defaults apply to them. */
export function definedEntries<T extends Record<string, unknown>>(entries: T): Partial<T> {
  return Object.fromEntries(Object.entries(entries).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export interface LayerNormalizationOptions extends LayerOptions, NormalizationPenaltyOptions {
  /** The axis or axes normalized together (default -1). */
  axis?: number | number[];
  /** Added to the variance before the square root (default 1e-3). */
  epsilon?: number;
  /** Adds the offset `beta` (default true). */
  center?: boolean;
  /** Multiplies by the scale `gamma` (default true). */
  scale?: boolean;
  /**
   * Keras's deprecated `rms_scaling`: divides by sqrt(variance + epsilon)
   * without subtracting the mean, and has no `beta`. Prefer the default.
   */
  rmsScaling?: boolean;
  betaInitializer?: initializers.InitializerIdentifier;
  gammaInitializer?: initializers.InitializerIdentifier;
}

const LAYER_NORMALIZATION_OPTIONS = [
  ...BASE_LAYER_OPTIONS,
  "axis",
  "epsilon",
  "center",
  "scale",
  "rmsScaling",
  "betaInitializer",
  "gammaInitializer",
  ...NORMALIZATION_PENALTY_OPTIONS,
];
const LAYER_NORMALIZATION_CONFIG_KEYS = [
  "axis",
  "epsilon",
  "center",
  "scale",
  "rms_scaling",
  "beta_initializer",
  "gamma_initializer",
  ...NORMALIZATION_PENALTY_KEYS,
];

/**
 * Normalizes each sample over `axis` (one axis or several) to zero mean and
 * unit variance, then scales by `gamma` and shifts by `beta`, which have the
 * shape of the normalized axes. Masks pass through unchanged.
 */
export class LayerNormalization extends Layer {
  /** As given until the layer is built, then the sorted list of axes, as Keras stores it. */
  axis: number | number[];
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;
  readonly rmsScaling: boolean;
  readonly betaInitializer: initializers.Initializer;
  readonly gammaInitializer: initializers.Initializer;
  readonly penalties: WeightPenalties;
  gamma: Variable | null = null;
  beta: Variable | null = null;

  constructor(options: LayerNormalizationOptions = {}) {
    super(options, LAYER_NORMALIZATION_OPTIONS);
    const axis = options.axis ?? -1;
    const valid = Number.isInteger(axis) || (Array.isArray(axis) && axis.length > 0 && axis.every((a) => Number.isInteger(a)));
    if (!valid) {
      throw new ValueError(`Invalid \`axis\` for layer "${this.name}": expected an integer or a non-empty array of integers, received ${JSON.stringify(axis)}.`);
    }
    this.axis = Array.isArray(axis) ? [...axis] : axis;
    this.epsilon = checkNumber(options.epsilon ?? 1e-3, "epsilon", this.name, (v) => v >= 0, "a non-negative number such as 1e-3");
    this.center = checkBoolean(options.center ?? true, "center", this.name);
    this.scale = checkBoolean(options.scale ?? true, "scale", this.name);
    this.rmsScaling = checkBoolean(options.rmsScaling ?? false, "rmsScaling", this.name);
    if (this.rmsScaling) {
      warn(
        `Layer "${this.name}" (LayerNormalization) was given rmsScaling: true, which is deprecated as in Keras 3: ` +
          `it divides by the standard deviation about the mean, not by the root mean square.`,
      );
    }
    this.betaInitializer = initializers.get(options.betaInitializer ?? "zeros", "betaInitializer");
    this.gammaInitializer = initializers.get(options.gammaInitializer ?? "ones", "gammaInitializer");
    this.penalties = normalizationPenalties(options);
    this.supportsMasking = true;
  }

  override get className(): string {
    return "LayerNormalization";
  }

  private get axes(): number[] {
    return typeof this.axis === "number" ? [this.axis] : this.axis;
  }

  override build(inputShape: SymbolicShape): void {
    const axes = [...this.axes].sort((a, b) => a - b);
    const shape = axes.map((a) => {
      const size = inputShape[resolveAxis(a, inputShape, this.name, this.className)];
      if (size === null || size === undefined) {
        throw new ShapeError(
          `Layer "${this.name}" (LayerNormalization) needs the size of axis ${a} to be known, received shape ${formatShape(inputShape)}.`,
        );
      }
      return size;
    });
    this.axis = axes;
    if (this.scale || this.rmsScaling) {
      this.gamma = this.penalties.attach("gamma", this.addWeight({ name: "gamma", shape, initializer: this.gammaInitializer }));
    }
    if (this.center && !this.rmsScaling) {
      this.beta = this.penalties.attach("beta", this.addWeight({ name: "beta", shape, initializer: this.betaInitializer }));
    }
    super.build(inputShape);
  }

  protected override checkInputShape(shape: readonly number[]): void {
    const expected = this.buildInputShape as SymbolicShape;
    const mismatch =
      shape.length !== expected.length ||
      this.axes.some((a) => {
        const axis = a < 0 ? a + shape.length : a;
        return shape[axis] !== expected[axis];
      });
    if (mismatch) {
      throw new ShapeError(
        `Layer "${this.name}" (LayerNormalization) was built for inputs of shape ${formatShape(expected)} and normalizes axes [${this.axes.join(", ")}], ` +
          `received shape ${formatShape(shape)}.`,
      );
    }
  }

  call(inputs: Tensor, _options: CallOptions): Tensor {
    return ops.layerNormalization(inputs, {
      axes: this.axes,
      epsilon: this.epsilon,
      gamma: this.gamma ? this.gamma.value : null,
      beta: this.beta ? this.beta.value : null,
      rmsScaling: this.rmsScaling,
    });
  }

  override computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    for (const a of this.axes) resolveAxis(a, inputShape, this.name, this.className);
    return [...inputShape];
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      axis: Array.isArray(this.axis) ? [...this.axis] : this.axis,
      epsilon: this.epsilon,
      center: this.center,
      scale: this.scale,
      rms_scaling: this.rmsScaling,
      beta_initializer: this.betaInitializer.serialize(),
      gamma_initializer: this.gammaInitializer.serialize(),
      ...this.penalties.regularizerConfig(),
      ...this.penalties.constraintConfig(),
    };
  }

  static fromConfig(config: Record<string, unknown>): LayerNormalization {
    const options = baseOptionsFromConfig(config, "LayerNormalization", LAYER_NORMALIZATION_CONFIG_KEYS);
    return new LayerNormalization({
      ...options,
      ...definedEntries({
        axis: config["axis"] as number | number[] | undefined,
        epsilon: config["epsilon"] as number | undefined,
        center: config["center"] as boolean | undefined,
        scale: config["scale"] as boolean | undefined,
        rmsScaling: config["rms_scaling"] as boolean | undefined,
      }),
      betaInitializer: initializerFromConfig(config["beta_initializer"], "zeros"),
      gammaInitializer: initializerFromConfig(config["gamma_initializer"], "ones"),
      ...normalizationPenaltiesFromConfig(config),
    });
  }
}
