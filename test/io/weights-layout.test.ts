import assert from "node:assert/strict";
import { test } from "node:test";
import { type H5Group, writeHdf5 } from "../../src/io/hdf5.js";
import { loadModel } from "../../src/io/saving.js";
import { Dense } from "../../src/layers/dense.js";
import { Dropout } from "../../src/layers/core.js";
import { Input } from "../../src/layers/input.js";
import { Sequential } from "../../src/models/sequential.js";
import type { Tensor } from "../../src/tensor/tensor.js";

/** A `vars` group of Dense weights: a kernel of shape [n, 1], then a bias of shape [1]. */
function vars(...values: number[][]): H5Group {
  return {
    attrs: {},
    groups: [],
    datasets: values.map((v, i) => [String(i), { dtype: "<f", shape: i === 0 ? [v.length, 1] : [1], data: new Float32Array(v), attrs: {} }]),
  };
}

function layerGroup(...values: number[][]): H5Group {
  return { attrs: {}, groups: [["vars", vars(...values)]], datasets: [] };
}

function twoDenseModel(): Sequential {
  return new Sequential([Input({ shape: [2] }), new Dense({ units: 1 }), new Dropout({ rate: 0.1 }), new Dense({ units: 1, name: "last" })]);
}

test("backslash link names and doubled counters load", async () => {
  // tf.keras 2.13 on Windows: one link name per layer with a backslash, and a counter that skips a number after each layer with weights.
  const root: H5Group = {
    attrs: {},
    groups: [
      ["_layer_checkpoint_dependencies\\dense", layerGroup([1, 2], [3])],
      ["_layer_checkpoint_dependencies\\dropout", { attrs: {}, groups: [["vars", vars()]], datasets: [] }],
      ["_layer_checkpoint_dependencies\\dense_2", layerGroup([4], [6])],
    ],
    datasets: [],
  };
  const model = twoDenseModel();
  await model.loadWeights(await writeHdf5(root, "a tf.keras 2.13 weights file"));
  assert.deepEqual(model.getWeights().map((t: Tensor) => Array.from(t.data)), [[1, 2], [3], [4], [6]]);
});

test("groups are matched by class counter, not layer name", async () => {
  const root: H5Group = {
    attrs: {},
    groups: [["layers", { attrs: {}, groups: [["dense_1", layerGroup([4], [6])], ["dense", layerGroup([1, 2], [3])]], datasets: [] }]],
    datasets: [],
  };
  const model = twoDenseModel();
  await model.loadWeights(await writeHdf5(root, "a Keras 3 weights file"));
  assert.deepEqual(model.getWeights().map((t: Tensor) => Array.from(t.data)), [[1, 2], [3], [4], [6]]);
});

test("missing weight group is an error naming the layer", async () => {
  const root: H5Group = { attrs: {}, groups: [["layers", { attrs: {}, groups: [["dense", layerGroup([1, 2], [3])]], datasets: [] }]], datasets: [] };
  await assert.rejects(twoDenseModel().loadWeights(await writeHdf5(root, "a short weights file")), /Layer "last" \(Dense\) has 2 weights, but the file has no group for it/);
});

test("real file restores its optimizer state", async () => {
  const model = await loadModel(new URL("../fixtures/keras-real/01-churn-mlp.keras", import.meta.url).pathname);
  assert.ok(model.optimizer, "compiled from the file's compile_config");
  assert.equal(model.optimizer.className, "Adam");
  assert.equal(model.optimizer.iterations, 4250);
  const slots = model.optimizer.variables.slice(2);
  assert.equal(slots.length, 2 * model.trainableWeights.length, "a momentum and a velocity per weight");
  assert.ok(slots.every((slot) => slot.value.data.some((v) => v !== 0)), "every slot restored from the file");
});
