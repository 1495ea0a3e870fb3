// Rebuilds every layer of test/fixtures/reference/convolution.json from its Keras config,
// loads the Keras weights and compares outputs (and, where recorded, gradients) on every backend.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { valueAndGradients } from "../../src/autodiff/tape.js";
import { deserialize } from "../../src/layers/index.js";
import * as ops from "../../src/ops/index.js";
import { type NestedArray, tensor } from "../../src/tensor/tensor.js";
import { forEachBackend } from "../helpers/backends.js";
import { assertClose } from "../helpers/close.js";

interface ReferenceCase {
  class_name: string;
  config: Record<string, unknown>;
  weights: NestedArray[];
  weight_shapes: number[][];
  x: NestedArray;
  mask?: number[][];
  expected: NestedArray;
  expected_shape: number[];
  gradients?: { coefficients: NestedArray; dx: NestedArray; dweights: NestedArray[] };
}

const reference = JSON.parse(
  readFileSync(new URL("../fixtures/reference/convolution.json", import.meta.url), "utf8"),
) as { keras_version: string; cases: ReferenceCase[] };

function describeCase(entry: ReferenceCase): string {
  const { name: _name, trainable: _trainable, dtype: _dtype, kernel_initializer: _k, bias_initializer: _b, ...rest } = entry.config;
  const shown = Object.entries(rest)
    .filter(([, v]) => v !== null && v !== false && v !== "channels_last")
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  return `${entry.class_name}(${shown.join(", ")})`;
}

describe("convolution and pooling layers against Keras", () => {
  test("reference file is from Keras 3.15.1", () => {
    assert.equal(reference.keras_version, "3.15.1");
    assert.ok(reference.cases.length > 0);
  });

  reference.cases.forEach((entry, index) => {
    test(
      `${index}: ${describeCase(entry)}`,
      forEachBackend(() => {
        const layer = deserialize({ class_name: entry.class_name, config: structuredClone(entry.config) });
        assert.deepEqual(layer.getConfig(), entry.config, "config round trip matches Keras's");
        const x = tensor(entry.x);
        const mask = entry.mask ? tensor(entry.mask, undefined, "float32") : null;
        layer.build([null, ...x.shape.slice(1)]);
        assert.deepEqual(
          layer.weights.map((w) => [...w.shape]),
          entry.weight_shapes,
          "weight shapes",
        );
        layer.setWeights(entry.weights.map((w) => tensor(w)));
        const y = layer.apply(x, mask ? { mask } : {});
        assert.deepEqual([...y.shape], entry.expected_shape, "output shape");
        assertClose(y.data, entry.expected, { rtol: 1e-5, atol: 1e-5, message: "output" });

        if (entry.gradients) {
          const coefficients = tensor(entry.gradients.coefficients);
          const sources = [x, ...layer.trainableWeights.map((w) => w.value)];
          const { gradients } = valueAndGradients(() => ops.sum(ops.mul(layer.apply(x), coefficients)), sources);
          assertClose(gradients[0]!.data, entry.gradients.dx, { rtol: 1e-5, atol: 1e-5, message: "input gradient" });
          entry.gradients.dweights.forEach((expected, i) => {
            assertClose(gradients[i + 1]!.data, expected, { rtol: 1e-5, atol: 1e-5, message: `gradient of weight ${i}` });
          });
        }
      }),
    );
  });
});
