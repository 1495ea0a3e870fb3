/**
 * Accumulation of true/false positive/negative counts at a list of decision
 * thresholds, shared by the confusion-matrix metrics (counts, precision,
 * recall, AUC and the "X at Y" metrics). It follows Keras 3.15.1's
 * `update_confusion_matrix_variables`: a prediction is positive when it is
 * strictly greater than the threshold, a label is positive when it is not 0.
 */

import { ShapeError, ValueError, formatShape } from "../errors.js";
import type { Tensor } from "../tensor/tensor.js";
import { alignRanks, broadcastTo, rowsAndColumns } from "./metric.js";

/** The value Keras gives predictions outside the top k, and the default threshold when `topK` is set. */
export const NEG_INF = -1e10;

/** Counts per threshold (and per label with `multiLabel`), laid out as `[threshold][label]`. */
export interface ConfusionCounts {
  truePositives?: Float64Array;
  falsePositives?: Float64Array;
  trueNegatives?: Float64Array;
  falseNegatives?: Float64Array;
}

export interface ConfusionUpdateOptions {
  thresholds: readonly number[];
  /**
   * True for thresholds evenly spaced over [0, 1] (optionally with the ends
   * moved by epsilon), which allows the bucketing shortcut.
   */
  thresholdsDistributedEvenly: boolean;
  topK?: number | null;
  classId?: number | null;
  sampleWeight?: Tensor | null;
  /** Count each label (every position after the batch axis) separately. */
  multiLabel?: boolean;
  /** One weight per label (the last axis), multiplied into the sample weights; not with `multiLabel`. */
  labelWeights?: readonly number[] | null;
}

/** Returns whether `thresholds` are `i / (n - 1)` for i = 0..n-1, within Keras's epsilon, with n >= 3. */
export function isEvenlyDistributed(thresholds: readonly number[]): boolean {
  const n = thresholds.length;
  if (n < 3) return false;
  // np.allclose: |a - b| <= atol + rtol * |b|, with atol = epsilon and the default rtol 1e-5.
  return thresholds.every((t, i) => {
    const even = Math.fround(i / (n - 1));
    return Math.abs(t - even) <= 1e-7 + 1e-5 * Math.abs(even);
  });
}

/** Throws unless every threshold is a number in [0, 1]. */
export function checkThresholds(thresholds: readonly unknown[], className: string): void {
  const invalid = thresholds.filter((t) => typeof t !== "number" || !(t >= 0 && t <= 1));
  if (invalid.length > 0) {
    throw new ValueError(`Invalid \`thresholds\` for ${className}: every threshold must be in [0, 1], received ${JSON.stringify(invalid)}.`);
  }
}

/** Replaces every prediction outside its row's `k` largest by NEG_INF (ties go to the lower index). */
function keepTopK(data: ArrayLike<number>, shape: readonly number[], k: number): Float64Array {
  const [rows, cols] = rowsAndColumns(shape);
  const out = new Float64Array(data.length).fill(NEG_INF);
  const order = Array.from({ length: cols }, (_, c) => c);
  for (let r = 0; r < rows; r++) {
    const offset = r * cols;
    order.sort((a, b) => data[offset + b]! - data[offset + a]! || a - b);
    for (let i = 0; i < Math.min(k, cols); i++) out[offset + order[i]!] = data[offset + order[i]!]!;
  }
  return out;
}

/** Keeps column `classId` of the last axis. */
function takeColumn(data: ArrayLike<number>, shape: readonly number[], classId: number): Float64Array {
  const [rows, cols] = rowsAndColumns(shape);
  if (!(Number.isInteger(classId) && classId >= 0 && classId < cols)) {
    throw new ValueError(`Invalid \`classId\` ${classId}: predictions have ${cols} classes on their last axis.`);
  }
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) out[r] = data[r * cols + classId]!;
  return out;
}

/** Adds one batch's counts into `counts`. */
export function updateConfusionCounts(counts: ConfusionCounts, yTrue: Tensor, yPred: Tensor, options: ConfusionUpdateOptions): void {
  if (yTrue.size !== yPred.size) {
    throw new ShapeError(
      `Labels and predictions must have the same number of values: received labels of shape ${formatShape(yTrue.shape)} and predictions of shape ${formatShape(yPred.shape)}.`,
    );
  }
  let [predShape] = alignRanks(yPred.shape, yTrue.shape);
  let predictions: ArrayLike<number> = yPred.data;
  let labels: ArrayLike<number> = yTrue.data;
  let weights: ArrayLike<number> | null = null;
  if (options.sampleWeight) {
    // Keras appends an axis to the weights, then squeezes it again unless the labels have a trailing axis of 1.
    const weight = options.sampleWeight;
    const [, weightShape] = alignRanks(predShape, [...weight.shape, 1], false);
    weights = broadcastTo(weight.data, weightShape, predShape);
  }
  if (options.topK !== undefined && options.topK !== null) {
    predictions = keepTopK(predictions, predShape, options.topK);
  }
  if (options.classId !== undefined && options.classId !== null) {
    if (predShape.length < 2) {
      throw new ShapeError(
        `\`classId\` needs predictions of shape (samples, classes), received shape ${formatShape(yPred.shape)}.`,
      );
    }
    labels = takeColumn(labels, predShape, options.classId);
    if (weights) weights = takeColumn(weights, predShape, options.classId);
    predictions = takeColumn(predictions, predShape, options.classId);
    predShape = [...predShape.slice(0, -1), 1];
  }

  let labelWeights: ArrayLike<number> | null = null;
  if (options.labelWeights) {
    if (options.multiLabel) throw new ValueError("Label weights of multi-label data are applied when the result is computed.");
    labelWeights = broadcastTo(options.labelWeights, [options.labelWeights.length], predShape);
  }
  let numLabels = 1;
  if (options.multiLabel && predShape.length >= 2) numLabels = predictions.length / predShape[0]!;

  const batch = { predictions, labels, weights, labelWeights, numLabels };
  if (options.thresholdsDistributedEvenly) {
    updateByBuckets(counts, batch, options.thresholds);
  } else {
    updateByComparison(counts, batch, options.thresholds);
  }
}

interface PreparedBatch {
  predictions: ArrayLike<number>;
  labels: ArrayLike<number>;
  weights: ArrayLike<number> | null;
  labelWeights: ArrayLike<number> | null;
  /** 1 unless labels are counted separately; the values of each sample cycle through the labels. */
  numLabels: number;
}

function weightAt(batch: PreparedBatch, i: number): number {
  const sample = batch.weights ? batch.weights[i]! : 1;
  return batch.labelWeights ? sample * batch.labelWeights[i]! : sample;
}

/** Compares every prediction with every threshold: O(values x thresholds). */
function updateByComparison(counts: ConfusionCounts, batch: PreparedBatch, thresholds: readonly number[]): void {
  const labels = batch.numLabels;
  for (let i = 0; i < batch.predictions.length; i++) {
    const prediction = batch.predictions[i]!;
    const positive = batch.labels[i] !== 0;
    const weight = weightAt(batch, i);
    const label = i % labels;
    for (let t = 0; t < thresholds.length; t++) {
      const slot = t * labels + label;
      // Math.fround: Keras compares float32 predictions with float32 thresholds.
      if (prediction > Math.fround(thresholds[t]!)) {
        if (positive && counts.truePositives) counts.truePositives[slot]! += weight;
        if (!positive && counts.falsePositives) counts.falsePositives[slot]! += weight;
      } else {
        if (positive && counts.falseNegatives) counts.falseNegatives[slot]! += weight;
        if (!positive && counts.trueNegatives) counts.trueNegatives[slot]! += weight;
      }
    }
  }
}

/**
 * Counts with evenly spaced thresholds in O(values + thresholds): each
 * prediction, clipped to [0, 1], falls in bucket `ceil(p * (n - 1)) - 1`,
 * the highest threshold it exceeds, and a reverse cumulative sum over the
 * buckets gives the count above each threshold. When the first threshold is
 * below 0, bucket -1 joins bucket 0, since 0 exceeds that threshold too.
 */
function updateByBuckets(counts: ConfusionCounts, batch: PreparedBatch, thresholds: readonly number[]): void {
  const n = thresholds.length;
  const labels = batch.numLabels;
  const withEpsilon = thresholds[0]! < 0 || thresholds[n - 1]! > 1;
  const positiveBuckets = new Float64Array(n * labels);
  const negativeBuckets = new Float64Array(n * labels);
  const totalPositive = new Float64Array(labels);
  const totalNegative = new Float64Array(labels);
  for (let i = 0; i < batch.predictions.length; i++) {
    const prediction = Math.min(Math.max(batch.predictions[i]!, 0), 1);
    const label = i % labels;
    const weight = weightAt(batch, i);
    const positive = batch.labels[i] !== 0;
    if (positive) totalPositive[label]! += weight;
    else totalNegative[label]! += weight;
    let bucket = Math.ceil(Math.fround(prediction * (n - 1))) - 1;
    if (withEpsilon && bucket < 0) bucket = 0;
    // A prediction of 0 without the epsilon exceeds no threshold and lands in no bucket.
    if (bucket < 0) continue;
    const slot = bucket * labels + label;
    if (positive) positiveBuckets[slot]! += weight;
    else negativeBuckets[slot]! += weight;
  }
  for (let label = 0; label < labels; label++) {
    let truePositives = 0;
    let falsePositives = 0;
    for (let t = n - 1; t >= 0; t--) {
      const slot = t * labels + label;
      truePositives += positiveBuckets[slot]!;
      falsePositives += negativeBuckets[slot]!;
      if (counts.truePositives) counts.truePositives[slot]! += truePositives;
      if (counts.falsePositives) counts.falsePositives[slot]! += falsePositives;
      if (counts.trueNegatives) counts.trueNegatives[slot]! += totalNegative[label]! - falsePositives;
      if (counts.falseNegatives) counts.falseNegatives[slot]! += totalPositive[label]! - truePositives;
    }
  }
}
