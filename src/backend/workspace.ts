import { type FloatArray, type FloatDType, allocateFloat } from "../tensor/dtype.js";
import { shapesEqual, sizeOf } from "../tensor/shape.js";
import { Tensor } from "../tensor/tensor.js";

/**
 * Buffers reused from one training step to the next.
 *
 * A training step runs the same ops in the same order every time. So the
 * n-th buffer it requests has the size of the n-th buffer of the step before,
 * except around the short last batch of an epoch. While a workspace is
 * active, op outputs and gradients come from its slots instead of new
 * allocations, and so do the Tensor objects that wrap them when their shape
 * is the same as in the step before.
 *
 * Only code that uses nothing of a step after the step ends may run inside
 * `run`: the next step overwrites every buffer and reuses every Tensor.
 */
export class Workspace {
  private readonly slots: FloatArray[] = [];
  /** The Tensor last handed out for each slot by `takeTensor`, or undefined. */
  private readonly tensors: (Tensor | undefined)[] = [];
  private cursor = 0;

  /** Runs `fn` with this workspace active, handing out its slots from the first one. */
  run<T>(fn: () => T): T {
    const previous = active;
    active = this;
    this.cursor = 0;
    try {
      return fn();
    } finally {
      active = previous;
    }
  }

  /**
   * Returns the next slot, replacing it when the dtype or size differs. A
   * reused slot is zero-filled unless `zeroed` is false, which callers that
   * overwrite every element pass to skip the fill.
   */
  take(dtype: FloatDType, size: number, zeroed = true): FloatArray {
    const index = this.cursor++;
    const existing = this.slots[index];
    const matches =
      existing !== undefined &&
      existing.length === size &&
      (dtype === "float64" ? existing instanceof Float64Array : existing instanceof Float32Array);
    if (matches) {
      if (zeroed) existing.fill(0);
      return existing;
    }
    const buffer = allocateFloat(dtype, size);
    this.slots[index] = buffer;
    return buffer;
  }

  /** Returns the next slot as a tensor of `shape`, reusing the slot's Tensor of the step before when the shape is the same. */
  takeTensor(dtype: FloatDType, shape: readonly number[], zeroed = true): Tensor {
    const index = this.cursor;
    const buffer = this.take(dtype, sizeOf(shape), zeroed);
    const cached = this.tensors[index];
    if (cached !== undefined && cached.data === buffer && shapesEqual(cached.shape, shape)) return cached;
    const created = new Tensor(buffer, shape);
    this.tensors[index] = created;
    return created;
  }

  /** Total bytes held in the slots. */
  get byteLength(): number {
    return this.slots.reduce((total, buffer) => total + buffer.byteLength, 0);
  }
}

let active: Workspace | null = null;

/**
 * Returns a float buffer from the active workspace if there is one, else a new
 * one. It is zero-filled unless `zeroed` is false and the buffer is reused.
 */
export function allocateScratch(dtype: FloatDType, size: number, zeroed = true): FloatArray {
  return active ? active.take(dtype, size, zeroed) : allocateFloat(dtype, size);
}

/**
 * Returns a float tensor of `shape` from the active workspace if there is
 * one, else a new zero-filled one. It is zero-filled unless `zeroed` is false
 * and the buffer is reused.
 */
export function scratchTensor(dtype: FloatDType, shape: readonly number[], zeroed = true): Tensor {
  return active ? active.takeTensor(dtype, shape, zeroed) : new Tensor(allocateFloat(dtype, sizeOf(shape)), shape);
}
