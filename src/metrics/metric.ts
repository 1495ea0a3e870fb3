/**
 * The `Metric` base class and the array helpers every metric shares.
 *
 * Metrics are not differentiable and their state is a few counters, so they
 * read tensor data directly and accumulate in float64 JavaScript numbers
 * instead of going through the backend.
 */

import { ShapeError, ValueError, formatShape } from "../errors.js";
import { sizeOf } from "../tensor/shape.js";
import { type TensorLike, Tensor, toTensor } from "../tensor/tensor.js";
import { checkOptionKeys } from "../utils/suggest.js";

/** A metric's result: one number, or one per threshold, class or label. */
export type MetricValue = number | number[];

/** Labels, predictions or weights as a tensor, a typed array, a number or nested arrays. */
export type MetricInput = TensorLike;

/**
 * The direction in which a metric improves, as Keras 3.15.1 records it in
 * `_direction`: "up", "down", or null when Keras leaves it unset (counts,
 * `Mean`, `Sum`).
 */
export type MetricDirection = "up" | "down" | null;

/** Options every metric accepts. */
export interface BaseMetricOptions {
  name?: string | null;
  /** Kept for config round trips; metrics always accumulate in float64. */
  dtype?: string | null;
}

export const BASE_OPTION_KEYS = ["name", "dtype"] as const;

/** Keras's fuzz factor, `keras.config.epsilon()`. */
export const EPSILON = 1e-7;

/**
 * A stateful metric: `updateState` accumulates a batch, `result` reports the
 * value over every batch since the last `resetState`. The state is not part of
 * a model's saved weights.
 */
export abstract class Metric<Value extends MetricValue = number> {
  readonly name: string;
  /** The Keras class name, used in serialized configs. */
  readonly className: string;
  readonly dtype: string;
  /** The direction in which the metric improves, read by callbacks with `mode: "auto"`. */
  readonly direction: MetricDirection;

  protected constructor(className: string, defaultName: string, direction: MetricDirection, options: BaseMetricOptions) {
    this.className = className;
    this.name = options.name ?? defaultName;
    this.dtype = options.dtype ?? "float32";
    this.direction = direction;
  }

  /** True when larger values are better, false when smaller ones are, null when Keras sets no direction. */
  get higherIsBetter(): boolean | null {
    return this.direction === null ? null : this.direction === "up";
  }

  abstract updateState(yTrue: MetricInput, yPred: MetricInput, sampleWeight?: MetricInput | null): void;
  abstract result(): Value;
  abstract resetState(): void;

  /** The constructor options in Keras's snake_case keys. */
  getConfig(): Record<string, unknown> {
    return { name: this.name, dtype: this.dtype };
  }
}

/** Throws a ValueError naming the nearest valid option when `options` has an unknown key. */
export function checkMetricOptions(options: object, allowed: readonly string[], className: string): void {
  checkOptionKeys(options, [...BASE_OPTION_KEYS, ...allowed], className, (message) => new ValueError(message));
}

/** Converts a metric argument to a tensor; `argument` names it in error messages. */
export function asTensor(value: MetricInput, argument: string): Tensor {
  return toTensor(value, { argument });
}

/** Converts optional sample weights to a tensor; null and undefined mean "no weights". */
export function asWeights(sampleWeight: MetricInput | null | undefined): Tensor | null {
  return sampleWeight === undefined || sampleWeight === null ? null : toTensor(sampleWeight, { argument: "sampleWeight" });
}

/**
 * Returns the two shapes with a trailing axis of size 1 squeezed away when
 * their ranks differ by exactly one, as Keras's `squeeze_or_expand_to_same_rank`
 * does. With `expandRank1`, a rank-1 shape against `(n, 1)` gains the axis
 * instead. Only shapes change: the row-major data stays valid for both.
 */
export function alignRanks(
  a: readonly number[],
  b: readonly number[],
  expandRank1 = true,
): [readonly number[], readonly number[]] {
  if (a.length === b.length + 1 && a[a.length - 1] === 1) {
    return b.length === 1 && expandRank1 ? [a, [...b, 1]] : [a.slice(0, -1), b];
  }
  if (b.length === a.length + 1 && b[b.length - 1] === 1) {
    return a.length === 1 && expandRank1 ? [[...a, 1], b] : [a, b.slice(0, -1)];
  }
  return [a, b];
}

/**
 * Expands `data` of shape `shape` to `target` by NumPy broadcasting (axes
 * aligned from the right; an axis of size 1, or a missing one, repeats).
 * Returns `data` itself when the shapes already match.
 */
export function broadcastTo(data: ArrayLike<number>, shape: readonly number[], target: readonly number[]): ArrayLike<number> {
  if (shape.length === target.length && shape.every((d, i) => d === target[i])) return data;
  const offset = target.length - shape.length;
  const compatible = offset >= 0 && shape.every((d, i) => d === 1 || d === target[i + offset]);
  if (!compatible) {
    throw new ShapeError(`Cannot broadcast an array of shape ${formatShape(shape)} to shape ${formatShape(target)}.`);
  }
  const size = sizeOf(target);
  const out = new Float64Array(size);
  const sourceStrides: number[] = new Array<number>(target.length).fill(0);
  let stride = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    sourceStrides[i + offset] = shape[i] === 1 ? 0 : stride;
    stride *= shape[i]!;
  }
  const index = new Array<number>(target.length).fill(0);
  let source = 0;
  for (let k = 0; k < size; k++) {
    out[k] = data[source]!;
    // Advance the multi-index like an odometer, keeping the source offset in step.
    for (let axis = target.length - 1; axis >= 0; axis--) {
      index[axis]!++;
      source += sourceStrides[axis]!;
      if (index[axis]! < target[axis]!) break;
      source -= sourceStrides[axis]! * target[axis]!;
      index[axis] = 0;
    }
  }
  return out;
}

/** Returns `a / b`, or 0 when `b` is 0 (Keras's `divide_no_nan`). */
export function divideNoNan(a: number, b: number): number {
  return b === 0 ? 0 : a / b;
}

/** Returns the length of the last axis (1 for a scalar) and the number of rows before it. */
export function rowsAndColumns(shape: readonly number[]): [number, number] {
  const cols = shape.length === 0 ? 1 : shape[shape.length - 1]!;
  return [cols === 0 ? 0 : sizeOf(shape) / cols, cols];
}

/** Throws a ShapeError unless the two tensors have the same number of elements. */
export function checkSameSize(metric: string, yTrue: Tensor, yPred: Tensor): void {
  if (yTrue.size !== yPred.size) {
    throw new ShapeError(
      `${metric} needs one label per prediction: received labels of shape ${formatShape(yTrue.shape)} and predictions of shape ${formatShape(yPred.shape)}.`,
    );
  }
}

/** Throws a ValueError unless `value` is a number in [0, 1]. */
export function checkUnitInterval(value: unknown, option: string, className: string): void {
  if (typeof value !== "number" || !(value >= 0 && value <= 1)) {
    throw new ValueError(`Invalid \`${option}\` for ${className}: expected a number in [0, 1], received ${JSON.stringify(value)}.`);
  }
}

/** Returns the Keras config's copy of a list option: a fresh array, or the number or null as given. */
export function copyOption<T>(value: T | readonly T[] | null | undefined): T | T[] | null {
  if (value === undefined || value === null) return null;
  return Array.isArray(value) ? [...(value as readonly T[])] : (value as T);
}
