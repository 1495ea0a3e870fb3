import assert from "node:assert/strict";
import { test } from "node:test";
import { Dense } from "../../src/layers/dense.js";
import { Input } from "../../src/layers/input.js";
import { BatchNormalization } from "../../src/layers/normalization.js";
import { Sequential } from "../../src/models/sequential.js";
import { Adam } from "../../src/optimizers/adam.js";
import { setRandomSeed } from "../../src/random.js";
import { forEachBackend } from "../helpers/backends.js";
import { sampleValues } from "../helpers/values.js";

test(
  "Dense, BatchNormalization, Dense trains with fit",
  forEachBackend(async () => {
    setRandomSeed(7);
    const count = 64;
    const values = sampleValues(count * 3, 11, -1, 1);
    // Features far from zero mean and unit variance, so the normalization has work to do.
    const x = Array.from({ length: count }, (_, i) => [values[3 * i]! * 4 + 3, values[3 * i + 1]! * 0.5 - 2, values[3 * i + 2]!]);
    const y = x.map(([a, b, c]) => [0.5 * a! - b! + 2 * c!]);

    const batchNorm = new BatchNormalization();
    const model = new Sequential([Input({ shape: [3] }), new Dense({ units: 8, activation: "relu" }), batchNorm, new Dense({ units: 1 })]);
    model.compile({ optimizer: new Adam({ learningRate: 0.05 }), loss: "mse" });
    const meanBuffer = batchNorm.movingMean!.value.data;
    const varianceBuffer = batchNorm.movingVariance!.value.data;

    const history = await model.fit(x, y, { epochs: 20, batchSize: 16, verbose: 0 });
    const losses = history.history["loss"]!;
    assert.ok(losses[losses.length - 1]! < losses[0]! * 0.5, `loss falls by half: ${losses[0]} first, ${losses[losses.length - 1]} last`);

    assert.equal(batchNorm.movingMean!.value.data, meanBuffer, "moving mean keeps its buffer");
    assert.equal(batchNorm.movingVariance!.value.data, varianceBuffer, "moving variance keeps its buffer");
    assert.ok([...meanBuffer].some((v) => v !== 0), "moving mean moved from zeros");
    assert.ok([...varianceBuffer].some((v) => v !== 1), "moving variance moved from ones");
    const predictions = model.predict(x.slice(0, 4));
    assert.ok([...predictions.data].every(Number.isFinite), "inference predictions are finite");
  }),
);
