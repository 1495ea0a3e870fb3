import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ShapeError, ValueError } from "../../src/errors.js";
import { BatchNormalization, LayerNormalization, deserialize, getMask } from "../../src/layers/index.js";
import { Tensor, tensor } from "../../src/tensor/tensor.js";
import { forEachBackend } from "../helpers/backends.js";
import { assertClose } from "../helpers/close.js";
import { runLayerTest } from "../helpers/layer-test.js";

const channelWeights = (channels: number) => [
  { name: "gamma", shape: [channels] },
  { name: "beta", shape: [channels] },
];
const movingWeights = (channels: number) => [
  { name: "moving_mean", shape: [channels] },
  { name: "moving_variance", shape: [channels] },
];

describe("BatchNormalization layer test", () => {
  test("rank 2", () => {
    runLayerTest({
      create: () => new BatchNormalization(),
      inputShape: [6, 3],
      expectedOutputShape: [null, 3],
      expectedTrainableWeights: channelWeights(3),
      expectedNonTrainableWeights: movingWeights(3),
      expectedParams: 12,
      trainingUpdatesNonTrainable: true,
    });
  });

  test("rank 4 channels last", () => {
    runLayerTest({
      create: () => new BatchNormalization({ epsilon: 1e-2 }),
      inputShape: [2, 3, 3, 4],
      expectedOutputShape: [null, 3, 3, 4],
      expectedTrainableWeights: channelWeights(4),
      expectedNonTrainableWeights: movingWeights(4),
      expectedParams: 16,
      trainingUpdatesNonTrainable: true,
    });
  });

  test("rank 4 on axis 1", () => {
    runLayerTest({
      create: () => new BatchNormalization({ axis: 1 }),
      inputShape: [2, 3, 2, 2],
      expectedOutputShape: [null, 3, 2, 2],
      expectedTrainableWeights: channelWeights(3),
      expectedNonTrainableWeights: movingWeights(3),
      expectedParams: 12,
      trainingUpdatesNonTrainable: true,
    });
  });

  test("rank 3 without center and scale", () => {
    runLayerTest({
      create: () => new BatchNormalization({ center: false, scale: false }),
      inputShape: [2, 4, 3],
      expectedOutputShape: [null, 4, 3],
      expectedNonTrainableWeights: movingWeights(3),
      expectedParams: 6,
      trainingUpdatesNonTrainable: true,
    });
  });

  test("scale only", () => {
    runLayerTest({
      create: () => new BatchNormalization({ center: false }),
      inputShape: [5, 2],
      expectedOutputShape: [null, 2],
      expectedTrainableWeights: [{ name: "gamma", shape: [2] }],
      expectedNonTrainableWeights: movingWeights(2),
      expectedParams: 6,
      trainingUpdatesNonTrainable: true,
    });
  });
});

describe("BatchNormalization behaviour", () => {
  const x = tensor([
    [1, 2],
    [3, 6],
    [5, 4],
    [7, 0],
  ]);

  test(
    "training normalizes with batch statistics",
    forEachBackend(() => {
      const layer = new BatchNormalization({ epsilon: 0 });
      const y = layer.apply(x, { training: true });
      // Column 0: mean 4, biased variance 5. Column 1: mean 3, variance 5.
      const s = 1 / Math.sqrt(5);
      assertClose(y.toArray(), [
        [-3 * s, -1 * s],
        [-1 * s, 3 * s],
        [1 * s, 1 * s],
        [3 * s, -3 * s],
      ]);
      assertClose(layer.movingMean!.value.data, [0.04, 0.03]);
      assertClose(layer.movingVariance!.value.data, [0.99 + 0.05, 0.99 + 0.05]);
    }),
  );

  test("moving statistics keep their buffers", () => {
    const layer = new BatchNormalization();
    layer.apply(x, { training: false });
    const meanBuffer = layer.movingMean!.value.data;
    const varianceBuffer = layer.movingVariance!.value.data;
    layer.apply(x, { training: true });
    assert.equal(layer.movingMean!.value.data, meanBuffer);
    assert.equal(layer.movingVariance!.value.data, varianceBuffer);
  });

  test("inference uses the moving statistics", () => {
    const layer = new BatchNormalization({ epsilon: 0 });
    layer.build([null, 2]);
    layer.setWeights([tensor([2, 1]), tensor([0.5, 0]), tensor([1, 3]), tensor([4, 1])]);
    const y = layer.apply(tensor([[3, 5]]), { training: false });
    assertClose(y.toArray(), [[2 * (2 / 2) + 0.5, 1 * 2]]);
  });

  test("frozen layer runs in inference mode", () => {
    const layer = new BatchNormalization({ trainable: false });
    const y = layer.apply(x, { training: true });
    assertClose(layer.movingMean!.value.data, [0, 0]);
    assertClose(layer.movingVariance!.value.data, [1, 1]);
    const expected = [...x.data].map((v) => v / Math.sqrt(1 + 1e-3));
    assertClose(y.data, expected);
  });

  test("mask leaves masked steps out of the statistics", () => {
    const layer = new BatchNormalization({ epsilon: 0, momentum: 0 });
    const input = tensor([[[1], [3], [100]], [[5], [7], [-50]]]);
    const mask = tensor([
      [1, 1, 0],
      [1, 1, 0],
    ]);
    const y = layer.apply(input, { training: true, mask });
    // Kept values 1, 3, 5, 7: mean 4 and variance 5 (up to Keras's 1e-7 in the weight total).
    assertClose(layer.movingMean!.value.data, [4], { rtol: 1e-6 });
    assertClose(layer.movingVariance!.value.data, [5], { rtol: 1e-6 });
    assertClose(y.data[0], -3 / Math.sqrt(5), { rtol: 1e-5 });
    assert.equal(getMask(y), mask, "the mask passes through");
  });

  test("mask of the wrong shape is rejected", () => {
    const layer = new BatchNormalization();
    assert.throws(() => layer.apply(tensor([[[1], [2]]]), { training: true, mask: tensor([[1, 1, 1]]) }), ShapeError);
  });

  test("float64 layer keeps float64", () => {
    const layer = new BatchNormalization({ dtype: "float64" });
    const input = new Tensor(Float64Array.from([1, 2, 3, 4]), [2, 2]);
    assert.equal(layer.apply(input, { training: true }).dtype, "float64");
  });

  test("wrong channel count is rejected", () => {
    const layer = new BatchNormalization();
    layer.apply(x);
    assert.throws(() => layer.apply(tensor([[1, 2, 3]])), /2 channels on axis -1/);
  });

  test("invalid options are rejected", () => {
    assert.throws(() => new BatchNormalization({ axis: 1.5 }), ValueError);
    assert.throws(() => new BatchNormalization({ momentun: 0.9 } as never), /Did you mean "momentum"/);
    assert.throws(() => new BatchNormalization({ axis: 3 }).computeOutputShape([null, 2]), ShapeError);
  });

  test("config with renorm is rejected", () => {
    const config = new BatchNormalization().getConfig();
    assert.throws(() => deserialize({ class_name: "BatchNormalization", config: { ...config, renorm: true } }), /renorm/);
  });

  test("config with a gamma regularizer is read", () => {
    const config = new BatchNormalization().getConfig();
    const layer = deserialize({ class_name: "BatchNormalization", config: { ...config, gamma_regularizer: "l2" } });
    assert.equal((layer.getConfig()["gamma_regularizer"] as { class_name: string }).class_name, "L2");
  });
});

describe("LayerNormalization layer test", () => {
  test("last axis", () => {
    runLayerTest({
      create: () => new LayerNormalization(),
      inputShape: [3, 5],
      expectedOutputShape: [null, 5],
      expectedTrainableWeights: channelWeights(5),
      expectedParams: 10,
    });
  });

  test("two axes", () => {
    runLayerTest({
      create: () => new LayerNormalization({ axis: [1, 2] }),
      inputShape: [2, 3, 4],
      expectedOutputShape: [null, 3, 4],
      expectedTrainableWeights: [
        { name: "gamma", shape: [3, 4] },
        { name: "beta", shape: [3, 4] },
      ],
      expectedParams: 24,
    });
  });

  test("middle axis without center", () => {
    runLayerTest({
      create: () => new LayerNormalization({ axis: 1, center: false }),
      inputShape: [2, 3, 4],
      expectedOutputShape: [null, 3, 4],
      expectedTrainableWeights: [{ name: "gamma", shape: [3] }],
      expectedParams: 3,
    });
  });

  test("rms scaling", () => {
    runLayerTest({
      create: () => new LayerNormalization({ rmsScaling: true }),
      inputShape: [3, 4],
      expectedOutputShape: [null, 4],
      expectedTrainableWeights: [{ name: "gamma", shape: [4] }],
      expectedParams: 4,
    });
  });
});

describe("LayerNormalization behaviour", () => {
  test(
    "normalizes each row",
    forEachBackend(() => {
      const layer = new LayerNormalization({ epsilon: 0 });
      const y = layer.apply(tensor([[1, 2, 3, 4]]));
      const s = 1 / Math.sqrt(1.25);
      assertClose(y.toArray(), [[-1.5 * s, -0.5 * s, 0.5 * s, 1.5 * s]]);
    }),
  );

  test("axis becomes a sorted list when built", () => {
    const layer = new LayerNormalization({ axis: [2, 1] });
    assert.deepEqual(layer.getConfig()["axis"], [2, 1]);
    layer.build([null, 3, 4]);
    assert.deepEqual(layer.getConfig()["axis"], [1, 2]);
    const single = new LayerNormalization();
    assert.equal(single.getConfig()["axis"], -1);
    single.build([null, 3]);
    assert.deepEqual(single.getConfig()["axis"], [-1]);
  });

  test("mask passes through", () => {
    const layer = new LayerNormalization();
    const mask = tensor([[1, 0]]);
    const y = layer.apply(tensor([[[1, 2], [3, 4]]]), { mask });
    assert.equal(getMask(y), mask);
  });

  test("invalid axis is rejected", () => {
    assert.throws(() => new LayerNormalization({ axis: [] }), ValueError);
    assert.throws(() => new LayerNormalization({ axis: 2 }).apply(tensor([[1, 2]])), ShapeError);
  });
});
