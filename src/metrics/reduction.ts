/**
 * Reducing metrics: `Sum`, `Mean` and `MeanMetricWrapper`, the base of every
 * metric that averages a per-sample value (accuracies, regression errors,
 * crossentropies).
 */

import { ShapeError, ValueError, formatShape } from "../errors.js";
import { sizeOf } from "../tensor/shape.js";
import type { Tensor } from "../tensor/tensor.js";
import {
  type BaseMetricOptions,
  type MetricDirection,
  type MetricInput,
  Metric,
  alignRanks,
  asTensor,
  asWeights,
  broadcastTo,
  checkMetricOptions,
  divideNoNan,
} from "./metric.js";

/** Values computed from one batch: row-major data and its shape. */
export interface BatchValues {
  data: ArrayLike<number>;
  shape: readonly number[];
}

/** The class name, default name and direction a subclass passes to its base constructor. */
export interface MetricIdentity {
  className: string;
  defaultName: string;
  direction: MetricDirection;
}

/** Sums `data` in consecutive blocks of `block` values, dividing each sum by `block` when `mean` is set. */
function reduceBlocks(data: ArrayLike<number>, block: number, mean: boolean): Float64Array {
  const blocks = block === 0 ? 0 : data.length / block;
  const out = new Float64Array(blocks);
  for (let b = 0; b < blocks; b++) {
    let total = 0;
    for (let i = b * block; i < (b + 1) * block; i++) total += data[i]!;
    out[b] = mean ? total / block : total;
  }
  return out;
}

/**
 * Aligns values and weights as Keras's `reduce_to_samplewise_values` does.
 * A trailing axis of size 1 is squeezed from one of them. Values of higher
 * rank are reduced over the axes the weights lack, and the weights are then
 * broadcast to the values' shape. Returns the weighted values and the
 * broadcast weights, both of the same shape.
 */
function alignWeights(
  values: BatchValues,
  weights: Tensor,
  mean: boolean,
): { weighted: Float64Array; weights: ArrayLike<number>; shape: readonly number[] } {
  let [valueShape, weightShape] = alignRanks(values.shape, weights.shape);
  let data = values.data;
  if (valueShape.length > weightShape.length) {
    data = reduceBlocks(data, sizeOf(valueShape.slice(weightShape.length)), mean);
    valueShape = valueShape.slice(0, weightShape.length);
  }
  if (weightShape.length > valueShape.length) {
    throw new ShapeError(
      `Sample weights of shape ${formatShape(weights.shape)} do not fit values of shape ${formatShape(values.shape)}.`,
    );
  }
  const broadcast = broadcastTo(weights.data, weightShape, valueShape);
  const weighted = new Float64Array(data.length);
  for (let i = 0; i < data.length; i++) weighted[i] = data[i]! * broadcast[i]!;
  return { weighted, weights: broadcast, shape: valueShape };
}

/** The sum of the (weighted) values it is given. */
export class Sum extends Metric {
  protected total = 0;

  constructor(options: BaseMetricOptions = {}, identity: MetricIdentity = { className: "Sum", defaultName: "sum", direction: null }) {
    if (identity.className === "Sum") checkMetricOptions(options, [], "Sum");
    super(identity.className, identity.defaultName, identity.direction, options);
  }

  /** Adds the sum of `values`, each multiplied by its weight when `sampleWeight` is given. */
  override updateState(values: MetricInput, sampleWeight?: MetricInput | null): void {
    const tensor = asTensor(values, "values");
    const weights = asWeights(sampleWeight);
    const data = weights === null ? tensor.data : alignWeights(tensor, weights, false).weighted;
    for (let i = 0; i < data.length; i++) this.total += data[i]!;
  }

  result(): number {
    return this.total;
  }

  resetState(): void {
    this.total = 0;
  }
}

/**
 * The weighted mean of the values it is given. Each sample (the first axis)
 * counts once, or with its weight: values of higher rank are averaged per
 * sample first. A scalar weight counts the whole batch's mean once, with
 * that weight, as Keras does. The result is 0 until the weights sum to
 * something other than 0.
 */
export class Mean extends Metric {
  protected total = 0;
  protected count = 0;

  constructor(options: BaseMetricOptions = {}, identity: MetricIdentity = { className: "Mean", defaultName: "mean", direction: null }) {
    if (identity.className === "Mean") checkMetricOptions(options, [], "Mean");
    super(identity.className, identity.defaultName, identity.direction, options);
  }

  /** Adds `value` with weight `weight` (for a batch mean, the number of samples). */
  update(value: number, weight = 1): void {
    this.total += value * weight;
    this.count += weight;
  }

  /** Adds every sample of `values` with its weight from `sampleWeight` (1 when not given). */
  override updateState(values: MetricInput, sampleWeight?: MetricInput | null): void {
    const tensor = asTensor(values, "values");
    this.accumulate(tensor, asWeights(sampleWeight));
  }

  /** Adds a batch of values, each sample weighted by `weights` when given. */
  protected accumulate(values: BatchValues, weights: Tensor | null): void {
    if (weights === null) {
      if (values.shape.length === 0) {
        this.update(values.data[0]!, 1);
        return;
      }
      const samples = values.shape[0]!;
      const perSample = reduceBlocks(values.data, samples === 0 ? 0 : values.data.length / samples, true);
      for (let i = 0; i < perSample.length; i++) this.total += perSample[i]!;
      this.count += samples;
      return;
    }
    const { weighted, weights: broadcast, shape } = alignWeights(values, weights, true);
    const samples = shape.length === 0 ? 1 : shape[0]!;
    const block = samples === 0 ? 0 : weighted.length / samples;
    const sampleValues = reduceBlocks(weighted, block, true);
    // Weights of rank 2 or more are averaged per sample, like the values; rank 0 and 1 are already one per sample.
    const sampleWeights = weights.rank > 1 ? reduceBlocks(broadcast, block, true) : broadcast;
    for (let i = 0; i < sampleValues.length; i++) this.total += sampleValues[i]!;
    for (let i = 0; i < sampleWeights.length; i++) this.count += sampleWeights[i]!;
  }

  result(): number {
    return divideNoNan(this.total, this.count);
  }

  resetState(): void {
    this.total = 0;
    this.count = 0;
  }
}

/** A function from a batch's labels and predictions to one value per sample (or per element). */
export type MetricFunction = (yTrue: Tensor, yPred: Tensor) => MetricInput;

export interface MeanMetricWrapperOptions extends BaseMetricOptions {
  fn: MetricFunction;
}

/**
 * Averages the values a function computes from each batch, weighted per
 * sample. The base of Keras's accuracy, regression and probabilistic metrics.
 */
export class MeanMetricWrapper extends Mean {
  private readonly fn: MetricFunction | null;

  constructor(
    options: MeanMetricWrapperOptions | BaseMetricOptions,
    identity: MetricIdentity = { className: "MeanMetricWrapper", defaultName: "mean_metric_wrapper", direction: null },
  ) {
    const fn = "fn" in options ? options.fn : null;
    if (identity.className === "MeanMetricWrapper") {
      checkMetricOptions(options, ["fn"], "MeanMetricWrapper");
      if (typeof fn !== "function") {
        throw new ValueError("MeanMetricWrapper needs `fn`: a function from (yTrue, yPred) to per-sample values.");
      }
    }
    super({ name: options.name ?? null, dtype: options.dtype ?? null }, identity);
    this.fn = fn;
  }

  override updateState(yTrue: MetricInput, yPred: MetricInput, sampleWeight?: MetricInput | null): void {
    const values = this.batchValues(asTensor(yTrue, "yTrue"), asTensor(yPred, "yPred"));
    this.accumulate(values, asWeights(sampleWeight));
  }

  /** Computes the per-sample values of one batch. */
  protected batchValues(yTrue: Tensor, yPred: Tensor): BatchValues {
    return asTensor(this.fn!(yTrue, yPred), "the metric function's result");
  }

  private scratchValues = new Float64Array(0);

  /** Returns a buffer of `size` values, reused from batch to batch while the size stays the same. */
  protected scratch(size: number): Float64Array {
    if (this.scratchValues.length !== size) this.scratchValues = new Float64Array(size);
    return this.scratchValues;
  }
}
