/**
 * The crossentropy losses of Keras 3.15.1: categorical, sparse categorical,
 * binary and the two focal forms. On probabilities they clip to
 * [ε, 1 − ε] as Keras's JAX backend does; with `fromLogits` the categorical
 * and binary forms use fused log-softmax and log-sigmoid kernels, without clipping.
 */

import { ShapeError, ValueError, formatShape } from "../errors.js";
import { warnOnce } from "../logger.js";
import * as ops from "../ops/index.js";
import { type FloatDType } from "../tensor/dtype.js";
import { Tensor } from "../tensor/tensor.js";
import {
  EPSILON,
  Loss,
  type LossOptions,
  type MaskedValues,
  asFloat,
  axisToEnd,
  checkAxis,
  checkBoolean,
  checkFraction,
  checkNumber,
  requireSameShape,
  scalar,
} from "./loss.js";

export interface CrossentropyOptions extends LossOptions {
  /** Whether predictions are logits rather than probabilities; false by default. */
  fromLogits?: boolean;
  /** Moves labels towards uniform: y · (1 − s) + s / classes (categorical) or + s / 2 (binary). */
  labelSmoothing?: number;
  /** The class axis (categorical) or the axis averaged over (binary); −1 by default. */
  axis?: number;
}

const CROSSENTROPY_KEYS = ["fromLogits", "labelSmoothing", "axis"] as const;

function warnSingleClass(yPred: Tensor, loss: string): void {
  if (yPred.shape[yPred.rank - 1] === 1) {
    warnOnce(
      `${loss} single class`,
      `${loss} expects predictions of shape (batch_size, num_classes) with more than one class, received shape ${formatShape(yPred.shape)}. ` +
        "For two classes, use binary_crossentropy.",
    );
  }
}

/** Rejects labels of another shape, with a hint when they look like class indices or the class counts differ. */
function checkCategoricalShapes(yTrue: Tensor, yPred: Tensor, loss: string): void {
  if (yTrue.rank === yPred.rank && yTrue.shape.every((d, i) => d === yPred.shape[i])) return;
  const classes = yPred.shape[yPred.rank - 1];
  const integerHint =
    yTrue.rank === yPred.rank - 1 || (yTrue.shape[yTrue.rank - 1] === 1 && classes !== 1)
      ? " The labels look like class indices: use sparse_categorical_crossentropy for integer labels, or one-hot encode them."
      : "";
  const classHint =
    yTrue.rank === yPred.rank && yTrue.shape.slice(0, -1).every((d, i) => d === yPred.shape[i]) && integerHint === ""
      ? ` The labels have ${yTrue.shape[yTrue.rank - 1]} classes but the model outputs ${classes}: set the last layer's \`units\` to the number of classes.`
      : "";
  requireSameShape(yTrue, yPred, loss, integerHint + classHint);
}

abstract class CrossentropyBase extends Loss {
  readonly fromLogits: boolean;
  readonly labelSmoothing: number;
  readonly axis: number;

  constructor(options: CrossentropyOptions, defaultName: string, extraKeys: readonly string[] = []) {
    super(options, defaultName, [...CROSSENTROPY_KEYS, ...extraKeys]);
    this.fromLogits = checkBoolean(options.fromLogits ?? false, "fromLogits", this.constructor.name);
    this.labelSmoothing = checkFraction(options.labelSmoothing ?? 0, "labelSmoothing", this.constructor.name);
    this.axis = checkAxis(options.axis ?? -1, this.constructor.name);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), from_logits: this.fromLogits, label_smoothing: this.labelSmoothing, axis: this.axis };
  }
}

export class CategoricalCrossentropy extends CrossentropyBase {
  constructor(options: CrossentropyOptions = {}) {
    super(options, "categorical_crossentropy");
  }
  get className(): string {
    return "CategoricalCrossentropy";
  }
  protected call(yTrue: Tensor, yPred: Tensor): Tensor {
    checkCategoricalShapes(yTrue, yPred, "categorical_crossentropy");
    warnSingleClass(yPred, "categorical_crossentropy");
    let labels = axisToEnd(asFloat(yTrue, yPred), this.axis);
    const predictions = axisToEnd(yPred, this.axis);
    if (this.labelSmoothing > 0) {
      const classes = labels.shape[labels.rank - 1]!;
      labels = ops.affine(labels, 1 - this.labelSmoothing, this.labelSmoothing / classes);
    }
    if (this.fromLogits) return ops.softmaxCrossentropy(labels, predictions);
    return ops.categoricalCrossentropy(labels, predictions, EPSILON);
  }
}

export interface SparseCategoricalCrossentropyOptions extends LossOptions {
  fromLogits?: boolean;
  /** A label value whose entries are skipped: their loss is 0 and the mean runs over the others. */
  ignoreClass?: number | null;
  /** The class axis of the predictions; −1 by default. */
  axis?: number;
}

export class SparseCategoricalCrossentropy extends Loss {
  readonly fromLogits: boolean;
  readonly ignoreClass: number | null;
  readonly axis: number;

  constructor(options: SparseCategoricalCrossentropyOptions = {}) {
    super(options, "sparse_categorical_crossentropy", ["fromLogits", "ignoreClass", "axis"]);
    this.fromLogits = checkBoolean(options.fromLogits ?? false, "fromLogits", this.className);
    const ignoreClass = options.ignoreClass ?? null;
    if (ignoreClass !== null && !Number.isInteger(ignoreClass)) {
      throw new ValueError(`Invalid \`ignoreClass\` for SparseCategoricalCrossentropy: expected an integer or null, received ${JSON.stringify(ignoreClass)}.`);
    }
    this.ignoreClass = ignoreClass;
    this.axis = checkAxis(options.axis ?? -1, this.className);
  }

  get className(): string {
    return "SparseCategoricalCrossentropy";
  }

  protected call(yTrue: Tensor, yPred: Tensor): Tensor {
    return this.callWithMask(yTrue, yPred).values;
  }

  protected override callWithMask(yTrue: Tensor, yPred: Tensor): MaskedValues {
    if (yPred.rank === 0) throw new ShapeError("sparse_categorical_crossentropy needs predictions of rank 1 or more, received a scalar.");
    const predictions = axisToEnd(yPred, this.axis);
    const expectedRows = predictions.shape.slice(0, -1);
    const classAxis = this.axis < 0 ? this.axis + yPred.rank : this.axis;
    const sameRankFits =
      yTrue.rank === yPred.rank && yTrue.shape[classAxis] === 1 && yTrue.shape.filter((_, i) => i !== classAxis).every((d, i) => d === expectedRows[i]);
    const fits = (yTrue.rank === yPred.rank - 1 && yTrue.shape.every((d, i) => d === expectedRows[i])) || sameRankFits;
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
    const classes = predictions.shape[predictions.rank - 1]!;
    const labels = new Int32Array(yTrue.size);
    let mask: Tensor | null = null;
    if (this.ignoreClass !== null) mask = new Tensor(new (yPred.dtype === "float64" ? Float64Array : Float32Array)(yTrue.size), expectedRows);
    for (let i = 0; i < yTrue.size; i++) {
      const value = yTrue.data[i]!;
      if (mask !== null && value === this.ignoreClass) continue;
      if (mask !== null) mask.data[i] = 1;
      if (!Number.isInteger(value)) {
        throw new ValueError(`Invalid class label ${value} at index ${i} for sparse_categorical_crossentropy: labels must be integers.`);
      }
      if (value < 0 || value >= classes) {
        throw new ValueError(
          `Invalid class label ${value} at index ${i}: predictions have ${classes} classes, so labels must be integers in [0, ${classes - 1}].`,
        );
      }
      labels[i] = value;
    }
    let values = this.fromLogits ? ops.softmaxCrossentropy(labels, predictions) : ops.sparseCategoricalCrossentropy(labels, predictions, EPSILON);
    if (mask !== null) values = ops.mul(values, mask);
    return { values, mask };
  }

  override getConfig(): Record<string, unknown> {
    // Keras 3.15.1 leaves `axis` out of this config.
    return { ...super.getConfig(), from_logits: this.fromLogits, ignore_class: this.ignoreClass };
  }
}

function smoothBinary(labels: Tensor, smoothing: number): Tensor {
  return smoothing > 0 ? ops.affine(labels, 1 - smoothing, 0.5 * smoothing) : labels;
}

export class BinaryCrossentropy extends CrossentropyBase {
  constructor(options: CrossentropyOptions = {}) {
    super(options, "binary_crossentropy");
  }
  get className(): string {
    return "BinaryCrossentropy";
  }
  protected call(yTrue: Tensor, yPred: Tensor): Tensor {
    requireSameShape(yTrue, yPred, "binary_crossentropy");
    const labels = axisToEnd(smoothBinary(asFloat(yTrue, yPred), this.labelSmoothing), this.axis);
    const predictions = axisToEnd(yPred, this.axis);
    if (this.fromLogits) return ops.sigmoidCrossentropy(labels, predictions);
    return ops.binaryCrossentropy(labels, predictions, EPSILON);
  }
}

export interface BinaryFocalCrossentropyOptions extends CrossentropyOptions {
  /** Weights class 1 by alpha and class 0 by 1 − alpha; false by default. */
  applyClassBalancing?: boolean;
  alpha?: number;
  /** The focusing exponent of (1 − p_t); 2 by default. */
  gamma?: number;
}

export class BinaryFocalCrossentropy extends CrossentropyBase {
  readonly applyClassBalancing: boolean;
  readonly alpha: number;
  readonly gamma: number;

  constructor(options: BinaryFocalCrossentropyOptions = {}) {
    super(options, "binary_focal_crossentropy", ["applyClassBalancing", "alpha", "gamma"]);
    this.applyClassBalancing = checkBoolean(options.applyClassBalancing ?? false, "applyClassBalancing", this.className);
    this.alpha = checkNumber(options.alpha ?? 0.25, "alpha", this.className);
    this.gamma = checkNumber(options.gamma ?? 2, "gamma", this.className);
  }

  get className(): string {
    return "BinaryFocalCrossentropy";
  }

  protected call(yTrue: Tensor, yPred: Tensor): Tensor {
    requireSameShape(yTrue, yPred, "binary_focal_crossentropy");
    const dtype = yPred.dtype as FloatDType;
    const labels = axisToEnd(smoothBinary(asFloat(yTrue, yPred), this.labelSmoothing), this.axis);
    let probabilities = axisToEnd(yPred, this.axis);
    if (this.fromLogits) probabilities = ops.sigmoid(probabilities);
    // Element-wise crossentropy on clipped probabilities, as Keras's backend computes it.
    const clipped = ops.clip(probabilities, EPSILON, 1 - EPSILON);
    const oneMinusLabels = ops.affine(labels, -1, 1);
    const bce = ops.neg(ops.add(ops.mul(labels, ops.log(clipped)), ops.mul(oneMinusLabels, ops.log(ops.affine(clipped, -1, 1)))));
    // p_t uses the unclipped probabilities.
    const pT = ops.add(ops.mul(labels, probabilities), ops.mul(oneMinusLabels, ops.affine(probabilities, -1, 1)));
    let focal = ops.mul(ops.activation("power", ops.affine(pT, -1, 1), [this.gamma]), bce);
    if (this.applyClassBalancing) {
      const weight = ops.add(ops.affine(labels, this.alpha), ops.mul(oneMinusLabels, scalar(1 - this.alpha, dtype)));
      focal = ops.mul(weight, focal);
    }
    return ops.mean(focal, -1);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), apply_class_balancing: this.applyClassBalancing, alpha: this.alpha, gamma: this.gamma };
  }
}

export interface CategoricalFocalCrossentropyOptions extends CrossentropyOptions {
  /** Weight of every class (a number) or of each class (one number per class); 0.25 by default. */
  alpha?: number | readonly number[];
  gamma?: number;
}

export class CategoricalFocalCrossentropy extends CrossentropyBase {
  readonly alpha: number | readonly number[];
  readonly gamma: number;

  constructor(options: CategoricalFocalCrossentropyOptions = {}) {
    super(options, "categorical_focal_crossentropy", ["alpha", "gamma"]);
    const alpha = options.alpha ?? 0.25;
    if (Array.isArray(alpha)) alpha.forEach((a, i) => checkNumber(a, `alpha[${i}]`, this.className));
    else checkNumber(alpha, "alpha", this.className);
    this.alpha = alpha;
    this.gamma = checkNumber(options.gamma ?? 2, "gamma", this.className);
  }

  get className(): string {
    return "CategoricalFocalCrossentropy";
  }

  protected call(yTrue: Tensor, yPred: Tensor): Tensor {
    checkCategoricalShapes(yTrue, yPred, "categorical_focal_crossentropy");
    warnSingleClass(yPred, "categorical_focal_crossentropy");
    const dtype = yPred.dtype as FloatDType;
    let labels = axisToEnd(asFloat(yTrue, yPred), this.axis);
    let probabilities = axisToEnd(yPred, this.axis);
    const classes = labels.shape[labels.rank - 1]!;
    if (this.labelSmoothing > 0) labels = ops.affine(labels, 1 - this.labelSmoothing, this.labelSmoothing / classes);
    if (this.fromLogits) probabilities = ops.softmax(probabilities);
    const normalized = ops.clip(ops.div(probabilities, ops.sum(probabilities, -1, true)), EPSILON, 1 - EPSILON);
    const cce = ops.neg(ops.mul(labels, ops.log(normalized)));
    let alpha: Tensor;
    if (typeof this.alpha === "number") alpha = scalar(this.alpha, dtype);
    else {
      if (this.alpha.length !== classes) {
        throw new ShapeError(`categorical_focal_crossentropy has ${this.alpha.length} values of \`alpha\` for ${classes} classes: give one per class.`);
      }
      alpha = new Tensor(dtype === "float64" ? Float64Array.from(this.alpha) : Float32Array.from(this.alpha), [classes]);
    }
    const weighting = ops.mul(ops.activation("power", ops.affine(normalized, -1, 1), [this.gamma]), alpha);
    return ops.sum(ops.mul(weighting, cce), -1);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), alpha: Array.isArray(this.alpha) ? [...this.alpha] : this.alpha, gamma: this.gamma };
  }
}
