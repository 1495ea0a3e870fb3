import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Dense } from "../../src/layers/dense.js";
import { Embedding } from "../../src/layers/embedding.js";
import { Input } from "../../src/layers/input.js";
import { Bidirectional } from "../../src/layers/bidirectional.js";
import { GRU, LSTM } from "../../src/layers/recurrent.js";
import { Sequential } from "../../src/models/sequential.js";
import { Adam } from "../../src/optimizers/index.js";
import { RandomGenerator, setRandomSeed } from "../../src/random.js";
import { forEachBackend } from "../helpers/backends.js";

/**
 * Padded token sequences of length 1 to 6 (tokens 1 to 9, then zeros). The
 * label is 1 when the last real token is above 5, so the model must read
 * through the padding mask to the final unmasked step.
 */
function tokenData(count: number, seed: number): { x: number[][]; y: number[][] } {
  const generator = new RandomGenerator(seed);
  const x: number[][] = [];
  const y: number[][] = [];
  for (let i = 0; i < count; i++) {
    const length = 1 + generator.integer(6);
    const row = Array.from({ length: 6 }, (_, t) => (t < length ? 1 + generator.integer(9) : 0));
    x.push(row);
    y.push([row[length - 1]! > 5 ? 1 : 0]);
  }
  return { x, y };
}

describe("recurrent models train with fit", () => {
  test(
    "Embedding(maskZero) > LSTM > Dense sigmoid",
    forEachBackend(async (backend) => {
      setRandomSeed(1);
      const model = new Sequential([
        Input({ shape: [6] }),
        new Embedding({ inputDim: 10, outputDim: 8, maskZero: true }),
        new LSTM({ units: 8 }),
        new Dense({ units: 1, activation: "sigmoid" }),
      ]);
      model.compile({ optimizer: new Adam({ learningRate: 0.02 }), loss: "binary_crossentropy", metrics: ["accuracy"] });
      const { x, y } = tokenData(128, 2);
      const history = await model.fit(x, y, { epochs: 15, batchSize: 16, verbose: 0 });
      const losses = history.history["loss"]!;
      assert.ok(losses.every(Number.isFinite), `${backend}: finite losses`);
      assert.ok(losses[losses.length - 1]! < 0.6 * losses[0]!, `${backend}: loss falls from ${losses[0]} to ${losses[losses.length - 1]}`);
    }),
  );

  test(
    "GRU regression",
    forEachBackend(async (backend) => {
      setRandomSeed(3);
      const generator = new RandomGenerator(4);
      const x: number[][][] = [];
      const y: number[][] = [];
      for (let i = 0; i < 96; i++) {
        const sequence = Array.from({ length: 5 }, () => [generator.uniform() * 2 - 1, generator.uniform() * 2 - 1]);
        x.push(sequence);
        // A running sum weighted towards recent steps.
        y.push([sequence.reduce((total, [a, b], t) => total + (a! - 0.5 * b!) * (t + 1) * 0.1, 0)]);
      }
      const model = new Sequential([Input({ shape: [5, 2] }), new GRU({ units: 8 }), new Dense({ units: 1 })]);
      model.compile({ optimizer: new Adam({ learningRate: 0.02 }), loss: "mse" });
      const history = await model.fit(x, y, { epochs: 20, batchSize: 16, verbose: 0 });
      const losses = history.history["loss"]!;
      assert.ok(losses[losses.length - 1]! < 0.3 * losses[0]!, `${backend}: loss falls from ${losses[0]} to ${losses[losses.length - 1]}`);
    }),
  );

  test("stacked Bidirectional LSTM trains", async () => {
    setRandomSeed(5);
    const model = new Sequential([
      Input({ shape: [6] }),
      new Embedding({ inputDim: 10, outputDim: 4, maskZero: true }),
      new Bidirectional({ layer: new LSTM({ units: 4, returnSequences: true }) }),
      new GRU({ units: 4 }),
      new Dense({ units: 1, activation: "sigmoid" }),
    ]);
    model.compile({ optimizer: new Adam({ learningRate: 0.02 }), loss: "binary_crossentropy" });
    const { x, y } = tokenData(64, 6);
    const history = await model.fit(x, y, { epochs: 8, batchSize: 16, verbose: 0 });
    const losses = history.history["loss"]!;
    assert.ok(losses[losses.length - 1]! < losses[0]!, `loss falls from ${losses[0]} to ${losses[losses.length - 1]}`);
  });
});
