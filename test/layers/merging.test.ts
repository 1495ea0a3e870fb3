import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ShapeError, ValueError } from "../../src/errors.js";
import { Add, Concatenate, Dense, Input, SymbolicTensor, getMask, setMask } from "../../src/layers/index.js";
import { Model } from "../../src/models/model.js";
import type { Layer } from "../../src/layers/layer.js";
import { type Tensor, tensor } from "../../src/tensor/tensor.js";
import { runMergeLayerTest } from "../helpers/merge-layer-test.js";

/** Calls a merge layer on real tensors, which returns one tensor. */
function merge(layer: Layer, inputs: Tensor[]): Tensor {
  return layer.apply(inputs) as Tensor;
}

describe("Concatenate", () => {
  test("layer test on the last axis", () => {
    runMergeLayerTest({
      create: () => new Concatenate(),
      inputShapes: [
        [2, 3],
        [2, 4],
      ],
      expectedOutputShape: [null, 7],
    });
  });

  test("layer test on axis 1", () => {
    runMergeLayerTest({
      create: () => new Concatenate({ axis: 1 }),
      inputShapes: [
        [2, 1, 4],
        [2, 3, 4],
        [2, 2, 4],
      ],
      expectedOutputShape: [null, 6, 4],
    });
  });

  test("joins the values", () => {
    const y = merge(new Concatenate({ axis: 1 }), [tensor([[1], [2]]), tensor([[3, 4], [5, 6]])]);
    assert.deepEqual(y.toArray(), [
      [1, 3, 4],
      [2, 5, 6],
    ]);
  });

  test("unknown axis sizes give an unknown output size", () => {
    assert.deepEqual(new Concatenate({ axis: 1 }).computeOutputShape([[null, null, 4], [null, 2, 4]]), [null, null, 4]);
  });

  test("shapes that differ off the axis name both", () => {
    const check = (error: Error): boolean => {
      assert.ok(error instanceof ShapeError);
      assert.match(error.message, /\(None, 3, 4\)/);
      assert.match(error.message, /\(None, 3, 5\)/);
      return true;
    };
    assert.throws(() => merge(new Concatenate({ axis: 1 }), [tensor(new Float32Array(24), [2, 3, 4]), tensor(new Float32Array(30), [2, 3, 5])]), check);
    assert.throws(() => new Concatenate({ axis: 1 }).computeOutputShape([[null, 3, 4], [null, 3, 5]]), /\(None, 3, 4\) \(input 0\) and \(None, 3, 5\) \(input 1\)/);
  });

  test("single tensor is rejected", () => {
    assert.throws(() => new Concatenate().apply(tensor([[1, 2]])), ValueError);
  });

  test("symbolic call", () => {
    const a = Input({ shape: [3] });
    const b = Input({ shape: [2] });
    const y = new Concatenate().apply([a, b]) as { shape: readonly (number | null)[] };
    assert.deepEqual(y.shape, [null, 5]);
  });

  test("masks on the time axis are joined", () => {
    const a = tensor([[[1], [2]]]);
    const b = tensor([[[3], [4], [5]]]);
    setMask(a, tensor([[1, 0]]));
    const y = merge(new Concatenate({ axis: 1 }), [a, b]);
    assert.deepEqual(getMask(y)?.toArray(), [[1, 0, 1, 1, 1]]);
  });

  test("masks on the feature axis are combined", () => {
    const a = tensor([[[1], [2], [3]]]);
    const b = tensor([[[3], [4], [5]]]);
    setMask(a, tensor([[1, 0, 0]]));
    setMask(b, tensor([[0, 0, 1]]));
    const y = merge(new Concatenate(), [a, b]);
    assert.deepEqual(getMask(y)?.toArray(), [[1, 0, 1]]);
  });

  test("no masks give no mask", () => {
    const y = merge(new Concatenate(), [tensor([[1]]), tensor([[2]])]);
    assert.equal(getMask(y), null);
  });
});

describe("Add", () => {
  test("layer test with three inputs", () => {
    runMergeLayerTest({
      create: () => new Add(),
      inputShapes: [
        [2, 3],
        [2, 3],
        [2, 3],
      ],
      expectedOutputShape: [null, 3],
    });
  });

  test("layer test with broadcasting", () => {
    runMergeLayerTest({
      create: () => new Add(),
      inputShapes: [
        [2, 3, 4],
        [2, 1, 4],
        [2, 4],
      ],
      expectedOutputShape: [null, 3, 4],
    });
  });

  test("adds the values", () => {
    const y = merge(new Add(), [tensor([[1, 2]]), tensor([[10, 20]]), tensor([[100, 200]])]);
    assert.deepEqual(y.toArray(), [[111, 222]]);
  });

  test("incompatible shapes are rejected", () => {
    assert.throws(() => merge(new Add(), [tensor([[1, 2]]), tensor([[1, 2, 3]])]), /\(2,\) and \(3,\)/);
    assert.throws(() => new Add().computeOutputShape([[2, 3], [4, 3]]), /different batch sizes/);
  });

  test("masks are combined when every input has one", () => {
    const a = tensor([[1, 2, 3]]);
    const b = tensor([[1, 2, 3]]);
    setMask(a, tensor([[1, 0, 0]]));
    setMask(b, tensor([[0, 0, 1]]));
    assert.deepEqual(getMask(merge(new Add(), [a, b]))?.toArray(), [[1, 0, 1]]);
    const c = tensor([[1, 2, 3]]);
    assert.equal(getMask(merge(new Add(), [a, c])), null);
  });
});

describe("merge layers in a functional model", () => {
  test("Concatenate and Add between two inputs", () => {
    const a = Input({ shape: [3] });
    const b = Input({ shape: [3] });
    const joined = new Concatenate().apply([a, b]) as SymbolicTensor;
    const summed = new Add().apply([a, b]) as SymbolicTensor;
    const both = new Concatenate().apply([joined, summed]) as SymbolicTensor;
    const out = new Dense({ units: 2 }).apply(both);
    assert.deepEqual(out.shape, [null, 2]);
    const model = new Model({ inputs: [a, b], outputs: out });
    const y = model.predict([tensor([[1, 2, 3]]), tensor([[4, 5, 6]])]) as Tensor;
    assert.deepEqual([...y.shape], [1, 2]);
  });
});
