import { ShapeError, formatShape } from "../errors.js";

export type Shape = readonly number[];

export function sizeOf(shape: Shape): number {
  let size = 1;
  // An index loop, because this runs for every op and for-of allocated an iterator here in profiles of training.
  for (let i = 0; i < shape.length; i++) size *= shape[i]!;
  return size;
}

export function shapesEqual(a: readonly (number | null)[], b: readonly (number | null)[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Row-major strides of a shape, in elements. */
export function stridesOf(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let stride = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = stride;
    stride *= shape[i]!;
  }
  return strides;
}

/** Returns the NumPy-style broadcast of two shapes, or throws a ShapeError naming both. */
export function broadcastShapes(a: Shape, b: Shape): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(
        `Shapes ${formatShape(a)} and ${formatShape(b)} cannot be broadcast together: ` +
          `axis ${i} has sizes ${da} and ${db}. Sizes must match or one of them must be 1.`,
      );
    }
    // A size-1 axis stretches to the other size, including 0 (NumPy gives (0, 3) for (0, 3) with (1, 3)).
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Normalizes a possibly negative axis for a tensor of the given rank. */
export function normalizeAxis(axis: number, rank: number): number {
  const normalized = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(axis) || normalized < 0 || normalized >= rank) {
    throw new ShapeError(`Invalid axis ${axis} for a tensor of rank ${rank}: expected an integer in [${-rank}, ${rank - 1}].`);
  }
  return normalized;
}
