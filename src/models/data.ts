import { ShapeError, ValueError, formatShape } from "../errors.js";
import { getBackend } from "../backend/registry.js";
import { allocateScratch } from "../backend/workspace.js";
import { type FloatDType, allocate } from "../tensor/dtype.js";
import { Tensor, type TensorLike, cast, toTensor } from "../tensor/tensor.js";
import { sizeOf } from "../tensor/shape.js";

/** Converts user data (a Tensor, typed array or nested arrays) to a float tensor with a batch axis. */
export function toBatchTensor(values: TensorLike, argument: string, dtype: FloatDType): Tensor {
  if (values === undefined || values === null) {
    throw new ValueError(`Missing \`${argument}\`: expected a Tensor, a typed array or nested arrays of numbers.`);
  }
  const t = toTensor(values, { argument });
  if (t.rank === 0) {
    throw new ShapeError(`\`${argument}\` must have a batch axis, but it is a single number. Pass an array of samples.`);
  }
  return t.dtype === dtype ? t : cast(t, dtype);
}

/** Checks that inputs and labels have the same number of samples, and at least one. */
export function checkSampleCounts(x: Tensor, y: Tensor | null, xName = "x", yName = "y"): number {
  const n = x.shape[0]!;
  if (n === 0) {
    throw new ValueError(`\`${xName}\` has no samples (shape ${formatShape(x.shape)}). Pass at least one sample.`);
  }
  if (y && y.shape[0] !== n) {
    throw new ShapeError(
      `\`${xName}\` and \`${yName}\` must have the same number of samples: \`${xName}\` has ${n} (shape ${formatShape(x.shape)}) ` +
        `and \`${yName}\` has ${y.shape[0]} (shape ${formatShape(y.shape)}).`,
    );
  }
  return n;
}

/** Rows [start, end) of `t` as a view that shares its memory. */
export function sliceRows(t: Tensor, start: number, end: number): Tensor {
  const rowSize = t.shape[0] === 0 ? 0 : t.size / t.shape[0]!;
  return new Tensor(t.data.subarray(start * rowSize, end * rowSize), [end - start, ...t.shape.slice(1)]);
}

/** Copies the rows of `t` at `indices` into a new tensor (from the active workspace, if any). */
export function gatherRows(t: Tensor, indices: Int32Array): Tensor {
  const rowShape = t.shape.slice(1);
  const rowSize = sizeOf(rowShape);
  // The gather writes every element, so a reused buffer needs no zero fill.
  const out =
    t.dtype === "int32" ? allocate(t.dtype, indices.length * rowSize) : allocateScratch(t.dtype, indices.length * rowSize, false);
  getBackend().gatherRows(t.data, rowSize, indices, out);
  return new Tensor(out, [indices.length, ...rowShape]);
}

/** Resolves `verbose` ("auto" means 1, as in Keras). */
export function resolveVerbose(value: unknown, method: string): number {
  if (value === undefined || value === "auto") return 1;
  if (value === 0 || value === 1 || value === 2) return value;
  throw new ValueError(`Invalid \`verbose\` for ${method}: expected 0, 1, 2 or "auto", received ${JSON.stringify(value)}.`);
}
