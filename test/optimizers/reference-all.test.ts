import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { Variable } from "../../src/layers/variable.js";
import { type Optimizer, deserialize, schedules, serialize } from "../../src/optimizers/index.js";
import { tensor } from "../../src/tensor/tensor.js";
import type { NestedArray } from "../../src/tensor/tensor.js";
import { clearSession } from "../../src/utils/naming.js";
import { forEachBackend } from "../helpers/backends.js";
import { assertClose } from "../helpers/close.js";

/**
 * Trajectories recorded with Keras 3.15.1 by test/reference/optimizers_all.py.
 * Every case starts from the same three variables and applies the same
 * gradients. The file also holds schedule values and two-step scalar values.
 */
interface Reference {
  keras_version: string;
  initial: Record<string, NestedArray>;
  gradients: Record<string, NestedArray>[];
  cases: {
    name: string;
    optimizer: string;
    kwargs: Record<string, unknown>;
    config: Record<string, unknown>;
    learning_rates: number[];
    after_step: Record<string, NestedArray>[];
    variables: { name: string; dtype: string; value: NestedArray }[];
    finalized?: Record<string, NestedArray>;
  }[];
  schedules: {
    name: string;
    class_name: string;
    config: Record<string, unknown>;
    serialized: Record<string, unknown>;
    values: number[];
  }[];
  two_step: { optimizer: string; kwargs: Record<string, unknown>; values: [number, number] }[];
}

const reference = JSON.parse(
  readFileSync(new URL("../fixtures/reference/optimizers_all.json", import.meta.url), "utf8"),
) as Reference;

const NAMES = Object.keys(reference.initial);

// Float32 tolerance: the TypeScript backend computes each element in float64 and
// rounds once per stored value, while Keras rounds every float32 operation.
const TOLERANCE = { rtol: 2e-6, atol: 1e-7 };
// Ftrl divides differences of powers of the accumulator, which loses a few more
// digits to cancellation in Keras's float32 arithmetic.
const CASE_TOLERANCE: Record<string, { rtol: number; atol: number }> = {
  "ftrl defaults": { rtol: 2e-5, atol: 1e-6 },
  "ftrl regularized": { rtol: 2e-5, atol: 1e-6 },
};

/** Builds the optimizer of a case from its Keras keyword arguments, through `deserialize`. */
function createOptimizer(className: string, kwargs: Record<string, unknown>): Optimizer {
  const config: Record<string, unknown> = { ...kwargs };
  const rate = config["learning_rate"];
  if (rate !== null && typeof rate === "object") config["learning_rate"] = { module: "keras.optimizers.schedules", ...rate };
  return deserialize({ class_name: className, config });
}

function createVariables(): Variable[] {
  return NAMES.map((name) => new Variable({ name, path: name, value: tensor(reference.initial[name]!), trainable: true }));
}

function gradientsAt(step: number) {
  return NAMES.map((name) => tensor(reference.gradients[step]![name]!));
}

describe("optimizers against Keras trajectories", () => {
  test("fixture covers every optimizer and schedule", () => {
    assert.equal(reference.keras_version, "3.15.1");
    const classes = new Set(reference.cases.map((c) => c.optimizer));
    for (const name of ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "Nadam", "Lion", "Lamb", "Ftrl", "Adafactor"]) {
      assert.ok(classes.has(name), name);
    }
    const scheduleClasses = new Set(reference.schedules.map((s) => s.class_name));
    assert.equal(scheduleClasses.size, 6, [...scheduleClasses].join(", "));
  });

  for (const referenceCase of reference.cases) {
    const tolerance = CASE_TOLERANCE[referenceCase.name] ?? TOLERANCE;
    describe(referenceCase.name, () => {
      test(
        "variables after each step",
        forEachBackend((backend) => {
          const optimizer = createOptimizer(referenceCase.optimizer, referenceCase.kwargs);
          const variables = createVariables();
          reference.gradients.forEach((_, step) => {
            assertClose([optimizer.learningRate], [referenceCase.learning_rates[step]!], {
              ...TOLERANCE,
              message: `${backend}, learning rate before step ${step + 1}`,
            });
            optimizer.applyGradients(gradientsAt(step), variables);
            for (const variable of variables) {
              assertClose(variable.value.toArray(), referenceCase.after_step[step]![variable.name], {
                ...tolerance,
                message: `${backend}, ${variable.name} after step ${step + 1}`,
              });
            }
          });
          if (referenceCase.finalized) {
            optimizer.finalizeVariableValues();
            for (const variable of variables) {
              assertClose(variable.value.toArray(), referenceCase.finalized[variable.name], {
                ...tolerance,
                message: `${backend}, ${variable.name} after finalizeVariableValues`,
              });
            }
          }
        }),
      );

      test(
        "state variables in order",
        forEachBackend((backend) => {
          const optimizer = createOptimizer(referenceCase.optimizer, referenceCase.kwargs);
          const variables = createVariables();
          reference.gradients.forEach((_, step) => optimizer.applyGradients(gradientsAt(step), variables));
          const state = optimizer.variables;
          assert.deepEqual(
            state.map((v) => v.name),
            referenceCase.variables.map((v) => v.name),
            `${backend}: names in order`,
          );
          referenceCase.variables.forEach((expected, i) => {
            const actual = state[i]!;
            assert.equal(actual.value.dtype, expected.dtype, `${backend}: dtype of ${expected.name}`);
            if (expected.dtype === "int32") {
              assert.deepEqual(actual.value.toArray(), expected.value, `${backend}: ${expected.name}`);
            } else {
              assertClose(actual.value.toArray(), expected.value, { ...tolerance, message: `${backend}: ${expected.name}` });
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

      test("config round trip", () => {
        const optimizer = createOptimizer(referenceCase.optimizer, referenceCase.kwargs);
        const restored = deserialize(serialize(optimizer) as { class_name: string; config: Record<string, unknown> });
        assert.equal(restored.className, optimizer.className);
        assert.deepEqual(restored.getConfig(), optimizer.getConfig());
      });

      test("state restored by setVariables", () => {
        const half = Math.floor(reference.gradients.length / 2);
        const original = createOptimizer(referenceCase.optimizer, referenceCase.kwargs);
        const variables = createVariables();
        for (let step = 0; step < half; step++) original.applyGradients(gradientsAt(step), variables);

        const copies = variables.map((v) => new Variable({ name: v.name, path: v.path, value: v.read(), trainable: true }));
        const restored = createOptimizer(referenceCase.optimizer, referenceCase.kwargs);
        restored.build(copies);
        restored.setVariables(original.variables.map((v) => v.value));
        assert.equal(restored.iterations, original.iterations);
        for (let step = half; step < reference.gradients.length; step++) {
          original.applyGradients(gradientsAt(step), variables);
          restored.applyGradients(gradientsAt(step), copies);
        }
        variables.forEach((variable, i) => {
          assert.deepEqual(copies[i]!.value.toArray(), variable.value.toArray(), variable.name);
        });
      });
    });
  }
});

describe("schedules against Keras", () => {
  for (const expected of reference.schedules) {
    test(expected.name, () => {
      const schedule = schedules.deserialize({ class_name: expected.class_name, config: expected.config });
      assert.deepEqual(schedules.serialize(schedule), expected.serialized, "serialized form");
      const values = expected.values.map((_, step) => schedule.call(step));
      assertClose(values, expected.values, { rtol: 1e-6, atol: 1e-9, message: expected.name });
    });
  }
});

describe("two-step values against Keras", () => {
  for (const { optimizer: className, kwargs, values } of reference.two_step) {
    test(
      className,
      forEachBackend((backend) => {
        const optimizer = createOptimizer(className, kwargs);
        const w = new Variable({ name: "w", path: "w", value: tensor([1]), trainable: true });
        values.forEach((value, step) => {
          optimizer.applyGradients([tensor([0.5])], [w]);
          assertClose(w.value.data, [value], { ...TOLERANCE, message: `${backend}, step ${step + 1}` });
        });
      }),
    );
  }
});
