import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ShapeError, ValueError } from "../../src/errors.js";
import * as ops from "../../src/ops/index.js";
import { RandomGenerator } from "../../src/random.js";
import { Tensor, tensor } from "../../src/tensor/tensor.js";
import { assertClose } from "../helpers/close.js";

const x234 = tensor(Array.from({ length: 2 }, (_, i) => Array.from({ length: 3 }, (_, j) => [0, 1, 2, 3].map((k) => 12 * i + 4 * j + k))));

describe("reduction values", () => {
  test("sum over axes", () => {
    // x[i][j][k] = 12i + 4j + k.
    assert.equal(ops.sum(x234).item(), 276);
    assert.deepEqual(ops.sum(x234, 0).toArray(), [[12, 14, 16, 18], [20, 22, 24, 26], [28, 30, 32, 34]]);
    assert.deepEqual(ops.sum(x234, -1).toArray(), [[6, 22, 38], [54, 70, 86]]);
    assert.deepEqual(ops.sum(x234, [0, 2]).toArray(), [60, 92, 124]);
  });

  test("keepDims keeps unit axes", () => {
    assert.deepEqual(ops.sum(x234, 1, true).shape, [2, 1, 4]);
    assert.deepEqual(ops.sum(x234, undefined, true).shape, [1, 1, 1]);
    assert.deepEqual(ops.mean(x234, [0, 2], true).toArray(), [[[7.5], [11.5], [15.5]]]);
  });

  test("mean divides by count", () => {
    assert.equal(ops.mean(x234).item(), 11.5);
    assert.deepEqual(ops.mean(x234, 2).toArray(), [[1.5, 5.5, 9.5], [13.5, 17.5, 21.5]]);
  });

  test("invalid axis is rejected", () => {
    assert.throws(() => ops.sum(x234, 3), ShapeError);
  });
});

describe("shape ops", () => {
  test("reshape infers one axis", () => {
    const y = ops.reshape(x234, [4, -1]);
    assert.deepEqual(y.shape, [4, 6]);
    assert.deepEqual(Array.from(y.data), Array.from(x234.data));
  });

  test("reshape rejects wrong size", () => {
    assert.throws(
      () => ops.reshape(x234, [5, -1]),
      (error: Error) => {
        assert.ok(error instanceof ShapeError);
        assert.match(error.message, /\(2, 3, 4\)/);
        assert.match(error.message, /\(5, -1\)/);
        return true;
      },
    );
    assert.throws(() => ops.reshape(x234, [7, 3]), ShapeError);
  });
});

describe("linear algebra ops", () => {
  test("matmul hand-computed values", () => {
    // [[1, 2, 3]] · [[1, 0], [0, 1], [1, 1]] = [[4, 5]].
    assert.deepEqual(ops.matmul(tensor([[1, 2, 3]]), tensor([[1, 0], [0, 1], [1, 1]])).toArray(), [[4, 5]]);
  });

  test("matmul rejects mismatched shapes", () => {
    assert.throws(() => ops.matmul(tensor([[1, 2, 3]]), tensor([[1, 2]])), /\(1, 3\).*\(1, 2\)/);
  });

  test("dense on rank-3 input", () => {
    // Each row [a, b] maps to [a + b + 1, a − b − 1] before the relu.
    const x = tensor([[[1, 2], [3, 1]], [[0, 0], [2, -2]]]);
    const y = ops.dense(x, tensor([[1, 1], [1, -1]]), tensor([1, -1]), "relu");
    assert.deepEqual(y.shape, [2, 2, 2]);
    assert.deepEqual(y.toArray(), [[[4, 0], [5, 1]], [[1, 0], [1, 3]]]);
  });

  test("dense rejects wrong bias", () => {
    const x = tensor([[1, 2]]);
    const kernel = tensor([[1, 0, 0], [0, 1, 0]]);
    for (const bias of [tensor([1, 2]), tensor([1, 2, 3, 4]), tensor([[1, 2, 3]])]) {
      assert.throws(
        () => ops.dense(x, kernel, bias, "linear"),
        (error: Error) => {
          assert.ok(error instanceof ShapeError);
          assert.match(error.message, /\(3,\)/, "names the expected bias shape");
          return true;
        },
      );
    }
  });

  test("dense rejects wrong kernel", () => {
    assert.throws(() => ops.dense(tensor([[1, 2]]), tensor([1, 2]), null, "linear"), ShapeError);
    assert.throws(() => ops.dense(tensor([[1, 2, 3]]), tensor([[1], [2]]), null, "linear"), /last axis is 2/);
  });
});

describe("elementwise ops", () => {
  test("int32 inputs are rejected", () => {
    const ints = tensor([1, 2], undefined, "int32");
    assert.throws(() => ops.exp(ints), ValueError);
    assert.throws(() => ops.add(ints, ints), /int32/);
  });

  test("mixed dtypes are rejected", () => {
    assert.throws(() => ops.mul(tensor([1]), tensor([1], undefined, "float64")), /float32 and float64/);
  });

  test("broadcast error names shapes", () => {
    assert.throws(() => ops.add(tensor([[1, 2, 3]]), tensor([1, 2])), /\(1, 3\).*\(2,\)/);
  });

  test("clip bounds values", () => {
    assert.deepEqual(ops.clip(tensor([-2, 0.25, 3]), -1, 1).toArray(), [-1, 0.25, 1]);
  });
});

describe("neural network ops", () => {
  test("softmax of scalar is rejected", () => {
    assert.throws(() => ops.softmax(tensor(1)), ShapeError);
  });

  test("softmax over last axis", () => {
    // Each row [a, a + ln 3] gives [1/4, 3/4].
    const y = ops.softmax(tensor([[[0, Math.log(3)]], [[5, 5 + Math.log(3)]]], undefined, "float64"));
    assertClose(y.data, [0.25, 0.75, 0.25, 0.75], { rtol: 1e-12, atol: 0 });
  });

  test("dropout rate zero returns input", () => {
    const x = tensor([1, 2, 3]);
    assert.equal(ops.dropout(x, 0), x);
  });

  test("dropout keeps expected value", () => {
    const x = new Tensor(new Float32Array(20000).fill(1), [20000]);
    const y = ops.dropout(x, 0.25, new RandomGenerator(17));
    const keptValues = Array.from(y.data).filter((v) => v !== 0);
    for (const v of keptValues) assert.equal(v, Math.fround(1 / 0.75));
    // 15000 kept on average, with a standard deviation of about 61.
    assert.ok(Math.abs(keptValues.length - 15000) < 400, `${keptValues.length} kept`);
  });

  test("sparse label count mismatch", () => {
    assert.throws(
      () => ops.sparseCategoricalCrossentropy(new Int32Array([0]), tensor([[0.5, 0.5], [0.5, 0.5]]), 1e-7),
      /1 labels.*\(2, 2\)/,
    );
  });
});

describe("NaN propagation", () => {
  test("relu keeps NaN", () => {
    const out = ops.relu(tensor([NaN, -1, 2]));
    assert.ok(Number.isNaN(out.data[0]));
    assert.deepEqual(Array.from(out.data.subarray(1)), [0, 2]);
  });

  test("maximum and minimum keep NaN", () => {
    for (const op of [ops.maximum, ops.minimum]) {
      const left = op(tensor([NaN, 1]), tensor([0, NaN]));
      assert.ok(Number.isNaN(left.data[0]), `${op.name} with NaN first`);
      assert.ok(Number.isNaN(left.data[1]), `${op.name} with NaN second`);
    }
  });
});
