import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { Discretization, Normalization, deserialize, getMask } from "../../src/layers/index.js";
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
  mask?: NestedArray;
  adapt?: NestedArray;
  expected: NestedArray;
  expected_mask?: NestedArray;
  weights_after: NestedArray[];
}

const reference = JSON.parse(
  readFileSync(new URL("../fixtures/reference/layers_more.json", import.meta.url), "utf8"),
) as { keras_version: string; cases: ReferenceCase[] };

/** Rebuilds the layer from Keras's config, or for adapt cases from the unadapted config plus `adapt`. */
function buildFromKeras(entry: ReferenceCase): { layer: Layer; inputs: Tensor[] } {
  const inputs = entry.inputs.map((x) => tensor(x));
  if (entry.adapt !== undefined) {
    const config = { ...entry.config };
    if (entry.class_name === "Discretization") config["bin_boundaries"] = null;
    const layer = deserialize({ class_name: entry.class_name, config });
    (layer as Normalization | Discretization).adapt(tensor(entry.adapt));
    return { layer, inputs };
  }
  const layer = deserialize({ class_name: entry.class_name, config: entry.config });
  const shapes = inputs.map((x) => [null, ...x.shape.slice(1)]);
  if (!layer.built) layer.build(entry.multiple_inputs ? shapes : shapes[0]!);
  if (entry.weights.length > 0) layer.setWeights(entry.weights.map((w) => tensor(w)));
  return { layer, inputs };
}

describe("more layers against Keras", () => {
  test("reference file has cases", () => {
    assert.equal(reference.keras_version, "3.15.1");
    assert.ok(reference.cases.length > 0);
  });

  for (const entry of reference.cases) {
    test(
      `${entry.name} output`,
      forEachBackend(() => {
        const { layer, inputs } = buildFromKeras(entry);
        const options = entry.mask === undefined ? {} : { mask: tensor(entry.mask) };
        const output = layer.apply(entry.multiple_inputs ? inputs : inputs[0]!, options) as Tensor;
        assert.deepEqual([...output.shape], [...tensor(entry.expected).shape], "output shape");
        assertClose(output.toArray(), entry.expected, { rtol: 1e-5, atol: 1e-6, message: `${entry.name} output` });
        if (entry.expected_mask !== undefined) {
          assert.deepEqual(getMask(output)?.toArray(), entry.expected_mask, "output mask");
        }
        const weights = layer.getWeights();
        entry.weights_after.forEach((w, i) => {
          assertClose(weights[i]!.toArray(), w, { rtol: 1e-5, atol: 1e-6, message: `${entry.name} weight ${i}` });
        });
      }),
    );

    test(`${entry.name} config matches Keras`, () => {
      const { layer } = buildFromKeras(entry);
      const config = layer.getConfig();
      assert.deepEqual(Object.keys(config), Object.keys(entry.config), "config keys in Keras's order");
      const stored = JSON.parse(JSON.stringify(config)) as Record<string, unknown>;
      if (entry.class_name === "Discretization" && entry.adapt !== undefined) {
        // Adapted boundaries are estimates, so they are compared with a tolerance and the rest exactly.
        assertClose(stored["bin_boundaries"], entry.config["bin_boundaries"], { rtol: 1e-6, message: "adapted bin boundaries" });
        stored["bin_boundaries"] = entry.config["bin_boundaries"];
      }
      assert.deepEqual(stored, entry.config);
    });
  }
});
