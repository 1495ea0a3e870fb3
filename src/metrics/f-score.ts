/** F-beta and F1 scores over 2-D labels and predictions, per class or averaged. */

import { ShapeError, ValueError, formatChoices, formatShape } from "../errors.js";
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
} from "./metric.js";

export type FScoreAverage = "micro" | "macro" | "weighted" | null;
const AVERAGES: readonly string[] = ["micro", "macro", "weighted"];

export interface F1ScoreOptions extends BaseMetricOptions {
  /**
   * The averaging mode. With null (default) the result has one score per
   * class. "micro" computes one score from the counts of every class.
   * "macro" is the mean of the class scores, and "weighted" is their mean
   * weighted by each class's (weighted) label sum.
   */
  average?: FScoreAverage;
  /**
   * Predictions above it count as positive. Without it, the largest
   * prediction of each row (and any equal to it) counts, unless it is 0.
   */
  threshold?: number | null;
}

export interface FBetaScoreOptions extends F1ScoreOptions {
  /** How much more recall weighs than precision. Default 1; must be > 0. */
  beta?: number;
}

/** The F-beta score: (1 + beta^2) * precision * recall / (beta^2 * precision + recall). Larger is better. */
export class FBetaScore extends Metric<MetricValue> {
  readonly average: FScoreAverage;
  readonly beta: number;
  readonly threshold: number | null;
  private truePositives: Float64Array | null = null;
  private falsePositives: Float64Array | null = null;
  private falseNegatives: Float64Array | null = null;
  private labelWeights: Float64Array | null = null;

  constructor(options: FBetaScoreOptions = {}, className = "FBetaScore", defaultName = "fbeta_score") {
    checkMetricOptions(options, className === "F1Score" ? ["average", "threshold"] : ["average", "beta", "threshold"], className);
    super(className, defaultName, "up", options);
    const average = options.average ?? null;
    if (average !== null && !AVERAGES.includes(average)) {
      throw new ValueError(`Invalid \`average\` ${JSON.stringify(average)} for ${className}: expected null or one of ${formatChoices(AVERAGES)}.`);
    }
    const beta = options.beta ?? 1;
    if (typeof beta !== "number" || !(beta > 0)) {
      throw new ValueError(`Invalid \`beta\` ${JSON.stringify(beta)} for ${className}: expected a number > 0.`);
    }
    const threshold = options.threshold ?? null;
    if (threshold !== null && (typeof threshold !== "number" || !(threshold > 0 && threshold <= 1))) {
      throw new ValueError(`Invalid \`threshold\` ${JSON.stringify(threshold)} for ${className}: expected a number with 0 < threshold <= 1.`);
    }
    this.average = average;
    this.beta = beta;
    this.threshold = threshold;
  }

  updateState(yTrue: MetricInput, yPred: MetricInput, sampleWeight?: MetricInput | null): void {
    const labels = asTensor(yTrue, "yTrue");
    const predictions = asTensor(yPred, "yPred");
    if (labels.rank !== 2 || predictions.rank !== 2 || labels.size !== predictions.size) {
      throw new ShapeError(
        `${this.className} needs labels and predictions of the same shape (samples, classes): received ${formatShape(labels.shape)} and ${formatShape(predictions.shape)}.`,
      );
    }
    const [rows, cols] = predictions.shape as [number, number];
    const slots = this.average === "micro" ? 1 : cols;
    if (this.truePositives === null) this.build(slots);
    const weights = asWeights(sampleWeight);
    let sampleWeights: ArrayLike<number> | null = null;
    if (weights) {
      // Keras appends an axis to the weights and broadcasts them over the classes.
      const [, shape] = alignRanks([rows, cols], [...weights.shape, 1], false);
      sampleWeights = broadcastTo(weights.data, shape, [rows, cols]);
    }
    for (let r = 0; r < rows; r++) {
      let rowMax = -Infinity;
      for (let c = 0; c < cols; c++) rowMax = Math.max(rowMax, predictions.data[r * cols + c]!);
      for (let c = 0; c < cols; c++) {
        const i = r * cols + c;
        const p = predictions.data[i]!;
        let predicted: number;
        if (this.threshold === null) {
          predicted = p >= rowMax && Math.abs(p) > 1e-9 ? 1 : 0;
        } else {
          predicted = p > this.threshold ? 1 : 0;
        }
        const label = labels.data[i]!;
        const weight = sampleWeights ? sampleWeights[i]! : 1;
        const slot = slots === 1 ? 0 : c;
        this.truePositives![slot]! += predicted * label * weight;
        this.falsePositives![slot]! += predicted * (1 - label) * weight;
        this.falseNegatives![slot]! += (1 - predicted) * label * weight;
        this.labelWeights![slot]! += label * weight;
      }
    }
  }

  private build(slots: number): void {
    this.truePositives = new Float64Array(slots);
    this.falsePositives = new Float64Array(slots);
    this.falseNegatives = new Float64Array(slots);
    this.labelWeights = new Float64Array(slots);
  }

  result(): MetricValue {
    if (this.truePositives === null) return this.average === null ? [] : 0;
    const betaSquared = this.beta * this.beta;
    const scores = Array.from(this.truePositives, (tp, i) => {
      const precision = tp / (tp + this.falsePositives![i]! + EPSILON);
      const recall = tp / (tp + this.falseNegatives![i]! + EPSILON);
      return ((precision * recall) / (betaSquared * precision + recall + EPSILON)) * (1 + betaSquared);
    });
    if (this.average === null) return scores;
    if (this.average === "weighted") {
      const total = this.labelWeights!.reduce((a, b) => a + b, 0);
      return scores.reduce((sum, score, i) => sum + score * (this.labelWeights![i]! / (total + EPSILON)), 0);
    }
    return scores.reduce((a, b) => a + b, 0) / scores.length;
  }

  resetState(): void {
    if (this.truePositives !== null) this.build(this.truePositives.length);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), average: this.average, beta: this.beta, threshold: this.threshold };
  }
}

/** The F1 score, the harmonic mean of precision and recall (F-beta with beta = 1). */
export class F1Score extends FBetaScore {
  constructor(options: F1ScoreOptions = {}) {
    super(options, "F1Score", "f1_score");
  }

  override getConfig(): Record<string, unknown> {
    const config = super.getConfig();
    delete config["beta"];
    return config;
  }
}
