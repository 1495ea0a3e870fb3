/** Preprocessing layers that training pipelines use: Normalization, Rescaling, CategoryEncoding, Discretization. */

import { ShapeError, ValueError, formatChoices, formatShape } from "../errors.js";
import { noGrad } from "../autodiff/tape.js";
import * as initializers from "../initializers/index.js";
import * as ops from "../ops/index.js";
import type { FloatDType } from "../tensor/dtype.js";
import { type NestedArray, Tensor, tensor } from "../tensor/tensor.js";
import { BASE_LAYER_OPTIONS, type CallOptions, Layer, type LayerOptions, type SymbolicShape, baseOptionsFromConfig } from "./layer.js";
import type { Variable } from "./variable.js";

/** Keras's `backend.epsilon()`, the floor of the standard deviation Normalization divides by. */
const EPSILON = 1e-7;

/** Returns a float tensor of `dtype` holding `values` with the given shape. */
function floatTensor(dtype: FloatDType, values: ArrayLike<number>, shape: readonly number[]): Tensor {
  const data = dtype === "float64" ? Float64Array.from(values) : Float32Array.from(values);
  return new Tensor(data, [...shape]);
}

/** Flattens a number or nested array of numbers, returning the values and the shape. */
function flattenNested(value: NestedArray, argument: string, owner: string): { values: number[]; shape: number[] } {
  try {
    const t = tensor(value, undefined, "float64");
    return { values: [...t.data], shape: [...t.shape] };
  } catch {
    throw new ValueError(`Invalid \`${argument}\` for ${owner}: expected a number or a nested array of numbers, received ${JSON.stringify(value)}.`);
  }
}

export interface NormalizationOptions extends LayerOptions {
  /**
   * The axis or axes that keep their own mean and variance (default -1);
   * statistics are taken over every other axis. Null or [] gives one mean
   * and variance for all values.
   */
  axis?: number | number[] | null;
  /** Fixed mean, a number or an array that broadcasts over the kept axes; give `variance` with it, or call `adapt`. */
  mean?: NestedArray | null;
  /** Fixed variance, with the shape of `mean`. */
  variance?: NestedArray | null;
  /** Undoes the normalization instead: mean + x · sqrt(variance) (default false). */
  invert?: boolean;
}

/**
 * Standardizes features: (x − mean) / max(sqrt(variance), 1e-7), with mean
 * and variance given to the constructor or learned from data by `adapt`.
 * Without a fixed mean, `build` creates non-trainable weights `mean`,
 * `variance` and `count` (kept for Keras's weight layout) that `adapt` sets.
 */
export class Normalization extends Layer {
  readonly axis: number[];
  readonly invert: boolean;
  readonly inputMean: NestedArray | null;
  readonly inputVariance: NestedArray | null;
  private adaptMean: Variable | null = null;
  private adaptVariance: Variable | null = null;
  private keepAxes: number[] = [];
  private broadcastShape: number[] = [];
  private fixedMean: Tensor | null = null;
  private fixedVariance: Tensor | null = null;

  constructor(options: NormalizationOptions = {}) {
    super(options, [...BASE_LAYER_OPTIONS, "axis", "mean", "variance", "invert"]);
    const axis = options.axis === undefined ? -1 : options.axis;
    let axes: unknown = axis;
    if (axis === null) axes = [];
    else if (typeof axis === "number") axes = [axis];
    if (!Array.isArray(axes) || !axes.every((a) => Number.isInteger(a))) {
      throw new ValueError(`Invalid \`axis\` for layer "${this.name}" (Normalization): expected an integer, an array of integers or null, received ${JSON.stringify(axis)}.`);
    }
    this.axis = [...axes];
    const mean = options.mean ?? null;
    const variance = options.variance ?? null;
    if ((mean === null) !== (variance === null)) {
      throw new ValueError(`Layer "${this.name}" (Normalization) needs both \`mean\` and \`variance\` or neither; received only \`${mean === null ? "variance" : "mean"}\`.`);
    }
    if (mean !== null && variance !== null) {
      const owner = `layer "${this.name}" (Normalization)`;
      const m = flattenNested(mean, "mean", owner);
      const v = flattenNested(variance, "variance", owner);
      if (m.shape.join(",") !== v.shape.join(",")) {
        throw new ValueError(`Layer "${this.name}" (Normalization) needs \`mean\` and \`variance\` of one shape, received ${formatShape(m.shape)} and ${formatShape(v.shape)}.`);
      }
      if (m.shape.length > this.axis.length) {
        throw new ValueError(
          `Layer "${this.name}" (Normalization) keeps ${this.axis.length} axes, so \`mean\` may have rank ${this.axis.length} at most, received shape ${formatShape(m.shape)}.`,
        );
      }
    }
    this.inputMean = mean;
    this.inputVariance = variance;
    const invert = options.invert ?? false;
    if (typeof invert !== "boolean") {
      throw new ValueError(`Invalid \`invert\` for layer "${this.name}" (Normalization): expected true or false, received ${JSON.stringify(invert)}.`);
    }
    this.invert = invert;
    this.supportsMasking = true;
  }

  override get className(): string {
    return "Normalization";
  }

  override build(inputShape: SymbolicShape): void {
    const rank = inputShape.length;
    if (this.axis.some((a) => a < -rank || a >= rank)) {
      throw new ShapeError(`Layer "${this.name}" (Normalization) keeps axes [${this.axis.join(", ")}], which do not all exist in inputs of shape ${formatShape(inputShape)}.`);
    }
    this.keepAxes = [...new Set(this.axis.map((a) => (a < 0 ? a + rank : a)))].sort((a, b) => a - b);
    for (const axis of this.keepAxes) {
      if (inputShape[axis] === null) {
        throw new ShapeError(`Layer "${this.name}" (Normalization) needs the size of kept axis ${axis} to be known, received shape ${formatShape(inputShape)}.`);
      }
    }
    this.broadcastShape = inputShape.map((d, i) => (this.keepAxes.includes(i) ? (d as number) : 1));
    const statsShape = this.keepAxes.map((a) => inputShape[a] as number);
    if (this.inputMean === null) {
      this.adaptMean = this.addWeight({ name: "mean", shape: statsShape, initializer: initializers.get("zeros"), trainable: false });
      this.adaptVariance = this.addWeight({ name: "variance", shape: statsShape, initializer: initializers.get("ones"), trainable: false });
      // NOTE: Keras stores `count` as an integer weight; here it is a float scalar that nothing reads.
      this.addWeight({ name: "count", shape: [], initializer: initializers.get("zeros"), trainable: false });
    } else {
      this.fixedMean = this.alignStatistic(this.inputMean, "mean");
      this.fixedVariance = this.alignStatistic(this.inputVariance!, "variance");
    }
    super.build(inputShape);
  }

  /** Aligns a fixed statistic's axes with the kept axes from the right and broadcasts it to the broadcast shape. */
  private alignStatistic(value: NestedArray, argument: string): Tensor {
    const { values, shape } = flattenNested(value, argument, `layer "${this.name}" (Normalization)`);
    const expanded = this.broadcastShape.map(() => 1);
    shape.forEach((d, i) => (expanded[this.keepAxes[this.keepAxes.length - shape.length + i]!] = d));
    return noGrad(() => ops.broadcastTo(floatTensor(this.dtype, values, expanded), this.broadcastShape));
  }

  /**
   * Sets the mean and variance from `data`: one tensor, or an array of
   * batches, whose statistics are merged as if they were one tensor.
   * Statistics are computed in float64 over every axis but the kept ones.
   */
  adapt(data: Tensor | NestedArray | Tensor[]): void {
    if (this.inputMean !== null) {
      throw new ValueError(`Layer "${this.name}" (Normalization) was given a fixed \`mean\` and \`variance\`, so it cannot be adapted.`);
    }
    const batches = (Array.isArray(data) && data.length > 0 && data.every((d) => d instanceof Tensor) ? data : [data]).map((d) =>
      d instanceof Tensor ? d : tensor(d as NestedArray),
    );
    const first = batches[0]!;
    if (!this.built) this.build([null, ...first.shape.slice(1)]);
    const size = this.adaptMean!.value.size;
    let totalMean = new Float64Array(size);
    let totalVariance = new Float64Array(size);
    let totalCount = 0;
    for (const batch of batches) {
      const { mean, variance, count } = this.batchMoments(batch);
      // Merge with the lack-of-fit formula: the variances about the new total mean, weighted by counts.
      totalCount += count;
      const batchWeight = count / totalCount;
      const existingWeight = 1 - batchWeight;
      const nextMean = new Float64Array(size);
      const nextVariance = new Float64Array(size);
      for (let i = 0; i < size; i++) {
        nextMean[i] = totalMean[i]! * existingWeight + mean[i]! * batchWeight;
        nextVariance[i] =
          (totalVariance[i]! + (totalMean[i]! - nextMean[i]!) ** 2) * existingWeight +
          (variance[i]! + (mean[i]! - nextMean[i]!) ** 2) * batchWeight;
      }
      totalMean = nextMean;
      totalVariance = nextVariance;
    }
    const shape = this.adaptMean!.value.shape;
    this.adaptMean!.assign(floatTensor(this.dtype, totalMean, shape));
    this.adaptVariance!.assign(floatTensor(this.dtype, totalVariance, shape));
  }

  /** Returns the mean and biased variance of `batch` per kept position, and the number of values behind each. */
  private batchMoments(batch: Tensor): { mean: Float64Array; variance: Float64Array; count: number } {
    const expected = this.buildInputShape as SymbolicShape;
    if (batch.rank !== expected.length || this.keepAxes.some((a) => batch.shape[a] !== expected[a])) {
      throw new ShapeError(
        `Layer "${this.name}" (Normalization) was built for inputs of shape ${formatShape(expected)}, but adapt received data of shape ${formatShape(batch.shape)}.`,
      );
    }
    const size = this.adaptMean!.value.size;
    const count = size === 0 ? 0 : batch.size / size;
    const sums = new Float64Array(size);
    const squares = new Float64Array(size);
    const statIndex = this.statisticIndexer(batch.shape);
    for (let i = 0; i < batch.size; i++) sums[statIndex(i)]! += batch.data[i]!;
    const mean = sums.map((s) => s / count);
    for (let i = 0; i < batch.size; i++) {
      const j = statIndex(i);
      squares[j]! += (batch.data[i]! - mean[j]!) ** 2;
    }
    return { mean, variance: squares.map((s) => s / count), count };
  }

  /** Returns a function from a flat index of a tensor of `shape` to the flat index of its kept-axes position. */
  private statisticIndexer(shape: readonly number[]): (flat: number) => number {
    const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
    const keptStrides = this.keepAxes.map((_, k) => this.keepAxes.slice(k + 1).reduce((a, axis) => a * shape[axis]!, 1));
    return (flat) => {
      let index = 0;
      this.keepAxes.forEach((axis, k) => {
        index += (Math.floor(flat / strides[axis]!) % shape[axis]!) * keptStrides[k]!;
      });
      return index;
    };
  }

  call(inputs: Tensor, _options: CallOptions): Tensor {
    const mean = this.fixedMean ?? ops.reshape(this.adaptMean!.value, this.broadcastShape);
    const variance = this.fixedVariance ?? ops.reshape(this.adaptVariance!.value, this.broadcastShape);
    const floor = floatTensor(inputs.dtype as FloatDType, [EPSILON], []);
    const std = noGrad(() => ops.maximum(ops.sqrt(variance), floor));
    const x = inputs.dtype === mean.dtype ? inputs : ops.affine(inputs, 1);
    if (this.invert) return ops.add(mean, ops.mul(x, std));
    return ops.div(ops.sub(x, mean), std);
  }

  override computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    return [...inputShape];
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), axis: [...this.axis], invert: this.invert, mean: this.inputMean, variance: this.inputVariance };
  }

  static fromConfig(config: Record<string, unknown>): Normalization {
    const options = baseOptionsFromConfig(config, "Normalization", ["axis", "invert", "mean", "variance"]);
    return new Normalization({
      ...options,
      ...(config["axis"] === undefined ? {} : { axis: config["axis"] as number[] | null }),
      ...(config["invert"] === undefined ? {} : { invert: config["invert"] as boolean }),
      mean: (config["mean"] as NestedArray | null | undefined) ?? null,
      variance: (config["variance"] as NestedArray | null | undefined) ?? null,
    });
  }
}

export interface RescalingOptions extends LayerOptions {
  /** Factor to multiply by: a number, or a nested array that broadcasts against each sample. */
  scale: number | NestedArray;
  /** Value to add after scaling, a number or nested array (default 0). */
  offset?: number | NestedArray;
}

/** Rescales inputs to x · scale + offset, for example scale 1 / 255 to bring pixels into [0, 1]. */
export class Rescaling extends Layer {
  readonly scale: number | NestedArray;
  readonly offset: number | NestedArray;

  constructor(options: RescalingOptions) {
    super(options ?? {}, [...BASE_LAYER_OPTIONS, "scale", "offset"]);
    if (options?.scale === undefined || options.scale === null) {
      throw new ValueError(`Rescaling "${this.name}" needs \`scale\`, for example new Rescaling({ scale: 1 / 255 }).`);
    }
    const owner = `layer "${this.name}" (Rescaling)`;
    flattenNested(options.scale, "scale", owner);
    this.scale = options.scale;
    this.offset = options.offset ?? 0;
    flattenNested(this.offset, "offset", owner);
    this.supportsMasking = true;
  }

  override get className(): string {
    return "Rescaling";
  }

  call(inputs: Tensor, _options: CallOptions): Tensor {
    if (typeof this.scale === "number" && typeof this.offset === "number") return ops.affine(inputs, this.scale, this.offset);
    const dtype = inputs.dtype as FloatDType;
    const scale = flattenNested(this.scale, "scale", this.name);
    const offset = flattenNested(this.offset, "offset", this.name);
    return ops.add(ops.mul(inputs, floatTensor(dtype, scale.values, scale.shape)), floatTensor(dtype, offset.values, offset.shape));
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), scale: this.scale, offset: this.offset };
  }

  static fromConfig(config: Record<string, unknown>): Rescaling {
    const options = baseOptionsFromConfig(config, "Rescaling", ["scale", "offset"]);
    return new Rescaling({
      ...options,
      scale: config["scale"] as number,
      ...(config["offset"] === undefined ? {} : { offset: config["offset"] as number }),
    });
  }
}

export type CategoryOutputMode = "one_hot" | "multi_hot" | "count";
const CATEGORY_OUTPUT_MODES: readonly CategoryOutputMode[] = ["one_hot", "multi_hot", "count"];

/** Output shape of a categorical encoding of inputs of `shape` with `depth` classes, as Keras computes it. */
function encodedShape<T extends number | null>(shape: readonly T[], depth: number, mode: CategoryOutputMode): (T | number)[] {
  if (shape.length === 0) return [depth];
  if (mode === "one_hot" && shape.length > 1 && shape[shape.length - 1] === 1) return [...shape.slice(0, -1), depth];
  if (mode === "one_hot") return [...shape, depth];
  // multi_hot and count reduce over the last axis, but a rank-1 input is one token per sample.
  if (shape.length === 1) return [...shape, depth];
  return [...shape.slice(0, -1), depth];
}

/**
 * Writes the encoding of integer-valued `values` (a tensor of `shape`) into a
 * float tensor: one_hot gives each value its own row, multi_hot and count mark
 * or count the values of each row of the last axis. Values outside
 * [0, depth) are an error.
 */
function encodeCategories(values: Tensor, depth: number, mode: CategoryOutputMode, dtype: FloatDType, owner: string): Tensor {
  const outShape = encodedShape(values.shape, depth, mode);
  const out = floatTensor(dtype, new Float64Array(outShape.reduce((a, b) => a * b, 1)), outShape);
  const perRow = mode === "one_hot" || values.rank <= 1 ? 1 : values.shape[values.rank - 1]!;
  for (let i = 0; i < values.size; i++) {
    const value = values.data[i]!;
    if (!Number.isInteger(value) || value < 0 || value >= depth) {
      throw new ValueError(`${owner} encodes integers in [0, ${depth}), but received ${value} at index ${i} of the input.`);
    }
    const row = Math.floor(i / perRow);
    const position = row * depth + value;
    if (mode === "count") out.data[position]! += 1;
    else out.data[position] = 1;
  }
  return out;
}

export interface CategoryEncodingOptions extends LayerOptions {
  /** Number of categories; inputs must be integers in [0, numTokens). */
  numTokens: number;
  /**
   * "multi_hot" (default) marks the categories present in each sample's last
   * axis, "count" counts them, "one_hot" encodes every value separately.
   * "binary" is accepted as the old name of "multi_hot".
   */
  outputMode?: CategoryOutputMode | "binary";
  /** Sparse outputs are not supported; only false is accepted. */
  sparse?: boolean;
}

/** Encodes integer category ids as one-hot, multi-hot or count vectors. It has no gradient. */
export class CategoryEncoding extends Layer {
  readonly numTokens: number;
  readonly outputMode: CategoryOutputMode;
  readonly sparse = false;

  constructor(options: CategoryEncodingOptions) {
    super(options ?? {}, [...BASE_LAYER_OPTIONS, "numTokens", "outputMode", "sparse"]);
    const numTokens = options?.numTokens;
    if (typeof numTokens !== "number" || !Number.isInteger(numTokens) || numTokens < 1) {
      throw new ValueError(`CategoryEncoding "${this.name}" needs \`numTokens\`, a positive integer, received ${JSON.stringify(numTokens)}.`);
    }
    this.numTokens = numTokens;
    this.outputMode = checkOutputMode(options.outputMode ?? "multi_hot", CATEGORY_OUTPUT_MODES, `CategoryEncoding "${this.name}"`);
    if (options.sparse) throw new ValueError(`CategoryEncoding "${this.name}": Stratum has no sparse tensors, so \`sparse\` must be false.`);
  }

  override get className(): string {
    return "CategoryEncoding";
  }

  protected override checkInputShape(_shape: readonly number[]): void {}

  call(inputs: Tensor, _options: CallOptions): Tensor {
    return encodeCategories(inputs, this.numTokens, this.outputMode, this.dtype, `CategoryEncoding "${this.name}"`);
  }

  override computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    return encodedShape(inputShape, this.numTokens, this.outputMode);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), num_tokens: this.numTokens, output_mode: this.outputMode };
  }

  static fromConfig(config: Record<string, unknown>): CategoryEncoding {
    const options = baseOptionsFromConfig(config, "CategoryEncoding", ["num_tokens", "output_mode", "sparse"]);
    return new CategoryEncoding({
      ...options,
      numTokens: config["num_tokens"] as number,
      ...(config["output_mode"] === undefined ? {} : { outputMode: config["output_mode"] as CategoryOutputMode }),
      ...(config["sparse"] === undefined ? {} : { sparse: config["sparse"] as boolean }),
    });
  }
}

function checkOutputMode<T extends string>(value: unknown, allowed: readonly T[], owner: string): T {
  const mode = value === "binary" ? "multi_hot" : value;
  if (typeof mode !== "string" || !(allowed as readonly string[]).includes(mode)) {
    throw new ValueError(`Invalid \`outputMode\` for ${owner}: expected one of ${formatChoices(allowed)}, received ${JSON.stringify(value)}.`);
  }
  return mode as T;
}

export type DiscretizationOutputMode = "int" | CategoryOutputMode;
const DISCRETIZATION_OUTPUT_MODES: readonly DiscretizationOutputMode[] = ["int", "one_hot", "multi_hot", "count"];

/** A quantile summary: sorted values and the weight (count) each stands for. */
interface QuantileSummary {
  values: number[];
  weights: number[];
}

/** np.interp: piecewise-linear interpolation of (xs, ys) at x, constant beyond the ends. */
function interpolate(x: number, xs: readonly number[], ys: readonly number[]): number {
  const last = xs.length - 1;
  if (x <= xs[0]!) return ys[0]!;
  if (x >= xs[last]!) return ys[last]!;
  let hi = 1;
  while (xs[hi]! < x) hi++;
  // np.interp picks the last interval whose left end is <= x, so equal xs resolve to the right.
  while (hi < last && xs[hi]! === x) hi++;
  const lo = hi - 1;
  const span = xs[hi]! - xs[lo]!;
  return span === 0 ? ys[hi]! : ys[lo]! + ((x - xs[lo]!) * (ys[hi]! - ys[lo]!)) / span;
}

/** Keeps about 1 / epsilon evenly spaced values of the sorted data, each weighted by the count it stands for (float32, as Keras). */
function summarize(data: readonly number[], epsilon: number): QuantileSummary {
  const sorted = Float32Array.from(data).sort();
  const step = Math.max(sorted.length / (1 / epsilon), 1);
  const start = Math.trunc(step - 1);
  const stride = Math.trunc(step);
  const values: number[] = [];
  for (let i = start; i < sorted.length; i += stride) values.push(sorted[i]!);
  return { values, weights: values.map(() => Math.fround(step)) };
}

/** Re-partitions a summary into about 1 / epsilon bins by interpolating its cumulative weights. */
function compressSummary(summary: QuantileSummary, epsilon: number): QuantileSummary {
  if (summary.values.length * epsilon < 1) return summary;
  const count = Math.ceil(1 / epsilon);
  const percents = Array.from({ length: count }, (_, i) => epsilon + i * epsilon);
  const cumulative: number[] = [];
  let running = 0;
  for (const w of summary.weights) cumulative.push((running = Math.fround(running + w)));
  const total = cumulative[cumulative.length - 1]!;
  const cumulativePercents = cumulative.map((c) => Math.fround(c / total));
  const values = percents.map((p) => Math.fround(interpolate(p, cumulativePercents, summary.values)));
  const newCumulative = percents.map((p) => interpolate(p, cumulativePercents, cumulative));
  const weights = newCumulative.map((c, i) => Math.fround(c - (i === 0 ? 0 : newCumulative[i - 1]!)));
  return { values, weights };
}

function mergeSummaries(a: QuantileSummary, b: QuantileSummary, epsilon: number): QuantileSummary {
  const order = [...a.values.map((v, i) => [v, a.weights[i]!]), ...b.values.map((v, i) => [v, b.weights[i]!])].sort((x, y) => x[0]! - y[0]!);
  return compressSummary({ values: order.map((e) => e[0]!), weights: order.map((e) => e[1]!) }, epsilon);
}

export interface DiscretizationOptions extends LayerOptions {
  /** Sorted bucket edges: bucket i contains values in [edges[i − 1], edges[i]). Give these or `numBins`. */
  binBoundaries?: number[] | null;
  /** Number of buckets whose edges `adapt` estimates as quantiles of the data. */
  numBins?: number | null;
  /** Precision of the quantile estimate in `adapt` (default 0.01). */
  epsilon?: number;
  /** "int" (default) returns bucket indices as int32; the other modes encode them as CategoryEncoding does. */
  outputMode?: DiscretizationOutputMode;
  /** Sparse outputs are not supported; only false is accepted. */
  sparse?: boolean;
}

/** Buckets continuous values by `binBoundaries`, or by quantile edges learned with `adapt`. It has no gradient. */
export class Discretization extends Layer {
  binBoundaries: number[] | null;
  /** As given; an adapted layer loaded from a config has both this and `binBoundaries`. */
  numBins: number | null;
  readonly epsilon: number;
  readonly outputMode: DiscretizationOutputMode;
  readonly sparse = false;
  private summary: QuantileSummary = { values: [], weights: [] };

  constructor(options: DiscretizationOptions) {
    super(options ?? {}, [...BASE_LAYER_OPTIONS, "binBoundaries", "numBins", "epsilon", "outputMode", "sparse"]);
    const owner = `Discretization "${this.name}"`;
    const boundaries = options?.binBoundaries ?? null;
    const numBins = options?.numBins ?? null;
    if (boundaries !== null && (!Array.isArray(boundaries) || !boundaries.every((b) => typeof b === "number") || boundaries.some((b, i) => i > 0 && b < boundaries[i - 1]!))) {
      throw new ValueError(`Invalid \`binBoundaries\` for ${owner}: expected a sorted array of numbers, received ${JSON.stringify(boundaries)}.`);
    }
    if (numBins !== null && (!Number.isInteger(numBins) || numBins < 0)) {
      throw new ValueError(`Invalid \`numBins\` for ${owner}: expected a non-negative integer, received ${JSON.stringify(numBins)}.`);
    }
    if ((boundaries === null) === (numBins === null)) {
      throw new ValueError(`${owner} needs exactly one of \`binBoundaries\` and \`numBins\`, received ${boundaries === null ? "neither" : "both"}.`);
    }
    this.binBoundaries = boundaries === null ? null : [...boundaries];
    this.numBins = numBins;
    const epsilon = options.epsilon ?? 0.01;
    if (typeof epsilon !== "number" || !(epsilon > 0 && epsilon <= 1)) {
      throw new ValueError(`Invalid \`epsilon\` for ${owner}: expected a number in (0, 1], received ${JSON.stringify(epsilon)}.`);
    }
    this.epsilon = epsilon;
    this.outputMode = checkOutputMode(options.outputMode ?? "int", DISCRETIZATION_OUTPUT_MODES, owner);
    if (options.sparse) throw new ValueError(`${owner}: Stratum has no sparse tensors, so \`sparse\` must be false.`);
  }

  override get className(): string {
    return "Discretization";
  }

  protected override checkInputShape(_shape: readonly number[]): void {}

  /**
   * Estimates `numBins` − 1 quantile edges of `data` (one tensor or an array
   * of batches) with Keras's merging quantile summary, whose error is about
   * `epsilon` of the ranks.
   */
  adapt(data: Tensor | NestedArray | Tensor[]): void {
    if (this.numBins === null) {
      throw new ValueError(`Discretization "${this.name}" was given \`binBoundaries\`, so it cannot be adapted; give \`numBins\` instead.`);
    }
    const batches = (Array.isArray(data) && data.length > 0 && data.every((d) => d instanceof Tensor) ? data : [data]).map((d) =>
      d instanceof Tensor ? d : tensor(d as NestedArray),
    );
    this.summary = { values: [], weights: [] };
    for (const batch of batches) this.summary = mergeSummaries(summarize([...batch.data], this.epsilon), this.summary, this.epsilon);
    const compressed = compressSummary(this.summary, 1 / this.numBins);
    this.binBoundaries = compressed.values.slice(0, -1);
  }

  private get depth(): number {
    return this.binBoundaries !== null ? this.binBoundaries.length + 1 : this.numBins!;
  }

  call(inputs: Tensor, _options: CallOptions): Tensor {
    const edges = this.binBoundaries;
    if (edges === null) {
      throw new ValueError(`Discretization "${this.name}" has no bin boundaries yet: pass \`binBoundaries\` or call adapt(data) first.`);
    }
    const indices = new Int32Array(inputs.size);
    for (let i = 0; i < inputs.size; i++) {
      const x = inputs.data[i]!;
      // The number of edges <= x, found by binary search (np.digitize with right = false).
      let lo = 0;
      let hi = edges.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (edges[mid]! <= x) lo = mid + 1;
        else hi = mid;
      }
      indices[i] = lo;
    }
    const buckets = new Tensor(indices, [...inputs.shape]);
    if (this.outputMode === "int") return buckets;
    return encodeCategories(buckets, this.depth, this.outputMode, this.dtype, `Discretization "${this.name}"`);
  }

  override computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    if (this.outputMode === "int") return [...inputShape];
    return encodedShape(inputShape, this.depth, this.outputMode);
  }

  override getConfig(): Record<string, unknown> {
    // Keras 3.15.1 writes these keys in this order, without `trainable` and with the dtype as a plain string.
    return {
      bin_boundaries: this.binBoundaries === null ? null : [...this.binBoundaries],
      num_bins: this.numBins,
      epsilon: this.epsilon,
      output_mode: this.outputMode,
      sparse: this.sparse,
      name: this.name,
      dtype: this.dtype,
    };
  }

  static fromConfig(config: Record<string, unknown>): Discretization {
    const keys = ["bin_boundaries", "num_bins", "epsilon", "output_mode", "sparse"];
    const options = baseOptionsFromConfig(config, "Discretization", keys);
    const boundaries = (config["bin_boundaries"] as number[] | null | undefined) ?? null;
    const numBins = (config["num_bins"] as number | null | undefined) ?? null;
    const layer = new Discretization({
      ...options,
      ...(boundaries !== null ? { binBoundaries: boundaries } : { numBins }),
      ...(config["epsilon"] === undefined ? {} : { epsilon: config["epsilon"] as number }),
      ...(config["output_mode"] === undefined ? {} : { outputMode: config["output_mode"] as DiscretizationOutputMode }),
      ...(config["sparse"] === undefined ? {} : { sparse: config["sparse"] as boolean }),
    });
    // An adapted layer's config has both keys, which the constructor rejects; the boundaries are used and numBins kept.
    if (boundaries !== null) layer.numBins = numBins;
    return layer;
  }
}
