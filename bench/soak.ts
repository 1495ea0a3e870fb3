/**
 * Long-run memory check: trains the main example's model for 200 epochs on
 * 8,000 MNIST digits, then calls `predict` on one sample 10,000 times, and
 * prints the heap and resident memory before, during and after.
 *
 * Run with `npm run soak` (several minutes on the native backend). The
 * script fails (exit code 1) when the heap after garbage collection grows by
 * more than HEAP_GROWTH_LIMIT_MB between the end of the first 10 epochs and
 * the end of the run. The comment at that constant gives the reason for the bound.
 */

import { Dense, Input, Sequential, getBackend, setRandomSeed, tensor } from "stratum-ml";
import { loadMnistDigits } from "./data.js";

const TRAIN = 8000;
const EPOCHS = Number(process.env.SOAK_EPOCHS ?? 200);
const PREDICTS = Number(process.env.SOAK_PREDICTS ?? 10000);
/**
 * The model's weights, Adam state and training workspace take a few MB and
 * reach their size in the first epoch. Everything allocated per step after
 * that is garbage. A run that keeps nothing per step should therefore end
 * with the heap where the first 10 epochs left it, give or take the GC's own
 * bookkeeping. 8 MB leaves room for that and for V8's code caches, while a
 * leak of one small array per step (2.5 million steps and predicts) would
 * exceed it many times over.
 */
const HEAP_GROWTH_LIMIT_MB = 8;

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) {
  console.error("Run this script with node --expose-gc (npm run soak does).");
  process.exit(2);
}

function sample(label: string): { heap: number; rss: number } {
  gc!();
  const usage = process.memoryUsage();
  const heap = usage.heapUsed / 2 ** 20;
  const rss = usage.rss / 2 ** 20;
  console.log(`${label.padEnd(28)} heap ${heap.toFixed(1).padStart(7)} MB   rss ${rss.toFixed(1).padStart(7)} MB`);
  return { heap, rss };
}

setRandomSeed(0);
const { x, labels } = loadMnistDigits();
const onehot = new Float32Array(TRAIN * 10);
for (let i = 0; i < TRAIN; i++) onehot[i * 10 + labels[i]!] = 1;
const xTrain = tensor(x.slice(0, TRAIN * 784), [TRAIN, 784]);
const yTrain = tensor(onehot, [TRAIN, 10]);

const model = new Sequential([Input({ shape: [784] }), new Dense({ units: 64, activation: "relu" }), new Dense({ units: 10, activation: "softmax" })]);
model.compile({ optimizer: "adam", loss: "categorical_crossentropy", metrics: ["accuracy"] });
console.log(`backend ${getBackend().name}, ${EPOCHS} epochs, ${PREDICTS} single-sample predicts`);

sample("before training");
await model.fit(xTrain, yTrain, { epochs: Math.min(10, EPOCHS), batchSize: 32, verbose: 0 });
const warm = sample("after 10 epochs");
for (let done = 10; done < EPOCHS; done += 50) {
  await model.fit(xTrain, yTrain, { epochs: Math.min(50, EPOCHS - done), batchSize: 32, verbose: 0 });
  sample(`after ${Math.min(done + 50, EPOCHS)} epochs`);
}
const one = tensor(x.slice(0, 784), [1, 784]);
for (let i = 0; i < PREDICTS; i++) model.predict(one, { verbose: 0 });
const end = sample(`after ${PREDICTS} predicts`);

const growth = end.heap - warm.heap;
console.log(`heap growth since epoch 10: ${growth.toFixed(1)} MB (limit ${HEAP_GROWTH_LIMIT_MB} MB), rss growth ${(end.rss - warm.rss).toFixed(1)} MB`);
if (growth > HEAP_GROWTH_LIMIT_MB) {
  console.error("The heap grew beyond the limit: something is kept per step.");
  process.exit(1);
}
