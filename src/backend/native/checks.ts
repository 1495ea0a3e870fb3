/**
 * Argument checks that run before every call into the native addon, so that
 * a bad call throws a ValueError or ShapeError instead of reaching C code
 * that would read or write out of bounds. Each check is a few comparisons
 * and allocates nothing unless it throws, because kernels run on the hot
 * path of training.
 */

import { ShapeError, ValueError, formatChoices } from "../../errors.js";

/** The largest size the addon accepts for one dimension (INT32_MAX, see `size_arg` in native/src/addon.c). */
export const MAX_NATIVE_SIZE = 2147483647;

/**
 * The argument names of a kernel's typed arrays, in call order, with a
 * bit mask of the ones that must be present (a name ending in "?" may be null).
 */
export interface ArraySignature {
  readonly names: readonly string[];
  readonly required: number;
}

/** Builds the signature of a kernel whose array arguments have these names ("bias?" for a nullable one). */
export function signature(...names: string[]): ArraySignature {
  let required = 0;
  names.forEach((name, i) => {
    if (!name.endsWith("?")) required |= 1 << (2 * i);
  });
  return { names: names.map((name) => name.replace(/\?$/, "")), required };
}

/** Returns the 2-bit code of an array argument: 0 absent, 1 Float32Array, 2 Float64Array, 3 anything else. */
function dtypeCode(value: unknown): number {
  if (value === null || value === undefined) return 0;
  if (value instanceof Float32Array) return 1;
  if (value instanceof Float64Array) return 2;
  return 3;
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (ArrayBuffer.isView(value)) return value.constructor.name;
  return typeof value;
}

const LOW_BITS = 0x55555;

/**
 * Returns true when every array of a float kernel call is a Float32Array,
 * false when every one is a Float64Array (which the TypeScript backend
 * computes). Throws a ValueError when a required array is missing, when an
 * argument is not a float array, or when the call mixes float32 and float64.
 * Fixed arity, because a rest parameter would allocate an array per call.
 */
export function isFloat32Call(
  kernel: string,
  sig: ArraySignature,
  a: unknown,
  b: unknown = null,
  c: unknown = null,
  d: unknown = null,
  e: unknown = null,
  f: unknown = null,
  g: unknown = null,
  h: unknown = null,
  i: unknown = null,
  j: unknown = null,
): boolean {
  const codes =
    dtypeCode(a) |
    (dtypeCode(b) << 2) |
    (dtypeCode(c) << 4) |
    (dtypeCode(d) << 6) |
    (dtypeCode(e) << 8) |
    (dtypeCode(f) << 10) |
    (dtypeCode(g) << 12) |
    (dtypeCode(h) << 14) |
    (dtypeCode(i) << 16) |
    (dtypeCode(j) << 18);
  const low = codes & LOW_BITS;
  const high = (codes >> 1) & LOW_BITS;
  const present = low | high;
  if ((sig.required & ~present) === 0 && (low & high) === 0) {
    if (high === 0) return true;
    if (low === 0) return false;
  }
  throw dtypeError(kernel, sig, [a, b, c, d, e, f, g, h, i, j]);
}

function dtypeError(kernel: string, sig: ArraySignature, values: unknown[]): ValueError {
  const first = values.find((value) => value instanceof Float32Array || value instanceof Float64Array);
  for (let index = 0; index < sig.names.length; index++) {
    const name = sig.names[index]!;
    const value = values[index];
    const code = dtypeCode(value);
    const required = (sig.required & (1 << (2 * index))) !== 0;
    if (code === 0 && required) {
      return new ValueError(`${kernel}: \`${name}\` is required, but the call passed no array for it.`);
    }
    if (code === 3) {
      return new ValueError(`${kernel}: \`${name}\` must be a Float32Array or Float64Array, received ${describe(value)}.`);
    }
    if (code !== 0 && first !== undefined && value!.constructor !== first.constructor) {
      return new ValueError(
        `${kernel}: every array of one call must have the same dtype, but \`${name}\` is a ${describe(value)} ` +
          `and an earlier array is a ${describe(first)}.`,
      );
    }
  }
  return new ValueError(`${kernel}: invalid array arguments.`);
}

/** Throws a ValueError unless `value` is an integer from 0 to MAX_NATIVE_SIZE. */
export function checkSize(kernel: string, name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > MAX_NATIVE_SIZE) {
    throw new ValueError(`${kernel}: \`${name}\` must be an integer from 0 to ${MAX_NATIVE_SIZE}, received ${String(value)}.`);
  }
}

/**
 * Throws a ShapeError unless `array` has exactly `expected` elements. A null
 * array passes, because nullable arguments are checked only when present.
 * `expected` may be a product of several sizes: a product beyond 2^53 is
 * rounded, but stays beyond every real array length, so it never matches one.
 */
export function checkLength(kernel: string, name: string, array: ArrayLike<number> | null, expected: number): void {
  if (array !== null && array.length !== expected) {
    throw new ShapeError(`${kernel}: \`${name}\` must have ${expected} elements, received ${array.length}.`);
  }
}

/** Throws a ValueError unless `value` is a number. NaN and infinities pass, because the kernels compute with them. */
export function checkNumber(kernel: string, name: string, value: number): void {
  if (typeof value !== "number") throw new ValueError(`${kernel}: \`${name}\` must be a number, received ${describe(value)}.`);
}

/** Throws a ValueError unless `value` is a boolean. */
export function checkFlag(kernel: string, name: string, value: boolean): void {
  if (typeof value !== "boolean") throw new ValueError(`${kernel}: \`${name}\` must be a boolean, received ${describe(value)}.`);
}

/** Returns the addon's code for `name`, or throws a ValueError listing the valid names. */
export function codeOf<K extends string>(kernel: string, argument: string, codes: ReadonlyMap<K, number>, name: K): number {
  const code = codes.get(name);
  if (code === undefined) {
    throw new ValueError(`${kernel}: unknown ${argument} "${String(name)}". Valid values: ${formatChoices([...codes.keys()])}.`);
  }
  return code;
}

/**
 * Builds the table that `codeOf` reads. It is a Map rather than a plain
 * object because one lookup function serves every table: after training has
 * used a few tables, V8 reads a plain object there through its slow generic path.
 */
export function codeTable<K extends string>(codes: Readonly<Record<K, number>>): ReadonlyMap<K, number> {
  return new Map(Object.entries(codes) as [K, number][]);
}

/** Throws a ValueError unless `indices` is an Int32Array. */
export function checkInt32(kernel: string, name: string, indices: unknown): void {
  if (!(indices instanceof Int32Array)) throw new ValueError(`${kernel}: \`${name}\` must be an Int32Array, received ${describe(indices)}.`);
}

/** Throws a ValueError naming the first entry of `indices` outside [0, limit). */
export function checkIndexRange(kernel: string, name: string, indices: Int32Array, limit: number): void {
  for (let i = 0; i < indices.length; i++) {
    const index = indices[i]!;
    if (index < 0 || index >= limit) {
      throw new ValueError(`${kernel}: \`${name}[${i}]\` is ${index}, outside the valid range [0, ${limit}).`);
    }
  }
}

/**
 * The buffer of each array that a guard has seen. In Node.js 20 the `buffer`
 * getter is a call into C++ (about 40 ns per call, measured on the AMD EPYC of
 * bench/RESULTS.md). The guards ask for it several times per call, and
 * training and prediction pass the same arrays at every step. A view's buffer
 * never changes, so the cache cannot go stale.
 */
const buffers = new WeakMap<ArrayBufferView, ArrayBufferLike>();

function bufferOf(view: ArrayBufferView): ArrayBufferLike {
  let buffer = buffers.get(view);
  if (buffer === undefined) {
    buffer = view.buffer;
    buffers.set(view, buffer);
  }
  return buffer;
}

/** True when two arrays share at least one byte of memory. */
function overlaps(a: ArrayBufferView, b: ArrayBufferView): boolean {
  // The byte getters below are slow calls too, so the case of one array passed twice comes first.
  if (a === b) return a.byteLength > 0;
  if (bufferOf(a) !== bufferOf(b) || a.byteLength === 0 || b.byteLength === 0) return false;
  return a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength;
}

/** Throws a ValueError when the output `out` shares memory with `other`, which the kernel reads or writes separately. */
export function checkDisjoint(
  kernel: string,
  outName: string,
  out: ArrayBufferView | null,
  otherName: string,
  other: ArrayBufferView | null,
): void {
  if (out !== null && other !== null && overlaps(out, other)) {
    throw new ValueError(
      `${kernel}: the output \`${outName}\` shares memory with \`${otherName}\`. Pass separate arrays for them.`,
    );
  }
}

/**
 * Throws a ValueError when the output `out` partly overlaps `input`. An
 * output that is the input itself (same memory, same length) passes, because
 * the kernel reads each element before it writes the element at the same index.
 */
export function checkInPlaceOrDisjoint(
  kernel: string,
  outName: string,
  out: ArrayBufferView | null,
  inputName: string,
  input: ArrayBufferView | null,
): void {
  if (out === null || input === null || out === input || !overlaps(out, input)) return;
  if (out.byteOffset === input.byteOffset && out.byteLength === input.byteLength) return;
  throw new ValueError(
    `${kernel}: the output \`${outName}\` partly overlaps \`${inputName}\`. Pass the same array for both, or separate arrays.`,
  );
}
