import type { FloatArray } from "../../src/tensor/dtype.js";

/**
 * Deterministic pseudo-random values in [low, high), independent of the
 * library's own generator so that test inputs do not change with it.
 */
export function sampleValues(count: number, seed: number, low = -1, high = 1): number[] {
  const values: number[] = [];
  for (let i = 0; i < count; i++) {
    const hash = Math.sin(seed * 12.9898 + (i + 1) * 78.233) * 43758.5453;
    values.push(low + (high - low) * (hash - Math.floor(hash)));
  }
  return values;
}

/** Like `sampleValues`, in a typed array of the given float dtype. */
export function sampleArray(
  dtype: "float32" | "float64",
  count: number,
  seed: number,
  low = -1,
  high = 1,
): FloatArray {
  const values = sampleValues(count, seed, low, high);
  return dtype === "float64" ? Float64Array.from(values) : Float32Array.from(values);
}
