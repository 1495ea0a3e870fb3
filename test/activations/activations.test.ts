import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import * as activations from "../../src/activations/index.js";
import { ValueError } from "../../src/errors.js";
import { type NestedArray, tensor } from "../../src/tensor/tensor.js";
import { assertClose } from "../helpers/close.js";

interface ActivationCase {
  name: string;
  x: NestedArray;
  expected: NestedArray;
}

const reference = JSON.parse(
  readFileSync(new URL("../fixtures/reference/activations.json", import.meta.url), "utf8"),
) as { keras_version: string; cases: ActivationCase[] };

describe("activations against Keras", () => {
  test("reference file has cases", () => {
    assert.equal(reference.keras_version, "3.15.1");
    assert.ok(reference.cases.length > 0);
  });

  reference.cases.forEach((entry, index) => {
    test(`${entry.name} reference case ${index}`, () => {
      const x = tensor(entry.x);
      const y = activations.get(entry.name)(x);
      assert.equal(y.dtype, "float32");
      assert.deepEqual(y.shape, tensor(entry.expected).shape);
      assertClose(y.toArray(), entry.expected, { rtol: 1e-6, atol: 1e-7, message: entry.name });
    });
  });
});

describe("activations.get", () => {
  test("null and undefined are linear", () => {
    assert.equal(activations.get(null), activations.linear);
    assert.equal(activations.get(undefined), activations.linear);
  });

  test("serialize returns Keras names", () => {
    for (const name of ["linear", "relu", "sigmoid", "tanh", "softmax"]) {
      assert.equal(activations.serialize(activations.get(name)), name);
    }
  });

  test("unknown name lists valid ones", () => {
    assert.throws(
      () => activations.get("relu7"),
      (error: Error) => {
        assert.ok(error instanceof ValueError);
        assert.match(error.message, /"relu7"/);
        for (const name of ["linear", "relu", "sigmoid", "tanh", "softmax"]) assert.match(error.message, new RegExp(`"${name}"`));
        return true;
      },
    );
  });
});
