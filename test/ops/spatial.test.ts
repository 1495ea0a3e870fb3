import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { batchDot } from "../../src/ops/batch-dot.js";
import { l2Normalize } from "../../src/ops/l2-normalize.js";
import { padOrCrop, repeatElements, resizeLinear } from "../../src/ops/spatial.js";
import { sizeOf } from "../../src/tensor/shape.js";
import { Tensor, tensor } from "../../src/tensor/tensor.js";
import { forEachBackend } from "../helpers/backends.js";
import { checkGradients } from "../helpers/gradcheck.js";
import { sampleValues } from "../helpers/values.js";

function sample(shape: number[], seed: number, low = -1, high = 1): Tensor {
  return new Tensor(Float64Array.from(sampleValues(sizeOf(shape), seed, low, high)), shape);
}

describe("padOrCrop", () => {
  test("pads with zeros", () => {
    const y = padOrCrop(tensor([[1, 2], [3, 4]]), [
      [1, 0],
      [0, 1],
    ]);
    assert.deepEqual(y.toArray(), [
      [0, 0, 0],
      [1, 2, 0],
      [3, 4, 0],
    ]);
  });

  test("crops with negative widths", () => {
    const y = padOrCrop(tensor([[1, 2, 3], [4, 5, 6], [7, 8, 9]]), [
      [-1, 0],
      [-1, -1],
    ]);
    assert.deepEqual(y.toArray(), [[5], [8]]);
  });

  test("pads one axis and crops another", () => {
    const y = padOrCrop(tensor([[1, 2, 3]]), [
      [1, 1],
      [-2, 0],
    ]);
    assert.deepEqual(y.toArray(), [[0], [3], [0]]);
  });

  test("rejects cropping below zero length", () => {
    assert.throws(() => padOrCrop(tensor([[1, 2]]), [[0, 0], [-2, -1]]), /fewer than 0/);
  });

  test(
    "gradients of padding and cropping",
    forEachBackend(() => {
      const x = sample([2, 3, 4, 2], 1);
      checkGradients((t) => padOrCrop(t, [[0, 0], [1, 2], [0, 1], [0, 0]]), [x]);
      checkGradients((t) => padOrCrop(t, [[0, 0], [-1, 0], [-1, -2], [0, 0]]), [x]);
      checkGradients((t) => padOrCrop(t, [[0, 0], [2, -1], [-1, 1], [0, 0]]), [x]);
    }),
  );
});

describe("repeatElements", () => {
  test("repeats entries next to themselves", () => {
    assert.deepEqual(repeatElements(tensor([[1, 2]]), [1, 2]).toArray(), [[1, 1, 2, 2]]);
    assert.deepEqual(repeatElements(tensor([[1, 2]]), [2, 1]).toArray(), [[1, 2], [1, 2]]);
  });

  test(
    "gradient sums each block",
    forEachBackend(() => {
      checkGradients((t) => repeatElements(t, [1, 2, 3, 1]), [sample([2, 2, 3, 2], 2)]);
    }),
  );
});

describe("resizeLinear", () => {
  test("doubles with half-pixel centres", () => {
    const y = resizeLinear(tensor([[0, 4]]), 1, 4);
    assert.deepEqual(y.toArray(), [[0, 1, 3, 4]]);
  });

  test(
    "gradients along inner and outer axes",
    forEachBackend(() => {
      checkGradients((t) => resizeLinear(t, 1, 7), [sample([2, 3, 2], 3)]);
      checkGradients((t) => resizeLinear(resizeLinear(t, 1, 6), 2, 8), [sample([1, 3, 4, 2], 4)]);
    }),
  );
});

describe("batchDot", () => {
  test("multiplies each pair of matrices", () => {
    const a = tensor([[[1, 2]], [[3, 4]]]);
    const b = tensor([[[1], [1]], [[2], [0]]]);
    assert.deepEqual(batchDot(a, b).toArray(), [[[3]], [[6]]]);
  });

  test(
    "gradients of both inputs",
    forEachBackend(() => {
      checkGradients((a, b) => batchDot(a!, b!), [sample([3, 2, 4], 5), sample([3, 4, 5], 6)]);
    }),
  );
});

describe("l2Normalize", () => {
  test("gives unit norm and keeps zeros", () => {
    const y = l2Normalize(tensor([[3, 4], [0, 0]]), [1], 1e-12);
    assert.deepEqual(y.toArray(), [[0.6000000238418579, 0.800000011920929], [0, 0]]);
  });

  test(
    "gradient over two axes",
    forEachBackend(() => {
      checkGradients((t) => l2Normalize(t, [1, 2], 1e-12), [sample([2, 3, 2], 7)]);
    }),
  );
});
