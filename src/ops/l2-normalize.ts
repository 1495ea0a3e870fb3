import type { FloatDType } from "../tensor/dtype.js";
import type { Tensor } from "../tensor/tensor.js";
import { div, minimum, mul, sqrt, square } from "./elementwise.js";
import { sum } from "./reduce.js";
import { emptyLike, floatDType } from "./util.js";

function scalarOf(dtype: FloatDType, value: number): Tensor {
  const out = emptyLike(dtype, []);
  out.data[0] = value;
  return out;
}

/**
 * Divides `x` by its L2 norm over `axes`, as x · min(1 / sqrt(Σx²), 1 / epsilon)
 * (Keras's `ops.normalize` with order 2), so an all-zero slice stays zero.
 */
export function l2Normalize(x: Tensor, axes: readonly number[], epsilon: number): Tensor {
  const dtype = floatDType(x, "l2Normalize");
  const inverseNorm = minimum(div(scalarOf(dtype, 1), sqrt(sum(square(x), axes, true))), scalarOf(dtype, 1 / epsilon));
  return mul(x, inverseNorm);
}
