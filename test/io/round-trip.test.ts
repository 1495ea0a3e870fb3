import assert from "node:assert/strict";
import { test } from "node:test";
import { encodeModel, loadModel } from "../../src/io/saving.js";
import * as layers from "../../src/layers/index.js";
import { Input, type SymbolicTensor } from "../../src/layers/input.js";
import type { Layer } from "../../src/layers/layer.js";
import { Model } from "../../src/models/model.js";
import { Sequential } from "../../src/models/sequential.js";
import { Adam } from "../../src/optimizers/adam.js";
import { SGD } from "../../src/optimizers/sgd.js";
import * as optimizers from "../../src/optimizers/index.js";
import { RandomGenerator, setRandomSeed } from "../../src/random.js";
import { Tensor } from "../../src/tensor/tensor.js";

/** One model per group of layer types; together they use every layer class that `deserialize` can rebuild (RNN cells inside their layers). */
interface RoundTripCase {
  name: string;
  build: () => Model;
  inputShapes: number[][];
  outputShape: number[];
  /** Integer inputs below this bound (for Embedding), else uniform floats. */
  integerInputs?: number;
  loss?: string;
}

function sequential(input: number[], stack: Layer[]): () => Model {
  return () => new Sequential([Input({ shape: input }), ...stack]);
}

const cases: RoundTripCase[] = [
  {
    name: "Dense, Activation, Dropout and Flatten",
    build: () =>
      new Sequential([
        Input({ shape: [2, 3] }),
        new layers.Flatten(),
        new layers.Dense({ units: 4, activation: "relu" }),
        new layers.Dropout({ rate: 0.5 }),
        new layers.Dense({ units: 2 }),
        new layers.Activation({ activation: "sigmoid" }),
      ]),
    inputShapes: [[5, 2, 3]],
    outputShape: [5, 2],
  },
  {
    name: "1D convolution and pooling",
    build: () =>
      sequential([8, 2], [
        new layers.Conv1D({ filters: 3, kernelSize: 3, padding: "same", activation: "relu" }),
        new layers.MaxPooling1D({ poolSize: 2 }),
        new layers.Conv1DTranspose({ filters: 2, kernelSize: 3, strides: 2, padding: "same" }),
        new layers.AveragePooling1D({ poolSize: 2 }),
        new layers.GlobalMaxPooling1D(),
      ])(),
    inputShapes: [[3, 8, 2]],
    outputShape: [3, 2],
  },
  {
    name: "2D convolution and pooling",
    build: () =>
      sequential([6, 6, 1], [
        new layers.Conv2D({ filters: 2, kernelSize: 3, activation: "relu" }),
        new layers.Conv2DTranspose({ filters: 2, kernelSize: 2 }),
        new layers.MaxPooling2D({ poolSize: 2 }),
        new layers.AveragePooling2D({ poolSize: 1 }),
        new layers.GlobalAveragePooling2D(),
      ])(),
    inputShapes: [[2, 6, 6, 1]],
    outputShape: [2, 2],
  },
  {
    name: "normalization and activation layers",
    build: () =>
      sequential([4, 3], [
        new layers.BatchNormalization(),
        new layers.LayerNormalization(),
        new layers.Dense({ units: 3 }),
        new layers.PReLU(),
        new layers.LeakyReLU({ negativeSlope: 0.2 }),
        new layers.ELU(),
        new layers.ReLU(),
        new layers.Softmax(),
        new layers.GlobalMaxPooling1D(),
      ])(),
    inputShapes: [[4, 4, 3]],
    outputShape: [4, 3],
  },
  {
    name: "reshaping layers",
    build: () =>
      sequential([6], [
        new layers.Reshape({ targetShape: [2, 3] }),
        new layers.Permute({ dims: [2, 1] }),
        new layers.Flatten(),
        new layers.RepeatVector({ n: 2 }),
        new layers.GlobalAveragePooling1D(),
        new layers.Dense({ units: 2 }),
      ])(),
    inputShapes: [[3, 6]],
    outputShape: [3, 2],
  },
  {
    name: "Embedding and recurrent layers",
    build: () =>
      sequential([5], [
        new layers.Embedding({ inputDim: 7, outputDim: 3, maskZero: true }),
        new layers.SimpleRNN({ units: 3, returnSequences: true }),
        new layers.Bidirectional({ layer: new layers.GRU({ units: 2, returnSequences: true }) }),
        new layers.LSTM({ units: 2 }),
      ])(),
    inputShapes: [[4, 5]],
    integerInputs: 7,
    outputShape: [4, 2],
  },
  {
    name: "functional model with Add and Concatenate",
    build: () => {
      const a = Input({ shape: [3], name: "a" });
      const b = Input({ shape: [3], name: "b" });
      const shared = new layers.Dense({ units: 3, activation: "tanh" });
      const sum = new layers.Add().apply([shared.apply(a), shared.apply(b)]) as SymbolicTensor;
      const joined = new layers.Concatenate().apply([sum, a]) as SymbolicTensor;
      return new Model({ inputs: [a, b], outputs: new layers.Dense({ units: 2 }).apply(joined) });
    },
    inputShapes: [[4, 3], [4, 3]],
    outputShape: [4, 2],
  },
  {
    name: "GlobalMaxPooling2D",
    build: sequential([3, 3, 2], [new layers.GlobalMaxPooling2D(), new layers.Dense({ units: 2 })]),
    inputShapes: [[2, 3, 3, 2]],
    outputShape: [2, 2],
  },
  {
    name: "3D convolution and pooling",
    build: () =>
      sequential([4, 4, 4, 1], [
        new layers.Conv3D({ filters: 2, kernelSize: 2 }),
        new layers.Conv3DTranspose({ filters: 2, kernelSize: 2 }),
        new layers.MaxPooling3D({ poolSize: 2 }),
        new layers.AveragePooling3D({ poolSize: 1 }),
        new layers.GlobalMaxPooling3D(),
        new layers.Reshape({ targetShape: [1, 1, 1, 2] }),
        new layers.GlobalAveragePooling3D(),
      ])(),
    inputShapes: [[2, 4, 4, 4, 1]],
    outputShape: [2, 2],
  },
  {
    name: "depthwise and separable convolutions",
    build: () =>
      sequential([6, 6, 2], [
        new layers.DepthwiseConv2D({ kernelSize: 3 }),
        new layers.SeparableConv2D({ filters: 2, kernelSize: 2 }),
        new layers.Reshape({ targetShape: [9, 2] }),
        new layers.DepthwiseConv1D({ kernelSize: 2 }),
        new layers.SeparableConv1D({ filters: 2, kernelSize: 2 }),
        new layers.GlobalAveragePooling1D(),
      ])(),
    inputShapes: [[2, 6, 6, 2]],
    outputShape: [2, 2],
  },
  {
    name: "padding, cropping and upsampling",
    build: () =>
      sequential([4, 4, 2], [
        new layers.ZeroPadding2D({ padding: 1 }),
        new layers.Cropping2D({ cropping: 1 }),
        new layers.UpSampling2D({ size: 2 }),
        new layers.Reshape({ targetShape: [8, 8, 2, 1] }),
        new layers.ZeroPadding3D({ padding: 1 }),
        new layers.Cropping3D({ cropping: 1 }),
        new layers.UpSampling3D({ size: 1 }),
        new layers.Reshape({ targetShape: [64, 2] }),
        new layers.ZeroPadding1D({ padding: 1 }),
        new layers.Cropping1D({ cropping: 1 }),
        new layers.UpSampling1D({ size: 2 }),
        new layers.SpatialDropout1D({ rate: 0.2 }),
        new layers.GlobalMaxPooling1D(),
        new layers.Dense({ units: 2 }),
      ])(),
    inputShapes: [[2, 4, 4, 2]],
    outputShape: [2, 2],
  },
  {
    name: "noise, regularization and preprocessing layers",
    build: () =>
      sequential([4, 4], [
        new layers.Rescaling({ scale: 0.5, offset: 0.1 }),
        new layers.Normalization({ mean: [0, 0.1, 0.2, 0.3], variance: [1, 2, 3, 4] }),
        new layers.Masking({ maskValue: 0 }),
        new layers.GaussianNoise({ stddev: 0.1 }),
        new layers.GaussianDropout({ rate: 0.1 }),
        new layers.AlphaDropout({ rate: 0.1 }),
        new layers.ActivityRegularization({ l2: 0.01 }),
        new layers.GroupNormalization({ groups: 2 }),
        new layers.UnitNormalization(),
        new layers.Reshape({ targetShape: [4, 4, 1] }),
        new layers.SpatialDropout2D({ rate: 0.1 }),
        new layers.Reshape({ targetShape: [4, 4, 1, 1] }),
        new layers.SpatialDropout3D({ rate: 0.1 }),
        new layers.Reshape({ targetShape: [16] }),
        new layers.Dense({ units: 2 }),
      ])(),
    inputShapes: [[3, 4, 4]],
    outputShape: [3, 2],
  },
  {
    name: "Discretization and CategoryEncoding",
    build: () =>
      sequential([3], [
        new layers.Discretization({ binBoundaries: [-0.5, 0, 0.5] }),
        new layers.CategoryEncoding({ numTokens: 4, outputMode: "multi_hot" }),
        new layers.Dense({ units: 2 }),
      ])(),
    inputShapes: [[4, 3]],
    outputShape: [4, 2],
  },
  {
    name: "merging and attention layers",
    build: () => {
      const query = Input({ shape: [3, 4], name: "query" });
      const value = Input({ shape: [3, 4], name: "value" });
      const merged = [
        new layers.Subtract().apply([query, value]),
        new layers.Multiply().apply([query, value]),
        new layers.Average().apply([query, value]),
        new layers.Maximum().apply([query, value]),
        new layers.Minimum().apply([query, value]),
      ] as SymbolicTensor[];
      const attended = [
        new layers.Attention().apply([merged[0]!, merged[1]!]),
        new layers.AdditiveAttention().apply([merged[2]!, merged[3]!]),
        new layers.MultiHeadAttention({ numHeads: 2, keyDim: 2 }).apply([merged[4]!, value]),
      ] as SymbolicTensor[];
      const joined = new layers.Concatenate().apply(attended) as SymbolicTensor;
      const projected = new layers.TimeDistributed({ layer: new layers.Dense({ units: 2 }) }).apply(joined) as SymbolicTensor;
      const dot = new layers.Dot({ axes: [1, 1] }).apply([projected, projected]) as SymbolicTensor;
      return new Model({ inputs: [query, value], outputs: new layers.Flatten().apply(dot) });
    },
    inputShapes: [[2, 3, 4], [2, 3, 4]],
    outputShape: [2, 4],
  },
  {
    name: "nested Sequential in a functional model, trained with SGD",
    build: () => {
      const inner = new Sequential([Input({ shape: [3] }), new layers.Dense({ units: 4, activation: "relu" })], { name: "inner" });
      const x = Input({ shape: [3] });
      return new Model({ inputs: x, outputs: new layers.Dense({ units: 2 }).apply(inner.apply(x) as SymbolicTensor) });
    },
    inputShapes: [[4, 3]],
    outputShape: [4, 2],
  },
];

function randomTensor(shape: number[], seed: number, integerBound?: number): Tensor {
  const generator = new RandomGenerator(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(size);
  for (let i = 0; i < size; i++) data[i] = integerBound ? Math.floor(generator.uniform() * integerBound) : generator.uniform() * 2 - 1;
  return new Tensor(data, shape);
}

function predictions(model: Model, inputs: Tensor[]): number[][] {
  const output = model.predict(inputs.length === 1 ? inputs[0]! : inputs, { verbose: 0 });
  const list = Array.isArray(output) ? output : [output as Tensor];
  return list.map((t) => Array.from(t.data));
}

function weightValues(model: Model): number[][] {
  return model.weights.map((w) => Array.from(w.value.data));
}

function optimizerValues(model: Model): number[][] {
  return model.optimizer!.variables.map((v) => Array.from(v.value.data));
}

for (const testCase of cases) {
  test(`round trip: ${testCase.name}`, async () => {
    setRandomSeed(1);
    const model = testCase.build();
    const optimizer = testCase.name.includes("SGD") ? new SGD({ learningRate: 0.05, momentum: 0.9 }) : new Adam({ learningRate: 0.01 });
    model.compile({ optimizer, loss: testCase.loss ?? "mse" });
    const inputs = testCase.inputShapes.map((shape, i) => randomTensor(shape, 10 + i, testCase.integerInputs));
    const x = inputs.length === 1 ? inputs[0]! : inputs;
    const y = randomTensor(testCase.outputShape, 99);
    setRandomSeed(2);
    model.trainOnBatch(x, y);

    const bytes = await encodeModel(model);
    const loaded = await loadModel(bytes);

    assert.deepEqual(predictions(loaded, inputs), predictions(model, inputs), "predictions after loading");
    assert.equal(JSON.stringify(loaded.getConfig()), JSON.stringify(model.getConfig()), "config after loading");
    assert.ok(loaded.optimizer, "the loaded model is compiled");
    assert.equal(loaded.optimizer!.className, model.optimizer!.className, "optimizer class");
    assert.deepEqual(loaded.optimizer!.getConfig(), model.optimizer!.getConfig(), "optimizer config");
    assert.deepEqual(optimizerValues(loaded), optimizerValues(model), "optimizer state");

    setRandomSeed(3);
    model.trainOnBatch(x, y);
    setRandomSeed(3);
    loaded.trainOnBatch(x, y);
    assert.deepEqual(weightValues(loaded), weightValues(model), "weights after one more training step");
    assert.deepEqual(optimizerValues(loaded), optimizerValues(model), "optimizer state after one more training step");
  });
}

// Every optimizer, some with the common options, saves its state and resumes exactly.
const optimizerCases: [string, () => optimizers.Optimizer][] = [
  ["SGD with Nesterov", () => new optimizers.SGD({ learningRate: 0.05, momentum: 0.9, nesterov: true })],
  ["Adam with amsgrad", () => new optimizers.Adam({ learningRate: 0.01, amsgrad: true })],
  ["AdamW", () => new optimizers.AdamW({ learningRate: 0.01 })],
  ["RMSprop centered with momentum", () => new optimizers.RMSprop({ centered: true, momentum: 0.5 })],
  ["Adagrad", () => new optimizers.Adagrad({ learningRate: 0.05 })],
  ["Adadelta", () => new optimizers.Adadelta({ learningRate: 0.5 })],
  ["Adamax", () => new optimizers.Adamax()],
  ["Nadam", () => new optimizers.Nadam()],
  ["Lion", () => new optimizers.Lion()],
  ["Lamb", () => new optimizers.Lamb()],
  ["Ftrl", () => new optimizers.Ftrl({ learningRate: 0.05 })],
  ["Adafactor", () => new optimizers.Adafactor()],
  ["Adam with EMA and clipnorm", () => new optimizers.Adam({ useEma: true, clipnorm: 1 })],
  ["SGD with gradient accumulation", () => new optimizers.SGD({ gradientAccumulationSteps: 2 })],
  ["Adam on a schedule", () => new optimizers.Adam({ learningRate: new optimizers.schedules.ExponentialDecay({ initialLearningRate: 0.01, decaySteps: 2, decayRate: 0.5 }) })],
];

for (const [name, create] of optimizerCases) {
  test(`optimizer round trip: ${name}`, async () => {
    setRandomSeed(5);
    const model = new Sequential([Input({ shape: [3] }), new layers.Dense({ units: 4, activation: "tanh" }), new layers.Dense({ units: 2 })]);
    model.compile({ optimizer: create(), loss: "mse" });
    const x = randomTensor([6, 3], 20);
    const y = randomTensor([6, 2], 21);
    model.trainOnBatch(x, y);
    model.trainOnBatch(x, y);
    model.trainOnBatch(x, y);

    const loaded = await loadModel(await encodeModel(model));
    assert.equal(loaded.optimizer!.className, model.optimizer!.className, "optimizer class");
    assert.deepEqual(loaded.optimizer!.getConfig(), model.optimizer!.getConfig(), "optimizer config");
    assert.deepEqual(optimizerValues(loaded), optimizerValues(model), "optimizer state");

    model.trainOnBatch(x, y);
    loaded.trainOnBatch(x, y);
    assert.deepEqual(weightValues(loaded), weightValues(model), "weights after one more step");
    assert.deepEqual(optimizerValues(loaded), optimizerValues(model), "optimizer state after one more step");
  });
}
