import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  BinaryAccuracy,
  CategoricalAccuracy,
  Mean,
  SparseCategoricalAccuracy,
  get,
  resolveAccuracy,
} from "../../src/metrics/index.js";
import { tensor } from "../../src/tensor/tensor.js";

describe("accuracy metrics", () => {
  it("binary accuracy uses a strict threshold", () => {
    const metric = new BinaryAccuracy();
    metric.updateState(tensor([[1], [0], [1], [0]]), tensor([[0.9], [0.5], [0.5], [0.1]]));
    // 0.5 is not above the threshold, so it counts as 0: matches are 1, 1, 0, 1.
    assert.equal(metric.result(), 0.75);
    assert.equal(metric.name, "binary_accuracy");
  });

  it("categorical accuracy compares argmax", () => {
    const metric = new CategoricalAccuracy();
    metric.updateState(tensor([[0, 1, 0], [1, 0, 0]]), tensor([[0.1, 0.8, 0.1], [0.2, 0.7, 0.1]]));
    assert.equal(metric.result(), 0.5);
  });

  it("sparse accuracy takes both label shapes", () => {
    const flat = new SparseCategoricalAccuracy();
    flat.updateState(tensor([1, 0]), tensor([[0.1, 0.9], [0.2, 0.8]]));
    assert.equal(flat.result(), 0.5);
    const column = new SparseCategoricalAccuracy();
    column.updateState(tensor([[1], [1]]), tensor([[0.1, 0.9], [0.2, 0.8]]));
    assert.equal(column.result(), 1);
  });

  it("accumulates across batches until reset", () => {
    const metric = new CategoricalAccuracy();
    metric.updateState(tensor([[1, 0]]), tensor([[0.9, 0.1]]));
    metric.updateState(tensor([[1, 0], [1, 0], [1, 0]]), tensor([[0.1, 0.9], [0.1, 0.9], [0.1, 0.9]]));
    assert.equal(metric.result(), 0.25);
    metric.resetState();
    assert.equal(metric.result(), 0);
  });

  it("weighted mean", () => {
    const mean = new Mean({ name: "loss" });
    mean.update(1, 2);
    mean.update(16, 1);
    assert.equal(mean.result(), 6);
  });
});

describe("accuracy resolution from shapes", () => {
  const cases: [string, number[][] | number[], number[][], string][] = [
    ["one output unit", [[1], [0]], [[0.8], [0.3]], "BinaryAccuracy"],
    ["rank-1 integer labels", [1, 0], [[0.2, 0.8], [0.6, 0.4]], "SparseCategoricalAccuracy"],
    ["one label column", [[1], [0]], [[0.2, 0.8], [0.6, 0.4]], "SparseCategoricalAccuracy"],
    ["one-hot labels", [[0, 1], [1, 0]], [[0.2, 0.8], [0.6, 0.4]], "CategoricalAccuracy"],
  ];
  for (const [name, yTrue, yPred, expected] of cases) {
    it(name, () => {
      const metric = resolveAccuracy("acc", tensor(yTrue), tensor(yPred));
      assert.equal(metric.constructor.name, expected);
      assert.equal(metric.name, "acc");
    });
  }

  it("get keeps the user's name", () => {
    assert.equal(get("accuracy", tensor([[1]]), tensor([[0.4]])).name, "accuracy");
    assert.equal(get("ACC", tensor([[1]]), tensor([[0.4]])).name, "ACC");
    assert.equal(get("categorical_accuracy", tensor([[1]]), tensor([[0.4]])).name, "categorical_accuracy");
  });
});
