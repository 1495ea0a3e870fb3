/**
 * Intersection-over-union metrics for segmentation and classification:
 * IoU (chosen classes), MeanIoU (every class), BinaryIoU (thresholded
 * predictions), and OneHotIoU/OneHotMeanIoU (one-hot labels).
 *
 * Like Keras 3.15.1, which keeps the confusion matrix in int32, class ids and
 * sample weights are truncated toward zero before they are counted.
 */

import { ShapeError, ValueError, formatShape } from "../errors.js";
import { getBackend } from "../backend/registry.js";
import type { Tensor } from "../tensor/tensor.js";
import {
  type BaseMetricOptions,
  EPSILON,
  type MetricInput,
  Metric,
  asTensor,
  asWeights,
  broadcastTo,
  checkMetricOptions,
  rowsAndColumns,
} from "./metric.js";

export interface IoUOptions extends BaseMetricOptions {
  /** The number of classes; the confusion matrix is numClasses x numClasses. */
  numClasses: number;
  /** The classes whose IoU is averaged into the result. */
  targetClassIds: readonly number[];
  /** A label value that is not counted (for example a "void" class in segmentation). */
  ignoreClass?: number | null;
  /** Labels are class ids (true, default) rather than one-hot or scores, whose argmax is then taken. */
  sparseYTrue?: boolean;
  /** Predictions are class ids (true, default) rather than scores, whose argmax is then taken. */
  sparseYPred?: boolean;
  /** The class axis for the argmax. Only -1 (the last axis) is supported. */
  axis?: number;
}

const IOU_KEYS = ["numClasses", "targetClassIds", "ignoreClass", "sparseYTrue", "sparseYPred", "axis"];

/** Returns each row's argmax along the last axis. */
function argmaxRows(x: Tensor): Int32Array {
  const [rows, cols] = rowsAndColumns(x.shape);
  const out = new Int32Array(rows);
  getBackend().argmax(x.data, rows, cols, out);
  return out;
}

/**
 * The IoU of each target class, TP / (TP + FP + FN) from a confusion matrix
 * accumulated over batches, averaged over the target classes that occurred
 * in labels or predictions. Larger is better.
 */
export class IoU extends Metric {
  readonly numClasses: number;
  readonly targetClassIds: readonly number[];
  readonly ignoreClass: number | null;
  readonly sparseYTrue: boolean;
  readonly sparseYPred: boolean;
  readonly axis: number;
  /** Row = label, column = prediction. */
  private confusion: Float64Array;

  constructor(options: IoUOptions, className = "IoU", defaultName = "io_u") {
    if (className === "IoU") checkMetricOptions(options ?? {}, IOU_KEYS, className);
    super(className, defaultName, "up", { name: options?.name ?? null, dtype: options?.dtype ?? "int32" });
    const numClasses = options?.numClasses;
    if (typeof numClasses !== "number" || !Number.isInteger(numClasses) || numClasses < 1) {
      throw new ValueError(`${className} needs \`numClasses\`, a positive integer: received ${JSON.stringify(numClasses)}.`);
    }
    const targets = options.targetClassIds;
    if (!Array.isArray(targets) || targets.length === 0) {
      throw new ValueError(`${className} needs \`targetClassIds\`, a non-empty list of class ids: received ${JSON.stringify(targets)}.`);
    }
    const outOfRange = targets.filter((t) => !Number.isInteger(t) || t < 0 || t >= numClasses);
    if (outOfRange.length > 0) {
      throw new ValueError(`Invalid \`targetClassIds\` for ${className}: ${JSON.stringify(outOfRange)} outside [0, ${numClasses}).`);
    }
    // NOTE: Keras applies `axis` to the argmax and to the result's sum; only the last axis is implemented.
    if (options.axis !== undefined && options.axis !== -1) {
      throw new ValueError(`Invalid \`axis\` ${options.axis} for ${className}: only -1 (the last axis) is supported.`);
    }
    this.numClasses = numClasses;
    this.targetClassIds = [...targets];
    this.ignoreClass = options.ignoreClass ?? null;
    this.sparseYTrue = options.sparseYTrue ?? true;
    this.sparseYPred = options.sparseYPred ?? true;
    this.axis = -1;
    this.confusion = new Float64Array(numClasses * numClasses);
  }

  updateState(yTrue: MetricInput, yPred: MetricInput, sampleWeight?: MetricInput | null): void {
    const labelTensor = asTensor(yTrue, "yTrue");
    const predTensor = this.predictionsOf(asTensor(yPred, "yPred"));
    const labels: ArrayLike<number> = this.sparseYTrue ? labelTensor.data : argmaxRows(labelTensor);
    const predictions: ArrayLike<number> = this.sparseYPred ? predTensor.data : argmaxRows(predTensor);
    if (labels.length !== predictions.length) {
      throw new ShapeError(
        `${this.className} needs one label per prediction: received labels of shape ${formatShape(labelTensor.shape)} and predictions of shape ${formatShape(predTensor.shape)}.`,
      );
    }
    const weights = asWeights(sampleWeight);
    const flatWeights = weights ? broadcastTo(weights.data, [weights.size], [labels.length]) : null;
    const n = this.numClasses;
    for (let i = 0; i < labels.length; i++) {
      const label = Math.trunc(labels[i]!);
      const prediction = Math.trunc(predictions[i]!);
      if (!(label >= 0 && label < n && prediction >= 0 && prediction < n)) continue;
      if (this.ignoreClass !== null && label === this.ignoreClass) continue;
      this.confusion[label * n + prediction]! += flatWeights ? Math.trunc(flatWeights[i]!) : 1;
    }
  }

  /** Transforms the predictions before they are counted; BinaryIoU thresholds them. */
  protected predictionsOf(yPred: Tensor): Tensor {
    return yPred;
  }

  result(): number {
    const n = this.numClasses;
    let total = 0;
    let valid = 0;
    for (const c of this.targetClassIds) {
      let predicted = 0;
      let actual = 0;
      for (let k = 0; k < n; k++) {
        predicted += this.confusion[k * n + c]!;
        actual += this.confusion[c * n + k]!;
      }
      const truePositives = this.confusion[c * n + c]!;
      const denominator = predicted + actual - truePositives;
      if (denominator > 1e-9) {
        total += truePositives / (denominator + EPSILON);
        valid++;
      }
    }
    return total / (valid + EPSILON);
  }

  resetState(): void {
    this.confusion = new Float64Array(this.numClasses * this.numClasses);
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      num_classes: this.numClasses,
      target_class_ids: [...this.targetClassIds],
      ignore_class: this.ignoreClass,
      sparse_y_true: this.sparseYTrue,
      sparse_y_pred: this.sparseYPred,
      axis: this.axis,
    };
  }
}

export interface BinaryIoUOptions extends BaseMetricOptions {
  /** The classes (0, 1 or both) whose IoU is averaged. Default [0, 1]. */
  targetClassIds?: readonly number[];
  /** Predictions at or above it count as class 1. Default 0.5. */
  threshold?: number;
}

/** IoU of 0/1 labels against predictions thresholded at `threshold` (`p >= threshold` is class 1). */
export class BinaryIoU extends IoU {
  readonly threshold: number;

  constructor(options: BinaryIoUOptions = {}) {
    checkMetricOptions(options, ["targetClassIds", "threshold"], "BinaryIoU");
    super({ numClasses: 2, targetClassIds: options.targetClassIds ?? [0, 1], name: options.name ?? null, dtype: options.dtype ?? null }, "BinaryIoU", "binary_io_u");
    this.threshold = options.threshold ?? 0.5;
  }

  protected override predictionsOf(yPred: Tensor): Tensor {
    const out = new Float64Array(yPred.size);
    // Keras compares in float32, so the threshold is rounded to float32 first.
    const threshold = Math.fround(this.threshold);
    for (let i = 0; i < out.length; i++) out[i] = yPred.data[i]! >= threshold ? 1 : 0;
    return asTensor(out, "yPred");
  }

  override getConfig(): Record<string, unknown> {
    return { target_class_ids: [...this.targetClassIds], threshold: this.threshold, name: this.name, dtype: this.dtype };
  }
}

export type MeanIoUOptions = Omit<IoUOptions, "targetClassIds">;

/** The IoU averaged over every class that occurred. */
export class MeanIoU extends IoU {
  constructor(options: MeanIoUOptions, className = "MeanIoU", defaultName = "mean_io_u") {
    if (className === "MeanIoU") checkMetricOptions(options ?? {}, IOU_KEYS.filter((k) => k !== "targetClassIds"), className);
    const numClasses = options?.numClasses;
    const targets = Number.isInteger(numClasses) && numClasses > 0 ? Array.from({ length: numClasses }, (_, i) => i) : [];
    super({ ...options, targetClassIds: targets }, className, defaultName);
  }

  override getConfig(): Record<string, unknown> {
    const config = super.getConfig();
    delete config["target_class_ids"];
    return config;
  }
}

export type OneHotIoUOptions = Omit<IoUOptions, "sparseYTrue">;

/** IoU with one-hot labels: the argmax of the labels' last axis is the class. */
export class OneHotIoU extends IoU {
  constructor(options: OneHotIoUOptions) {
    checkMetricOptions(options ?? {}, IOU_KEYS.filter((k) => k !== "sparseYTrue"), "OneHotIoU");
    super({ ...options, sparseYTrue: false, sparseYPred: options?.sparseYPred ?? false }, "OneHotIoU", "one_hot_io_u");
  }

  override getConfig(): Record<string, unknown> {
    const config = super.getConfig();
    delete config["sparse_y_true"];
    return config;
  }
}

export type OneHotMeanIoUOptions = Omit<IoUOptions, "sparseYTrue" | "targetClassIds">;

/** MeanIoU with one-hot labels: the argmax of the labels' last axis is the class. */
export class OneHotMeanIoU extends MeanIoU {
  constructor(options: OneHotMeanIoUOptions) {
    checkMetricOptions(options ?? {}, IOU_KEYS.filter((k) => k !== "sparseYTrue" && k !== "targetClassIds"), "OneHotMeanIoU");
    super({ ...options, sparseYTrue: false, sparseYPred: options?.sparseYPred ?? false }, "OneHotMeanIoU", "one_hot_mean_io_u");
  }

  override getConfig(): Record<string, unknown> {
    const config = super.getConfig();
    delete config["sparse_y_true"];
    return config;
  }
}
