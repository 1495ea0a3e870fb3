/**
 * Confusion-matrix metrics: true/false positive/negative counts, Precision,
 * Recall, and the metrics that read one rate where another reaches a target
 * (PrecisionAtRecall, RecallAtPrecision, SensitivityAtSpecificity,
 * SpecificityAtSensitivity). AUC is in auc.ts.
 */

import { ValueError } from "../errors.js";
import {
  type BaseMetricOptions,
  type MetricDirection,
  type MetricInput,
  type MetricValue,
  Metric,
  asTensor,
  asWeights,
  checkMetricOptions,
  checkUnitInterval,
  copyOption,
  divideNoNan,
} from "./metric.js";
import {
  type ConfusionCounts,
  NEG_INF,
  checkThresholds,
  isEvenlyDistributed,
  updateConfusionCounts,
} from "./confusion-counts.js";

/** Returns the thresholds as a list, or `[defaultThreshold]` when none are given, checking that they are in [0, 1]. */
function parseThresholds(thresholds: number | readonly number[] | null | undefined, defaultThreshold: number, className: string): number[] {
  if (thresholds === undefined || thresholds === null) return [defaultThreshold];
  const list = typeof thresholds === "number" ? [thresholds] : [...thresholds];
  checkThresholds(list, className);
  return list;
}

/** Returns one number for a single threshold, else one per threshold. */
function perThreshold(values: Float64Array | number[]): MetricValue {
  return values.length === 1 ? values[0]! : Array.from(values);
}

abstract class ThresholdMetric extends Metric<MetricValue> {
  readonly thresholds: readonly number[];
  protected readonly initThresholds: number | number[] | null;
  protected readonly evenlyDistributed: boolean;

  protected constructor(
    className: string,
    defaultName: string,
    direction: MetricDirection,
    options: BaseMetricOptions & { thresholds?: number | readonly number[] | null },
    defaultThreshold: number,
  ) {
    super(className, defaultName, direction, options);
    this.initThresholds = copyOption(options.thresholds);
    this.thresholds = parseThresholds(options.thresholds, defaultThreshold, className);
    this.evenlyDistributed = isEvenlyDistributed(this.thresholds);
  }

  protected zeros(): Float64Array {
    return new Float64Array(this.thresholds.length);
  }
}

export interface ConfusionCountOptions extends BaseMetricOptions {
  /** A threshold in [0, 1] or a list of them; predictions strictly above it count as positive. Default 0.5. */
  thresholds?: number | readonly number[] | null;
}

type CountKind = keyof ConfusionCounts;

abstract class ConfusionCount extends ThresholdMetric {
  private accumulator: Float64Array;

  protected constructor(className: string, defaultName: string, private readonly kind: CountKind, options: ConfusionCountOptions) {
    checkMetricOptions(options, ["thresholds"], className);
    super(className, defaultName, null, options, 0.5);
    this.accumulator = this.zeros();
  }

  updateState(yTrue: MetricInput, yPred: MetricInput, sampleWeight?: MetricInput | null): void {
    updateConfusionCounts({ [this.kind]: this.accumulator }, asTensor(yTrue, "yTrue"), asTensor(yPred, "yPred"), {
      thresholds: this.thresholds,
      thresholdsDistributedEvenly: this.evenlyDistributed,
      sampleWeight: asWeights(sampleWeight),
    });
  }

  result(): MetricValue {
    return perThreshold(this.accumulator);
  }

  resetState(): void {
    this.accumulator = this.zeros();
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), thresholds: this.initThresholds };
  }
}

/** The (weighted) number of positive labels predicted positive, per threshold. */
export class TruePositives extends ConfusionCount {
  constructor(options: ConfusionCountOptions = {}) {
    super("TruePositives", "true_positives", "truePositives", options);
  }
}

/** The (weighted) number of negative labels predicted positive, per threshold. */
export class FalsePositives extends ConfusionCount {
  constructor(options: ConfusionCountOptions = {}) {
    super("FalsePositives", "false_positives", "falsePositives", options);
  }
}

/** The (weighted) number of negative labels predicted negative, per threshold. */
export class TrueNegatives extends ConfusionCount {
  constructor(options: ConfusionCountOptions = {}) {
    super("TrueNegatives", "true_negatives", "trueNegatives", options);
  }
}

/** The (weighted) number of positive labels predicted negative, per threshold. */
export class FalseNegatives extends ConfusionCount {
  constructor(options: ConfusionCountOptions = {}) {
    super("FalseNegatives", "false_negatives", "falseNegatives", options);
  }
}

export interface PrecisionRecallOptions extends ConfusionCountOptions {
  /**
   * Only the `topK` largest predictions of each row count as positive. Without
   * `thresholds`, the threshold then defaults to -1e10 so that all of them do.
   */
  topK?: number | null;
  /** Only this column of the last axis is evaluated, as a binary problem. */
  classId?: number | null;
}

function checkTopK(topK: unknown, className: string): void {
  if (topK !== undefined && topK !== null && (typeof topK !== "number" || !Number.isInteger(topK) || topK < 1)) {
    throw new ValueError(`Invalid \`topK\` for ${className}: expected a positive integer, received ${JSON.stringify(topK)}.`);
  }
}

abstract class PrecisionRecallBase extends ThresholdMetric {
  readonly topK: number | null;
  readonly classId: number | null;
  protected truePositives: Float64Array;
  /** False positives for Precision, false negatives for Recall. */
  protected errors: Float64Array;

  protected constructor(className: string, defaultName: string, private readonly errorKind: CountKind, options: PrecisionRecallOptions) {
    checkMetricOptions(options, ["thresholds", "topK", "classId"], className);
    checkTopK(options.topK, className);
    super(className, defaultName, "up", options, options.topK === undefined || options.topK === null ? 0.5 : NEG_INF);
    this.topK = options.topK ?? null;
    this.classId = options.classId ?? null;
    this.truePositives = this.zeros();
    this.errors = this.zeros();
  }

  updateState(yTrue: MetricInput, yPred: MetricInput, sampleWeight?: MetricInput | null): void {
    const counts: ConfusionCounts = { truePositives: this.truePositives, [this.errorKind]: this.errors };
    updateConfusionCounts(counts, asTensor(yTrue, "yTrue"), asTensor(yPred, "yPred"), {
      thresholds: this.thresholds,
      thresholdsDistributedEvenly: this.evenlyDistributed,
      topK: this.topK,
      classId: this.classId,
      sampleWeight: asWeights(sampleWeight),
    });
  }

  /** Returns TP / (TP + errors) per threshold, 0 where nothing was counted. */
  result(): MetricValue {
    return perThreshold(this.truePositives.map((tp, i) => divideNoNan(tp, tp + this.errors[i]!)));
  }

  resetState(): void {
    this.truePositives = this.zeros();
    this.errors = this.zeros();
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), thresholds: this.initThresholds, top_k: this.topK, class_id: this.classId };
  }
}

/** The fraction of positive predictions whose label is positive: TP / (TP + FP), 0 before any positive prediction. */
export class Precision extends PrecisionRecallBase {
  constructor(options: PrecisionRecallOptions = {}) {
    super("Precision", "precision", "falsePositives", options);
  }
}

/** The fraction of positive labels predicted positive: TP / (TP + FN), 0 before any positive label. */
export class Recall extends PrecisionRecallBase {
  constructor(options: PrecisionRecallOptions = {}) {
    super("Recall", "recall", "falseNegatives", options);
  }
}

export interface RateAtRateOptions extends BaseMetricOptions {
  /** How many evenly spaced thresholds in [0, 1] to try. Default 200; 1 means the single threshold 0.5. */
  numThresholds?: number;
  classId?: number | null;
}

interface Rates {
  precision: number[];
  recall: number[];
  specificity: number[];
}

/**
 * Accumulates all four counts at `numThresholds` thresholds and reports the
 * best value of one rate among the thresholds where another rate reaches
 * the target (0 when none does).
 */
abstract class RateAtRate extends Metric {
  readonly numThresholds: number;
  readonly classId: number | null;
  readonly thresholds: readonly number[];
  private readonly evenlyDistributed: boolean;
  private counts: Required<ConfusionCounts>;

  protected constructor(className: string, defaultName: string, private readonly option: string, protected readonly target: number, options: RateAtRateOptions) {
    checkMetricOptions(options, [option, "numThresholds", "classId"], className);
    checkUnitInterval(target, option, className);
    super(className, defaultName, "up", options);
    const numThresholds = options.numThresholds ?? 200;
    if (!Number.isInteger(numThresholds) || numThresholds <= 0) {
      throw new ValueError(`Invalid \`numThresholds\` for ${className}: expected an integer > 0, received ${JSON.stringify(numThresholds)}.`);
    }
    this.numThresholds = numThresholds;
    this.classId = options.classId ?? null;
    if (numThresholds === 1) {
      this.thresholds = [0.5];
      this.evenlyDistributed = false;
    } else {
      const inner = Array.from({ length: numThresholds - 2 }, (_, i) => (i + 1) / (numThresholds - 1));
      this.thresholds = [0, ...inner, 1];
      this.evenlyDistributed = true;
    }
    this.counts = this.zeroCounts();
  }

  private zeroCounts(): Required<ConfusionCounts> {
    const n = this.thresholds.length;
    return {
      truePositives: new Float64Array(n),
      falsePositives: new Float64Array(n),
      trueNegatives: new Float64Array(n),
      falseNegatives: new Float64Array(n),
    };
  }

  updateState(yTrue: MetricInput, yPred: MetricInput, sampleWeight?: MetricInput | null): void {
    updateConfusionCounts(this.counts, asTensor(yTrue, "yTrue"), asTensor(yPred, "yPred"), {
      thresholds: this.thresholds,
      thresholdsDistributedEvenly: this.evenlyDistributed,
      classId: this.classId,
      sampleWeight: asWeights(sampleWeight),
    });
  }

  resetState(): void {
    this.counts = this.zeroCounts();
  }

  protected rates(): Rates {
    const { truePositives: tp, falsePositives: fp, trueNegatives: tn, falseNegatives: fn } = this.counts;
    const precision: number[] = [];
    const recall: number[] = [];
    const specificity: number[] = [];
    for (let i = 0; i < tp.length; i++) {
      precision.push(divideNoNan(tp[i]!, tp[i]! + fp[i]!));
      recall.push(divideNoNan(tp[i]!, tp[i]! + fn[i]!));
      specificity.push(divideNoNan(tn[i]!, tn[i]! + fp[i]!));
    }
    return { precision, recall, specificity };
  }

  /** Returns the largest `dependent[i]` among the thresholds where `constrained[i] >= target`, or 0. */
  protected maxWhere(constrained: number[], dependent: number[]): number {
    let best = 0;
    for (let i = 0; i < constrained.length; i++) if (constrained[i]! >= this.target && dependent[i]! > best) best = dependent[i]!;
    return best;
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), class_id: this.classId, num_thresholds: this.numThresholds, [this.option]: this.target };
  }
}

export interface PrecisionAtRecallOptions extends RateAtRateOptions {
  /** The recall in [0, 1] to reach. */
  recall: number;
}

/** The best precision among the thresholds where recall is at least `recall`. */
export class PrecisionAtRecall extends RateAtRate {
  constructor(options: PrecisionAtRecallOptions) {
    super("PrecisionAtRecall", "precision_at_recall", "recall", options?.recall, options);
  }

  result(): number {
    const rates = this.rates();
    return this.maxWhere(rates.recall, rates.precision);
  }
}

export interface RecallAtPrecisionOptions extends RateAtRateOptions {
  /** The precision in [0, 1] to reach. */
  precision: number;
}

/** The best recall among the thresholds where precision is at least `precision`. */
export class RecallAtPrecision extends RateAtRate {
  constructor(options: RecallAtPrecisionOptions) {
    super("RecallAtPrecision", "recall_at_precision", "precision", options?.precision, options);
  }

  result(): number {
    const rates = this.rates();
    return this.maxWhere(rates.precision, rates.recall);
  }
}

export interface SensitivityAtSpecificityOptions extends RateAtRateOptions {
  /** The specificity in [0, 1] to reach. */
  specificity: number;
}

/** The best sensitivity (recall) among the thresholds where specificity is at least `specificity`. */
export class SensitivityAtSpecificity extends RateAtRate {
  constructor(options: SensitivityAtSpecificityOptions) {
    super("SensitivityAtSpecificity", "sensitivity_at_specificity", "specificity", options?.specificity, options);
  }

  result(): number {
    const rates = this.rates();
    return this.maxWhere(rates.specificity, rates.recall);
  }
}

export interface SpecificityAtSensitivityOptions extends RateAtRateOptions {
  /** The sensitivity (recall) in [0, 1] to reach. */
  sensitivity: number;
}

/** The best specificity among the thresholds where sensitivity (recall) is at least `sensitivity`. */
export class SpecificityAtSensitivity extends RateAtRate {
  constructor(options: SpecificityAtSensitivityOptions) {
    super("SpecificityAtSensitivity", "specificity_at_sensitivity", "sensitivity", options?.sensitivity, options);
  }

  result(): number {
    const rates = this.rates();
    return this.maxWhere(rates.recall, rates.specificity);
  }
}
