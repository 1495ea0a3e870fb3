import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { valueAndGradients } from "../../src/autodiff/tape.js";
import { ShapeError, ValueError } from "../../src/errors.js";
import * as ops from "../../src/ops/index.js";
import * as regularizers from "../../src/regularizers/index.js";
import { type NestedArray, Tensor, tensor } from "../../src/tensor/tensor.js";
import { forEachBackend } from "../helpers/backends.js";
import { assertClose, flat } from "../helpers/close.js";
import { checkGradients } from "../helpers/gradcheck.js";

interface RegularizerCase {
  name: string;
  serialized: regularizers.SerializedRegularizer;
  x: NestedArray;
  shape: number[];
  value: number;
  gradient: NestedArray;
}

const reference = JSON.parse(readFileSync(new URL("../fixtures/reference/regularizers.json", import.meta.url), "utf8")) as {
  keras_version: string;
  regularizers: RegularizerCase[];
};

function float64(values: NestedArray, shape: number[]): Tensor {
  return new Tensor(Float64Array.from(flat(values)), shape);
}

describe("regularizers against Keras", () => {
  it("reference file has cases", () => {
    assert.equal(reference.keras_version, "3.15.1");
    assert.ok(reference.regularizers.length >= 9);
  });

  for (const entry of reference.regularizers) {
    it(
      `${entry.name} value and gradient`,
      forEachBackend((backend) => {
        const regularizer = regularizers.deserialize(entry.serialized)!;
        const x = tensor(entry.x);
        const { value, gradients } = valueAndGradients(() => regularizer.call(x), [x]);
        assert.equal(value.rank, 0, `${entry.name} returns a scalar`);
        assert.equal(value.dtype, "float32");
        assertClose([value.item()], [entry.value], { rtol: 1e-5, atol: 1e-7, message: `${entry.name} value on ${backend}` });
        assertClose(gradients[0]!.toArray(), entry.gradient, { rtol: 1e-4, atol: 1e-6, message: `${entry.name} gradient on ${backend}` });
      }),
    );

    it(`${entry.name} serializes as Keras does`, () => {
      assert.deepEqual(regularizers.serialize(regularizers.deserialize(entry.serialized)), entry.serialized);
    });
  }

  it("gradients match finite differences in float64", () => {
    for (const entry of reference.regularizers) {
      const regularizer = regularizers.deserialize(entry.serialized)!;
      if (regularizer instanceof regularizers.L1L2 && regularizer.l1 === 0 && regularizer.l2 === 0) continue;
      checkGradients((x) => regularizer.call(x), [float64(entry.x, entry.shape)]);
    }
  });

  it("float64 weights give float64 penalties", () => {
    const entry = reference.regularizers[0]!;
    const penalty = regularizers.deserialize(entry.serialized)!.call(float64(entry.x, entry.shape));
    assert.equal(penalty.dtype, "float64");
    assertClose([penalty.item()], [entry.value], { rtol: 1e-6 });
  });
});

describe("regularizers.get", () => {
  it("string identifiers and defaults", () => {
    const l1 = regularizers.get("l1");
    assert.ok(l1 instanceof regularizers.L1);
    assert.equal(l1.l1, Math.fround(0.01));
    const l2 = regularizers.get("l2");
    assert.ok(l2 instanceof regularizers.L2);
    assert.equal(l2.l2, 0.01);
    const l1l2 = regularizers.get("l1l2");
    assert.ok(l1l2 instanceof regularizers.L1L2);
    assert.deepEqual(l1l2.getConfig(), { l1: 0, l2: 0 });
    const orthogonal = regularizers.get("orthogonal_regularizer");
    assert.ok(orthogonal instanceof regularizers.OrthogonalRegularizer);
    assert.deepEqual(orthogonal.getConfig(), { factor: Math.fround(0.01), mode: "rows" });
  });

  it("class names work as identifiers", () => {
    assert.ok(regularizers.get("L2") instanceof regularizers.L2);
    assert.ok(regularizers.get("OrthogonalRegularizer") instanceof regularizers.OrthogonalRegularizer);
  });

  it("null and undefined give no regularizer", () => {
    assert.equal(regularizers.get(null), null);
    assert.equal(regularizers.get(undefined), null);
    assert.equal(regularizers.deserialize(null), null);
    assert.equal(regularizers.serialize(null), null);
  });

  it("instances pass through", () => {
    const l2 = regularizers.l2(0.5);
    assert.equal(regularizers.get(l2), l2);
  });

  it("serialized configs and the old form", () => {
    const fromKeras = regularizers.get({ module: "keras.regularizers", class_name: "L2", config: { l2: 0.5 }, registered_name: null });
    assert.equal((fromKeras as regularizers.L2).l2, 0.5);
    const legacy = regularizers.deserialize({ class_name: "L1L2", config: { l1: 0.1, l2: null as unknown as number } });
    assert.deepEqual(legacy!.getConfig(), { l1: 0.1, l2: 0 });
  });

  it("unknown name suggests the nearest", () => {
    assert.throws(() => regularizers.get("l1_l2", "kernelRegularizer"), (error: Error) => {
      assert.ok(error instanceof ValueError);
      assert.match(error.message, /"l1_l2"/);
      assert.match(error.message, /kernelRegularizer/);
      assert.match(error.message, /Did you mean "l1l2"\?/);
      return true;
    });
  });

  it("unknown class asks for registration", () => {
    assert.throws(
      () => regularizers.deserialize({ class_name: "MyPenalty", config: {} }),
      /Unknown regularizer class "MyPenalty".*registerRegularizer/,
    );
  });

  it("rejects negative and non-finite factors", () => {
    assert.throws(() => regularizers.l2(-1), /Invalid `l2` for L2/);
    assert.throws(() => regularizers.l1(Number.NaN), /Invalid `l1` for L1/);
    assert.throws(() => new regularizers.L1L2({ l1: Infinity }), /Invalid `l1` for L1L2/);
    assert.throws(() => new regularizers.OrthogonalRegularizer({ factor: -0.1 }), /Invalid `factor`/);
  });

  it("rejects unknown options and modes", () => {
    assert.throws(() => new regularizers.L2({ l1: 0.1 } as never), /Unknown option "l1" for L2/);
    assert.throws(() => new regularizers.OrthogonalRegularizer({ mode: "diagonal" as never }), /Invalid `mode`/);
  });

  it("functions work but cannot be serialized", () => {
    const custom = regularizers.get(function halfSquares(x: Tensor) {
      return ops.affine(ops.sum(ops.square(x)), 0.5);
    })!;
    assertClose([custom.call(tensor([1, 2])).item()], [2.5]);
    assert.throws(() => custom.serialize(), /"halfSquares" cannot be serialized/);
  });

  it("registered classes deserialize", () => {
    class Scaled extends regularizers.Regularizer {
      constructor(readonly scale: number) {
        super();
      }
      get className(): string {
        return "ScaledSum";
      }
      call(x: Tensor): Tensor {
        return ops.affine(ops.sum(x), this.scale);
      }
      getConfig(): Record<string, unknown> {
        return { scale: this.scale };
      }
    }
    regularizers.registerRegularizer("ScaledSum", (config) => new Scaled(config["scale"] as number));
    const restored = regularizers.deserialize(new Scaled(3).serialize())!;
    assertClose([restored.call(tensor([1, 2])).item()], [9]);
  });
});

describe("OrthogonalRegularizer edge cases", () => {
  it("rejects weights that are not rank 2", () => {
    assert.throws(() => regularizers.get("orthogonal_regularizer")!.call(tensor([1, 2, 3])), ShapeError);
  });

  it("orthogonal rows give zero", () => {
    const penalty = new regularizers.OrthogonalRegularizer({ factor: 1 }).call(tensor([[2, 0, 0], [0, 0, 3]]));
    assertClose([penalty.item()], [0]);
  });

  it("a single row gives NaN as in Keras", () => {
    const penalty = new regularizers.OrthogonalRegularizer().call(tensor([[1, 2]]));
    assert.ok(Number.isNaN(penalty.item()));
  });

  it("a zero row stays finite", () => {
    const penalty = new regularizers.OrthogonalRegularizer({ factor: 1 }).call(tensor([[0, 0], [1, 1]]));
    assertClose([penalty.item()], [0]);
  });
});

describe("L1L2 without factors", () => {
  it("returns a zero scalar of the input's dtype", () => {
    const x = new Tensor(new Float64Array([1, -2]), [2]);
    const penalty = regularizers.get("l1l2")!.call(x);
    assert.equal(penalty.rank, 0);
    assert.equal(penalty.dtype, "float64");
    assert.equal(penalty.item(), 0);
  });
});
