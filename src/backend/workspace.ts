import { type FloatArray, type FloatDType, allocateFloat } from "../tensor/dtype.js";

/**
 * Buffers reused from one training step to the next.
 *
 * A training step runs the same ops in the same order every time. So the
 * n-th buffer it requests has the size of the n-th buffer of the step before,
 * except around the short last batch of an epoch. While a workspace is
 * active, op outputs and gradients come from its slots instead of new
 * allocations. A few small arrays, such as metric scratch and the seed
 * gradient, are still allocated per step.
 *
 * Only code that uses nothing of a step after the step ends may run inside
 * `run`: the next step overwrites every buffer.
 */
export class Workspace {
  private readonly slots: FloatArray[] = [];
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
