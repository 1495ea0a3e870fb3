/**
 * The loss base class: per-sample values, sample weights, masks and the
 * reductions of Keras 3.15.1, plus the label checks every loss shares.
 */

import { ShapeError, ValueError, formatChoices, formatShape } from "../errors.js";
import * as ops from "../ops/index.js";
import { type FloatDType, allocate } from "../tensor/dtype.js";
import { normalizeAxis, shapesEqual } from "../tensor/shape.js";
import { Tensor, cast } from "../tensor/tensor.js";
import { checkOptionKeys } from "../utils/suggest.js";

/** Keras's fuzz factor, `keras.config.epsilon()`. */
export const EPSILON = 1e-7;

export type Reduction = "sum_over_batch_size" | "sum" | "mean" | "mean_with_sample_weight" | "none";
const REDUCTIONS: readonly Reduction[] = ["sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none"];

export interface LossOptions {
  name?: string;
  /**
   * "sum_over_batch_size" (the default) and "mean" divide the weighted sum by
   * the number of values, "mean_with_sample_weight" by the sum of the
   * weights, "sum" returns the sum and "none" (or null) the per-sample values.
   */
  reduction?: Reduction | null;
}

/** Per-sample values and, for losses that skip some of them, a 0/1 mask of the same shape. */
export interface MaskedValues {
  values: Tensor;
  mask: Tensor | null;
}

export abstract class Loss {
  readonly name: string;
  readonly reduction: Reduction;
  /** The reduction as given, so that null stays null in `getConfig()` as in Keras. */
  private readonly configReduction: Reduction | null;

  /** `extraKeys` are the option names a subclass accepts besides `name` and `reduction`. */
  constructor(options: LossOptions, defaultName: string, extraKeys: readonly string[] = []) {
    checkOptionKeys(options, ["name", "reduction", ...extraKeys], new.target.name, (m) => new ValueError(m));
    this.name = options.name ?? defaultName;
    const reduction = options.reduction === null ? "none" : (options.reduction ?? "sum_over_batch_size");
    if (!REDUCTIONS.includes(reduction)) {
      throw new ValueError(`Invalid \`reduction\` ${JSON.stringify(reduction)}: expected one of ${formatChoices(REDUCTIONS)} or null.`);
    }
    this.reduction = reduction;
    this.configReduction = options.reduction === null ? null : reduction;
  }

  /** The Keras class name, used in serialized configs. */
  abstract get className(): string;

  /** Per-sample loss values for labels and predictions whose ranks `alignRanks` has already matched. */
  protected abstract call(yTrue: Tensor, yPred: Tensor): Tensor;

  /** Like `call`, with a mask of the values that count; only losses that skip values override it. */
  protected callWithMask(yTrue: Tensor, yPred: Tensor): MaskedValues {
    return { values: this.call(yTrue, yPred), mask: null };
  }

  /** Per-sample loss values: usually the predictions' shape without the last axis. */
  perSample(yTrue: Tensor, yPred: Tensor): Tensor {
    const [labels, predictions] = alignRanks(yTrue, yPred);
    return this.callWithMask(labels, predictions).values;
  }

  /** Computes the reduced loss; `sampleWeight` broadcasts against the per-sample values. */
  compute(yTrue: Tensor, yPred: Tensor, sampleWeight?: Tensor): Tensor {
    const [labels, predictions] = alignRanks(yTrue, yPred);
    const { values, mask } = this.callWithMask(labels, predictions);
    return reduceWeighted(values, sampleWeight ?? null, mask, this.reduction);
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name, reduction: this.configReduction };
  }
}

function filled(value: number, dtype: FloatDType, shape: readonly number[] = []): Tensor {
  const data = allocate(dtype, shape.reduce((p, d) => p * d, 1));
  data.fill(value);
  return new Tensor(data, shape);
}

/** Returns a constant scalar in `dtype`. */
export function scalar(value: number, dtype: FloatDType): Tensor {
  return filled(value, dtype);
}

/**
 * Weights values by `sampleWeight` and `mask` and reduces them as Keras's
 * `reduce_weighted_values` does. With a mask, the mean reductions weight the
 * kept values by total / kept, so the mean runs over kept values only.
 */
export function reduceWeighted(values: Tensor, sampleWeight: Tensor | null, mask: Tensor | null, reduction: Reduction): Tensor {
  const dtype = values.dtype as FloatDType;
  let weight = sampleWeight;
  if (weight !== null && weight.dtype !== dtype) weight = cast(weight, dtype);

  if (mask !== null) {
    let maskWeight = mask;
    if (reduction === "mean" || reduction === "sum_over_batch_size") {
      let kept = 0;
      for (let i = 0; i < mask.size; i++) kept += mask.data[i]!;
      maskWeight = ops.affine(mask, kept === 0 ? 0 : mask.size / kept);
    }
    if (weight === null) weight = maskWeight;
    else {
      const [alignedMask, alignedWeight] = alignRanks(maskWeight, weight);
      weight = ops.mul(alignedWeight, alignedMask);
    }
  }

  let weighted = values;
  if (weight !== null) {
    const [alignedValues, alignedWeight] = alignRanks(values, weight);
    weighted = ops.mul(alignedValues, alignedWeight);
  }

  if (reduction === "none" || weighted.rank === 0) return weighted;
  if (weighted.size === 0) return filled(0, dtype);
  const total = ops.sum(weighted);
  if (reduction === "sum") return total;
  let divisor = weighted.size;
  if (reduction === "mean_with_sample_weight" && weight !== null) {
    divisor = 0;
    for (let i = 0; i < weight.size; i++) divisor += weight.data[i]!;
  }
  // Keras divides with divide_no_nan: a zero divisor gives 0.
  return ops.affine(total, divisor === 0 ? 0 : 1 / divisor);
}

/**
 * Matches ranks that differ by a trailing axis of size 1, as Keras's
 * `squeeze_or_expand_to_same_rank`: a rank-1 partner gains that axis,
 * otherwise the axis is dropped. Labels (N,) and predictions (N, 1) both become (N, 1).
 */
export function alignRanks(a: Tensor, b: Tensor): [Tensor, Tensor] {
  if (a.rank === b.rank + 1 && a.shape[a.rank - 1] === 1) {
    if (b.rank === 1) return [a, ops.reshape(b, [...b.shape, 1])];
    return [ops.reshape(a, a.shape.slice(0, -1)), b];
  }
  if (b.rank === a.rank + 1 && b.shape[b.rank - 1] === 1) {
    if (a.rank === 1) return [ops.reshape(a, [...a.shape, 1]), b];
    return [a, ops.reshape(b, b.shape.slice(0, -1))];
  }
  return [a, b];
}

/** Throws a ShapeError naming both shapes unless labels and predictions have one shape. */
export function requireSameShape(yTrue: Tensor, yPred: Tensor, loss: string, hint = ""): void {
  if (!shapesEqual(yTrue.shape, yPred.shape)) {
    throw new ShapeError(
      `${loss} needs labels of the predictions' shape: received labels of shape ${formatShape(yTrue.shape)} ` +
        `and predictions of shape ${formatShape(yPred.shape)}.${hint}`,
    );
  }
}

/** Casts the labels to the predictions' float dtype. */
export function asFloat(yTrue: Tensor, like: Tensor): Tensor {
  return yTrue.dtype === like.dtype ? yTrue : cast(yTrue, like.dtype);
}

export function checkAxis(axis: unknown, owner: string): number {
  if (typeof axis !== "number" || !Number.isInteger(axis)) {
    throw new ValueError(`Invalid \`axis\` for ${owner}: expected an integer, received ${JSON.stringify(axis)}.`);
  }
  return axis;
}

/** Moves `axis` of `x` to the end (a no-op when it is already last). */
export function axisToEnd(x: Tensor, axis: number): Tensor {
  const resolved = normalizeAxis(axis, x.rank);
  if (resolved === x.rank - 1) return x;
  const order: number[] = [];
  for (let a = 0; a < x.rank; a++) if (a !== resolved) order.push(a);
  order.push(resolved);
  return ops.transpose(x, order);
}

export function checkFraction(value: unknown, name: string, owner: string): number {
  if (typeof value !== "number" || !(value >= 0 && value <= 1)) {
    throw new ValueError(`Invalid \`${name}\` for ${owner}: expected a number in [0, 1], received ${JSON.stringify(value)}.`);
  }
  return value;
}

export function checkBoolean(value: unknown, name: string, owner: string): boolean {
  if (typeof value !== "boolean") {
    throw new ValueError(`Invalid \`${name}\` for ${owner}: expected true or false, received ${JSON.stringify(value)}.`);
  }
  return value;
}

export function checkNumber(value: unknown, name: string, owner: string): number {
  if (typeof value !== "number" || Number.isNaN(value)) {
    throw new ValueError(`Invalid \`${name}\` for ${owner}: expected a number, received ${JSON.stringify(value)}.`);
  }
  return value;
}
