// Rebuilds every layer of test/fixtures/reference/attention_conv.json from its Keras config,
// loads the Keras weights and compares outputs (with masks, causal masks and attention scores)
// on every backend.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { type Layer, type MultiHeadAttentionCallOptions, deserialize, setMask } from "../../src/layers/index.js";
import { type NestedArray, type Tensor, tensor } from "../../src/tensor/tensor.js";
import { forEachBackend } from "../helpers/backends.js";
import { assertClose } from "../helpers/close.js";

interface ReferenceCase {
  class_name: string;
  config: Record<string, unknown>;
  weights: NestedArray[];
  weight_paths: string[];
  weight_shapes: number[][];
  inputs: NestedArray[];
  masks: (number[][] | null)[] | null;
  call: { return_attention_scores?: boolean; use_causal_mask?: boolean };
  attention_mask: NestedArray | null;
  expected: NestedArray[];
  expected_shapes: number[][];
}

const reference = JSON.parse(
  readFileSync(new URL("../fixtures/reference/attention_conv.json", import.meta.url), "utf8"),
) as { keras_version: string; cases: ReferenceCase[] };

const HIDDEN_KEYS = new Set(["name", "trainable", "dtype", "kernel_initializer", "bias_initializer", "depthwise_initializer", "pointwise_initializer"]);

function describeCase(entry: ReferenceCase): string {
  const shown = Object.entries(entry.config)
    .filter(([k, v]) => !HIDDEN_KEYS.has(k) && v !== null && v !== false && v !== "channels_last" && !k.endsWith("regularizer") && !k.endsWith("constraint"))
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  const extras = [...Object.keys(entry.call), entry.masks ? "masks" : "", entry.attention_mask ? "attention_mask" : ""].filter((s) => s !== "");
  return `${entry.class_name}(${shown.join(", ")})${extras.length > 0 ? ` with ${extras.join(", ")}` : ""}`;
}

/** Weight paths without the layer's own name, as Keras's paths below the layer. */
function relativePaths(layer: Layer): string[] {
  return layer.weights.map((w) => w.path.slice(layer.name.length + 1));
}

describe("attention, depthwise and 3-D layers against Keras", () => {
  test("reference file is from Keras 3.15.1", () => {
    assert.equal(reference.keras_version, "3.15.1");
    assert.ok(reference.cases.length > 0);
  });

  reference.cases.forEach((entry, index) => {
    test(
      `${index}: ${describeCase(entry)}`,
      forEachBackend(() => {
        const layer = deserialize({ class_name: entry.class_name, config: structuredClone(entry.config) });
        const inputs = entry.inputs.map((x) => tensor(x));
        const shapes = inputs.map((x) => [null, ...x.shape.slice(1)]);
        layer.build(inputs.length === 1 ? shapes[0]! : shapes);
        assert.deepEqual(layer.getConfig(), entry.config, "config matches Keras's");
        assert.deepEqual(relativePaths(layer), entry.weight_paths, "weight paths");
        assert.deepEqual(
          layer.weights.map((w) => [...w.shape]),
          entry.weight_shapes,
          "weight shapes",
        );
        layer.setWeights(entry.weights.map((w) => tensor(w)));
        entry.masks?.forEach((mask, i) => {
          if (mask) setMask(inputs[i]!, tensor(mask, undefined, "float32"));
        });
        const options: MultiHeadAttentionCallOptions = {
          returnAttentionScores: entry.call.return_attention_scores ?? false,
          useCausalMask: entry.call.use_causal_mask ?? false,
        };
        if (entry.attention_mask) options.attentionMask = tensor(entry.attention_mask, undefined, "float32");
        const result = layer.apply(inputs.length === 1 ? inputs[0]! : inputs, options);
        const outputs: Tensor[] = Array.isArray(result) ? result : [result];
        assert.equal(outputs.length, entry.expected.length, "number of outputs");
        outputs.forEach((output, i) => {
          assert.deepEqual([...output.shape], entry.expected_shapes[i], `shape of output ${i}`);
          assertClose(output.data, entry.expected[i]!, { rtol: 1e-5, atol: 1e-5, message: `output ${i}` });
        });
      }),
    );
  });
});
