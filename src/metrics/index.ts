/**
 * Stateful metrics: each accumulates over batches with `updateState` and
 * reports with `result`; `resetState` starts over (fit does so every epoch).
 */

import { ShapeError, ValueError, formatChoices, formatShape } from "../errors.js";
import { getBackend } from "../backend/registry.js";
import type { Tensor } from "../tensor/tensor.js";
import { didYouMean } from "../utils/suggest.js";

export abstract class Metric {
  readonly name: string;

  constructor(name: string) {
    this.name = name;
  }

  abstract updateState(yTrue: Tensor, yPred: Tensor, sampleWeight?: Tensor): void;
  abstract result(): number;
  abstract resetState(): void;

  /** Keras's direction hint for callbacks: true when larger values are better. */
  get higherIsBetter(): boolean {
    return false;
  }
}

/** The weighted mean of the values it is given. */
export class Mean extends Metric {
  protected total = 0;
  protected count = 0;

  constructor(options: { name?: string } = {}) {
    super(options.name ?? "mean");
  }

  /** Adds `value` with weight `weight` (for a batch mean, the number of samples). */
  update(value: number, weight = 1): void {
    this.total += value * weight;
    this.count += weight;
  }

  updateState(_yTrue: Tensor, yPred: Tensor, sampleWeight?: Tensor): void {
    for (let i = 0; i < yPred.size; i++) this.update(yPred.data[i]!, sampleWeight ? sampleWeight.data[i]! : 1);
  }

  result(): number {
    return this.count === 0 ? 0 : this.total / this.count;
  }

  resetState(): void {
    this.total = 0;
    this.count = 0;
  }
}

/** Averages a per-sample 0/1 match over every sample seen. */
abstract class AccuracyMetric extends Mean {
  /** Scratch arrays reused from batch to batch while the batch size stays the same. */
  private scratchMatches = new Float64Array(0);
  private scratchIndices: [Int32Array, Int32Array] = [new Int32Array(0), new Int32Array(0)];

  override get higherIsBetter(): boolean {
    return true;
  }

  protected matchBuffer(rows: number): Float64Array {
    if (this.scratchMatches.length !== rows) this.scratchMatches = new Float64Array(rows);
    return this.scratchMatches;
  }

  protected indexBuffer(slot: 0 | 1, rows: number): Int32Array {
    if (this.scratchIndices[slot].length !== rows) this.scratchIndices[slot] = new Int32Array(rows);
    return this.scratchIndices[slot];
  }

  /** One match value (0 or 1) per sample. */
  protected abstract matches(yTrue: Tensor, yPred: Tensor): Float64Array;

  override updateState(yTrue: Tensor, yPred: Tensor, sampleWeight?: Tensor): void {
    const values = this.matches(yTrue, yPred);
    for (let i = 0; i < values.length; i++) this.update(values[i]!, sampleWeight ? sampleWeight.data[i]! : 1);
  }
}

function rowsOf(yPred: Tensor): [number, number] {
  const cols = yPred.rank === 0 ? 1 : yPred.shape[yPred.rank - 1]!;
  return [cols === 0 ? 0 : yPred.size / cols, cols];
}

/** Fraction of predictions on the same side of `threshold` as the 0/1 labels (`p > threshold` counts as 1). */
export class BinaryAccuracy extends AccuracyMetric {
  readonly threshold: number;

  constructor(options: { name?: string; threshold?: number } = {}) {
    super({ name: options.name ?? "binary_accuracy" });
    this.threshold = options.threshold ?? 0.5;
  }

  protected matches(yTrue: Tensor, yPred: Tensor): Float64Array {
    if (yTrue.size !== yPred.size) {
      throw new ShapeError(
        `binary_accuracy needs one label per prediction: received labels of shape ${formatShape(yTrue.shape)} and predictions of shape ${formatShape(yPred.shape)}.`,
      );
    }
    const [rows, cols] = rowsOf(yPred);
    const out = this.matchBuffer(rows);
    for (let r = 0; r < rows; r++) {
      let total = 0;
      for (let c = 0; c < cols; c++) {
        const i = r * cols + c;
        total += (yPred.data[i]! > this.threshold ? 1 : 0) === yTrue.data[i] ? 1 : 0;
      }
      out[r] = total / cols;
    }
    return out;
  }
}

/** Fraction of samples whose largest prediction is at the one-hot label's position. */
export class CategoricalAccuracy extends AccuracyMetric {
  constructor(options: { name?: string } = {}) {
    super({ name: options.name ?? "categorical_accuracy" });
  }

  protected matches(yTrue: Tensor, yPred: Tensor): Float64Array {
    if (yTrue.size !== yPred.size) {
      throw new ShapeError(
        `categorical_accuracy needs one-hot labels of the predictions' shape: received labels of shape ${formatShape(yTrue.shape)} and predictions of shape ${formatShape(yPred.shape)}.`,
      );
    }
    const [rows, cols] = rowsOf(yPred);
    const predicted = this.indexBuffer(0, rows);
    const actual = this.indexBuffer(1, rows);
    getBackend().argmax(yPred.data, rows, cols, predicted);
    getBackend().argmax(yTrue.data, rows, cols, actual);
    const out = this.matchBuffer(rows);
    for (let r = 0; r < rows; r++) out[r] = predicted[r] === actual[r] ? 1 : 0;
    return out;
  }
}

/** Fraction of samples whose largest prediction is at the integer label. */
export class SparseCategoricalAccuracy extends AccuracyMetric {
  constructor(options: { name?: string } = {}) {
    super({ name: options.name ?? "sparse_categorical_accuracy" });
  }

  protected matches(yTrue: Tensor, yPred: Tensor): Float64Array {
    const [rows, cols] = rowsOf(yPred);
    if (yTrue.size !== rows) {
      throw new ShapeError(
        `sparse_categorical_accuracy needs one integer label per sample: received labels of shape ${formatShape(yTrue.shape)} and predictions of shape ${formatShape(yPred.shape)}.`,
      );
    }
    const predicted = this.indexBuffer(0, rows);
    getBackend().argmax(yPred.data, rows, cols, predicted);
    const out = this.matchBuffer(rows);
    for (let r = 0; r < rows; r++) out[r] = predicted[r] === yTrue.data[r] ? 1 : 0;
    return out;
  }
}

/**
 * Picks the accuracy metric for "accuracy"/"acc" from the shapes of the first
 * batch, as Keras 3 does. One output unit means binary accuracy. Labels of
 * lower rank, or a single label column against several outputs, mean sparse
 * categorical accuracy. Anything else means categorical accuracy. The metric
 * keeps the name the user wrote.
 */
export function resolveAccuracy(name: string, yTrue: Tensor, yPred: Tensor): Metric {
  const predLast = yPred.shape[yPred.rank - 1];
  const trueLast = yTrue.shape[yTrue.rank - 1];
  if (predLast === 1) return new BinaryAccuracy({ name });
  if (yTrue.rank < yPred.rank || (trueLast === 1 && (predLast ?? 0) > 1)) return new SparseCategoricalAccuracy({ name });
  return new CategoricalAccuracy({ name });
}

const metricNames: Record<string, (name: string) => Metric> = {
  binary_accuracy: (name) => new BinaryAccuracy({ name }),
  BinaryAccuracy: () => new BinaryAccuracy(),
  categorical_accuracy: (name) => new CategoricalAccuracy({ name }),
  CategoricalAccuracy: () => new CategoricalAccuracy(),
  sparse_categorical_accuracy: (name) => new SparseCategoricalAccuracy({ name }),
  SparseCategoricalAccuracy: () => new SparseCategoricalAccuracy(),
};

export const ACCURACY_ALIASES = ["accuracy", "acc"];

export type MetricIdentifier = string | Metric;

/** Checks a metric identifier; "accuracy" and "acc" are resolved later, from the data's shapes. */
export function validate(identifier: MetricIdentifier): void {
  if (identifier instanceof Metric) return;
  if (typeof identifier === "string" && (ACCURACY_ALIASES.includes(identifier.toLowerCase()) || identifier in metricNames)) return;
  const valid = [...ACCURACY_ALIASES, ...Object.keys(metricNames)];
  throw new ValueError(
    `Unknown metric ${JSON.stringify(identifier)}.${didYouMean(identifier, valid)} Valid metrics: ${formatChoices(valid)}.`,
  );
}

/** Resolves a metric identifier into a fresh metric object, given the first batch's labels and predictions. */
export function get(identifier: MetricIdentifier, yTrue: Tensor, yPred: Tensor): Metric {
  validate(identifier);
  if (identifier instanceof Metric) return identifier;
  if (ACCURACY_ALIASES.includes(identifier.toLowerCase())) return resolveAccuracy(identifier, yTrue, yPred);
  return metricNames[identifier]!(identifier);
}
