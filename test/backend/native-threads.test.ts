// A seeded run gives bit-identical weights on the native backend whatever its thread count.
import assert from "node:assert/strict";
import { availableParallelism } from "node:os";
import { test } from "node:test";
import { getBackend, listBackends, nativeBackendError, setBackend } from "../../src/backend/registry.js";
import type { NativeBackend } from "../../src/backend/native/index.js";
import { Dense } from "../../src/layers/dense.js";
import { Input } from "../../src/layers/input.js";
import { GRU, LSTM } from "../../src/layers/recurrent.js";
import { Sequential } from "../../src/models/sequential.js";
import { setRandomSeed } from "../../src/random.js";
import { tensor } from "../../src/tensor/tensor.js";
import { sampleArray } from "../helpers/values.js";

const available = listBackends().includes("native");

async function trainDenseWeights(): Promise<Float32Array[]> {
  setRandomSeed(7);
  // Large enough that matrix products and the optimizer update split into several tasks.
  const model = new Sequential([
    Input({ shape: [784] }),
    new Dense({ units: 1024, activation: "relu" }),
    new Dense({ units: 64, activation: "tanh" }),
    new Dense({ units: 10, activation: "softmax" }),
  ]);
  model.compile({ optimizer: "adam", loss: "categorical_crossentropy" });
  const samples = 256;
  // About four inputs in five are 0, in runs as in images, so the first layer's products
  // ([128, 784] · [784, 1024] and its kernel gradient) take the path that leaves out zeros.
  const inputs = sampleArray("float32", samples * 784, 1);
  for (let i = 0; i < inputs.length; i++) if (i % 97 >= 20) inputs[i] = 0;
  const x = tensor(inputs, [samples, 784]);
  const labels = new Float32Array(samples * 10);
  for (let i = 0; i < samples; i++) labels[i * 10 + (i % 10)] = 1;
  await model.fit(x, tensor(labels, [samples, 10]), { epochs: 2, batchSize: 128, verbose: 0 });
  return model.getWeights().map((w) => w.data as Float32Array);
}

async function trainLstmWeights(): Promise<Float32Array[]> {
  setRandomSeed(8);
  // 40 rows per batch span three of the recurrent kernel's row blocks, which run as parallel tasks.
  const model = new Sequential([Input({ shape: [12, 5] }), new LSTM({ units: 48, returnSequences: true }), new GRU({ units: 16 }), new Dense({ units: 1 })]);
  model.compile({ optimizer: "adam", loss: "mse" });
  const samples = 80;
  const x = tensor(sampleArray("float32", samples * 12 * 5, 2), [samples, 12, 5]);
  const y = tensor(sampleArray("float32", samples, 3), [samples, 1]);
  await model.fit(x, y, { epochs: 2, batchSize: 40, verbose: 0 });
  return model.getWeights().map((w) => w.data as Float32Array);
}

for (const [label, trainWeights] of [
  ["dense", trainDenseWeights],
  ["recurrent", trainLstmWeights],
] as const) {
  test(`native ${label} weights independent of threads`, { skip: available ? false : `native backend unavailable: ${nativeBackendError()}` }, async () => {
    const previous = getBackend().name;
    setBackend("native");
    const addon = (getBackend() as NativeBackend).addon;
    try {
      assert.equal(addon.setThreads(1), 1);
      const single = await trainWeights();
      assert.equal(addon.setThreads(4), 4, "the pool can run more threads than cores");
      const several = await trainWeights();
      single.forEach((weights, i) => {
        assert.deepEqual(Buffer.from(weights.buffer, weights.byteOffset, weights.byteLength), Buffer.from(several[i]!.buffer, several[i]!.byteOffset, several[i]!.byteLength), `weight ${i} differs bit for bit`);
      });
    } finally {
      addon.setThreads(availableParallelism());
      setBackend(previous);
    }
  });
}
