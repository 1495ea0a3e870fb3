import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { valueAndGradients } from "../../src/autodiff/tape.js";
import { ShapeError, ValueError } from "../../src/errors.js";
import {
  ActivityRegularization,
  AlphaDropout,
  Average,
  CategoryEncoding,
  Cropping1D,
  Cropping2D,
  Cropping3D,
  Dense,
  Discretization,
  Dot,
  GaussianDropout,
  GaussianNoise,
  GroupNormalization,
  Input,
  Masking,
  Maximum,
  Minimum,
  Multiply,
  Normalization,
  Rescaling,
  SpatialDropout1D,
  SpatialDropout2D,
  SpatialDropout3D,
  Subtract,
  TimeDistributed,
  UnitNormalization,
  UpSampling1D,
  UpSampling2D,
  UpSampling3D,
  ZeroPadding1D,
  ZeroPadding2D,
  ZeroPadding3D,
  addLayerLosses,
  clearLayerLosses,
  collectLayerLosses,
  deserialize,
  getMask,
  setMask,
} from "../../src/layers/index.js";
import type { Layer } from "../../src/layers/layer.js";
import { Sequential } from "../../src/models/sequential.js";
import * as ops from "../../src/ops/index.js";
import { SGD } from "../../src/optimizers/index.js";
import { type Tensor, ones, tensor } from "../../src/tensor/tensor.js";
import { runLayerTest } from "../helpers/layer-test.js";
import { runMergeLayerTest } from "../helpers/merge-layer-test.js";

function merge(layer: Layer, inputs: Tensor[]): Tensor {
  return layer.apply(inputs) as Tensor;
}

function meanOf(values: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < values.length; i++) total += values[i]!;
  return total / values.length;
}

function varianceOf(values: ArrayLike<number>): number {
  const m = meanOf(values);
  let total = 0;
  for (let i = 0; i < values.length; i++) total += (values[i]! - m) ** 2;
  return total / values.length;
}

describe("element-wise merge layers", () => {
  const cases: [string, () => Layer, number[][], (number | null)[]][] = [
    ["Subtract", () => new Subtract(), [[2, 3], [2, 3]], [null, 3]],
    ["Subtract broadcast", () => new Subtract(), [[2, 3, 4], [2, 4]], [null, 3, 4]],
    ["Multiply", () => new Multiply(), [[2, 3], [2, 3], [2, 3]], [null, 3]],
    ["Average", () => new Average(), [[2, 2, 3], [2, 1, 3]], [null, 2, 3]],
    ["Maximum", () => new Maximum(), [[2, 4], [2, 4]], [null, 4]],
    ["Minimum", () => new Minimum(), [[2, 4], [2, 4], [2, 4]], [null, 4]],
    ["Dot last axis", () => new Dot({ axes: -1 }), [[2, 4], [2, 4]], [null, 1]],
    ["Dot axes pair", () => new Dot({ axes: [1, 2] }), [[2, 3, 5], [2, 4, 3]], [null, 5, 4]],
    ["Dot normalize", () => new Dot({ axes: 2, normalize: true }), [[2, 3, 4], [2, 5, 4]], [null, 3, 5]],
  ];
  for (const [label, create, inputShapes, expectedOutputShape] of cases) {
    test(`${label} layer test`, () => {
      runMergeLayerTest({ create, inputShapes, expectedOutputShape });
    });
  }

  test("Subtract needs two inputs", () => {
    assert.throws(() => merge(new Subtract(), [tensor([[1]]), tensor([[1]]), tensor([[1]])]), /must be called on 2 inputs, received 3/);
  });

  test("Dot rejects mismatched axis sizes", () => {
    assert.throws(() => new Dot({ axes: 1 }).computeOutputShape([[null, 3], [null, 4]]), ShapeError);
    assert.throws(() => new Dot({ axes: 0 }).computeOutputShape([[null, 3], [null, 3]]), /non-batch axis/);
    assert.throws(() => new Dot({ axes: [1, 2, 3] as unknown as [number, number] }), ValueError);
  });

  test("Maximum ignores masked steps", () => {
    const a = tensor([[[5], [1]]]);
    const b = tensor([[[2], [3]]]);
    setMask(b, tensor([[1, 0]]));
    setMask(a, tensor([[0, 1]]));
    const y = merge(new Maximum(), [a, b]);
    assert.deepEqual(y.toArray(), [[[2], [1]]]);
    assert.deepEqual(getMask(y)?.toArray(), [[1, 1]]);
  });

  test("Multiply counts masked steps as one", () => {
    const a = tensor([[[5], [4]]]);
    const b = tensor([[[2], [3]]]);
    setMask(a, tensor([[0, 1]]));
    const y = merge(new Multiply(), [a, b]);
    assert.deepEqual(y.toArray(), [[[2], [12]]]);
  });

  test("Multiply zeroes steps masked in every input", () => {
    const a = tensor([[[5], [4]]]);
    const b = tensor([[[2], [3]]]);
    setMask(a, tensor([[0, 1]]));
    setMask(b, tensor([[0, 1]]));
    assert.deepEqual(merge(new Multiply(), [a, b]).toArray(), [[[0], [12]]]);
  });

  test("Dot drops the mask", () => {
    const a = tensor([[[1, 2]]]);
    setMask(a, tensor([[1]]));
    assert.equal(getMask(merge(new Dot({ axes: 2 }), [a, a])), null);
  });

  test("symbolic merge in a functional graph", () => {
    const a = Input({ shape: [3, 5] });
    const b = Input({ shape: [4, 3] });
    const y = new Dot({ axes: [1, 2] }).apply([a, b]) as { shape: readonly (number | null)[] };
    assert.deepEqual(y.shape, [null, 5, 4]);
  });
});

describe("spatial layers", () => {
  const cases: [string, () => Layer, number[], (number | null)[]][] = [
    ["Cropping1D", () => new Cropping1D({ cropping: [1, 2] }), [2, 6, 3], [null, 3, 3]],
    ["Cropping2D", () => new Cropping2D({ cropping: [[1, 0], 2] }), [2, 4, 6, 2], [null, 3, 2, 2]],
    ["Cropping3D", () => new Cropping3D(), [1, 3, 4, 5, 2], [null, 1, 2, 3, 2]],
    ["ZeroPadding1D", () => new ZeroPadding1D({ padding: 2 }), [2, 3, 2], [null, 7, 2]],
    ["ZeroPadding2D channels_first", () => new ZeroPadding2D({ padding: [1, 2], dataFormat: "channels_first" }), [1, 2, 3, 3], [null, 2, 5, 7]],
    ["ZeroPadding3D", () => new ZeroPadding3D({ padding: [[1, 0], [0, 1], 2] }), [1, 2, 2, 2, 1], [null, 3, 3, 6, 1]],
    ["UpSampling1D", () => new UpSampling1D({ size: 3 }), [2, 3, 2], [null, 9, 2]],
    ["UpSampling2D nearest", () => new UpSampling2D({ size: [2, 3] }), [1, 2, 2, 3], [null, 4, 6, 3]],
    ["UpSampling2D bilinear", () => new UpSampling2D({ interpolation: "bilinear" }), [2, 3, 2, 1], [null, 6, 4, 1]],
    ["UpSampling3D", () => new UpSampling3D({ size: [1, 2, 2] }), [1, 2, 2, 2, 1], [null, 2, 4, 4, 1]],
  ];
  for (const [label, create, inputShape, expectedOutputShape] of cases) {
    test(`${label} layer test`, () => {
      runLayerTest({ create, inputShape, expectedOutputShape, expectedParams: 0 });
    });
  }

  test("cropping must leave a position", () => {
    assert.throws(() => new Cropping1D({ cropping: [2, 1] }).apply(tensor(new Float32Array(6), [1, 3, 2])), /at least one position/);
  });

  test("invalid arguments are rejected", () => {
    assert.throws(() => new ZeroPadding2D({ padding: [1, 2, 3] as unknown as number[] }), /Invalid `padding`/);
    assert.throws(() => new Cropping2D({ cropping: -1 }), /Invalid `cropping`/);
    assert.throws(() => new UpSampling2D({ interpolation: "bicubic" as "bilinear" }), /no bicubic/);
    assert.throws(() => new UpSampling1D({ size: 0 }), /Invalid `size`/);
    assert.throws(() => new Cropping1D({ dataFormat: "channels_last" } as object), ValueError);
  });

  test("wrong input rank is a ShapeError", () => {
    assert.throws(() => new ZeroPadding2D().apply(tensor([[1, 2]])), ShapeError);
  });

  test("unknown spatial sizes stay unknown", () => {
    assert.deepEqual(new UpSampling2D().computeOutputShape([null, null, 3, 2]), [null, null, 6, 2]);
  });
});

describe("normalization layers", () => {
  test("GroupNormalization layer test", () => {
    runLayerTest({
      create: () => new GroupNormalization({ groups: 2 }),
      inputShape: [2, 3, 4],
      expectedOutputShape: [null, 3, 4],
      expectedTrainableWeights: [
        { name: "gamma", shape: [4] },
        { name: "beta", shape: [4] },
      ],
      expectedParams: 8,
    });
  });

  test("GroupNormalization on axis 1 of images", () => {
    runLayerTest({
      create: () => new GroupNormalization({ groups: 3, axis: 1, center: false }),
      inputShape: [2, 6, 2, 2],
      expectedOutputShape: [null, 6, 2, 2],
      expectedTrainableWeights: [{ name: "gamma", shape: [6] }],
      expectedParams: 6,
    });
  });

  test("GroupNormalization groups must divide the channels", () => {
    assert.throws(() => new GroupNormalization({ groups: 3 }).build([null, 4]), /must divide/);
    assert.throws(() => new GroupNormalization({ groups: 0 }), ValueError);
  });

  test("GroupNormalization with one group per channel", () => {
    const layer = new GroupNormalization({ groups: -1 });
    layer.build([null, 3, 5]);
    assert.equal(layer.groups, 5);
    assert.equal(layer.getConfig()["groups"], 5);
  });

  test("UnitNormalization layer test", () => {
    runLayerTest({ create: () => new UnitNormalization({ axis: [1, 2] }), inputShape: [2, 3, 4], expectedOutputShape: [null, 3, 4], expectedParams: 0 });
  });

  test("UnitNormalization keeps masks", () => {
    const x = tensor([[[3, 4], [0, 0]]]);
    const y = new UnitNormalization().apply(x, { mask: tensor([[1, 0]]) });
    assert.deepEqual(getMask(y)?.toArray(), [[1, 0]]);
  });
});

describe("Masking", () => {
  test("layer test", () => {
    runLayerTest({ create: () => new Masking({ maskValue: 0.5 }), inputShape: [2, 3, 4], expectedOutputShape: [null, 3, 4], expectedParams: 0 });
  });

  test("mask reaches a later layer", () => {
    const x = tensor([[[1, 2], [0, 0], [3, 0]]]);
    const masked = new Masking().apply(x);
    const y = new Dense({ units: 2 }).apply(masked);
    assert.deepEqual(getMask(masked)?.toArray(), [[1, 0, 1]]);
    assert.equal(getMask(y), null);
  });
});

describe("TimeDistributed", () => {
  test("shares the inner layer's weights over steps", () => {
    const layer = new TimeDistributed({ layer: new Dense({ units: 3, name: "step_dense" }) });
    const x = tensor(Float32Array.from({ length: 2 * 4 * 5 }, (_, i) => Math.sin(i)), [2, 4, 5]);
    const y = layer.apply(x);
    assert.deepEqual([...y.shape], [2, 4, 3]);
    assert.deepEqual(layer.computeOutputShape([null, 4, 5]), [null, 4, 3]);
    assert.deepEqual(layer.trainableWeights.map((w) => w.path), ["step_dense/kernel", "step_dense/bias"]);
    assert.equal(layer.countParams(), 18);
    const direct = layer.layer.apply(ops.reshape(x, [8, 5]));
    assert.deepEqual([...y.data], [...direct.data]);
  });

  test("config round trip keeps weights and output", () => {
    const layer = new TimeDistributed({ layer: new Dense({ units: 2 }) });
    const x = tensor(Float32Array.from({ length: 12 }, (_, i) => i / 10), [1, 3, 4]);
    const y = layer.apply(x);
    const config = JSON.parse(JSON.stringify(layer.getConfig())) as Record<string, unknown>;
    const rebuilt = deserialize({ class_name: "TimeDistributed", config });
    assert.deepEqual(rebuilt.getConfig(), layer.getConfig());
    rebuilt.build([null, 3, 4]);
    rebuilt.setWeights(layer.getWeights());
    assert.deepEqual([...rebuilt.apply(x).data], [...y.data]);
  });

  test("training step updates the inner layer", () => {
    const layer = new TimeDistributed({ layer: new Dense({ units: 2 }) });
    const x = tensor(Float32Array.from({ length: 12 }, (_, i) => Math.cos(i)), [2, 3, 2]);
    layer.apply(x);
    const variables = layer.trainableWeights;
    const before = variables.map((v) => [...v.value.data]);
    const { gradients } = valueAndGradients(() => ops.mean(ops.square(layer.apply(x, { training: true }))), variables.map((v) => v.value));
    new SGD({ learningRate: 0.1 }).applyGradients(gradients, variables);
    variables.forEach((v, i) => assert.ok([...v.value.data].some((d, j) => d !== before[i]![j]), `weight ${v.name} changed`));
  });

  test("mask passes through", () => {
    const x = tensor(new Float32Array(12), [2, 3, 2]);
    const y = new TimeDistributed({ layer: new Dense({ units: 1 }) }).apply(x, { mask: tensor([[1, 1, 0], [1, 0, 0]]) });
    assert.deepEqual(getMask(y)?.toArray(), [[1, 1, 0], [1, 0, 0]]);
  });

  test("rejects low-rank inputs and non-layers", () => {
    assert.throws(() => new TimeDistributed({ layer: new Dense({ units: 1 }) }).apply(tensor([[1, 2]])), ShapeError);
    assert.throws(() => new TimeDistributed({ layer: {} as Layer }), /needs `layer`/);
  });
});

describe("random regularization layers", () => {
  const big = ones([200, 10, 5]);

  test("inference passes inputs through", () => {
    const layers: Layer[] = [
      new SpatialDropout1D({ rate: 0.5 }),
      new GaussianNoise({ stddev: 1 }),
      new GaussianDropout({ rate: 0.5 }),
      new AlphaDropout({ rate: 0.5 }),
    ];
    for (const layer of layers) assert.equal(layer.apply(big, { training: false }), big, layer.className);
  });

  test("layer tests", () => {
    runLayerTest({ create: () => new SpatialDropout1D({ rate: 0.3, seed: 1 }), inputShape: [2, 3, 4], expectedOutputShape: [null, 3, 4], expectedParams: 0 });
    runLayerTest({ create: () => new SpatialDropout2D({ rate: 0.3 }), inputShape: [2, 3, 3, 2], expectedOutputShape: [null, 3, 3, 2], expectedParams: 0 });
    runLayerTest({
      create: () => new SpatialDropout3D({ rate: 0.3, dataFormat: "channels_first" }),
      inputShape: [1, 2, 2, 2, 2],
      expectedOutputShape: [null, 2, 2, 2, 2],
      expectedParams: 0,
    });
    runLayerTest({ create: () => new GaussianNoise({ stddev: 0.2, seed: 3 }), inputShape: [2, 5], expectedOutputShape: [null, 5], expectedParams: 0 });
    runLayerTest({ create: () => new GaussianDropout({ rate: 0.2 }), inputShape: [2, 5], expectedOutputShape: [null, 5], expectedParams: 0 });
    runLayerTest({ create: () => new AlphaDropout({ rate: 0.2, noiseShape: [null, 1] }), inputShape: [2, 5], expectedOutputShape: [null, 5], expectedParams: 0 });
  });

  test("SpatialDropout1D drops whole channels", () => {
    const y = new SpatialDropout1D({ rate: 0.4, seed: 7 }).apply(big, { training: true });
    let dropped = 0;
    for (let b = 0; b < 200; b++) {
      for (let c = 0; c < 5; c++) {
        const column = Array.from({ length: 10 }, (_, t) => y.data[(b * 10 + t) * 5 + c]!);
        assert.ok(column.every((v) => v === column[0]), "one value per channel");
        assert.ok(column[0] === 0 || Math.abs(column[0]! - 1 / 0.6) < 1e-6, "kept channels are scaled");
        if (column[0] === 0) dropped++;
      }
    }
    assert.ok(Math.abs(dropped / 1000 - 0.4) < 0.05, `dropped fraction ${dropped / 1000}`);
  });

  test("SpatialDropout2D channels_first drops per channel on axis 1", () => {
    const y = new SpatialDropout2D({ rate: 0.5, seed: 2, dataFormat: "channels_first" }).apply(ones([20, 3, 2, 2]), { training: true });
    for (let i = 0; i < 60; i++) {
      const block = [...y.data.subarray(i * 4, i * 4 + 4)];
      assert.ok(block.every((v) => v === block[0]), `channel ${i} is dropped or kept as a whole`);
    }
  });

  test("GaussianNoise statistics", () => {
    const y = new GaussianNoise({ stddev: 0.5, seed: 1 }).apply(big, { training: true });
    assert.ok(Math.abs(meanOf(y.data) - 1) < 0.02, `mean ${meanOf(y.data)}`);
    assert.ok(Math.abs(varianceOf(y.data) - 0.25) < 0.02, `variance ${varianceOf(y.data)}`);
  });

  test("GaussianDropout statistics", () => {
    const y = new GaussianDropout({ rate: 0.2, seed: 1 }).apply(big, { training: true });
    assert.ok(Math.abs(meanOf(y.data) - 1) < 0.02, `mean ${meanOf(y.data)}`);
    assert.ok(Math.abs(varianceOf(y.data) - 0.25) < 0.02, `variance ${varianceOf(y.data)}`);
  });

  test("AlphaDropout keeps zero mean and unit variance", () => {
    const values = Float32Array.from({ length: 20000 }, (_, i) => {
      // Standard normal values from a fixed sequence (Box-Muller on a regular grid).
      const u = (i % 200 + 0.5) / 200;
      const v = (Math.floor(i / 200) + 0.5) / 100;
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    });
    const x = tensor(values, [20000, 1]);
    const y = new AlphaDropout({ rate: 0.3, seed: 5 }).apply(x, { training: true });
    assert.ok(Math.abs(meanOf(y.data)) < 0.03, `mean ${meanOf(y.data)}`);
    assert.ok(Math.abs(varianceOf(y.data) - 1) < 0.05, `variance ${varianceOf(y.data)}`);
  });

  test("seeded layers repeat their sequence", () => {
    const first = new GaussianNoise({ stddev: 1, seed: 11 }).apply(big, { training: true });
    const second = new GaussianNoise({ stddev: 1, seed: 11 }).apply(big, { training: true });
    assert.deepEqual([...first.data], [...second.data]);
  });

  test("invalid rates are rejected", () => {
    assert.throws(() => new SpatialDropout1D({ rate: 1.5 }), /Invalid `rate`/);
    assert.throws(() => new GaussianNoise({ stddev: -1 }), /Invalid `stddev`/);
    assert.throws(() => new AlphaDropout({ rate: 0.1, noiseShape: [0] }), /Invalid `noiseShape`/);
  });
});

describe("ActivityRegularization", () => {
  test("layer test", () => {
    runLayerTest({ create: () => new ActivityRegularization({ l1: 0.1, l2: 0.2 }), inputShape: [2, 3], expectedOutputShape: [null, 3], expectedParams: 0 });
  });

  test("adds the penalty divided by the batch size", () => {
    const layer = new ActivityRegularization({ l1: 0.5, l2: 2 });
    const y = layer.apply(tensor([[1, -2], [3, 0]]));
    assert.deepEqual(y.toArray(), [[1, -2], [3, 0]]);
    assert.equal(layer.losses.length, 1);
    // (0.5 · 6 + 2 · 14) / 2
    assert.ok(Math.abs(layer.losses[0]!.item() - 15.5) < 1e-5);
    layer.clearLosses();
    assert.equal(layer.losses.length, 0);
  });

  test("penalty reaches the gradient of a model's loss", () => {
    const dense = new Dense({ units: 2, kernelInitializer: "ones", biasInitializer: "zeros" });
    const model = new Sequential([Input({ shape: [2] }), dense, new ActivityRegularization({ l2: 1 })]);
    const x = tensor([[1, 2]]);
    clearLayerLosses(model);
    const { value, gradients } = valueAndGradients(
      () => addLayerLosses(ops.mul(ops.sum(model.apply(x, { training: true }) as Tensor), tensor(0)), model),
      [dense.trainableWeights[0]!.value],
    );
    // Outputs are [3, 3], so the loss is 9 + 9 and d/dkernel[i][j] = 2 · y_j · x_i.
    assert.ok(Math.abs(value.item() - 18) < 1e-5, `loss ${value.item()}`);
    assert.deepEqual([...gradients[0]!.data], [6, 6, 12, 12]);
    assert.equal(collectLayerLosses(model).length, 1);
    clearLayerLosses(model);
    assert.equal(collectLayerLosses(model).length, 0);
  });
});

describe("preprocessing layers", () => {
  test("Normalization layer test with fixed statistics", () => {
    runLayerTest({
      create: () => new Normalization({ mean: [0.5, -0.5, 0], variance: [1, 4, 9] }),
      inputShape: [2, 3],
      expectedOutputShape: [null, 3],
      expectedParams: 0,
    });
  });

  test("Normalization layer test with adapted weights", () => {
    runLayerTest({
      create: () => new Normalization(),
      inputShape: [2, 3],
      expectedOutputShape: [null, 3],
      expectedNonTrainableWeights: [
        { name: "mean", shape: [3] },
        { name: "variance", shape: [3] },
        { name: "count", shape: [] },
      ],
      expectedParams: 7,
    });
  });

  test("Normalization adapt over batches matches one tensor", () => {
    const data = tensor(Float32Array.from({ length: 40 }, (_, i) => Math.sin(i) * 3 + (i % 4)), [10, 4]);
    const whole = new Normalization();
    whole.adapt(data);
    const batched = new Normalization();
    batched.adapt([data]);
    assert.deepEqual([...batched.getWeights()[0]!.data], [...whole.getWeights()[0]!.data]);
    const split = new Normalization();
    const first = tensor(data.data.slice(0, 12), [3, 4]);
    const rest = tensor(data.data.slice(12), [7, 4]);
    split.adapt([first, rest]);
    whole.getWeights().slice(0, 2).forEach((w, i) => {
      [...w.data].forEach((v, j) => assert.ok(Math.abs(v - split.getWeights()[i]!.data[j]!) < 1e-5, `statistic ${i}, entry ${j}`));
    });
  });

  test("Normalization needs both statistics", () => {
    assert.throws(() => new Normalization({ mean: [1] }), /both `mean` and `variance`/);
    assert.throws(() => new Normalization({ mean: 1, variance: 1 }).adapt(tensor([[1]])), /cannot be adapted/);
  });

  test("Rescaling layer test", () => {
    runLayerTest({ create: () => new Rescaling({ scale: 0.5, offset: 1 }), inputShape: [2, 3], expectedOutputShape: [null, 3], expectedParams: 0 });
  });

  test("Rescaling with a per-channel scale", () => {
    const y = new Rescaling({ scale: [1, 10], offset: [0, 1] }).apply(tensor([[1, 2], [3, 4]]));
    assert.deepEqual(y.toArray(), [[1, 21], [3, 41]]);
  });

  test("CategoryEncoding rejects out-of-range ids", () => {
    const layer = new CategoryEncoding({ numTokens: 3 });
    assert.throws(() => layer.apply(tensor([[0, 3]])), /\[0, 3\)/);
    assert.throws(() => new CategoryEncoding({ numTokens: 0 }), /numTokens/);
    assert.throws(() => new CategoryEncoding({ numTokens: 2, outputMode: "tf_idf" as "count" }), /outputMode/);
  });

  test("CategoryEncoding config round trip", () => {
    const layer = new CategoryEncoding({ numTokens: 4, outputMode: "count" });
    const rebuilt = deserialize({ class_name: "CategoryEncoding", config: JSON.parse(JSON.stringify(layer.getConfig())) as Record<string, unknown> });
    assert.deepEqual(rebuilt.getConfig(), layer.getConfig());
  });

  test("Discretization returns int32 bucket indices", () => {
    const y = new Discretization({ binBoundaries: [0, 1] }).apply(tensor([[-1, 0, 0.5, 1, 2]]));
    assert.equal(y.dtype, "int32");
    assert.deepEqual(y.toArray(), [[0, 1, 1, 2, 2]]);
  });

  test("adapted Discretization survives its config", () => {
    const layer = new Discretization({ numBins: 4 });
    layer.adapt(tensor(Float32Array.from({ length: 100 }, (_, i) => i), [100]));
    const config = JSON.parse(JSON.stringify(layer.getConfig())) as Record<string, unknown>;
    const rebuilt = deserialize({ class_name: "Discretization", config });
    assert.deepEqual(rebuilt.getConfig(), layer.getConfig());
    const x = tensor([[3, 30, 60, 99]]);
    assert.deepEqual(rebuilt.apply(x).toArray(), layer.apply(x).toArray());
  });

  test("Discretization argument checks", () => {
    assert.throws(() => new Discretization({}), /exactly one of/);
    assert.throws(() => new Discretization({ binBoundaries: [1, 0] }), /sorted/);
    assert.throws(() => new Discretization({ binBoundaries: [0] }).adapt(tensor([1])), /cannot be adapted/);
    assert.throws(() => new Discretization({ numBins: 2 }).apply(tensor([1])), /adapt/);
  });
});
