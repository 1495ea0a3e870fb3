import { ShapeError } from "../errors.js";

export type DType = "float32" | "float64" | "int32";
export type FloatDType = "float32" | "float64";
export type TypedArray = Float32Array | Float64Array | Int32Array;
export type FloatArray = Float32Array | Float64Array;

export const DTYPES: readonly DType[] = ["float32", "float64", "int32"];

export function isDType(value: unknown): value is DType {
  return typeof value === "string" && (DTYPES as readonly string[]).includes(value);
}

export function isFloatDType(dtype: DType): dtype is FloatDType {
  return dtype === "float32" || dtype === "float64";
}

/** The bytes that `allocate` may still hand out inside `withAllocationLimit`, or null outside it. */
let allocationLimit: { remainingBytes: number; exceeded: (requestedBytes: number) => Error } | null = null;

/**
 * Runs `run` with every `allocate` and `allocateFloat` call counted against
 * `limitBytes`; the call that would pass the limit throws `exceeded(bytes)`
 * instead of allocating. The model loader uses this to bound the weights a
 * file's config may declare by the size of the file's weights.
 */
export function withAllocationLimit<T>(limitBytes: number, exceeded: (requestedBytes: number) => Error, run: () => T): T {
  const previous = allocationLimit;
  allocationLimit = { remainingBytes: limitBytes, exceeded };
  try {
    return run();
  } finally {
    allocationLimit = previous;
  }
}

function checkAllocation(dtype: DType, size: number): void {
  if (!Number.isSafeInteger(size) || size < 0) {
    throw new ShapeError(`Cannot allocate a ${dtype} buffer of ${size} elements: the size must be a non-negative integer.`);
  }
  if (allocationLimit !== null) {
    const bytes = size * bytesPerElement(dtype);
    if (bytes > allocationLimit.remainingBytes) throw allocationLimit.exceeded(bytes);
    allocationLimit.remainingBytes -= bytes;
  }
}

/** Creates a zero-filled typed array; a size that is not a non-negative integer or that no typed array can hold is a ShapeError. */
export function allocate(dtype: DType, size: number): TypedArray {
  checkAllocation(dtype, size);
  try {
    switch (dtype) {
      case "float32":
        return new Float32Array(size);
      case "float64":
        return new Float64Array(size);
      case "int32":
        return new Int32Array(size);
    }
  } catch (error) {
    throw tooLarge(error, dtype, size);
  }
}

export function allocateFloat(dtype: FloatDType, size: number): FloatArray {
  return allocate(dtype, size) as FloatArray;
}

function tooLarge(error: unknown, dtype: DType, size: number): unknown {
  if (!(error instanceof RangeError)) return error;
  return new ShapeError(`Cannot allocate a ${dtype} buffer of ${size} elements: ${error.message}. The requested shape is too large.`);
}

export function dtypeOfArray(array: TypedArray): DType {
  if (array instanceof Float32Array) return "float32";
  if (array instanceof Float64Array) return "float64";
  return "int32";
}

export function bytesPerElement(dtype: DType): number {
  return dtype === "float64" ? 8 : 4;
}
