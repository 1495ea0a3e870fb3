/**
 * Regression metrics: mean errors of several kinds, cosine similarity,
 * log-cosh error and the R2 score.
 */

import { ShapeError, ValueError, formatChoices, formatShape } from "../errors.js";
import { warn } from "../logger.js";
import type { Tensor } from "../tensor/tensor.js";
import {
  type BaseMetricOptions,
  EPSILON,
  type MetricInput,
  type MetricValue,
  Metric,
  alignRanks,
  asTensor,
  asWeights,
  broadcastTo,
  checkMetricOptions,
  checkSameSize,
  rowsAndColumns,
} from "./metric.js";
import { type BatchValues, Mean, MeanMetricWrapper } from "./reduction.js";

/** A mean over the last axis of an elementwise error, averaged over samples. Smaller is better. */
abstract class ElementwiseError extends MeanMetricWrapper {
  constructor(options: BaseMetricOptions, className: string, defaultName: string) {
    checkMetricOptions(options, [], className);
    super(options, { className, defaultName, direction: "down" });
  }

  /** The error of one prediction against its label. */
  protected abstract error(label: number, prediction: number): number;

  protected override batchValues(yTrue: Tensor, yPred: Tensor): BatchValues {
    checkSameSize(this.name, yTrue, yPred);
    const [, shape] = alignRanks(yTrue.shape, yPred.shape);
    const [rows, cols] = rowsAndColumns(shape);
    const out = this.scratch(rows);
    for (let r = 0; r < rows; r++) {
      let total = 0;
      for (let c = 0; c < cols; c++) total += this.error(yTrue.data[r * cols + c]!, yPred.data[r * cols + c]!);
      out[r] = total / cols;
    }
    return { data: out, shape: shape.slice(0, -1) };
  }
}

/** The mean of (yTrue - yPred)^2. */
export class MeanSquaredError extends ElementwiseError {
  constructor(options: BaseMetricOptions = {}) {
    super(options, "MeanSquaredError", "mean_squared_error");
  }

  protected error(label: number, prediction: number): number {
    return (label - prediction) ** 2;
  }
}

/** The mean of |yTrue - yPred|. */
export class MeanAbsoluteError extends ElementwiseError {
  constructor(options: BaseMetricOptions = {}) {
    super(options, "MeanAbsoluteError", "mean_absolute_error");
  }

  protected error(label: number, prediction: number): number {
    return Math.abs(label - prediction);
  }
}

/** The mean of 100 * |yTrue - yPred| / max(|yTrue|, epsilon). */
export class MeanAbsolutePercentageError extends ElementwiseError {
  constructor(options: BaseMetricOptions = {}) {
    super(options, "MeanAbsolutePercentageError", "mean_absolute_percentage_error");
  }

  protected error(label: number, prediction: number): number {
    return (100 * Math.abs(label - prediction)) / Math.max(Math.abs(label), EPSILON);
  }
}

/** The mean of (log(max(yPred, epsilon) + 1) - log(max(yTrue, epsilon) + 1))^2. */
export class MeanSquaredLogarithmicError extends ElementwiseError {
  constructor(options: BaseMetricOptions = {}) {
    super(options, "MeanSquaredLogarithmicError", "mean_squared_logarithmic_error");
  }

  protected error(label: number, prediction: number): number {
    return (Math.log(Math.max(prediction, EPSILON) + 1) - Math.log(Math.max(label, EPSILON) + 1)) ** 2;
  }
}

/** The mean of log(cosh(yPred - yTrue)), computed as x + softplus(-2x) - log(2) so that large errors do not overflow. */
export class LogCoshError extends ElementwiseError {
  constructor(options: BaseMetricOptions = {}) {
    super(options, "LogCoshError", "logcosh");
  }

  protected error(label: number, prediction: number): number {
    const x = prediction - label;
    const softplus = Math.max(-2 * x, 0) + Math.log1p(Math.exp(-Math.abs(2 * x)));
    return x + softplus - Math.LN2;
  }
}

/** The square root of the (weighted) mean of (yTrue - yPred)^2 over every value seen. */
export class RootMeanSquaredError extends Mean {
  constructor(options: BaseMetricOptions = {}) {
    checkMetricOptions(options, [], "RootMeanSquaredError");
    super(options, { className: "RootMeanSquaredError", defaultName: "root_mean_squared_error", direction: "down" });
  }

  override updateState(yTrue: MetricInput, yPred: MetricInput, sampleWeight?: MetricInput | null): void {
    const labels = asTensor(yTrue, "yTrue");
    const predictions = asTensor(yPred, "yPred");
    checkSameSize("root_mean_squared_error", labels, predictions);
    const [, shape] = alignRanks(labels.shape, predictions.shape);
    const squares = new Float64Array(labels.size);
    for (let i = 0; i < squares.length; i++) squares[i] = (predictions.data[i]! - labels.data[i]!) ** 2;
    this.accumulate({ data: squares, shape }, asWeights(sampleWeight));
  }

  override result(): number {
    return Math.sqrt(super.result());
  }
}

export interface CosineSimilarityOptions extends BaseMetricOptions {
  /** The axis along which similarity is computed. Only -1 (the last axis) is supported. */
  axis?: number;
}

/** The mean cosine of the angle between each label vector and prediction vector (the last axis). Larger is better. */
export class CosineSimilarity extends MeanMetricWrapper {
  constructor(options: CosineSimilarityOptions = {}) {
    checkMetricOptions(options, ["axis"], "CosineSimilarity");
    // NOTE: Keras accepts any axis here; only the last axis is implemented.
    if (options.axis !== undefined && options.axis !== -1) {
      throw new ValueError(`Invalid \`axis\` ${options.axis} for CosineSimilarity: only -1 (the last axis) is supported.`);
    }
    super({ name: options.name ?? null, dtype: options.dtype ?? null }, { className: "CosineSimilarity", defaultName: "cosine_similarity", direction: "up" });
  }

  protected override batchValues(yTrue: Tensor, yPred: Tensor): BatchValues {
    checkSameSize("cosine_similarity", yTrue, yPred);
    const [, shape] = alignRanks(yTrue.shape, yPred.shape);
    const [rows, cols] = rowsAndColumns(shape);
    const out = this.scratch(rows);
    // Keras scales each vector by min(1 / norm, 1 / epsilon), so a zero vector gives similarity 0.
    const inverseNorm = (data: ArrayLike<number>, offset: number): number => {
      let squares = 0;
      for (let c = 0; c < cols; c++) squares += data[offset + c]! ** 2;
      return Math.min(1 / Math.sqrt(squares), 1 / EPSILON);
    };
    for (let r = 0; r < rows; r++) {
      const offset = r * cols;
      const scale = inverseNorm(yTrue.data, offset) * inverseNorm(yPred.data, offset);
      let dot = 0;
      for (let c = 0; c < cols; c++) dot += yTrue.data[offset + c]! * yPred.data[offset + c]!;
      out[r] = dot * scale;
    }
    return { data: out, shape: shape.slice(0, -1) };
  }
}

export type R2ClassAggregation = "uniform_average" | "variance_weighted_average" | null;
const AGGREGATIONS: readonly string[] = ["uniform_average", "variance_weighted_average"];

export interface R2ScoreOptions extends BaseMetricOptions {
  /**
   * The rule that combines the per-column scores: "uniform_average" (default,
   * their mean), "variance_weighted_average" (their mean weighted by each
   * column's label variance), or null (one score per column).
   */
  classAggregation?: R2ClassAggregation;
  /** The number of independent regressors, for the adjusted R2 score. Default 0 (plain R2). */
  numRegressors?: number;
}

/**
 * The coefficient of determination, 1 - (residual sum of squares) / (total
 * sum of squares), per column of 2-D labels. Columns whose labels are all
 * equal score 0 when the predictions are off and NaN when they are exact, as
 * in Keras (0/0). Larger is better.
 */
export class R2Score extends Metric<MetricValue> {
  readonly classAggregation: R2ClassAggregation;
  readonly numRegressors: number;
  private numSamples = 0;
  private sums: Float64Array | null = null;
  private squaredSums: Float64Array | null = null;
  private residuals: Float64Array | null = null;
  private counts: Float64Array | null = null;

  constructor(options: R2ScoreOptions = {}) {
    checkMetricOptions(options, ["classAggregation", "numRegressors"], "R2Score");
    super("R2Score", "r2_score", "up", options);
    const aggregation = options.classAggregation === undefined ? "uniform_average" : options.classAggregation;
    if (aggregation !== null && !AGGREGATIONS.includes(aggregation)) {
      throw new ValueError(
        `Invalid \`classAggregation\` ${JSON.stringify(aggregation)} for R2Score: expected null or one of ${formatChoices(AGGREGATIONS)}.`,
      );
    }
    const numRegressors = options.numRegressors ?? 0;
    if (!(numRegressors >= 0)) {
      throw new ValueError(`Invalid \`numRegressors\` ${JSON.stringify(numRegressors)} for R2Score: expected a number >= 0.`);
    }
    this.classAggregation = aggregation;
    this.numRegressors = numRegressors;
  }

  updateState(yTrue: MetricInput, yPred: MetricInput, sampleWeight?: MetricInput | null): void {
    const labels = asTensor(yTrue, "yTrue");
    const predictions = asTensor(yPred, "yPred");
    const [trueShape, predShape] = alignRanks(labels.shape, predictions.shape);
    if (trueShape.length !== 2 || predShape.length !== 2 || labels.size !== predictions.size) {
      throw new ShapeError(
        `R2Score needs labels and predictions of shape (samples, outputs): received ${formatShape(labels.shape)} and ${formatShape(predictions.shape)}.`,
      );
    }
    const [rows, cols] = trueShape as [number, number];
    if (this.sums === null) this.build(cols);
    const weights = asWeights(sampleWeight);
    let broadcast: ArrayLike<number> | null = null;
    if (weights) {
      const weightShape = weights.rank === 1 ? [...weights.shape, 1] : weights.shape;
      broadcast = broadcastTo(weights.data, weightShape, trueShape);
    }
    for (let i = 0; i < labels.size; i++) {
      const c = i % cols;
      const weight = broadcast ? broadcast[i]! : 1;
      const label = labels.data[i]!;
      this.sums![c]! += label * weight;
      this.squaredSums![c]! += label * label * weight;
      this.residuals![c]! += (label - predictions.data[i]!) ** 2 * weight;
      this.counts![c]! += weight;
    }
    // Keras counts values, not rows, toward the adjusted score's sample size.
    this.numSamples += rows * cols;
  }

  private build(cols: number): void {
    this.sums = new Float64Array(cols);
    this.squaredSums = new Float64Array(cols);
    this.residuals = new Float64Array(cols);
    this.counts = new Float64Array(cols);
  }

  result(): MetricValue {
    if (this.sums === null) return this.classAggregation === null ? [] : NaN;
    const totals = Array.from(this.sums, (sum, c) => this.squaredSums![c]! - sum * (sum / this.counts![c]!));
    const raw = totals.map((total, c) => {
      const score = 1 - this.residuals![c]! / total;
      return Number.isFinite(score) || Number.isNaN(score) ? score : 0;
    });
    let score: MetricValue;
    if (this.classAggregation === "uniform_average") {
      score = raw.reduce((a, b) => a + b, 0) / raw.length;
    } else if (this.classAggregation === "variance_weighted_average") {
      score = raw.reduce((sum, r, c) => sum + totals[c]! * r, 0) / totals.reduce((a, b) => a + b, 0);
    } else {
      score = raw;
    }
    if (this.numRegressors === 0) return score;
    const n = this.numSamples;
    const p = this.numRegressors;
    if (p >= n - 1) {
      warn(
        p > n - 1
          ? `R2Score has more regressors (${p}) than samples minus one (${n - 1}); returning the plain R2 score.`
          : `R2Score's adjusted score would divide by zero (${p} regressors, ${n} samples); returning the plain R2 score.`,
      );
      return score;
    }
    const adjust = (r: number): number => 1 - ((1 - r) * (n - 1)) / (n - p - 1);
    return Array.isArray(score) ? score.map(adjust) : adjust(score);
  }

  resetState(): void {
    this.numSamples = 0;
    if (this.sums !== null) this.build(this.sums.length);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), class_aggregation: this.classAggregation, num_regressors: this.numRegressors };
  }
}
