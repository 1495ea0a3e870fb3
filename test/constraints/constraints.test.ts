import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { valueAndGradients } from "../../src/autodiff/tape.js";
import * as constraints from "../../src/constraints/index.js";
import { ValueError } from "../../src/errors.js";
import * as ops from "../../src/ops/index.js";
import { type NestedArray, Tensor, tensor } from "../../src/tensor/tensor.js";
import { forEachBackend } from "../helpers/backends.js";
import { assertClose, flat } from "../helpers/close.js";
import { checkGradients } from "../helpers/gradcheck.js";

interface ConstraintCase {
  name: string;
  serialized: constraints.SerializedConstraint;
  w: NestedArray;
  shape: number[];
  probe: NestedArray;
  value: NestedArray;
  gradient: NestedArray;
}

const reference = JSON.parse(readFileSync(new URL("../fixtures/reference/regularizers.json", import.meta.url), "utf8")) as {
  keras_version: string;
  constraints: ConstraintCase[];
};

function float64(values: NestedArray, shape: number[]): Tensor {
  return new Tensor(Float64Array.from(flat(values)), shape);
}

describe("constraints against Keras", () => {
  it("reference file has cases", () => {
    assert.equal(reference.keras_version, "3.15.1");
    assert.ok(reference.constraints.length >= 9);
  });

  for (const entry of reference.constraints) {
    it(
      `${entry.name} value and gradient`,
      forEachBackend((backend) => {
        const constraint = constraints.deserialize(entry.serialized)!;
        const w = tensor(entry.w);
        const probe = tensor(entry.probe);
        const projected = constraint.call(w);
        assert.deepEqual([...projected.shape], entry.shape);
        assertClose(projected.toArray(), entry.value, { rtol: 1e-5, atol: 1e-6, message: `${entry.name} value on ${backend}` });
        const { gradients } = valueAndGradients(() => ops.sum(ops.mul(constraint.call(w), probe)), [w]);
        assertClose(gradients[0]!.toArray(), entry.gradient, { rtol: 1e-4, atol: 1e-5, message: `${entry.name} gradient on ${backend}` });
      }),
    );

    it(`${entry.name} serializes as Keras does`, () => {
      assert.deepEqual(constraints.serialize(constraints.deserialize(entry.serialized)), entry.serialized);
    });
  }

  it("gradients match finite differences in float64", () => {
    for (const entry of reference.constraints) {
      const constraint = constraints.deserialize(entry.serialized)!;
      checkGradients((w) => constraint.call(w), [float64(entry.w, entry.shape)]);
    }
  });
});

describe("constraints.get", () => {
  it("string identifiers and defaults", () => {
    const maxNorm = constraints.get("max_norm");
    assert.ok(maxNorm instanceof constraints.MaxNorm);
    assert.deepEqual(maxNorm.getConfig(), { max_value: 2, axis: 0 });
    assert.ok(constraints.get("non_neg") instanceof constraints.NonNeg);
    assert.deepEqual(constraints.get("unit_norm")!.getConfig(), { axis: 0 });
    assert.deepEqual(constraints.get("min_max_norm")!.getConfig(), { min_value: 0, max_value: 1, rate: 1, axis: 0 });
    assert.ok(constraints.get("MinMaxNorm") instanceof constraints.MinMaxNorm);
  });

  it("the base constraint is the identity", () => {
    const identity = constraints.get("constraint")!;
    const w = tensor([-1, 2]);
    assert.deepEqual([...identity.call(w).data], [-1, 2]);
    assert.deepEqual(identity.serialize(), { module: "keras.constraints", class_name: "Constraint", config: {}, registered_name: null });
  });

  it("null and undefined give no constraint", () => {
    assert.equal(constraints.get(null), null);
    assert.equal(constraints.get(undefined), null);
    assert.equal(constraints.serialize(null), null);
  });

  it("unknown name suggests the nearest", () => {
    assert.throws(() => constraints.get("maxnorm", "kernelConstraint"), (error: Error) => {
      assert.ok(error instanceof ValueError);
      assert.match(error.message, /kernelConstraint/);
      assert.match(error.message, /Did you mean "max_norm"\?/);
      return true;
    });
  });

  it("configs with unknown keys are rejected", () => {
    assert.throws(
      () => constraints.deserialize({ class_name: "MaxNorm", config: { max_value: 2, axes: 0 } }),
      /Unknown option "axes" for MaxNorm config\. Did you mean "axis"\?/,
    );
  });

  it("invalid options are rejected", () => {
    assert.throws(() => constraints.maxNorm({ maxValue: Number.NaN }), /Invalid `maxValue` for MaxNorm/);
    assert.throws(() => constraints.unitNorm({ axis: 0.5 }), /Invalid `axis` for UnitNorm/);
    assert.throws(() => constraints.minMaxNorm({ axis: [] }), /Invalid `axis` for MinMaxNorm/);
  });

  it("functions work but cannot be serialized", () => {
    const custom = constraints.get((w: Tensor) => ops.clip(w, -1, 1))!;
    assert.deepEqual([...custom.call(tensor([-3, 0.5])).data], [-1, 0.5]);
    assert.throws(() => custom.serialize(), /cannot be serialized/);
  });
});

describe("norm constraints", () => {
  it("MaxNorm leaves small columns unchanged", () => {
    const projected = constraints.maxNorm({ maxValue: 2 }).call(tensor([[0.3, 3], [0.4, 4]]));
    // Column 0 has norm 0.5 and stays, up to epsilon; column 1 has norm 5 and shrinks to norm 2.
    assertClose(projected.toArray(), [[0.3, 1.2], [0.4, 1.6]], { rtol: 1e-6 });
  });

  it("UnitNorm along the last axis", () => {
    assertClose(constraints.unitNorm({ axis: -1 }).call(tensor([[3, 4]])).toArray(), [[0.6, 0.8]], { rtol: 1e-6 });
  });

  it("MinMaxNorm raises small norms", () => {
    const projected = constraints.minMaxNorm({ minValue: 1, maxValue: 2 }).call(tensor([[0.3], [0.4]]));
    assertClose(projected.toArray(), [[0.6], [0.8]], { rtol: 1e-6 });
  });

  it("NonNeg clears negatives", () => {
    assert.deepEqual([...constraints.nonNeg().call(tensor([-1, 0, 2])).data], [0, 0, 2]);
  });
});
