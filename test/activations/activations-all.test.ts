import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import * as activations from "../../src/activations/index.js";
import { valueAndGradients } from "../../src/autodiff/tape.js";
import { ValueError } from "../../src/errors.js";
import { mul, sum } from "../../src/ops/index.js";
import { type NestedArray, Tensor, tensor } from "../../src/tensor/tensor.js";
import { forEachBackend } from "../helpers/backends.js";
import { checkGradients } from "../helpers/gradcheck.js";
import { assertClose } from "../helpers/close.js";

interface ActivationCase {
  name: string;
  kwargs: Record<string, number | boolean>;
  x: NestedArray;
  expected: NestedArray;
  weights?: NestedArray;
  grad?: NestedArray;
}

const reference = JSON.parse(
  readFileSync(new URL("../fixtures/reference/activations_all.json", import.meta.url), "utf8"),
) as { keras_version: string; cases: ActivationCase[] };

/** Keras's keyword arguments as Stratum's camelCase options. */
function toOptions(kwargs: Record<string, number | boolean>): Record<string, number | boolean> {
  const options: Record<string, number | boolean> = {};
  for (const [key, value] of Object.entries(kwargs)) options[key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())] = value;
  return options;
}

function apply(name: string, x: Tensor, kwargs: Record<string, number | boolean>): Tensor {
  const fn = activations.get(name) as (x: Tensor, options?: object) => Tensor;
  return Object.keys(kwargs).length === 0 ? fn(x) : fn(x, toOptions(kwargs));
}

const label = (entry: ActivationCase): string => `${entry.name}${Object.keys(entry.kwargs).length ? ` ${JSON.stringify(entry.kwargs)}` : ""}`;

describe("activations against Keras 3.15.1", () => {
  test("reference file has cases", () => {
    assert.equal(reference.keras_version, "3.15.1");
    assert.ok(reference.cases.length > 80);
  });

  reference.cases.forEach((entry, index) => {
    test(
      `${label(entry)} case ${index}`,
      forEachBackend((backend) => {
        const x = tensor(entry.x);
        const message = `${label(entry)} on ${backend}`;
        const y = apply(entry.name, x, entry.kwargs);
        assert.deepEqual(y.shape, tensor(entry.expected).shape);
        assertClose(y.toArray(), entry.expected, { rtol: 2e-6, atol: 2e-6, message });
        if (entry.grad && entry.weights) {
          const weights = tensor(entry.weights);
          const { gradients } = valueAndGradients(() => sum(mul(apply(entry.name, x, entry.kwargs), weights)), [x]);
          assertClose(gradients[0]!.toArray(), entry.grad, { rtol: 1e-5, atol: 5e-6, message: `${message} gradient` });
        }
      }),
    );
  });
});

describe("activation gradients", () => {
  // Float64 inputs off every kink; the row-wise cases use a 3 × 4 matrix.
  const grid = Array.from({ length: 18 }, (_, i) => -4.37 + 0.51 * i);
  const matrix = [
    [-2, -0.5, 0.1, 0.7],
    [0.3, 0.35, -4, 2.2],
    [1.5, -1.5, 0.05, 1.1],
  ];
  const cases: [string, Record<string, number | boolean>, number[] | number[][]][] = [
    ["celu", { alpha: 2 }, grid],
    ["elu", { alpha: 0.5 }, grid],
    ["exponential", {}, grid],
    ["gelu", {}, grid],
    ["gelu", { approximate: true }, grid],
    ["hard_shrink", {}, grid],
    ["hard_sigmoid", {}, grid],
    ["hard_silu", {}, grid],
    ["hard_tanh", {}, grid],
    ["leaky_relu", {}, grid],
    ["log_sigmoid", {}, grid],
    ["mish", {}, grid],
    ["relu", { negative_slope: 0.1, max_value: 2, threshold: 0.2 }, grid],
    ["relu6", {}, grid],
    ["selu", {}, grid],
    ["silu", {}, grid],
    ["soft_shrink", {}, grid],
    ["softplus", {}, grid],
    ["softsign", {}, grid],
    ["sparse_plus", {}, grid],
    ["sparse_sigmoid", {}, grid],
    ["squareplus", {}, grid],
    ["tanh_shrink", {}, grid],
    ["threshold", { threshold: 0.3, default_value: -2 }, grid],
    ["softmax", { axis: 0 }, matrix],
    ["log_softmax", {}, matrix],
    ["log_softmax", { axis: 0 }, matrix],
    ["sparsemax", {}, matrix],
    ["glu", {}, matrix],
    ["glu", { axis: 1 }, matrix],
  ];
  for (const [name, kwargs, values] of cases) {
    test(`${name}${Object.keys(kwargs).length ? ` ${JSON.stringify(kwargs)}` : ""} matches finite differences`, () => {
      checkGradients((x) => apply(name, x, kwargs), [tensor(values, undefined, "float64")]);
    });
  }
});

describe("activations by name", () => {
  const kerasNames = [
    "celu", "elu", "exponential", "gelu", "glu", "hard_shrink", "hard_sigmoid", "hard_silu", "hard_swish", "hard_tanh",
    "leaky_relu", "linear", "log_sigmoid", "log_softmax", "mish", "relu", "relu6", "selu", "sigmoid", "silu",
    "soft_shrink", "softmax", "softplus", "softsign", "sparse_plus", "sparse_sigmoid", "sparsemax", "squareplus",
    "swish", "tanh", "tanh_shrink", "threshold",
  ];

  test("every Keras identifier resolves", () => {
    for (const name of kerasNames) assert.equal(typeof activations.get(name), "function", name);
  });

  test("aliases serialize to canonical names", () => {
    assert.equal(activations.serialize(activations.get("swish")), "silu");
    assert.equal(activations.serialize(activations.get("hard_swish")), "hard_silu");
    assert.equal(activations.get("swish"), activations.silu);
  });

  test("serialize round-trips every name", () => {
    for (const name of kerasNames) {
      const fn = activations.get(name);
      assert.equal(activations.deserialize(activations.serialize(fn)), fn, name);
    }
  });

  test("gelu is exact by default", () => {
    // Keras 3.15.1: gelu([-2, -0.5, 0, 0.5, 2]) with approximate=False.
    const x = tensor([-2, -0.5, 0, 0.5, 2]);
    assertClose(activations.gelu(x).toArray(), [-0.0455003, -0.1542688, 0, 0.3457312, 1.9544997], { rtol: 1e-6, atol: 1e-7 });
    const approximate = activations.gelu(x, { approximate: true }).data[0]!;
    assert.ok(Math.abs(approximate + 0.0454023) < 1e-6, `tanh gelu(-2) is ${approximate}`);
  });

  test("threshold without options is rejected", () => {
    assert.throws(() => activations.get("threshold")(tensor([1])), (error: Error) => error instanceof ValueError && /defaultValue/.test(error.message));
  });

  test("unknown option names nearest one", () => {
    assert.throws(() => activations.elu(tensor([1]), { alpa: 1 } as never), (error: Error) => error instanceof ValueError && /alpha/.test(error.message));
  });

  test("glu rejects an odd axis", () => {
    assert.throws(() => activations.glu(tensor([[1, 2, 3]])), /even size/);
  });

  test("unknown name suggests nearest", () => {
    assert.throws(() => activations.get("gelus"), (error: Error) => error instanceof ValueError && /Did you mean "gelu"/.test(error.message));
  });
});
