/**
 * The regularizer and constraint options that layers take for each of their
 * weights (`kernelRegularizer`, `biasConstraint`, ...), their Keras config
 * keys (`kernel_regularizer`, `bias_constraint`, ...), and the activity
 * regularizer that penalizes a layer's outputs.
 */

import * as constraints from "../constraints/index.js";
import * as ops from "../ops/index.js";
import * as regularizers from "../regularizers/index.js";
import type { Tensor } from "../tensor/tensor.js";
import { toSnakeCase } from "../utils/naming.js";
import type { Layer } from "./layer.js";
import type { Variable } from "./variable.js";

/** The penalty options of layers with a kernel and a bias (Dense, the convolutions, MultiHeadAttention). */
export interface KernelPenaltyOptions {
  /** Penalty on the kernel, such as "l2" or `regularizers.l2(0.1)`, added to the training loss. */
  kernelRegularizer?: regularizers.RegularizerIdentifier;
  biasRegularizer?: regularizers.RegularizerIdentifier;
  /** Penalty on the layer's output, divided by the batch size. */
  activityRegularizer?: regularizers.RegularizerIdentifier;
  /** Projection applied to the kernel after each optimizer update, such as "max_norm". */
  kernelConstraint?: constraints.ConstraintIdentifier;
  biasConstraint?: constraints.ConstraintIdentifier;
}

/** Returns the constructor option names for `weights`: every `<weight>Regularizer`, then every `<weight>Constraint`. */
export function penaltyOptionNames(weights: readonly string[]): string[] {
  return [...weights.map((w) => `${w}Regularizer`), ...weights.map((w) => `${w}Constraint`)];
}

/** Returns the Keras config keys for `weights`: every `<weight>_regularizer`, then every `<weight>_constraint`. */
export function penaltyConfigKeys(weights: readonly string[]): string[] {
  return [...weights.map((w) => `${toSnakeCase(w)}_regularizer`), ...weights.map((w) => `${toSnakeCase(w)}_constraint`)];
}

/**
 * The regularizer and constraint of each named weight of a layer, resolved
 * from the layer's options. Weight names are camelCase option prefixes:
 * "kernel", "recurrent", "bias", "embeddings", "beta", "gamma", "alpha".
 */
export class WeightPenalties {
  private readonly regularizerOf = new Map<string, regularizers.Regularizer | null>();
  private readonly constraintOf = new Map<string, constraints.Constraint | null>();

  constructor(
    readonly weights: readonly string[],
    options: object,
  ) {
    const values = options as Record<string, unknown>;
    for (const weight of weights) {
      const regularizerOption = `${weight}Regularizer`;
      const constraintOption = `${weight}Constraint`;
      this.regularizerOf.set(weight, regularizers.get(values[regularizerOption] as regularizers.RegularizerIdentifier, regularizerOption));
      this.constraintOf.set(weight, constraints.get(values[constraintOption] as constraints.ConstraintIdentifier, constraintOption));
    }
  }

  regularizer(weight: string): regularizers.Regularizer | null {
    return this.regularizerOf.get(weight) ?? null;
  }

  constraint(weight: string): constraints.Constraint | null {
    return this.constraintOf.get(weight) ?? null;
  }

  /** Sets the penalty and the projection of `weight` on `variable`, which training and the optimizers apply. Returns it. */
  attach(weight: string, variable: Variable): Variable {
    const regularizer = this.regularizer(weight);
    const constraint = this.constraint(weight);
    variable.regularizer = regularizer === null ? null : (value) => regularizer.call(value);
    variable.constraint = constraint === null ? null : (value) => constraint.call(value);
    return variable;
  }

  /** Returns the serialized regularizers, keyed `<weight>_regularizer` in the order of `weights`. */
  regularizerConfig(): Record<string, unknown> {
    const config: Record<string, unknown> = {};
    for (const weight of this.weights) config[`${toSnakeCase(weight)}_regularizer`] = regularizers.serialize(this.regularizer(weight));
    return config;
  }

  /** Returns the serialized constraints, keyed `<weight>_constraint` in the order of `weights`. */
  constraintConfig(): Record<string, unknown> {
    const config: Record<string, unknown> = {};
    for (const weight of this.weights) config[`${toSnakeCase(weight)}_constraint`] = constraints.serialize(this.constraint(weight));
    return config;
  }
}

/**
 * Reads the regularizers and constraints of `weights` from a Keras config
 * into constructor options (`kernel_regularizer` → `kernelRegularizer`).
 * Keys the config lacks are left out, so the options' defaults apply.
 */
export function penaltyOptionsFromConfig(config: Record<string, unknown>, weights: readonly string[]): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  for (const weight of weights) {
    const regularizer = config[`${toSnakeCase(weight)}_regularizer`];
    const constraint = config[`${toSnakeCase(weight)}_constraint`];
    if (regularizer !== undefined) {
      options[`${weight}Regularizer`] = regularizers.deserialize(regularizer as regularizers.SerializedRegularizer | string | null, `${toSnakeCase(weight)}_regularizer`);
    }
    if (constraint !== undefined) {
      options[`${weight}Constraint`] = constraints.deserialize(constraint as constraints.SerializedConstraint | string | null, `${toSnakeCase(weight)}_constraint`);
    }
  }
  return options;
}

/**
 * Returns `{ activity_regularizer }` when `regularizer` is set, else nothing.
 * Keras's base layer writes the key right after `dtype` when it is set.
 * Layers that also write it further on (convolutions, Embedding, recurrent
 * layers) keep it there when it is null, and spreading this object first
 * reproduces both positions.
 */
export function activityBaseConfig(regularizer: regularizers.Regularizer | null): Record<string, unknown> {
  return regularizer === null ? {} : { activity_regularizer: regularizer.serialize() };
}

/** Reads `activity_regularizer` from a Keras config into the `activityRegularizer` option (absent when the key is). */
export function activityOptionFromConfig(config: Record<string, unknown>): { activityRegularizer?: regularizers.Regularizer | null } {
  const value = config["activity_regularizer"];
  if (value === undefined) return {};
  return { activityRegularizer: regularizers.deserialize(value as regularizers.SerializedRegularizer | string | null, "activity_regularizer") };
}

/**
 * Adds the activity penalty of each output to `layer`'s losses, divided by
 * the output's batch size (its first axis) as Keras does, so the penalty's
 * weight does not change with the batch size. An empty batch adds 0, as
 * Keras's `divide_no_nan` gives. Does nothing when `regularizer` is null.
 */
export function addActivityPenalty(layer: Layer, regularizer: regularizers.Regularizer | null, outputs: Tensor | readonly Tensor[]): void {
  if (regularizer === null) return;
  const list = Array.isArray(outputs) ? outputs : [outputs as Tensor];
  for (const output of list) {
    const penalty = regularizer.call(output);
    if (output.rank === 0) {
      layer.addLoss(penalty);
      continue;
    }
    const batch = output.shape[0]!;
    layer.addLoss(ops.affine(penalty, batch === 0 ? 0 : 1 / batch));
  }
}
