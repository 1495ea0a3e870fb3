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

/** Model inputs or labels: one array, one per input or output in order, or a record by name. */
export type ModelData = TensorLike | TensorLike[] | Record<string, TensorLike>;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== "object") return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/**
 * Converts `values` to one batch tensor per name in `names` (the model's
 * inputs or outputs). With one name, `values` is the data itself (or a
 * record holding it under that name); with several, it is an array in the
 * names' order or a record by name. `names` is null for a model whose inputs
 * are not declared: then an array of Tensors means several inputs.
 */
export function toTensorList(values: unknown, names: readonly string[] | null, argument: string, dtype: FloatDType): Tensor[] {
  if (isPlainObject(values)) {
    if (names === null) {
      throw new ValueError(`\`${argument}\` is a record, but this model has no named inputs. Pass a Tensor or an array of Tensors.`);
    }
    const keys = Object.keys(values);
    const unknown = keys.filter((k) => !names.includes(k));
    if (unknown.length > 0) {
      throw new ValueError(
        `\`${argument}\` has ${unknown.map((k) => `"${k}"`).join(", ")}, which the model does not have. Expected names: ${names.map((n) => `"${n}"`).join(", ")}.`,
      );
    }
    return names.map((name) => {
      if (!(name in values)) {
        throw new ValueError(`\`${argument}\` has no entry "${name}". Expected names: ${names.map((n) => `"${n}"`).join(", ")}.`);
      }
      return toBatchTensor(values[name] as TensorLike, `${argument}.${name}`, dtype);
    });
  }
  if (names === null || names.length === 1) {
    const asList = Array.isArray(values) && values.length > 0 && values.every((v) => v instanceof Tensor);
    if (asList && (names === null || values.length === 1)) {
      return (values as Tensor[]).map((v, i) => toBatchTensor(v, values.length === 1 ? argument : `${argument}[${i}]`, dtype));
    }
    return [toBatchTensor(values as TensorLike, argument, dtype)];
  }
  if (!Array.isArray(values) || values.length !== names.length || values.every((v) => typeof v === "number")) {
    const received = Array.isArray(values) ? `an array of length ${values.length}` : values instanceof Tensor ? `one Tensor of shape ${formatShape(values.shape)}` : typeof values;
    throw new ValueError(
      `The model has ${names.length} ${argument === "x" ? "inputs" : "outputs"} (${names.map((n) => `"${n}"`).join(", ")}), so \`${argument}\` must be ` +
        `an array of ${names.length} arrays in that order or a record by name; received ${received}.`,
    );
  }
  return values.map((v, i) => toBatchTensor(v as TensorLike, `${argument}[${i}]`, dtype));
}

/** Checks that every input and label array has the same number of samples, at least one; returns it. */
export function checkListSampleCounts(xs: readonly Tensor[], ys: readonly Tensor[] | null, xName = "x", yName = "y"): number {
  if (xs.length === 1 && (ys === null || ys.length === 1)) return checkSampleCounts(xs[0]!, ys?.[0] ?? null, xName, yName);
  const label = (name: string, list: readonly Tensor[], i: number) => (list.length === 1 ? name : `${name}[${i}]`);
  const first = xs[0]!;
  checkSampleCounts(first, null, label(xName, xs, 0));
  const n = first.shape[0]!;
  const all: [string, Tensor][] = [
    ...xs.map((t, i): [string, Tensor] => [label(xName, xs, i), t]),
    ...(ys ?? []).map((t, i): [string, Tensor] => [label(yName, ys!, i), t]),
  ];
  for (const [name, t] of all) {
    if (t.shape[0] !== n) {
      throw new ShapeError(
        `Every input and label array needs the same number of samples: \`${label(xName, xs, 0)}\` has ${n} (shape ${formatShape(first.shape)}) ` +
          `but \`${name}\` has ${t.shape[0]} (shape ${formatShape(t.shape)}).`,
      );
    }
  }
  return n;
}
