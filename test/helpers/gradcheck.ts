import assert from "node:assert/strict";
import { valueAndGradients } from "../../src/autodiff/tape.js";
import { mul, sum } from "../../src/ops/index.js";
import { Tensor } from "../../src/tensor/tensor.js";

/**
 * Checks the tape's gradients of `fn` against central finite differences in
 * float64, with a relative tolerance (1e-6 by default). `inputs` must be
 * float64 tensors. A non-scalar result is reduced to a scalar by a weighted
 * sum with fixed, distinct weights, so every output element is checked.
 * For functions with kinks (relu, abs, clip), keep inputs away from them.
 */
export function checkGradients(
  fn: (...inputs: Tensor[]) => Tensor,
  inputs: Tensor[],
  options: { step?: number; tolerance?: number; only?: number[] } = {},
): void {
  const step = options.step ?? 1e-5;
  const tolerance = options.tolerance ?? 1e-6;
  for (const input of inputs) assert.equal(input.dtype, "float64", "gradient checks run in float64");

  let weights: Float64Array | null = null;
  const reduce = (out: Tensor): Tensor => {
    if (out.size === 1) return out;
    weights ??= Float64Array.from({ length: out.size }, (_, i) => Math.sin(i + 1) + 1.5);
    return sum(mul(out, new Tensor(weights, out.shape)));
  };
  const evaluate = (): number => reduce(fn(...inputs)).data[0]!;

  const { gradients } = valueAndGradients(() => reduce(fn(...inputs)), inputs);
  const checked = options.only ?? inputs.map((_, i) => i);
  for (const inputIndex of checked) {
    const input = inputs[inputIndex]!;
    const analytic = gradients[inputIndex]!;
    assert.deepEqual([...analytic.shape], [...input.shape], `gradient ${inputIndex} has the input's shape`);
    for (let i = 0; i < input.size; i++) {
      const original = input.data[i]!;
      input.data[i] = original + step;
      const plus = evaluate();
      input.data[i] = original - step;
      const minus = evaluate();
      input.data[i] = original;
      const numeric = (plus - minus) / (2 * step);
      const got = analytic.data[i]!;
      const scale = Math.max(1, Math.abs(numeric));
      assert.ok(
        Math.abs(numeric - got) <= tolerance * scale,
        `input ${inputIndex}, element ${i}: tape gradient ${got}, finite difference ${numeric}`,
      );
    }
  }
}
