/**
 * Area under the ROC or precision-recall curve, approximated as Keras 3.15.1
 * does: confusion counts at a fixed list of thresholds, then a Riemann sum
 * over the curve those counts trace (or, for PR with interpolation, an
 * integral of precision interpolated between thresholds).
 */

import { ShapeError, ValueError, formatChoices, formatShape } from "../errors.js";
import { Tensor } from "../tensor/tensor.js";
import { type ConfusionCounts, checkThresholds, isEvenlyDistributed, updateConfusionCounts } from "./confusion-counts.js";
import {
  type BaseMetricOptions,
  EPSILON,
  type MetricInput,
  Metric,
  asTensor,
  asWeights,
  checkMetricOptions,
  divideNoNan,
} from "./metric.js";

export type AUCCurve = "ROC" | "PR" | "PRGAIN";
export type AUCSummationMethod = "interpolation" | "majoring" | "minoring";

export interface AUCOptions extends BaseMetricOptions {
  /** Number of thresholds, evenly spaced in [0, 1] with the ends moved out by epsilon. Default 200; must be > 1. */
  numThresholds?: number;
  /** "ROC" (default), "PR" or "PRGAIN"; Keras also accepts the lower-case names. */
  curve?: string;
  /** "interpolation" (default), "majoring" or "minoring" (Keras also accepts them capitalised). */
  summationMethod?: string;
  /** Explicit thresholds in [0, 1], used instead of `numThresholds`; -epsilon and 1 + epsilon are added at the ends. */
  thresholds?: readonly number[] | null;
  /** Compute one AUC per label (each column of 2-D predictions) and average them. Default false. */
  multiLabel?: boolean;
  /** The number of labels with `multiLabel`; without it, the first batch's last axis sets it. */
  numLabels?: number | null;
  /**
   * One weight per label. Without `multiLabel` each label's values are
   * weighted by it; with `multiLabel` the per-label AUCs are averaged with them.
   */
  labelWeights?: readonly number[] | null;
  /** Apply a sigmoid to the predictions first. Default false. */
  fromLogits?: boolean;
}

const OPTION_KEYS = ["numThresholds", "curve", "summationMethod", "thresholds", "multiLabel", "numLabels", "labelWeights", "fromLogits"];

function parseCurve(curve: string): AUCCurve {
  const names: Record<string, AUCCurve> = { roc: "ROC", ROC: "ROC", pr: "PR", PR: "PR", prgain: "PRGAIN", PRGAIN: "PRGAIN" };
  const parsed = names[curve];
  if (!parsed) throw new ValueError(`Invalid \`curve\` ${JSON.stringify(curve)} for AUC: expected one of ${formatChoices(["ROC", "PR", "PRGAIN"])}.`);
  return parsed;
}

function parseSummationMethod(method: string): AUCSummationMethod {
  const lower = method === "Interpolation" || method === "Majoring" || method === "Minoring" ? method.toLowerCase() : method;
  if (lower !== "interpolation" && lower !== "majoring" && lower !== "minoring") {
    throw new ValueError(
      `Invalid \`summationMethod\` ${JSON.stringify(method)} for AUC: expected one of ${formatChoices(["interpolation", "majoring", "minoring"])}.`,
    );
  }
  return lower;
}

/** Area under the ROC, PR or PR-gain curve, accumulated over batches. Larger is better. */
export class AUC extends Metric {
  readonly numThresholds: number;
  readonly curve: AUCCurve;
  readonly summationMethod: AUCSummationMethod;
  readonly multiLabel: boolean;
  readonly numLabels: number | null;
  readonly labelWeights: readonly number[] | null;
  readonly fromLogits: boolean;
  /** Every threshold, including the -epsilon and 1 + epsilon ends. */
  readonly thresholds: readonly number[];
  private readonly initFromThresholds: boolean;
  private readonly evenlyDistributed: boolean;
  /** Labels per sample once known (1 without `multiLabel`). */
  private labels: number | null = null;
  private counts: Required<ConfusionCounts> | null = null;

  constructor(options: AUCOptions = {}) {
    checkMetricOptions(options, OPTION_KEYS, "AUC");
    super("AUC", "auc", "up", options);
    this.curve = parseCurve(options.curve ?? "ROC");
    this.summationMethod = parseSummationMethod(options.summationMethod ?? "interpolation");
    let inner: number[];
    this.initFromThresholds = options.thresholds !== undefined && options.thresholds !== null;
    if (options.thresholds !== undefined && options.thresholds !== null) {
      checkThresholds(options.thresholds, "AUC");
      inner = [...options.thresholds].sort((a, b) => a - b);
      this.numThresholds = inner.length + 2;
      this.evenlyDistributed = isEvenlyDistributed([0, ...inner, 1]);
    } else {
      const numThresholds = options.numThresholds ?? 200;
      if (!Number.isInteger(numThresholds) || numThresholds <= 1) {
        throw new ValueError(`Invalid \`numThresholds\` for AUC: expected an integer > 1, received ${JSON.stringify(numThresholds)}.`);
      }
      this.numThresholds = numThresholds;
      inner = Array.from({ length: numThresholds - 2 }, (_, i) => (i + 1) / (numThresholds - 1));
      this.evenlyDistributed = true;
    }
    this.thresholds = [0 - EPSILON, ...inner, 1 + EPSILON];
    this.multiLabel = options.multiLabel ?? false;
    this.numLabels = options.numLabels ?? null;
    this.labelWeights = options.labelWeights ? [...options.labelWeights] : null;
    this.fromLogits = options.fromLogits ?? false;
    if (this.multiLabel) {
      if (this.numLabels) this.build(this.numLabels);
    } else {
      if (this.numLabels) throw new ValueError("AUC's `numLabels` applies only with `multiLabel: true`.");
      this.build(1);
    }
  }

  private build(labels: number): void {
    this.labels = labels;
    const size = this.numThresholds * labels;
    this.counts = {
      truePositives: new Float64Array(size),
      falsePositives: new Float64Array(size),
      trueNegatives: new Float64Array(size),
      falseNegatives: new Float64Array(size),
    };
  }

  updateState(yTrue: MetricInput, yPred: MetricInput, sampleWeight?: MetricInput | null): void {
    const labels = asTensor(yTrue, "yTrue");
    let predictions = asTensor(yPred, "yPred");
    if (this.counts === null) {
      if (predictions.rank !== 2) {
        throw new ShapeError(`AUC with \`multiLabel\` needs predictions of rank 2, received shape ${formatShape(predictions.shape)}.`);
      }
      this.build(predictions.shape[1]!);
    }
    if (this.fromLogits) predictions = sigmoid(predictions);
    updateConfusionCounts(this.counts!, labels, predictions, {
      thresholds: this.thresholds,
      thresholdsDistributedEvenly: this.evenlyDistributed,
      sampleWeight: asWeights(sampleWeight),
      multiLabel: this.multiLabel,
      labelWeights: this.multiLabel ? null : this.labelWeights,
    });
  }

  result(): number {
    if (this.counts === null) return 0;
    const labels = this.labels!;
    const perLabel: number[] = [];
    for (let label = 0; label < labels; label++) {
      const column = (values: Float64Array): number[] =>
        Array.from({ length: this.numThresholds }, (_, t) => values[t * labels + label]!);
      const tp = column(this.counts.truePositives);
      const fp = column(this.counts.falsePositives);
      const tn = column(this.counts.trueNegatives);
      const fn = column(this.counts.falseNegatives);
      perLabel.push(
        this.curve === "PR" && this.summationMethod === "interpolation" ? interpolatedPrAuc(tp, fp, fn) : this.riemannSum(tp, fp, tn, fn),
      );
    }
    if (!this.multiLabel) return perLabel[0]!;
    if (this.labelWeights === null) return perLabel.reduce((a, b) => a + b, 0) / perLabel.length;
    let weighted = 0;
    let weightSum = 0;
    perLabel.forEach((auc, i) => {
      weighted += auc * this.labelWeights![i]!;
      weightSum += this.labelWeights![i]!;
    });
    return divideNoNan(weighted, weightSum);
  }

  /** Sums the curve's segments between consecutive thresholds, each with the height `summationMethod` picks. */
  private riemannSum(tp: number[], fp: number[], tn: number[], fn: number[]): number {
    const n = tp.length;
    const recall = tp.map((v, i) => divideNoNan(v, v + fn[i]!));
    let x: number[];
    let y: number[];
    if (this.curve === "ROC") {
      x = fp.map((v, i) => divideNoNan(v, v + tn[i]!));
      y = recall;
    } else if (this.curve === "PR") {
      x = recall;
      y = tp.map((v, i) => divideNoNan(v, v + fp[i]!));
    } else {
      // Precision and recall gains, rescaled by the ratio of positives to negatives and clamped as Keras does.
      const scale = tp.map((v, i) => divideNoNan(v + fn[i]!, tn[i]! + fp[i]!));
      x = tp.map((v, i) => (v === 0 ? 0 : Math.max(0, 1 - scale[i]! * divideNoNan(fn[i]!, v))));
      y = tp.map((v, i) => (v === 0 ? 1 : 1 - scale[i]! * divideNoNan(fp[i]!, v)));
    }
    let area = 0;
    for (let i = 0; i < n - 1; i++) {
      const height =
        this.summationMethod === "interpolation"
          ? (y[i]! + y[i + 1]!) / 2
          : this.summationMethod === "minoring"
            ? Math.min(y[i]!, y[i + 1]!)
            : Math.max(y[i]!, y[i + 1]!);
      area += (x[i]! - x[i + 1]!) * height;
    }
    return area;
  }

  resetState(): void {
    if (this.labels !== null) this.build(this.labels);
  }

  override getConfig(): Record<string, unknown> {
    const config: Record<string, unknown> = {
      ...super.getConfig(),
      num_thresholds: this.numThresholds,
      curve: this.curve,
      summation_method: this.summationMethod,
      multi_label: this.multiLabel,
      num_labels: this.numLabels,
      label_weights: this.labelWeights ? [...this.labelWeights] : null,
      from_logits: this.fromLogits,
    };
    if (this.initFromThresholds) config["thresholds"] = this.thresholds.slice(1, -1);
    return config;
  }
}

/**
 * Returns the area under the PR curve with precision interpolated between
 * thresholds, as Keras's `interpolate_pr_auc` computes it. Between two
 * thresholds the true positives are taken to grow linearly with the number
 * of predicted positives, so precision integrates to a closed form with a
 * logarithm of the ratio of predicted positives.
 */
function interpolatedPrAuc(tp: number[], fp: number[], fn: number[]): number {
  const n = tp.length;
  const positives = tp.map((v, i) => v + fp[i]!);
  let area = 0;
  for (let i = 0; i < n - 1; i++) {
    const dtp = tp[i]! - tp[i + 1]!;
    const dp = positives[i]! - positives[i + 1]!;
    const slope = divideNoNan(dtp, Math.max(dp, 0));
    const intercept = tp[i + 1]! - slope * positives[i + 1]!;
    const ratio = positives[i]! > 0 && positives[i + 1]! > 0 ? divideNoNan(positives[i]!, Math.max(positives[i + 1]!, 0)) : 1;
    area += divideNoNan(slope * (dtp + intercept * Math.log(ratio)), Math.max(tp[i + 1]! + fn[i + 1]!, 0));
  }
  return area;
}

function sigmoid(x: Tensor): Tensor {
  const out = new Float64Array(x.size);
  for (let i = 0; i < out.length; i++) out[i] = 1 / (1 + Math.exp(-x.data[i]!));
  return new Tensor(out, x.shape);
}
