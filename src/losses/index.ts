/**
 * Keras losses: categorical, sparse categorical and binary crossentropy and
 * mean squared error, as classes and by name. A loss maps labels and
 * predictions to one value per sample, then reduces them (the default
 * "sum_over_batch_size" divides the weighted sum by the number of values).
 */

import { ShapeError, ValueError, formatChoices, formatShape } from "../errors.js";
import * as ops from "../ops/index.js";
import { allocate } from "../tensor/dtype.js";
import { shapesEqual } from "../tensor/shape.js";
import { Tensor, cast } from "../tensor/tensor.js";
import { checkOptionKeys, didYouMean } from "../utils/suggest.js";

/** Keras's fuzz factor, `keras.config.epsilon()`. */
export const EPSILON = 1e-7;

export type Reduction = "sum_over_batch_size" | "sum" | "mean" | "none";
const REDUCTIONS: readonly Reduction[] = ["sum_over_batch_size", "sum", "mean", "none"];

export interface LossOptions {
  name?: string;
  reduction?: Reduction;
}

export abstract class Loss {
  readonly name: string;
  readonly reduction: Reduction;

  constructor(options: LossOptions, defaultName: string) {
    checkOptionKeys(options, ["name", "reduction"], this.constructor.name, (m) => new ValueError(m));
    this.name = options.name ?? defaultName;
    this.reduction = options.reduction ?? "sum_over_batch_size";
    if (!REDUCTIONS.includes(this.reduction)) {
      throw new ValueError(`Invalid \`reduction\` ${JSON.stringify(this.reduction)}: expected one of ${formatChoices(REDUCTIONS)}.`);
    }
  }

  /** The Keras class name, used in serialized configs. */
  abstract get className(): string;

  /** Per-sample loss values: the predictions' shape without the last axis. */
  abstract perSample(yTrue: Tensor, yPred: Tensor): Tensor;

  /** Computes the reduced loss. `sampleWeight` has one weight per sample. */
  compute(yTrue: Tensor, yPred: Tensor, sampleWeight?: Tensor): Tensor {
    let values = this.perSample(yTrue, yPred);
    if (sampleWeight) {
      const weight = sampleWeight.rank === values.rank ? sampleWeight : ops.reshape(sampleWeight, values.shape);
      values = ops.mul(values, cast(weight, values.dtype));
    }
    switch (this.reduction) {
      case "none":
        return values;
      case "sum":
        return ops.sum(values);
      default:
        // "mean" and "sum_over_batch_size" both divide by the number of values, not by the weight sum.
        if (values.size === 0) return new Tensor(allocate(values.dtype, 1), []);
        return ops.mean(values);
    }
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name, reduction: this.reduction };
  }
}

/**
 * Makes labels and predictions the same rank when they differ by a trailing
 * axis of size 1, as Keras does: labels (N,) against predictions (N, 1) work.
 */
export function alignRank(yTrue: Tensor, yPred: Tensor): Tensor {
  if (yTrue.rank === yPred.rank - 1 && yPred.shape[yPred.rank - 1] === 1) {
    return ops.reshape(yTrue, yPred.shape);
  }
  if (yTrue.rank === yPred.rank + 1 && yTrue.shape[yTrue.rank - 1] === 1) {
    return ops.reshape(yTrue, yPred.shape);
  }
  return yTrue;
}

function requireSameShape(yTrue: Tensor, yPred: Tensor, loss: string, hint: string): void {
  if (yTrue.rank !== yPred.rank || yTrue.shape.some((d, i) => d !== yPred.shape[i])) {
    throw new ShapeError(
      `${loss} needs labels of the predictions' shape: received labels of shape ${formatShape(yTrue.shape)} ` +
        `and predictions of shape ${formatShape(yPred.shape)}.${hint}`,
    );
  }
}

function asFloat(yTrue: Tensor, like: Tensor): Tensor {
  return yTrue.dtype === like.dtype ? yTrue : cast(yTrue, like.dtype);
}

export class CategoricalCrossentropy extends Loss {
  constructor(options: LossOptions = {}) {
    super(options, "categorical_crossentropy");
  }
  get className(): string {
    return "CategoricalCrossentropy";
  }
  perSample(yTrue: Tensor, yPred: Tensor): Tensor {
    // The hints below build arrays, so they are worked out only for mismatched shapes.
    if (!shapesEqual(yTrue.shape, yPred.shape)) this.rejectShapes(yTrue, yPred);
    return ops.categoricalCrossentropy(asFloat(yTrue, yPred), yPred, EPSILON);
  }

  private rejectShapes(yTrue: Tensor, yPred: Tensor): void {
    const classes = yPred.shape[yPred.rank - 1];
    const integerHint =
      yTrue.rank === yPred.rank - 1 || (yTrue.shape[yTrue.rank - 1] === 1 && classes !== 1)
        ? " The labels look like class indices: use sparse_categorical_crossentropy for integer labels, or one-hot encode them."
        : "";
    const classHint =
      yTrue.rank === yPred.rank && yTrue.shape.slice(0, -1).every((d, i) => d === yPred.shape[i]) && integerHint === ""
        ? ` The labels have ${yTrue.shape[yTrue.rank - 1]} classes but the model outputs ${classes}: set the last layer's \`units\` to the number of classes.`
        : "";
    requireSameShape(yTrue, yPred, "categorical_crossentropy", integerHint + classHint);
  }
}

export class SparseCategoricalCrossentropy extends Loss {
  constructor(options: LossOptions = {}) {
    super(options, "sparse_categorical_crossentropy");
  }
  get className(): string {
    return "SparseCategoricalCrossentropy";
  }
  perSample(yTrue: Tensor, yPred: Tensor): Tensor {
    const expectedRows = yPred.shape.slice(0, -1);
    const fits =
      (yTrue.rank === yPred.rank - 1 && yTrue.shape.every((d, i) => d === expectedRows[i])) ||
      (yTrue.rank === yPred.rank && yTrue.shape[yTrue.rank - 1] === 1 && yTrue.shape.slice(0, -1).every((d, i) => d === expectedRows[i]));
    if (!fits) {
      const hint =
        yTrue.rank === yPred.rank && yTrue.shape[yTrue.rank - 1] === yPred.shape[yPred.rank - 1]
          ? " The labels look one-hot encoded: use categorical_crossentropy for one-hot labels."
          : "";
      throw new ShapeError(
        `sparse_categorical_crossentropy needs integer class labels of shape ${formatShape([...expectedRows])} or ` +
          `${formatShape([...expectedRows, 1])}: received labels of shape ${formatShape(yTrue.shape)} and predictions of shape ${formatShape(yPred.shape)}.${hint}`,
      );
    }
    const labels = new Int32Array(yTrue.size);
    for (let i = 0; i < yTrue.size; i++) {
      const value = yTrue.data[i]!;
      if (!Number.isInteger(value)) {
        throw new ValueError(`Invalid class label ${value} at index ${i} for sparse_categorical_crossentropy: labels must be integers.`);
      }
      labels[i] = value;
    }
    return ops.sparseCategoricalCrossentropy(labels, yPred, EPSILON);
  }
}

export class BinaryCrossentropy extends Loss {
  constructor(options: LossOptions = {}) {
    super(options, "binary_crossentropy");
  }
  get className(): string {
    return "BinaryCrossentropy";
  }
  perSample(yTrue: Tensor, yPred: Tensor): Tensor {
    const aligned = alignRank(yTrue, yPred);
    requireSameShape(aligned, yPred, "binary_crossentropy", "");
    return ops.binaryCrossentropy(asFloat(aligned, yPred), yPred, EPSILON);
  }
}

export class MeanSquaredError extends Loss {
  constructor(options: LossOptions = {}) {
    super(options, "mean_squared_error");
  }
  get className(): string {
    return "MeanSquaredError";
  }
  perSample(yTrue: Tensor, yPred: Tensor): Tensor {
    const aligned = alignRank(yTrue, yPred);
    requireSameShape(aligned, yPred, "mean_squared_error", "");
    return ops.mean(ops.square(ops.sub(yPred, asFloat(aligned, yPred))), -1);
  }
}

const lossNames: Record<string, (name: string) => Loss> = {
  categorical_crossentropy: (name) => new CategoricalCrossentropy({ name }),
  CategoricalCrossentropy: () => new CategoricalCrossentropy(),
  sparse_categorical_crossentropy: (name) => new SparseCategoricalCrossentropy({ name }),
  SparseCategoricalCrossentropy: () => new SparseCategoricalCrossentropy(),
  binary_crossentropy: (name) => new BinaryCrossentropy({ name }),
  bce: (name) => new BinaryCrossentropy({ name }),
  BCE: (name) => new BinaryCrossentropy({ name }),
  BinaryCrossentropy: () => new BinaryCrossentropy(),
  mean_squared_error: (name) => new MeanSquaredError({ name }),
  mse: (name) => new MeanSquaredError({ name }),
  MSE: (name) => new MeanSquaredError({ name }),
  MeanSquaredError: () => new MeanSquaredError(),
};

export type LossIdentifier = string | Loss;

/** Resolves a loss name (Keras's snake_case names, aliases and class names) or object. */
export function get(identifier: LossIdentifier): Loss {
  if (identifier instanceof Loss) return identifier;
  const make = typeof identifier === "string" ? lossNames[identifier] : undefined;
  if (!make) {
    throw new ValueError(`Unknown loss ${JSON.stringify(identifier)}.${didYouMean(identifier, Object.keys(lossNames))} Valid losses: ${formatChoices(Object.keys(lossNames))}.`);
  }
  return make(identifier as string);
}

export const categoricalCrossentropy = (yTrue: Tensor, yPred: Tensor): Tensor => new CategoricalCrossentropy().perSample(yTrue, yPred);
export const sparseCategoricalCrossentropy = (yTrue: Tensor, yPred: Tensor): Tensor =>
  new SparseCategoricalCrossentropy().perSample(yTrue, yPred);
export const binaryCrossentropy = (yTrue: Tensor, yPred: Tensor): Tensor => new BinaryCrossentropy().perSample(yTrue, yPred);
export const meanSquaredError = (yTrue: Tensor, yPred: Tensor): Tensor => new MeanSquaredError().perSample(yTrue, yPred);
