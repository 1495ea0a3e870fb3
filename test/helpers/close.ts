import assert from "node:assert/strict";
import type { NestedNumbers } from "../../src/tensor/tensor.js";

/** Flattens nested arrays of numbers. */
export function flat(values: unknown): number[] {
  if (typeof values === "number") return [values];
  if (ArrayBuffer.isView(values)) return Array.from(values as unknown as ArrayLike<number>);
  return (values as unknown[]).flatMap((v) => flat(v));
}

/**
 * Asserts |actual − expected| ≤ atol + rtol·|expected| element-wise, naming
 * the first element that is off. Defaults suit float32 results.
 */
export function assertClose(
  actual: NestedNumbers | ArrayLike<number> | unknown,
  expected: NestedNumbers | ArrayLike<number> | unknown,
  options: { rtol?: number; atol?: number; message?: string } = {},
): void {
  const rtol = options.rtol ?? 1e-5;
  const atol = options.atol ?? 1e-6;
  const a = flat(actual);
  const e = flat(expected);
  assert.equal(a.length, e.length, `${options.message ?? "values"}: ${a.length} elements, expected ${e.length}`);
  for (let i = 0; i < a.length; i++) {
    const diff = Math.abs(a[i]! - e[i]!);
    assert.ok(
      diff <= atol + rtol * Math.abs(e[i]!) || (Number.isNaN(a[i]) && Number.isNaN(e[i])),
      `${options.message ?? "values"}: element ${i} is ${a[i]}, expected ${e[i]} (difference ${diff})`,
    );
  }
}
