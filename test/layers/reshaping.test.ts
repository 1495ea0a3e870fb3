import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ShapeError, ValueError } from "../../src/errors.js";
import { Permute, RepeatVector, Reshape } from "../../src/layers/index.js";
import { tensor } from "../../src/tensor/tensor.js";
import { runLayerTest } from "../helpers/layer-test.js";

describe("Reshape", () => {
  test("layer test with a full shape", () => {
    runLayerTest({
      create: () => new Reshape({ targetShape: [3, 4] }),
      inputShape: [2, 12],
      expectedOutputShape: [null, 3, 4],
      expectedParams: 0,
    });
  });

  test("layer test with -1", () => {
    const { output } = runLayerTest({
      create: () => new Reshape({ targetShape: [-1, 2] }),
      inputShape: [2, 3, 4],
      expectedOutputShape: [null, 6, 2],
      expectedParams: 0,
    });
    assert.deepEqual(output.shape, [2, 6, 2]);
  });

  test("unknown sample axis leaves -1 unknown", () => {
    assert.deepEqual(new Reshape({ targetShape: [-1, 2] }).computeOutputShape([null, null, 4]), [null, null, 2]);
  });

  test("keeps the element order", () => {
    const y = new Reshape({ targetShape: [2, 2] }).apply(tensor([[1, 2, 3, 4]]));
    assert.deepEqual(y.toArray(), [[[1, 2], [3, 4]]]);
  });

  test("shape of another size names both", () => {
    const layer = new Reshape({ targetShape: [5] });
    assert.throws(
      () => layer.apply(tensor([[1, 2, 3, 4]])),
      (error: Error) => {
        assert.ok(error instanceof ShapeError);
        assert.match(error.message, /\(4,\)/);
        assert.match(error.message, /\(5,\)/);
        return true;
      },
    );
    assert.throws(() => new Reshape({ targetShape: [-1, 3] }).computeOutputShape([null, 4]), /\(-1, 3\)/);
  });

  test("invalid target shapes are rejected", () => {
    assert.throws(() => new Reshape({ targetShape: [-1, -1] }), /at most one entry may be -1/);
    assert.throws(() => new Reshape({ targetShape: [-2, 3] }), ValueError);
    assert.throws(() => new Reshape({} as never), ValueError);
  });
});

describe("Permute", () => {
  test("layer test swapping two axes", () => {
    runLayerTest({
      create: () => new Permute({ dims: [2, 1] }),
      inputShape: [2, 3, 4],
      expectedOutputShape: [null, 4, 3],
      expectedParams: 0,
    });
  });

  test("layer test on rank 4", () => {
    runLayerTest({
      create: () => new Permute({ dims: [3, 1, 2] }),
      inputShape: [2, 2, 3, 4],
      expectedOutputShape: [null, 4, 2, 3],
      expectedParams: 0,
    });
  });

  test("moves the values", () => {
    const y = new Permute({ dims: [2, 1] }).apply(tensor([[[1, 2, 3], [4, 5, 6]]]));
    assert.deepEqual(y.toArray(), [[[1, 4], [2, 5], [3, 6]]]);
  });

  test("invalid dims are rejected", () => {
    for (const dims of [[0, 1], [1, 1], [1, 3], [2, 1.5]]) {
      assert.throws(() => new Permute({ dims }), /Invalid `dims`/, `dims ${JSON.stringify(dims)}`);
    }
  });

  test("input of another rank is rejected", () => {
    assert.throws(() => new Permute({ dims: [2, 1] }).apply(tensor([[1, 2]])), /needs inputs of rank 3/);
  });
});

describe("RepeatVector", () => {
  test("layer test", () => {
    runLayerTest({
      create: () => new RepeatVector({ n: 3 }),
      inputShape: [2, 4],
      expectedOutputShape: [null, 3, 4],
      expectedParams: 0,
    });
  });

  test("repeats each sample", () => {
    const y = new RepeatVector({ n: 2 }).apply(tensor([[1, 2], [3, 4]]));
    assert.deepEqual(y.toArray(), [[[1, 2], [1, 2]], [[3, 4], [3, 4]]]);
  });

  test("invalid n and rank are rejected", () => {
    assert.throws(() => new RepeatVector({ n: 0 }), ValueError);
    assert.throws(() => new RepeatVector({ n: 2 }).apply(tensor([[[1]]])), /rank 2/);
  });
});
