import assert from "node:assert/strict";
import { test } from "node:test";
import { Add } from "../../src/layers/merging.js";
import { Dense } from "../../src/layers/dense.js";
import { Embedding } from "../../src/layers/embedding.js";
import { Input, type SymbolicTensor } from "../../src/layers/input.js";
import { MultiHeadAttention } from "../../src/layers/multi-head-attention.js";
import { LayerNormalization } from "../../src/layers/normalization.js";
import { GlobalAveragePooling1D } from "../../src/layers/pooling.js";
import { Model } from "../../src/models/model.js";
import { Adam } from "../../src/optimizers/adam.js";
import { setRandomSeed } from "../../src/random.js";
import type { Tensor } from "../../src/tensor/tensor.js";
import { forEachBackend } from "../helpers/backends.js";
import { sampleValues } from "../helpers/values.js";

const STEPS = 6;
const FEATURES = 3;

/** Applies one Transformer encoder block: self-attention and a feed-forward network, each with a residual Add and LayerNormalization. */
function encoderBlock(x: SymbolicTensor, width: number): SymbolicTensor {
  const attention = new MultiHeadAttention({ numHeads: 2, keyDim: 4 }).apply([x, x]) as SymbolicTensor;
  const attended = new LayerNormalization({ epsilon: 1e-6 }).apply(new Add().apply([x, attention]) as SymbolicTensor) as SymbolicTensor;
  const hidden = new Dense({ units: 16, activation: "relu" }).apply(attended) as SymbolicTensor;
  const projected = new Dense({ units: width }).apply(hidden) as SymbolicTensor;
  return new LayerNormalization({ epsilon: 1e-6 }).apply(new Add().apply([attended, projected]) as SymbolicTensor) as SymbolicTensor;
}

/**
 * Creates the toy task: every step's target is the product of its own first
 * feature and the sequence's mean second feature, so each output needs every step.
 */
function makeData(count: number, seed: number): { x: number[][][]; y: number[][][] } {
  const values = sampleValues(count * STEPS * FEATURES, seed, -1, 1);
  const x: number[][][] = [];
  const y: number[][][] = [];
  for (let n = 0; n < count; n++) {
    const sequence = Array.from({ length: STEPS }, (_, t) => values.slice((n * STEPS + t) * FEATURES, (n * STEPS + t + 1) * FEATURES));
    const meanSecond = sequence.reduce((total, step) => total + step[1]!, 0) / STEPS;
    x.push(sequence);
    y.push(sequence.map((step) => [step[0]! * meanSecond * 4]));
  }
  return { x, y };
}

test(
  "Transformer encoder block trains with fit",
  forEachBackend(async () => {
    setRandomSeed(3);
    const inputs = Input({ shape: [STEPS, FEATURES] });
    const embedded = new Dense({ units: 8 }).apply(inputs) as SymbolicTensor;
    const encoded = encoderBlock(embedded, 8);
    const outputs = new Dense({ units: 1 }).apply(encoded) as SymbolicTensor;
    const model = new Model({ inputs, outputs });
    model.compile({ optimizer: new Adam({ learningRate: 0.01 }), loss: "mse" });

    const { x, y } = makeData(64, 21);
    const history = await model.fit(x, y, { epochs: 25, batchSize: 16, verbose: 0 });
    const losses = history.history["loss"]!;
    assert.ok(losses.every(Number.isFinite), "every epoch's loss is finite");
    assert.ok(losses[losses.length - 1]! < losses[0]! * 0.5, `loss falls by half: ${losses[0]} first, ${losses[losses.length - 1]} last`);

    const predictions = model.predict(x.slice(0, 2)) as Tensor;
    assert.deepEqual([...predictions.shape], [2, STEPS, 1], "prediction shape");
  }),
);

test("Transformer encoder config survives fromConfig", () => {
  const inputs = Input({ shape: [STEPS, FEATURES] });
  const embedded = new Dense({ units: 8 }).apply(inputs) as SymbolicTensor;
  const pooled = new GlobalAveragePooling1D().apply(encoderBlock(embedded, 8)) as SymbolicTensor;
  const model = new Model({ inputs, outputs: new Dense({ units: 1 }).apply(pooled) as SymbolicTensor });
  const config = JSON.parse(JSON.stringify(model.getConfig())) as Record<string, unknown>;
  const rebuilt = Model.fromConfig(config);
  assert.deepEqual(JSON.parse(JSON.stringify(rebuilt.getConfig())), config, "config after fromConfig");
  assert.deepEqual(
    rebuilt.weights.map((w) => [...w.shape]),
    model.weights.map((w) => [...w.shape]),
    "weight shapes of the rebuilt model",
  );
  rebuilt.setWeights(model.getWeights());
  const { x } = makeData(2, 5);
  assert.deepEqual([...(rebuilt.predict(x) as Tensor).data], [...(model.predict(x) as Tensor).data], "rebuilt model predicts the same");
});

test("padding masks reach attention in a model", () => {
  setRandomSeed(4);
  const inputs = Input({ shape: [null] });
  const embedded = new Embedding({ inputDim: 10, outputDim: 6, maskZero: true }).apply(inputs) as SymbolicTensor;
  const attended = new MultiHeadAttention({ numHeads: 2, keyDim: 3 }).apply([embedded, embedded]) as SymbolicTensor;
  const pooled = new GlobalAveragePooling1D().apply(attended) as SymbolicTensor;
  const model = new Model({ inputs, outputs: new Dense({ units: 1 }).apply(pooled) as SymbolicTensor });
  const short = (model.predict([[3, 1, 4]], { verbose: 0 }) as Tensor).data[0]!;
  const padded = (model.predict([[3, 1, 4, 0, 0]], { verbose: 0 }) as Tensor).data[0]!;
  const unpadded = (model.predict([[3, 1, 4, 1, 5]], { verbose: 0 }) as Tensor).data[0]!;
  assert.ok(Math.abs(short - padded) < 1e-6, `padding changes nothing: ${short} without, ${padded} with`);
  assert.ok(Math.abs(short - unpadded) > 1e-4, `real tokens change the output: ${short} and ${unpadded}`);
});
