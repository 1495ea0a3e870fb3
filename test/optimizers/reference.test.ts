import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { Variable } from "../../src/layers/variable.js";
import { Adagrad, Adam, type AdamOptions, AdamW, type Optimizer, RMSprop, SGD, type SGDOptions } from "../../src/optimizers/index.js";
import { tensor } from "../../src/tensor/tensor.js";
import type { NestedArray } from "../../src/tensor/tensor.js";
import { clearSession } from "../../src/utils/naming.js";
import { forEachBackend } from "../helpers/backends.js";
import { assertClose } from "../helpers/close.js";

/**
 * Five-step trajectories recorded with Keras 3.15.1 by test/reference/optimizers.py:
 * every case starts from `w0` and applies the same five gradients.
 */
interface OptimizerReference {
  keras_version: string;
  w0: NestedArray;
  gradients: NestedArray[];
  cases: {
    name: string;
    optimizer: string;
    kwargs: Record<string, number | boolean>;
    config: Record<string, unknown>;
    weights_after_step: NestedArray[];
    variables: { name: string; path: string; value: NestedArray }[];
  }[];
}

const reference = JSON.parse(
  readFileSync(new URL("../fixtures/reference/optimizers.json", import.meta.url), "utf8"),
) as OptimizerReference;

// Keras keyword arguments and the Stratum options they map to.
const OPTION_NAMES: Record<string, string> = {
  learning_rate: "learningRate",
  beta_1: "beta1",
  beta_2: "beta2",
  epsilon: "epsilon",
  amsgrad: "amsgrad",
  momentum: "momentum",
  nesterov: "nesterov",
};

function createOptimizer(className: string, kwargs: Record<string, number | boolean>): Optimizer {
  const options: Record<string, number | boolean> = {};
  for (const [key, value] of Object.entries(kwargs)) {
    const option = OPTION_NAMES[key];
    assert.ok(option, `no Stratum option for the Keras argument "${key}"`);
    options[option] = value;
  }
  if (className === "Adam") return new Adam(options as AdamOptions);
  if (className === "SGD") return new SGD(options as SGDOptions);
  assert.fail(`no Stratum optimizer for the Keras class "${className}"`);
}

// Float32 tolerance: the TypeScript backend updates in float64 and rounds once per
// step, while Keras rounds every float32 operation.
const TOLERANCE = { rtol: 2e-6, atol: 1e-7 };


describe("optimizers against Keras", () => {
  test("fixture covers Adam and SGD", () => {
    assert.equal(reference.keras_version, "3.15.1");
    const classes = new Set(reference.cases.map((c) => c.optimizer));
    assert.ok(classes.has("Adam"), [...classes].join(", "));
    assert.ok(classes.has("SGD"), [...classes].join(", "));
    assert.equal(reference.gradients.length, 5);
  });

  for (const referenceCase of reference.cases) {
    describe(referenceCase.name, () => {
      test(
        "weights after each step",
        forEachBackend((backend) => {
          const optimizer = createOptimizer(referenceCase.optimizer, referenceCase.kwargs);
          const w = new Variable({ name: "w", path: "w", value: tensor(reference.w0), trainable: true });
          reference.gradients.forEach((gradient, step) => {
            optimizer.applyGradients([tensor(gradient)], [w]);
            assertClose(w.value.toArray(), referenceCase.weights_after_step[step], {
              ...TOLERANCE,
              message: `${backend}, step ${step + 1}`,
            });
          });
          assert.equal(optimizer.iterations, reference.gradients.length);
        }),
      );

      test(
        "state variables in order",
        forEachBackend((backend) => {
          const optimizer = createOptimizer(referenceCase.optimizer, referenceCase.kwargs);
          const w = new Variable({ name: "w", path: "w", value: tensor(reference.w0), trainable: true });
          for (const gradient of reference.gradients) optimizer.applyGradients([tensor(gradient)], [w]);
          const variables = optimizer.variables;
          assert.deepEqual(
            variables.map((v) => v.name),
            referenceCase.variables.map((v) => v.name),
            `${backend}: variable names in order`,
          );
          referenceCase.variables.forEach((expected, i) => {
            const actual = variables[i]!;
            if (expected.name === "iteration") {
              assert.equal(actual.value.dtype, "int32", "iteration is an integer");
              assert.equal(actual.value.item(), expected.value);
            } else if (expected.name === "learning_rate") {
              assert.equal(actual.value.dtype, "float32", "learning_rate is float32");
              assert.equal(actual.value.item(), expected.value);
            } else {
              assertClose(actual.value.toArray(), expected.value, { ...TOLERANCE, message: `${backend}: ${expected.name}` });
            }
          });
        }),
      );

      test("config matches Keras", () => {
        // Keras names optimizers with a global counter, reset by the script before each case.
        clearSession();
        const config = createOptimizer(referenceCase.optimizer, referenceCase.kwargs).getConfig();
        assert.deepEqual(Object.keys(config), Object.keys(referenceCase.config), "keys in order");
        for (const [key, value] of Object.entries(referenceCase.config)) {
          assert.deepEqual(config[key], value, key);
        }
      });
    });
  }
});

// Keras 3.15.1 values for one scalar weight w0 = 1 under a constant gradient 0.5,
// after the first and the second step.
const TWO_STEP_GOLDEN: { label: string; create: () => Optimizer; expected: [number, number] }[] = [
  { label: "SGD(0.1)", create: () => new SGD({ learningRate: 0.1 }), expected: [0.95, 0.9] },
  { label: "SGD(0.1, momentum 0.9)", create: () => new SGD({ learningRate: 0.1, momentum: 0.9 }), expected: [0.95, 0.855] },
  {
    label: "SGD(0.1, Nesterov momentum 0.9)",
    create: () => new SGD({ learningRate: 0.1, momentum: 0.9, nesterov: true }),
    expected: [0.905, 0.7695],
  },
  { label: "Adam(0.001)", create: () => new Adam({ learningRate: 0.001 }), expected: [0.9990000129, 0.9980000257] },
  { label: "Adam(0.1)", create: () => new Adam({ learningRate: 0.1 }), expected: [0.9000012875, 0.8000027537] },
  { label: "AdamW(0.001)", create: () => new AdamW({ learningRate: 0.001 }), expected: [0.9989960194, 0.9979920387] },
  { label: "RMSprop(0.001)", create: () => new RMSprop({ learningRate: 0.001 }), expected: [0.9968377352, 0.9945435524] },
  { label: "Adagrad(0.001)", create: () => new Adagrad({ learningRate: 0.001 }), expected: [0.9991548657, 0.9985093474] },
];

// The same scalar under the constant gradient 3, clipped to norm 0.1.
const CLIPNORM_GOLDEN: [number, number] = [0.99, 0.98];

describe("two-step golden values", () => {
  test(
    "SGD(0.1, clipnorm 0.1)",
    forEachBackend((backend) => {
      const optimizer = new SGD({ learningRate: 0.1, clipnorm: 0.1 });
      const w = new Variable({ name: "w", path: "w", value: tensor([1]), trainable: true });
      CLIPNORM_GOLDEN.forEach((value, step) => {
        optimizer.applyGradients([tensor([3])], [w]);
        assertClose(w.value.data, [value], { ...TOLERANCE, message: `${backend}, step ${step + 1}` });
      });
    }),
  );

  for (const { label, create, expected } of TWO_STEP_GOLDEN) {
    test(
      label,
      forEachBackend((backend) => {
        const optimizer = create();
        const w = new Variable({ name: "w", path: "w", value: tensor([1]), trainable: true });
        expected.forEach((value, step) => {
          optimizer.applyGradients([tensor([0.5])], [w]);
          assertClose(w.value.data, [value], {
            ...TOLERANCE,
            message: `${backend}, step ${step + 1}`,
          });
        });
      }),
    );
  }
});
