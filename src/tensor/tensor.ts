import { ShapeError, ValueError, formatShape } from "../errors.js";
import {
  type DType,
  type TypedArray,
  allocate,
  dtypeOfArray,
  isDType,
} from "./dtype.js";
import { type Shape, sizeOf } from "./shape.js";

/** Values that `tensor()` and the model entry points accept. */
export type NestedArray = number | TypedArray | OtherNumericArray | readonly NestedArray[];
export type TensorLike = Tensor | TypedArray | NestedArray;

export type NestedNumbers = number | NestedNumbers[];

/**
 * A dense n-dimensional array held in an ordinary typed array. Tensors are
 * garbage-collected like any JavaScript object: nothing needs `dispose`.
 */
export class Tensor {
  readonly shape: readonly number[];
  readonly dtype: DType;
  /** The values in row-major order. */
  readonly data: TypedArray;
  /**
   * @internal Bookkeeping of the autodiff tape (src/autodiff/tape.ts): the id
   * of the last tape that tracked this tensor, and the tensor's slot on it.
   * Kept on the tensor so that recording needs no hash set.
   */
  tapeId = 0;
  /** @internal */
  tapeSlot = 0;

  constructor(data: TypedArray, shape: Shape) {
    // Without this check, shapes such as (-1, -2) or (0.5, 4) pass the element count test below.
    if (!isValidShape(shape)) {
      throw new ShapeError(`Invalid shape ${formatShape(shape)}: every dimension must be a non-negative integer.`);
    }
    const size = sizeOf(shape);
    if (data.length !== size) {
      throw new ShapeError(
        `Tensor data has ${data.length} elements but shape ${formatShape(shape)} needs ${size}.`,
      );
    }
    this.data = data;
    // A frozen shape, such as another tensor's, cannot change, so it is shared instead of copied.
    this.shape = Object.isFrozen(shape) ? shape : Object.freeze([...shape]);
    this.dtype = dtypeOfArray(data);
  }

  get rank(): number {
    return this.shape.length;
  }

  get size(): number {
    return this.data.length;
  }

  /** Returns the values as nested JavaScript arrays (a number for a scalar). */
  toArray(): NestedNumbers {
    if (this.shape.length === 0) return this.data[0]!;
    return nest(this.data, this.shape, 0, 0);
  }

  /** Returns the value of a tensor with exactly one element. */
  item(): number {
    if (this.data.length !== 1) {
      throw new ShapeError(`item() needs a tensor with one element, but this one has shape ${formatShape(this.shape)}.`);
    }
    return this.data[0]!;
  }

  toString(): string {
    return `Tensor(shape=${formatShape(this.shape)}, dtype=${this.dtype})`;
  }
}

/** Returns true when every dimension is a non-negative integer. An index loop, because `every` is slow on frozen arrays. */
function isValidShape(shape: Shape): boolean {
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i]!;
    if (!Number.isInteger(d) || d < 0) return false;
  }
  return true;
}

function nest(data: TypedArray, shape: Shape, axis: number, offset: number): NestedNumbers[] {
  const length = shape[axis]!;
  const out = new Array<NestedNumbers>(length);
  if (axis === shape.length - 1) {
    for (let i = 0; i < length; i++) out[i] = data[offset + i]!;
    return out;
  }
  const stride = sizeOf(shape.slice(axis + 1));
  for (let i = 0; i < length; i++) out[i] = nest(data, shape, axis + 1, offset + i * stride);
  return out;
}

function isTypedArray(value: unknown): value is TypedArray {
  return value instanceof Float32Array || value instanceof Float64Array || value instanceof Int32Array;
}

/** A typed array of numbers that tensors do not store directly (Uint8Array image data, Int16Array, …). */
type OtherNumericArray = Uint8Array | Uint8ClampedArray | Int8Array | Uint16Array | Int16Array | Uint32Array;

function isOtherNumericArray(value: unknown): value is OtherNumericArray {
  return (
    value instanceof Uint8Array ||
    value instanceof Uint8ClampedArray ||
    value instanceof Int8Array ||
    value instanceof Uint16Array ||
    value instanceof Int16Array ||
    value instanceof Uint32Array
  );
}

/** True for any typed array of numbers, which nested data may use for its rows. */
function isNumericArray(value: unknown): value is TypedArray | OtherNumericArray {
  return isTypedArray(value) || isOtherNumericArray(value);
}

/** Infers the shape of nested arrays, checking that every row has the same length. */
function inferShape(values: unknown, argument: string): number[] {
  const shape: number[] = [];
  let level: unknown = values;
  while (Array.isArray(level) || isNumericArray(level)) {
    shape.push(level.length);
    if (level.length === 0) break;
    level = (level as ArrayLike<unknown>)[0];
  }
  return shape;
}

function flattenInto(
  values: unknown,
  shape: number[],
  axis: number,
  out: TypedArray,
  offset: number,
  path: number[],
  argument: string,
): number {
  if (axis === shape.length) {
    if (typeof values !== "number") {
      const where = path.length ? ` at index [${path.join("][")}]` : "";
      throw new ValueError(
        `Invalid value in \`${argument}\`${where}: expected a number, received ${describe(values)}.`,
      );
    }
    out[offset] = values;
    return offset + 1;
  }
  if (!Array.isArray(values) && !isNumericArray(values)) {
    throw new ShapeError(
      `Ragged array in \`${argument}\`: the element at [${path.join("][")}] is ${describe(values)}, ` +
        `but an array of length ${shape[axis]} was expected (shape ${formatShape(shape)}). Every row must have the same length.`,
    );
  }
  if (values.length !== shape[axis]) {
    throw new ShapeError(
      `Ragged array in \`${argument}\`: the row at [${path.join("][")}] has length ${values.length}, ` +
        `but length ${shape[axis]} was expected (shape ${formatShape(shape)}). Every row must have the same length.`,
    );
  }
  if (isNumericArray(values) && axis === shape.length - 1) {
    out.set(values, offset);
    return offset + values.length;
  }
  for (let i = 0; i < values.length; i++) {
    path.push(i);
    offset = flattenInto((values as ArrayLike<unknown>)[i], shape, axis + 1, out, offset, path, argument);
    path.pop();
  }
  return offset;
}

function describe(value: unknown): string {
  if (value === undefined) return "undefined";
  if (typeof value === "bigint") return `the bigint ${value}n (convert BigInt data to numbers)`;
  if (value instanceof BigInt64Array || value instanceof BigUint64Array) {
    return `a ${value.constructor.name} (convert it to a Float32Array or Int32Array)`;
  }
  if (typeof value === "string") return `the string ${JSON.stringify(value)}`;
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (value === null) return "null";
  return typeof value === "object" ? "an object" : String(value);
}

/**
 * Creates a tensor from a number, nested arrays or a typed array.
 *
 * With a typed array and no shape the result is one-dimensional; with a
 * shape, the values are laid out in row-major order. The dtype defaults to
 * the typed array's own type, or float32 for plain numbers.
 */
export function tensor(values: TensorLike, shape?: Shape, dtype?: DType): Tensor {
  return toTensor(values, { shape, dtype, argument: "values" });
}

/** Converts any accepted input to a tensor; `argument` names it in error messages. */
export function toTensor(
  values: TensorLike,
  options: { shape?: Shape | undefined; dtype?: DType | undefined; argument?: string } = {},
): Tensor {
  const argument = options.argument ?? "values";
  if (options.dtype !== undefined && !isDType(options.dtype)) {
    throw new ValueError(
      `Invalid dtype ${JSON.stringify(options.dtype)}: expected one of "float32", "float64", "int32".`,
    );
  }
  if (values instanceof Tensor) {
    let result = values;
    if (options.shape !== undefined && sizeOf(options.shape) === values.size) {
      result = new Tensor(values.data, options.shape);
    } else if (options.shape !== undefined) {
      throw new ShapeError(
        `Cannot view a tensor of shape ${formatShape(values.shape)} as ${formatShape(options.shape)}: element counts differ.`,
      );
    }
    return options.dtype === undefined || options.dtype === result.dtype ? result : cast(result, options.dtype);
  }
  if (isOtherNumericArray(values)) {
    // Tensors hold float32, float64 or int32, so other typed arrays are converted (to float32 by default).
    const converted = allocate(options.dtype ?? "float32", values.length);
    converted.set(values);
    return toTensor(converted, options);
  }
  if (isTypedArray(values)) {
    const dtype = options.dtype ?? dtypeOfArray(values);
    const shape = options.shape ?? [values.length];
    if (sizeOf(shape) !== values.length) {
      throw new ShapeError(
        `\`${argument}\` has shape ${formatShape([values.length])} (${values.length} elements), which does not fit the requested shape ${formatShape(shape)}.`,
      );
    }
    const data = dtype === dtypeOfArray(values) ? values : copyAs(values, dtype);
    return new Tensor(data, shape);
  }
  if (values === undefined || values === null || (typeof values !== "number" && !Array.isArray(values))) {
    throw new ValueError(
      `Invalid \`${argument}\`: expected a Tensor, a typed array, a number or nested arrays of numbers, received ${describe(values)}.`,
    );
  }
  const inferred = inferShape(values, argument);
  const dtype = options.dtype ?? "float32";
  const data = allocate(dtype, sizeOf(inferred));
  flattenInto(values, inferred, 0, data, 0, [], argument);
  const shape = options.shape ?? inferred;
  if (sizeOf(shape) !== data.length) {
    throw new ShapeError(
      `\`${argument}\` has shape ${formatShape(inferred)} (${data.length} elements), which does not fit the requested shape ${formatShape(shape)}.`,
    );
  }
  return new Tensor(data, shape);
}

function copyAs(values: TypedArray, dtype: DType): TypedArray {
  const out = allocate(dtype, values.length);
  if (dtype === "int32") {
    for (let i = 0; i < values.length; i++) out[i] = Math.trunc(values[i]!);
  } else {
    out.set(values);
  }
  return out;
}

/** Returns a copy of `x` in another dtype (float to int truncates toward zero). */
export function cast(x: Tensor, dtype: DType): Tensor {
  if (x.dtype === dtype) return x;
  return new Tensor(copyAs(x.data, dtype), x.shape);
}

export function zeros(shape: Shape, dtype: DType = "float32"): Tensor {
  return new Tensor(allocate(dtype, sizeOf(shape)), shape);
}

export function ones(shape: Shape, dtype: DType = "float32"): Tensor {
  return fill(shape, 1, dtype);
}

export function fill(shape: Shape, value: number, dtype: DType = "float32"): Tensor {
  const data = allocate(dtype, sizeOf(shape));
  data.fill(value);
  return new Tensor(data, shape);
}

export function scalar(value: number, dtype: DType = "float32"): Tensor {
  return fill([], value, dtype);
}
