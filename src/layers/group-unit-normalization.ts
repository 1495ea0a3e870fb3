/** GroupNormalization and UnitNormalization. */

import { ShapeError, ValueError, formatShape } from "../errors.js";
import * as initializers from "../initializers/index.js";
import * as ops from "../ops/index.js";
import { l2Normalize } from "../ops/l2-normalize.js";
import { emptyLike } from "../ops/util.js";
import type { FloatDType } from "../tensor/dtype.js";
import type { Tensor } from "../tensor/tensor.js";
import { BASE_LAYER_OPTIONS, type CallOptions, Layer, type LayerOptions, type SymbolicShape, baseOptionsFromConfig } from "./layer.js";
import {
  NORMALIZATION_PENALTY_KEYS,
  NORMALIZATION_PENALTY_OPTIONS,
  type NormalizationPenaltyOptions,
  checkBoolean,
  checkNumber,
  definedEntries,
  initializerFromConfig,
  normalizationPenalties,
  normalizationPenaltiesFromConfig,
  resolveAxis,
} from "./normalization.js";
import type { WeightPenalties } from "./weight-penalties.js";
import type { Variable } from "./variable.js";

export interface GroupNormalizationOptions extends LayerOptions, NormalizationPenaltyOptions {
  /** Number of channel groups (default 32); it must divide the channel count, and -1 makes one group per channel. */
  groups?: number;
  /** The channel axis (default -1). */
  axis?: number;
  /** Added to the variance before the square root (default 1e-3). */
  epsilon?: number;
  /** Adds the per-channel offset `beta` (default true). */
  center?: boolean;
  /** Multiplies by the per-channel scale `gamma` (default true). */
  scale?: boolean;
  betaInitializer?: initializers.InitializerIdentifier;
  gammaInitializer?: initializers.InitializerIdentifier;
}

const GROUP_NORMALIZATION_OPTIONS = [
  ...BASE_LAYER_OPTIONS,
  "groups",
  "axis",
  "epsilon",
  "center",
  "scale",
  "betaInitializer",
  "gammaInitializer",
  ...NORMALIZATION_PENALTY_OPTIONS,
];

/**
 * Splits the channels into `groups` groups of consecutive channels and
 * normalizes each sample's group over its channels and every other non-batch
 * axis (biased variance), then scales and shifts per channel. With one group
 * it matches LayerNormalization over all non-batch axes, and with one group
 * per channel it is instance normalization.
 */
export class GroupNormalization extends Layer {
  /** As given until the layer is built; -1 then becomes the channel count. */
  groups: number;
  readonly axis: number;
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;
  readonly betaInitializer: initializers.Initializer;
  readonly gammaInitializer: initializers.Initializer;
  readonly penalties: WeightPenalties;
  gamma: Variable | null = null;
  beta: Variable | null = null;

  constructor(options: GroupNormalizationOptions = {}) {
    super(options, GROUP_NORMALIZATION_OPTIONS);
    const groups = options.groups ?? 32;
    if (!Number.isInteger(groups) || (groups < 1 && groups !== -1)) {
      throw new ValueError(`Invalid \`groups\` for layer "${this.name}" (GroupNormalization): expected a positive integer or -1, received ${JSON.stringify(groups)}.`);
    }
    this.groups = groups;
    const axis = options.axis ?? -1;
    if (!Number.isInteger(axis)) {
      throw new ValueError(`Invalid \`axis\` for layer "${this.name}" (GroupNormalization): expected an integer, received ${JSON.stringify(axis)}.`);
    }
    this.axis = axis;
    this.epsilon = checkNumber(options.epsilon ?? 1e-3, "epsilon", this.name, (v) => v >= 0, "a non-negative number such as 1e-3");
    this.center = checkBoolean(options.center ?? true, "center", this.name);
    this.scale = checkBoolean(options.scale ?? true, "scale", this.name);
    this.betaInitializer = initializers.get(options.betaInitializer ?? "zeros", "betaInitializer");
    this.gammaInitializer = initializers.get(options.gammaInitializer ?? "ones", "gammaInitializer");
    this.penalties = normalizationPenalties(options);
    this.supportsMasking = true;
  }

  override get className(): string {
    return "GroupNormalization";
  }

  override build(inputShape: SymbolicShape): void {
    const axis = resolveAxis(this.axis, inputShape, this.name, this.className);
    const channels = inputShape[axis];
    if (axis === 0 || channels === null || channels === undefined) {
      throw new ShapeError(
        `Layer "${this.name}" (GroupNormalization) needs a non-batch channel axis of known size, received axis ${this.axis} of shape ${formatShape(inputShape)}.`,
      );
    }
    if (this.groups === -1) this.groups = channels;
    if (channels < this.groups || channels % this.groups !== 0) {
      throw new ValueError(
        `Layer "${this.name}" (GroupNormalization) splits ${channels} channels into ${this.groups} groups; ` +
          `the number of groups must divide the channel count.`,
      );
    }
    if (this.scale) {
      this.gamma = this.penalties.attach("gamma", this.addWeight({ name: "gamma", shape: [channels], initializer: this.gammaInitializer }));
    }
    if (this.center) {
      this.beta = this.penalties.attach("beta", this.addWeight({ name: "beta", shape: [channels], initializer: this.betaInitializer }));
    }
    super.build(inputShape);
  }

  call(inputs: Tensor, _options: CallOptions): Tensor {
    const axis = resolveAxis(this.axis, [...inputs.shape], this.name, this.className);
    const channels = inputs.shape[axis]!;
    const grouped = [...inputs.shape.slice(0, axis), this.groups, channels / this.groups, ...inputs.shape.slice(axis + 1)];
    const x = ops.reshape(inputs, grouped);
    const reduced = grouped.map((_, i) => i).filter((i) => i !== 0 && i !== axis);
    const centered = ops.sub(x, ops.mean(x, reduced, true));
    const variance = ops.mean(ops.square(centered), reduced, true);
    const epsilon = emptyLike(inputs.dtype as FloatDType, []);
    epsilon.data[0] = this.epsilon;
    let output = ops.reshape(ops.div(centered, ops.sqrt(ops.add(variance, epsilon))), inputs.shape);
    const perChannel = inputs.shape.map((d, i) => (i === axis ? d : 1));
    if (this.gamma) output = ops.mul(output, ops.reshape(this.gamma.value, perChannel));
    if (this.beta) output = ops.add(output, ops.reshape(this.beta.value, perChannel));
    return output;
  }

  override computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    resolveAxis(this.axis, inputShape, this.name, this.className);
    return [...inputShape];
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      groups: this.groups,
      axis: this.axis,
      epsilon: this.epsilon,
      center: this.center,
      scale: this.scale,
      beta_initializer: this.betaInitializer.serialize(),
      gamma_initializer: this.gammaInitializer.serialize(),
      ...this.penalties.regularizerConfig(),
      ...this.penalties.constraintConfig(),
    };
  }

  static fromConfig(config: Record<string, unknown>): GroupNormalization {
    const keys = ["groups", "axis", "epsilon", "center", "scale", "beta_initializer", "gamma_initializer", ...NORMALIZATION_PENALTY_KEYS];
    const options = baseOptionsFromConfig(config, "GroupNormalization", keys);
    return new GroupNormalization({
      ...options,
      ...definedEntries({
        groups: config["groups"] as number | undefined,
        axis: config["axis"] as number | undefined,
        epsilon: config["epsilon"] as number | undefined,
        center: config["center"] as boolean | undefined,
        scale: config["scale"] as boolean | undefined,
      }),
      betaInitializer: initializerFromConfig(config["beta_initializer"], "zeros"),
      gammaInitializer: initializerFromConfig(config["gamma_initializer"], "ones"),
      ...normalizationPenaltiesFromConfig(config),
    });
  }
}

export interface UnitNormalizationOptions extends LayerOptions {
  /** The axis or axes whose L2 norm becomes 1 (default -1). */
  axis?: number | number[];
}

/** Scales each sample to unit L2 norm over `axis`; the inverse norm is capped at 1e12, so zero slices stay zero. */
export class UnitNormalization extends Layer {
  readonly axis: number | number[];

  constructor(options: UnitNormalizationOptions = {}) {
    super(options, [...BASE_LAYER_OPTIONS, "axis"]);
    const axis = options.axis ?? -1;
    const valid = Number.isInteger(axis) || (Array.isArray(axis) && axis.length > 0 && axis.every((a) => Number.isInteger(a)));
    if (!valid) {
      throw new ValueError(`Invalid \`axis\` for layer "${this.name}" (UnitNormalization): expected an integer or a non-empty array of integers, received ${JSON.stringify(axis)}.`);
    }
    this.axis = Array.isArray(axis) ? [...axis] : axis;
    this.supportsMasking = true;
  }

  override get className(): string {
    return "UnitNormalization";
  }

  private resolvedAxes(shape: SymbolicShape): number[] {
    const axes = typeof this.axis === "number" ? [this.axis] : this.axis;
    return axes.map((a) => resolveAxis(a, shape, this.name, this.className));
  }

  call(inputs: Tensor, _options: CallOptions): Tensor {
    return l2Normalize(inputs, this.resolvedAxes([...inputs.shape]), 1e-12);
  }

  override computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    this.resolvedAxes(inputShape);
    return [...inputShape];
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), axis: Array.isArray(this.axis) ? [...this.axis] : this.axis };
  }

  static fromConfig(config: Record<string, unknown>): UnitNormalization {
    const options = baseOptionsFromConfig(config, "UnitNormalization", ["axis"]);
    return new UnitNormalization({ ...options, ...definedEntries({ axis: config["axis"] as number | number[] | undefined }) });
  }
}
