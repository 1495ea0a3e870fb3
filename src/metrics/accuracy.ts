/**
 * The accuracy metrics: each averages a per-sample 0/1 match over every
 * sample seen. Match buffers are reused from batch to batch while the batch
 * size stays the same.
 */

import { ShapeError, ValueError, formatShape } from "../errors.js";
import { getBackend } from "../backend/registry.js";
import type { Tensor } from "../tensor/tensor.js";
import {
  type BaseMetricOptions,
  type MetricInput,
  Metric,
  alignRanks,
  asTensor,
  checkMetricOptions,
  checkSameSize,
  rowsAndColumns,
} from "./metric.js";
import { type BatchValues, type MetricIdentity, MeanMetricWrapper } from "./reduction.js";

/** A mean of per-sample matches, where larger is better. */
abstract class AccuracyMetric extends MeanMetricWrapper {
  private scratchIndices: [Int32Array, Int32Array] = [new Int32Array(0), new Int32Array(0)];

  constructor(options: BaseMetricOptions, className: string, defaultName: string, extraKeys: readonly string[] = []) {
    checkMetricOptions(options, extraKeys, className);
    const identity: MetricIdentity = { className, defaultName, direction: "up" };
    super(options, identity);
  }

  protected indexBuffer(slot: 0 | 1, rows: number): Int32Array {
    if (this.scratchIndices[slot].length !== rows) this.scratchIndices[slot] = new Int32Array(rows);
    return this.scratchIndices[slot];
  }

  /** Writes each row's argmax into a reused buffer. */
  protected argmaxRows(x: Tensor, slot: 0 | 1): Int32Array {
    const [rows, cols] = rowsAndColumns(x.shape);
    const out = this.indexBuffer(slot, rows);
    getBackend().argmax(x.data, rows, cols, out);
    return out;
  }
}

/** Fraction of predictions exactly equal to their labels. */
export class Accuracy extends AccuracyMetric {
  constructor(options: BaseMetricOptions = {}) {
    super(options, "Accuracy", "accuracy");
  }

  protected override batchValues(yTrue: Tensor, yPred: Tensor): BatchValues {
    checkSameSize("accuracy", yTrue, yPred);
    const [, shape] = alignRanks(yTrue.shape, yPred.shape);
    const out = this.scratch(yPred.size);
    for (let i = 0; i < out.length; i++) out[i] = yTrue.data[i] === yPred.data[i] ? 1 : 0;
    return { data: out, shape };
  }
}

export interface BinaryAccuracyOptions extends BaseMetricOptions {
  /** Predictions above it (strictly) count as 1. Default 0.5. */
  threshold?: number;
}

/** Fraction of predictions on the same side of `threshold` as the 0/1 labels (`p > threshold` counts as 1). */
export class BinaryAccuracy extends AccuracyMetric {
  readonly threshold: number;

  constructor(options: BinaryAccuracyOptions = {}) {
    super(options, "BinaryAccuracy", "binary_accuracy", ["threshold"]);
    this.threshold = options.threshold ?? 0.5;
  }

  protected override batchValues(yTrue: Tensor, yPred: Tensor): BatchValues {
    checkSameSize("binary_accuracy", yTrue, yPred);
    const [, shape] = alignRanks(yTrue.shape, yPred.shape);
    const out = this.scratch(yPred.size);
    for (let i = 0; i < out.length; i++) out[i] = (yPred.data[i]! > this.threshold ? 1 : 0) === yTrue.data[i] ? 1 : 0;
    return { data: out, shape };
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), threshold: this.threshold };
  }
}

/** Fraction of samples whose largest prediction is at the one-hot label's position. */
export class CategoricalAccuracy extends AccuracyMetric {
  constructor(options: BaseMetricOptions = {}) {
    super(options, "CategoricalAccuracy", "categorical_accuracy");
  }

  protected override batchValues(yTrue: Tensor, yPred: Tensor): BatchValues {
    if (yTrue.size !== yPred.size) {
      throw new ShapeError(
        `categorical_accuracy needs one-hot labels of the predictions' shape: received labels of shape ${formatShape(yTrue.shape)} and predictions of shape ${formatShape(yPred.shape)}.`,
      );
    }
    const predicted = this.argmaxRows(yPred, 0);
    const actual = this.argmaxRows(yTrue, 1);
    const out = this.scratch(predicted.length);
    for (let r = 0; r < out.length; r++) out[r] = predicted[r] === actual[r] ? 1 : 0;
    return { data: out, shape: yPred.shape.slice(0, -1) };
  }
}

/** Throws unless there is one integer label per row of predictions, as `(rows,)` or `(rows, 1)`. */
function checkSparseLabels(metric: string, yTrue: Tensor, yPred: Tensor, rows: number): void {
  if (yTrue.size !== rows) {
    throw new ShapeError(
      `${metric} needs one integer label per sample: received labels of shape ${formatShape(yTrue.shape)} and predictions of shape ${formatShape(yPred.shape)}.`,
    );
  }
}

/** Fraction of samples whose largest prediction is at the integer label. */
export class SparseCategoricalAccuracy extends AccuracyMetric {
  constructor(options: BaseMetricOptions = {}) {
    super(options, "SparseCategoricalAccuracy", "sparse_categorical_accuracy");
  }

  protected override batchValues(yTrue: Tensor, yPred: Tensor): BatchValues {
    const [rows] = rowsAndColumns(yPred.shape);
    checkSparseLabels("sparse_categorical_accuracy", yTrue, yPred, rows);
    const predicted = this.argmaxRows(yPred, 0);
    const out = this.scratch(rows);
    for (let r = 0; r < rows; r++) out[r] = predicted[r] === yTrue.data[r] ? 1 : 0;
    return { data: out, shape: yPred.shape.slice(0, -1) };
  }
}

export interface TopKOptions extends BaseMetricOptions {
  /** How many of the largest predictions may contain the label. Default 5. */
  k?: number;
}

function checkK(k: unknown, className: string): number {
  if (typeof k !== "number" || !Number.isInteger(k) || k < 1) {
    throw new ValueError(`Invalid \`k\` for ${className}: expected a positive integer, received ${JSON.stringify(k)}.`);
  }
  return k;
}

/**
 * Returns 1 when the prediction at `label` is among the `k` largest of its row,
 * as `keras.ops.in_top_k` computes it on the JAX backend: its rank is one plus
 * the number of strictly larger predictions, so ties count in its favour. A NaN
 * at the label ranks last, and a label outside the row never matches.
 */
function inTopK(data: ArrayLike<number>, offset: number, cols: number, label: number, k: number): number {
  if (!(label >= 0 && label < cols)) return 0;
  let atLabel = data[offset + label]!;
  if (Number.isNaN(atLabel)) atLabel = -Infinity;
  let larger = 0;
  for (let c = 0; c < cols; c++) if (data[offset + c]! > atLabel) larger++;
  return larger + 1 <= k ? 1 : 0;
}

/** Fraction of samples whose one-hot label is among the `k` largest predictions. */
export class TopKCategoricalAccuracy extends AccuracyMetric {
  readonly k: number;

  constructor(options: TopKOptions = {}) {
    super(options, "TopKCategoricalAccuracy", "top_k_categorical_accuracy", ["k"]);
    this.k = checkK(options.k ?? 5, "TopKCategoricalAccuracy");
  }

  protected override batchValues(yTrue: Tensor, yPred: Tensor): BatchValues {
    if (yTrue.size !== yPred.size) {
      throw new ShapeError(
        `top_k_categorical_accuracy needs one-hot labels of the predictions' shape: received labels of shape ${formatShape(yTrue.shape)} and predictions of shape ${formatShape(yPred.shape)}.`,
      );
    }
    const [rows, cols] = rowsAndColumns(yPred.shape);
    const actual = this.argmaxRows(yTrue, 1);
    const out = this.scratch(rows);
    for (let r = 0; r < rows; r++) out[r] = inTopK(yPred.data, r * cols, cols, actual[r]!, this.k);
    return { data: out, shape: yPred.shape.slice(0, -1) };
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), k: this.k };
  }
}

export interface SparseTopKOptions extends TopKOptions {
  /**
   * When true, each prediction row contains class ids sorted from most to least
   * likely (as `topK` indices are), and a sample matches when its label is
   * among the first `k`. Default false.
   */
  fromSortedIds?: boolean;
}

/** Fraction of samples whose integer label is among the `k` largest predictions. */
export class SparseTopKCategoricalAccuracy extends AccuracyMetric {
  readonly k: number;
  readonly fromSortedIds: boolean;

  constructor(options: SparseTopKOptions = {}) {
    super(options, "SparseTopKCategoricalAccuracy", "sparse_top_k_categorical_accuracy", ["k", "fromSortedIds"]);
    this.k = checkK(options.k ?? 5, "SparseTopKCategoricalAccuracy");
    this.fromSortedIds = options.fromSortedIds ?? false;
  }

  protected override batchValues(yTrue: Tensor, yPred: Tensor): BatchValues {
    const [rows, cols] = rowsAndColumns(yPred.shape);
    checkSparseLabels("sparse_top_k_categorical_accuracy", yTrue, yPred, rows);
    const out = this.scratch(rows);
    for (let r = 0; r < rows; r++) {
      const label = this.fromSortedIds ? yTrue.data[r]! : Math.trunc(yTrue.data[r]!);
      if (this.fromSortedIds) {
        let found = 0;
        for (let c = 0; c < Math.min(this.k, cols); c++) if (yPred.data[r * cols + c] === label) found = 1;
        out[r] = found;
      } else {
        out[r] = inTopK(yPred.data, r * cols, cols, label, this.k);
      }
    }
    return { data: out, shape: yPred.shape.slice(0, -1) };
  }

  override getConfig(): Record<string, unknown> {
    const config: Record<string, unknown> = { ...super.getConfig(), k: this.k };
    // Keras writes the key only when it is set, so older configs stay unchanged.
    if (this.fromSortedIds) config["from_sorted_ids"] = true;
    return config;
  }
}

/**
 * Picks the accuracy metric for "accuracy"/"acc" from the shapes of the first
 * batch, as Keras 3 does. One output unit means binary accuracy. Labels of
 * lower rank, or a single label column against several outputs, mean sparse
 * categorical accuracy. Anything else means categorical accuracy. The metric
 * keeps the name the user wrote.
 */
export function resolveAccuracy(name: string, yTrue: MetricInput, yPred: MetricInput): Metric {
  const trueShape = asTensor(yTrue, "yTrue").shape;
  const predShape = asTensor(yPred, "yPred").shape;
  const predLast = predShape[predShape.length - 1];
  const trueLast = trueShape[trueShape.length - 1];
  if (predLast === 1) return new BinaryAccuracy({ name });
  if (trueShape.length < predShape.length || (trueLast === 1 && (predLast ?? 0) > 1)) return new SparseCategoricalAccuracy({ name });
  return new CategoricalAccuracy({ name });
}
