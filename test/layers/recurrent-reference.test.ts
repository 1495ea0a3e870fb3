import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { deserialize } from "../../src/layers/index.js";
import { getMask } from "../../src/layers/layer.js";
import { type NestedArray, Tensor, tensor } from "../../src/tensor/tensor.js";
import { forEachBackend } from "../helpers/backends.js";
import { assertClose } from "../helpers/close.js";

interface ReferenceLayer {
  class_name: string;
  config: Record<string, unknown>;
  weights: NestedArray[];
}

interface ReferenceCase {
  name: string;
  input: NestedArray;
  input_dtype?: "int32";
  mask?: NestedArray;
  initial_states?: NestedArray[];
  layers: ReferenceLayer[];
  embedding_output?: NestedArray;
  embedding_mask?: NestedArray;
  outputs: NestedArray[];
}

const reference = JSON.parse(
  readFileSync(new URL("../fixtures/reference/recurrent.json", import.meta.url), "utf8"),
) as { keras_version: string; cases: ReferenceCase[] };

function runCase(entry: ReferenceCase): Tensor[] {
  const input = entry.input_dtype === "int32" ? tensor(entry.input, undefined, "int32") : tensor(entry.input);
  let current: Tensor | Tensor[] = entry.initial_states ? [input, ...entry.initial_states.map((s) => tensor(s))] : input;
  entry.layers.forEach((spec, index) => {
    const layer = deserialize(spec);
    const first = Array.isArray(current) ? current[0]! : current;
    layer.build([null, ...first.shape.slice(1)]);
    layer.setWeights(spec.weights.map((w) => tensor(w)));
    const options = index === 0 && entry.mask ? { training: false, mask: tensor(entry.mask) } : { training: false };
    const result: Tensor | Tensor[] = layer.apply(current, options);
    if (index === 0 && entry.embedding_output) {
      assertClose((result as Tensor).toArray(), entry.embedding_output, { message: "embedding output" });
      const mask = getMask(result as Tensor);
      assert.ok(mask, "Embedding with maskZero attaches a mask");
      assert.deepEqual(mask.toArray(), entry.embedding_mask, "embedding mask");
    }
    current = result;
  });
  return Array.isArray(current) ? current : [current];
}

/** Drops the `build_config` entries Keras adds to nested serialized layers; `getConfig` does not write them. */
function withoutBuildConfig(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutBuildConfig);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>)
      .filter(([key]) => key !== "build_config")
      .map(([key, v]) => [key, withoutBuildConfig(v)]),
  );
}

describe("recurrent layer configs against Keras", () => {
  for (const entry of reference.cases) {
    test(entry.name, () => {
      for (const spec of entry.layers) {
        const config = deserialize(spec).getConfig();
        const expected = withoutBuildConfig(spec.config);
        assert.deepEqual(Object.keys(config), Object.keys(expected as object), `${spec.class_name} config keys in Keras's order`);
        assert.deepEqual(JSON.parse(JSON.stringify(config)), expected, `${spec.class_name} config`);
      }
    });
  }
});

describe("recurrent layers against Keras", () => {
  test("reference file has cases", () => {
    assert.equal(reference.keras_version, "3.15.1");
    assert.ok(reference.cases.length > 0);
  });

  for (const entry of reference.cases) {
    test(
      entry.name,
      forEachBackend((backend) => {
        const outputs = runCase(entry);
        assert.equal(outputs.length, entry.outputs.length, `${backend}: number of outputs`);
        outputs.forEach((output, i) => {
          assert.deepEqual([...output.shape], [...tensor(entry.outputs[i]!).shape], `${backend}: shape of output ${i}`);
          assertClose(output.toArray(), entry.outputs[i], { rtol: 1e-4, atol: 1e-5, message: `${backend}: output ${i}` });
        });
      }),
    );
  }
});
