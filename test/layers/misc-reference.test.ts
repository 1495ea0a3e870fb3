import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { deserialize } from "../../src/layers/index.js";
import type { Layer } from "../../src/layers/layer.js";
import { type NestedArray, type Tensor, tensor } from "../../src/tensor/tensor.js";
import { forEachBackend } from "../helpers/backends.js";
import { assertClose } from "../helpers/close.js";

interface ReferenceCase {
  name: string;
  class_name: string;
  config: Record<string, unknown>;
  inputs: NestedArray[];
  multiple_inputs: boolean;
  weights: NestedArray[];
  training: boolean;
  mask?: NestedArray;
  expected: NestedArray;
  weights_after: NestedArray[];
}

const reference = JSON.parse(
  readFileSync(new URL("../fixtures/reference/layers_misc.json", import.meta.url), "utf8"),
) as { keras_version: string; cases: ReferenceCase[] };

function buildFromKeras(entry: ReferenceCase): { layer: Layer; inputs: Tensor[] } {
  const layer = deserialize({ class_name: entry.class_name, config: entry.config });
  const inputs = entry.inputs.map((x) => tensor(x));
  const shapes = inputs.map((x) => [null, ...x.shape.slice(1)]);
  layer.build(entry.multiple_inputs ? shapes : shapes[0]!);
  if (entry.weights.length > 0) layer.setWeights(entry.weights.map((w) => tensor(w)));
  return { layer, inputs };
}

describe("misc layers against Keras", () => {
  test("reference file has cases", () => {
    assert.equal(reference.keras_version, "3.15.1");
    assert.ok(reference.cases.length > 0);
  });

  for (const entry of reference.cases) {
    test(
      `${entry.name} output`,
      forEachBackend(() => {
        const { layer, inputs } = buildFromKeras(entry);
        const options = { training: entry.training, ...(entry.mask === undefined ? {} : { mask: tensor(entry.mask) }) };
        const output = layer.apply(entry.multiple_inputs ? inputs : inputs[0]!, options) as Tensor;
        assert.deepEqual([...output.shape], [...tensor(entry.expected).shape], "output shape");
        assertClose(output.toArray(), entry.expected, { rtol: 1e-5, atol: 1e-6, message: `${entry.name} output` });
        layer.getWeights().forEach((w, i) => {
          assertClose(w.toArray(), entry.weights_after[i], { rtol: 1e-5, atol: 1e-6, message: `${entry.name} weight ${i} after the call` });
        });
      }),
    );

    test(`${entry.name} config matches Keras`, () => {
      const { layer } = buildFromKeras(entry);
      const config = layer.getConfig();
      assert.deepEqual(Object.keys(config), Object.keys(entry.config), "config keys in Keras's order");
      assert.deepEqual(config, entry.config);
    });
  }
});
