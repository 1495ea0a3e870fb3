/**
 * Probabilistic and hinge metrics: the per-sample values of Keras's losses
 * of the same names, averaged over samples. Smaller is better.
 */

import { ShapeError, ValueError, formatShape } from "../errors.js";
import type { Tensor } from "../tensor/tensor.js";
import {
  type BaseMetricOptions,
  EPSILON,
  alignRanks,
  checkMetricOptions,
  checkSameSize,
  rowsAndColumns,
} from "./metric.js";
import { type BatchValues, MeanMetricWrapper } from "./reduction.js";

/** Keras clips probabilities to [epsilon, 1 - epsilon] in float32, so the upper bound is float32's 1 - 1e-7. */
const UPPER = Math.fround(1 - EPSILON);

/** A metric with one value per row of the last axis, from labels and predictions of the same shape. */
abstract class RowwiseMetric extends MeanMetricWrapper {
  constructor(options: BaseMetricOptions, className: string, defaultName: string, extraKeys: readonly string[] = []) {
    checkMetricOptions(options, extraKeys, className);
    super({ name: options.name ?? null, dtype: options.dtype ?? null }, { className, defaultName, direction: "down" });
  }

  /** Computes the value of one row of `cols` labels and predictions starting at `offset`. */
  protected abstract row(labels: ArrayLike<number>, predictions: ArrayLike<number>, offset: number, cols: number): number;

  /** Lets a metric inspect the whole batch first (hinge metrics check whether labels are 0/1). */
  protected prepare(_yTrue: Tensor): void {}

  protected override batchValues(yTrue: Tensor, yPred: Tensor): BatchValues {
    checkSameSize(this.name, yTrue, yPred);
    const [, shape] = alignRanks(yTrue.shape, yPred.shape);
    const [rows, cols] = rowsAndColumns(shape);
    this.prepare(yTrue);
    const out = this.scratch(rows);
    for (let r = 0; r < rows; r++) out[r] = this.row(yTrue.data, yPred.data, r * cols, cols);
    return { data: out, shape: shape.slice(0, -1) };
  }
}

/** Kullback-Leibler divergence, sum of y * log(y / p) with both clipped to [epsilon, 1]. */
export class KLDivergence extends RowwiseMetric {
  constructor(options: BaseMetricOptions = {}) {
    super(options, "KLDivergence", "kl_divergence");
  }

  protected row(labels: ArrayLike<number>, predictions: ArrayLike<number>, offset: number, cols: number): number {
    let total = 0;
    for (let c = offset; c < offset + cols; c++) {
      const y = Math.min(Math.max(labels[c]!, EPSILON), 1);
      const p = Math.min(Math.max(predictions[c]!, EPSILON), 1);
      total += y * Math.log(y / p);
    }
    return total;
  }
}

/** The Poisson deviance term, mean of p - y * log(p + epsilon). */
export class Poisson extends RowwiseMetric {
  constructor(options: BaseMetricOptions = {}) {
    super(options, "Poisson", "poisson");
  }

  protected row(labels: ArrayLike<number>, predictions: ArrayLike<number>, offset: number, cols: number): number {
    let total = 0;
    for (let c = offset; c < offset + cols; c++) total += predictions[c]! - labels[c]! * Math.log(predictions[c]! + EPSILON);
    return total / cols;
  }
}

function logSigmoid(x: number): number {
  return x >= 0 ? -Math.log1p(Math.exp(-x)) : x - Math.log1p(Math.exp(x));
}

export interface BinaryCrossentropyOptions extends BaseMetricOptions {
  /** Predictions are logits rather than probabilities. Default false. */
  fromLogits?: boolean;
  /** Moves labels toward 0.5: y * (1 - s) + 0.5 * s. Default 0. */
  labelSmoothing?: number;
}

/** Binary crossentropy averaged over the last axis. */
export class BinaryCrossentropy extends RowwiseMetric {
  readonly fromLogits: boolean;
  readonly labelSmoothing: number;

  constructor(options: BinaryCrossentropyOptions = {}) {
    super(options, "BinaryCrossentropy", "binary_crossentropy", ["fromLogits", "labelSmoothing"]);
    this.fromLogits = options.fromLogits ?? false;
    this.labelSmoothing = options.labelSmoothing ?? 0;
  }

  protected row(labels: ArrayLike<number>, predictions: ArrayLike<number>, offset: number, cols: number): number {
    let total = 0;
    for (let c = offset; c < offset + cols; c++) {
      const y = labels[c]! * (1 - this.labelSmoothing) + 0.5 * this.labelSmoothing;
      const p = predictions[c]!;
      if (this.fromLogits) {
        total += -y * logSigmoid(p) - (1 - y) * logSigmoid(-p);
      } else {
        const clipped = Math.min(Math.max(p, EPSILON), UPPER);
        total += -(y * Math.log(clipped) + (1 - y) * Math.log(1 - clipped));
      }
    }
    return total / cols;
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), from_logits: this.fromLogits, label_smoothing: this.labelSmoothing };
  }
}

/** Writes log-probabilities of one row: log-softmax of logits, or the log of the row normalised to sum 1 and clipped. */
function logProbabilities(predictions: ArrayLike<number>, offset: number, cols: number, fromLogits: boolean, out: Float64Array): void {
  if (fromLogits) {
    let max = -Infinity;
    for (let c = 0; c < cols; c++) max = Math.max(max, predictions[offset + c]!);
    let sum = 0;
    for (let c = 0; c < cols; c++) sum += Math.exp(predictions[offset + c]! - max);
    const logSum = Math.log(sum) + max;
    for (let c = 0; c < cols; c++) out[c] = predictions[offset + c]! - logSum;
    return;
  }
  let sum = 0;
  for (let c = 0; c < cols; c++) sum += predictions[offset + c]!;
  for (let c = 0; c < cols; c++) out[c] = Math.log(Math.min(Math.max(predictions[offset + c]! / sum, EPSILON), UPPER));
}

function checkAxis(axis: number | undefined, className: string): void {
  // NOTE: Keras accepts any class axis; only the last one is implemented.
  if (axis !== undefined && axis !== -1) {
    throw new ValueError(`Invalid \`axis\` ${axis} for ${className}: only -1 (the last axis) is supported.`);
  }
}

export interface CategoricalCrossentropyOptions extends BinaryCrossentropyOptions {
  /** The class axis. Only -1 (the last axis) is supported. */
  axis?: number;
}

/** Crossentropy of one-hot (or probability) labels against the predicted distribution over the last axis. */
export class CategoricalCrossentropy extends RowwiseMetric {
  readonly fromLogits: boolean;
  readonly labelSmoothing: number;
  readonly axis = -1;
  private logs = new Float64Array(0);

  constructor(options: CategoricalCrossentropyOptions = {}) {
    super(options, "CategoricalCrossentropy", "categorical_crossentropy", ["fromLogits", "labelSmoothing", "axis"]);
    checkAxis(options.axis, "CategoricalCrossentropy");
    this.fromLogits = options.fromLogits ?? false;
    this.labelSmoothing = options.labelSmoothing ?? 0;
  }

  protected row(labels: ArrayLike<number>, predictions: ArrayLike<number>, offset: number, cols: number): number {
    if (this.logs.length !== cols) this.logs = new Float64Array(cols);
    logProbabilities(predictions, offset, cols, this.fromLogits, this.logs);
    let total = 0;
    for (let c = 0; c < cols; c++) {
      const y = labels[offset + c]! * (1 - this.labelSmoothing) + this.labelSmoothing / cols;
      total -= y * this.logs[c]!;
    }
    return total;
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), from_logits: this.fromLogits, label_smoothing: this.labelSmoothing, axis: this.axis };
  }
}

export interface SparseCategoricalCrossentropyOptions extends BaseMetricOptions {
  fromLogits?: boolean;
  /**
   * A label value whose samples get crossentropy 0. They still count in the
   * mean, as in Keras 3.15.1 (whose mask for them does not reach the mean).
   */
  ignoreClass?: number | null;
  /** The class axis. Only -1 (the last axis) is supported. */
  axis?: number;
}

/** Crossentropy of integer labels against the predicted distribution over the last axis. */
export class SparseCategoricalCrossentropy extends MeanMetricWrapper {
  readonly fromLogits: boolean;
  readonly ignoreClass: number | null;
  readonly axis = -1;
  private logs = new Float64Array(0);

  constructor(options: SparseCategoricalCrossentropyOptions = {}) {
    checkMetricOptions(options, ["fromLogits", "ignoreClass", "axis"], "SparseCategoricalCrossentropy");
    checkAxis(options.axis, "SparseCategoricalCrossentropy");
    super(
      { name: options.name ?? null, dtype: options.dtype ?? null },
      { className: "SparseCategoricalCrossentropy", defaultName: "sparse_categorical_crossentropy", direction: "down" },
    );
    this.fromLogits = options.fromLogits ?? false;
    this.ignoreClass = options.ignoreClass ?? null;
  }

  protected override batchValues(yTrue: Tensor, yPred: Tensor): BatchValues {
    const [rows, cols] = rowsAndColumns(yPred.shape);
    if (yTrue.size !== rows) {
      throw new ShapeError(
        `sparse_categorical_crossentropy needs one integer label per sample: received labels of shape ${formatShape(yTrue.shape)} and predictions of shape ${formatShape(yPred.shape)}.`,
      );
    }
    if (this.logs.length !== cols) this.logs = new Float64Array(cols);
    const out = this.scratch(rows);
    for (let r = 0; r < rows; r++) {
      const label = Math.trunc(yTrue.data[r]!);
      if (this.ignoreClass !== null && label === this.ignoreClass) {
        out[r] = 0;
        continue;
      }
      logProbabilities(yPred.data, r * cols, cols, this.fromLogits, this.logs);
      // A label outside [0, cols) selects no class, so its crossentropy is 0, like a one-hot row of zeros.
      out[r] = label >= 0 && label < cols ? -this.logs[label]! : 0;
    }
    return { data: out, shape: yPred.shape.slice(0, -1) };
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), from_logits: this.fromLogits, ignore_class: this.ignoreClass, axis: this.axis };
  }
}

/** Hinge metrics take 0/1 labels as -1/1: when every label of the batch is 0 or 1, they become 2y - 1. */
abstract class BinaryHingeMetric extends RowwiseMetric {
  protected convertLabels = false;

  protected override prepare(yTrue: Tensor): void {
    this.convertLabels = yTrue.data.every((y) => y === 0 || y === 1);
  }

  protected margin(label: number, prediction: number): number {
    const y = this.convertLabels ? 2 * label - 1 : label;
    return Math.max(1 - y * prediction, 0);
  }
}

/** The mean of max(1 - y * p, 0) with labels in {-1, 1} (0/1 labels are converted). */
export class Hinge extends BinaryHingeMetric {
  constructor(options: BaseMetricOptions = {}) {
    super(options, "Hinge", "hinge");
  }

  protected row(labels: ArrayLike<number>, predictions: ArrayLike<number>, offset: number, cols: number): number {
    let total = 0;
    for (let c = offset; c < offset + cols; c++) total += this.margin(labels[c]!, predictions[c]!);
    return total / cols;
  }
}

/** The mean of max(1 - y * p, 0)^2 with labels in {-1, 1} (0/1 labels are converted). */
export class SquaredHinge extends BinaryHingeMetric {
  constructor(options: BaseMetricOptions = {}) {
    super(options, "SquaredHinge", "squared_hinge");
  }

  protected row(labels: ArrayLike<number>, predictions: ArrayLike<number>, offset: number, cols: number): number {
    let total = 0;
    for (let c = offset; c < offset + cols; c++) total += this.margin(labels[c]!, predictions[c]!) ** 2;
    return total / cols;
  }
}

/** max(neg - pos + 1, 0), where pos is the prediction at the one-hot label and neg the largest other prediction. */
export class CategoricalHinge extends RowwiseMetric {
  constructor(options: BaseMetricOptions = {}) {
    super(options, "CategoricalHinge", "categorical_hinge");
  }

  protected row(labels: ArrayLike<number>, predictions: ArrayLike<number>, offset: number, cols: number): number {
    let positive = 0;
    let negative = -Infinity;
    for (let c = offset; c < offset + cols; c++) {
      positive += labels[c]! * predictions[c]!;
      negative = Math.max(negative, (1 - labels[c]!) * predictions[c]!);
    }
    return Math.max(negative - positive + 1, 0);
  }
}
