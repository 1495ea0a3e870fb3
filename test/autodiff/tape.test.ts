import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { noGrad, valueAndGradients } from "../../src/autodiff/tape.js";
import { ValueError } from "../../src/errors.js";
import { add, div, exp, mul, sigmoid, sum } from "../../src/ops/index.js";
import { tensor } from "../../src/tensor/tensor.js";
import { assertClose } from "../helpers/close.js";

describe("gradient tape", () => {
  test("reused tensor accumulates gradient", () => {
    // d/dx Σ x·x = 2x.
    const x = tensor([1.5, -2, 3], undefined, "float64");
    const { value, gradients } = valueAndGradients(() => sum(mul(x, x)), [x]);
    assert.equal(value.item(), 2.25 + 4 + 9);
    assert.deepEqual(Array.from(gradients[0]!.data), [3, -4, 6]);
  });

  test("tensor reused across ops", () => {
    // d/dx Σ (x·x + x) = 2x + 1, with x reaching the sum along two paths.
    const x = tensor([0.5, -1], undefined, "float64");
    const { gradients } = valueAndGradients(() => sum(add(mul(x, x), x)), [x]);
    assert.deepEqual(Array.from(gradients[0]!.data), [2, -1]);
  });

  test("same tensor on both inputs", () => {
    // d/dx Σ (x + x) = 2.
    const x = tensor([4, 5], undefined, "float64");
    const { gradients } = valueAndGradients(() => sum(add(x, x)), [x]);
    assert.deepEqual(Array.from(gradients[0]!.data), [2, 2]);
  });

  test("unused source gets zeros", () => {
    const x = tensor([1, 2], undefined, "float64");
    const unused = tensor([[1, 2, 3]], undefined, "float32");
    const { gradients } = valueAndGradients(() => sum(x), [x, unused]);
    assert.deepEqual(Array.from(gradients[0]!.data), [1, 1]);
    const zero = gradients[1]!;
    assert.deepEqual(zero.shape, [1, 3]);
    assert.equal(zero.dtype, "float32");
    assert.deepEqual(Array.from(zero.data), [0, 0, 0]);
  });

  test("result as its own source", () => {
    const x = tensor(3, undefined, "float64");
    const { value, gradients } = valueAndGradients(() => x, [x]);
    assert.equal(value.item(), 3);
    assert.equal(gradients[0]!.item(), 1);
  });

  test("non-scalar result is rejected", () => {
    const x = tensor([1, 2], undefined, "float64");
    assert.throws(
      () => valueAndGradients(() => mul(x, x), [x]),
      (error: Error) => {
        assert.ok(error instanceof ValueError);
        assert.match(error.message, /\(2,\)/, "names the result's shape");
        return true;
      },
    );
  });

  test("noGrad records nothing", () => {
    // Only the direct x term carries a gradient: the square computed under noGrad is a constant.
    const x = tensor([2, -3], undefined, "float64");
    const { value, gradients } = valueAndGradients(() => {
      const constant = noGrad(() => mul(x, x));
      return sum(add(constant, x));
    }, [x]);
    assert.equal(value.item(), 4 + 9 + 2 - 3);
    assert.deepEqual(Array.from(gradients[0]!.data), [1, 1]);
  });

  test("noGrad alone gives zero gradient", () => {
    const x = tensor([2, -3], undefined, "float64");
    const { gradients } = valueAndGradients(() => noGrad(() => sum(mul(x, x))), [x]);
    assert.deepEqual(Array.from(gradients[0]!.data), [0, 0]);
  });

  test("composite expression matches derivation", () => {
    // f(a, b) = Σ σ(a·b) + e^a / b, so
    // ∂f/∂a = σ'(a·b)·b + e^a / b and ∂f/∂b = σ'(a·b)·a − e^a / b², with σ' = σ(1 − σ).
    const aValues = [0.5, -1, 2];
    const bValues = [2, 0.25, -1.5];
    const a = tensor(aValues, undefined, "float64");
    const b = tensor(bValues, undefined, "float64");
    const { value, gradients } = valueAndGradients(() => sum(add(sigmoid(mul(a, b)), div(exp(a), b))), [a, b]);

    const logistic = (z: number): number => 1 / (1 + Math.exp(-z));
    let expectedValue = 0;
    const expectedA: number[] = [];
    const expectedB: number[] = [];
    aValues.forEach((av, i) => {
      const bv = bValues[i]!;
      const s = logistic(av * bv);
      expectedValue += s + Math.exp(av) / bv;
      expectedA.push(s * (1 - s) * bv + Math.exp(av) / bv);
      expectedB.push(s * (1 - s) * av - Math.exp(av) / (bv * bv));
    });
    assertClose([value.item()], [expectedValue], { rtol: 1e-12, atol: 0 });
    assertClose(gradients[0]!.data, expectedA, { rtol: 1e-12, atol: 0 });
    assertClose(gradients[1]!.data, expectedB, { rtol: 1e-12, atol: 0 });
  });

  test("float32 gradients match float64", () => {
    const values = [0.3, -0.7, 1.1];
    const gradientFor = (dtype: "float32" | "float64"): Float32Array | Float64Array => {
      const x = tensor(values, undefined, dtype);
      return valueAndGradients(() => sum(mul(sigmoid(x), exp(x))), [x]).gradients[0]!.data as Float32Array | Float64Array;
    };
    const single = gradientFor("float32");
    assert.ok(single instanceof Float32Array);
    assertClose(single, gradientFor("float64"), { rtol: 1e-6, atol: 1e-7 });
  });
});
