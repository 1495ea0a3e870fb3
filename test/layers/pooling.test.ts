import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ShapeError } from "../../src/errors.js";
import {
  AveragePooling1D,
  AveragePooling2D,
  GlobalAveragePooling1D,
  GlobalAveragePooling2D,
  GlobalMaxPooling1D,
  GlobalMaxPooling2D,
  type Layer,
  MaxPooling1D,
  MaxPooling2D,
  getMask,
} from "../../src/layers/index.js";
import { Tensor, tensor } from "../../src/tensor/tensor.js";
import { forEachBackend } from "../helpers/backends.js";
import { assertClose } from "../helpers/close.js";
import { errorMessage } from "../helpers/capture.js";
import { runLayerTest } from "../helpers/layer-test.js";

const POOLING_CASES: [string, () => Layer, number[], (number | null)[]][] = [
  ["MaxPooling2D default", () => new MaxPooling2D(), [2, 6, 5, 3], [null, 3, 2, 3]],
  ["MaxPooling2D same", () => new MaxPooling2D({ poolSize: 3, strides: 2, padding: "same" }), [2, 7, 6, 2], [null, 4, 3, 2]],
  ["AveragePooling2D valid", () => new AveragePooling2D({ poolSize: [2, 3], strides: 1 }), [1, 4, 5, 2], [null, 3, 3, 2]],
  ["AveragePooling2D same", () => new AveragePooling2D({ poolSize: 3, padding: "same" }), [2, 5, 5, 1], [null, 2, 2, 1]],
  ["MaxPooling1D default", () => new MaxPooling1D(), [2, 7, 3], [null, 3, 3]],
  ["MaxPooling1D same", () => new MaxPooling1D({ poolSize: 3, strides: 2, padding: "same" }), [2, 8, 2], [null, 4, 2]],
  ["AveragePooling1D same", () => new AveragePooling1D({ poolSize: 3, strides: 2, padding: "same" }), [2, 7, 2], [null, 4, 2]],
  ["GlobalMaxPooling1D", () => new GlobalMaxPooling1D(), [2, 5, 3], [null, 3]],
  ["GlobalMaxPooling1D keepdims", () => new GlobalMaxPooling1D({ keepdims: true }), [2, 5, 3], [null, 1, 3]],
  ["GlobalAveragePooling1D", () => new GlobalAveragePooling1D(), [2, 5, 3], [null, 3]],
  ["GlobalMaxPooling2D", () => new GlobalMaxPooling2D(), [2, 4, 3, 3], [null, 3]],
  ["GlobalAveragePooling2D keepdims", () => new GlobalAveragePooling2D({ keepdims: true }), [2, 4, 3, 3], [null, 1, 1, 3]],
];

describe("pooling layers", () => {
  for (const [label, create, inputShape, outputShape] of POOLING_CASES) {
    test(`passes the layer test: ${label}`, () => {
      runLayerTest({ create, inputShape, expectedOutputShape: outputShape, expectedParams: 0 });
    });
  }

  test(
    "average pooling with same padding counts only real elements",
    forEachBackend(() => {
      const x = tensor([[[1], [2], [3], [4], [5]]]);
      // Windows of 2 with stride 2 over 5 steps: [1, 2], [3, 4], [5] and one padding position.
      assertClose(new AveragePooling1D({ poolSize: 2, padding: "same" }).apply(x).data, [1.5, 3.5, 5]);
    }),
  );

  test("strides default to the pool size", () => {
    assert.deepEqual(new MaxPooling2D({ poolSize: [3, 2] }).strides, [3, 2]);
    assert.deepEqual(new AveragePooling1D({ poolSize: 4, strides: null }).strides, [4]);
  });

  test("invalid arguments name the argument and value", () => {
    assert.match(errorMessage(() => new AveragePooling2D({})), /needs `poolSize`/);
    assert.match(errorMessage(() => new MaxPooling2D({ poolSize: 1.5 })), /`poolSize`.*received 1.5/);
    assert.match(errorMessage(() => new MaxPooling2D({ strides: 0 })), /`strides`.*received 0/);
    assert.match(errorMessage(() => new MaxPooling1D({ padding: "causal" as "same" })), /`padding`.*"valid", "same".*received "causal"/);
    assert.match(errorMessage(() => new GlobalAveragePooling2D({ dataFormat: "channels_first" })), /only "channels_last"/);
    assert.match(errorMessage(() => new GlobalMaxPooling1D({ keepdims: 1 as unknown as boolean })), /`keepdims`.*received 1/);
  });

  test("wrong input rank", () => {
    assert.throws(() => new MaxPooling2D().apply(tensor([[[1, 2]]])), (error: unknown) => {
      return error instanceof ShapeError && /rank 4 \(batch, height, width, channels\)/.test(error.message) && /\(1, 1, 2\)/.test(error.message);
    });
    assert.match(errorMessage(() => new GlobalAveragePooling1D().apply(tensor([[1, 2]]))), /rank 3 \(batch, steps, channels\)/);
  });
});

describe("GlobalAveragePooling1D with a mask", () => {
  test(
    "averages only unmasked steps and drops the mask",
    forEachBackend(() => {
      const x = new Tensor(Float32Array.from([1, 10, 2, 20, 3, 30, 4, 40]), [2, 2, 2]);
      const mask = tensor([
        [1, 0],
        [1, 1],
      ]);
      const layer = new GlobalAveragePooling1D();
      const y = layer.apply(x, { mask });
      assertClose(y.data, [1, 10, 3.5, 35]);
      assert.equal(getMask(y), null);
      assert.equal(layer.computeMask(x, mask), null);
    }),
  );

  test("mask of the wrong shape", () => {
    const x = new Tensor(new Float32Array(12), [2, 3, 2]);
    assert.match(errorMessage(() => new GlobalAveragePooling1D().apply(x, { mask: tensor([[1, 1]]) })), /mask of shape \(2, 3\).*received \(1, 2\)/);
  });
});
