// fit and evaluate options against Keras 3.15.1 (test/reference/fit_options.py),
// and fit on iterables of batches.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Callback } from "../../src/callbacks/callback.js";
import { Dense } from "../../src/layers/dense.js";
import { Input } from "../../src/layers/input.js";
import { setLogSink } from "../../src/logger.js";
import { ArraySource } from "../../src/models/batches.js";
import type { CompileOptions, FitOptions } from "../../src/models/model.js";
import { Sequential } from "../../src/models/sequential.js";
import { square, sum } from "../../src/ops/index.js";
import { SGD } from "../../src/optimizers/sgd.js";
import { setRandomSeed } from "../../src/random.js";
import { Tensor, tensor } from "../../src/tensor/tensor.js";
import { forEachBackend } from "../helpers/backends.js";
import { assertClose, flat } from "../helpers/close.js";

interface ReferenceCase {
  initial_weights: number[][][];
  x: number[][];
  y: number[][];
  sample_weight?: number[];
  validation?: { x: number[][]; y: number[][] };
  history: Record<string, number[]>;
  epochs: number[];
  final_weights: unknown[];
  evaluate?: Record<string, number>;
}

const reference = JSON.parse(readFileSync(new URL("../fixtures/reference/fit_options.json", import.meta.url), "utf8")) as {
  cases: Record<string, ReferenceCase>;
};

function referenceModel(ref: ReferenceCase): Sequential {
  const model = new Sequential([Input({ shape: [4] }), new Dense({ units: 3, activation: "relu" }), new Dense({ units: 2, activation: "softmax" })]);
  model.weights.forEach((w, i) => w.assign(tensor(ref.initial_weights[i]!)));
  return model;
}

async function runCase(name: string, compile: Omit<CompileOptions, "optimizer" | "loss">, fit: (ref: ReferenceCase) => FitOptions): Promise<void> {
  const ref = reference.cases[name]!;
  const model = referenceModel(ref);
  model.compile({ optimizer: new SGD({ learningRate: 0.1 }), loss: "categorical_crossentropy", ...compile });
  const history = await model.fit(tensor(ref.x), tensor(ref.y), { shuffle: false, verbose: 0, ...fit(ref) });
  assert.deepEqual(history.epoch, ref.epochs, "epoch numbers");
  assert.deepEqual(Object.keys(history.history).sort(), Object.keys(ref.history).sort(), "history keys");
  for (const [key, values] of Object.entries(ref.history)) assertClose(history.history[key]!, values, { message: key });
  model.weights.forEach((w, i) => assertClose([...w.value.data], flat(ref.final_weights[i]), { message: w.path }));
  if (ref.evaluate) {
    const logs = (await model.evaluate(tensor(ref.x), tensor(ref.y), {
      batchSize: 4,
      verbose: 0,
      returnDict: true,
      sampleWeight: ref.sample_weight,
    })) as Record<string, number>;
    assert.deepEqual(Object.keys(logs), Object.keys(ref.evaluate), "evaluate keys");
    for (const [key, value] of Object.entries(ref.evaluate)) assertClose([logs[key]!], [value], { message: `evaluate ${key}` });
  }
}

describe("fit options against Keras", () => {
  it(
    "sample weights and weighted metrics",
    forEachBackend(() =>
      runCase("sample_weight", { metrics: ["accuracy"], weightedMetrics: ["accuracy"] }, (ref) => ({
        batchSize: 4,
        epochs: 2,
        sampleWeight: ref.sample_weight,
      })),
    ),
  );

  it(
    "class weights",
    forEachBackend(() => runCase("class_weight", { metrics: ["accuracy"] }, () => ({ batchSize: 4, epochs: 2, classWeight: { 0: 1, 1: 3 } }))),
  );

  it(
    "all-zero sample weights give zero, not NaN",
    forEachBackend(() =>
      runCase("zero_weights", { weightedMetrics: ["accuracy"] }, () => ({ batchSize: 4, epochs: 1, sampleWeight: new Float32Array(10) })),
    ),
  );

  it(
    "steps per epoch, validation frequency and initial epoch",
    forEachBackend(() =>
      runCase("steps_and_validation", { metrics: ["accuracy"] }, (ref) => ({
        batchSize: 3,
        epochs: 4,
        initialEpoch: 1,
        stepsPerEpoch: 2,
        validationData: [tensor(ref.validation!.x), tensor(ref.validation!.y)],
        validationBatchSize: 4,
        validationFreq: 2,
      })),
    ),
  );
});

describe("fit option errors", () => {
  const model = new Sequential([Input({ shape: [2] }), new Dense({ units: 3, activation: "softmax" })]);
  model.compile({ optimizer: "sgd", loss: "categorical_crossentropy" });
  const x = tensor([[1, 2], [3, 4]]);
  const y = tensor([[1, 0, 0], [0, 0, 1]]);

  it("rejects a class index outside the output", async () => {
    await assert.rejects(model.fit(x, y, { classWeight: { 3: 2 }, verbose: 0 }), /classWeight` key "3": expected a class index from 0 to 2/);
    await assert.rejects(model.fit(x, y, { classWeight: { "-1": 2 }, verbose: 0 }), /key "-1"/);
  });

  it("rejects class and sample weights together", async () => {
    await assert.rejects(model.fit(x, y, { classWeight: { 0: 2 }, sampleWeight: [1, 1], verbose: 0 }), /both `classWeight` and `sampleWeight`/);
  });

  it("rejects sample weights of the wrong length", async () => {
    await assert.rejects(model.fit(x, y, { sampleWeight: [1, 1, 1], verbose: 0 }), /one weight per sample, shape \(2,\)/);
  });

  it("rejects a bad validation frequency and shuffle mode", async () => {
    await assert.rejects(model.fit(x, y, { validationFreq: 0, verbose: 0 }), /validationFreq/);
    await assert.rejects(model.fit(x, y, { shuffle: "rows" as never, verbose: 0 }), /`shuffle`.*"batch"/);
  });
});

describe("shuffle within batches", () => {
  it("keeps every batch's samples and changes their order", () => {
    setRandomSeed(11);
    const rows = tensor(Array.from({ length: 10 }, (_, i) => [i]));
    const source = new ArraySource([rows], [rows], null, { batchSize: 4, shuffle: "batch" });
    const next = source.startEpoch();
    const batches: number[][] = [];
    for (let batch = next(); batch !== null; batch = next()) batches.push([...batch.xs[0]!.data]);
    assert.deepEqual(batches.map((b) => [...b].sort((p, q) => p - q)), [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]], "each chunk keeps its samples");
    assert.notDeepEqual(batches.flat(), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], "the order inside chunks changes");
  });
});

function* linearBatches(count: number): Generator<[number[][], number[][]]> {
  for (let i = 0; i < count; i++) {
    const x = [[i % 3], [(i + 1) % 3]];
    yield [x, x.map(([v]) => [2 * v! + 1])];
  }
}

describe("fit on iterables of batches", () => {
  const linear = (): Sequential => {
    setRandomSeed(2);
    const model = new Sequential([Input({ shape: [1] }), new Dense({ units: 1 })]);
    model.compile({ optimizer: new SGD({ learningRate: 0.05 }), loss: "mse" });
    return model;
  };

  it("reads a generator for a fixed number of steps per epoch", async () => {
    const model = linear();
    const history = await model.fit(linearBatches(1000), null, { epochs: 4, stepsPerEpoch: 50, verbose: 0 });
    const losses = history.history["loss"]!;
    assert.equal(losses.length, 4, "four epochs");
    assert.ok(losses[3]! < losses[0]!, `loss falls: ${losses.join(", ")}`);
  });

  it("reads an async generator and counts its steps", async () => {
    const model = linear();
    const steps: (number | null)[] = [];
    class Steps extends Callback {
      override onEpochEnd(): void {
        steps.push(this.params.steps);
      }
    }
    async function* batches(): AsyncGenerator<[number[][], number[][]]> {
      yield* linearBatches(7);
    }
    const iterable = { [Symbol.asyncIterator]: batches };
    const history = await model.fit(iterable, null, { epochs: 2, verbose: 0, callbacks: [new Steps()] });
    assert.equal(history.history["loss"]!.length, 2, "each epoch reads the iterable again");
    assert.deepEqual(steps, [7, 7], "the step count is known after the first epoch");
  });

  it("stops with a warning when a generator runs out", async () => {
    const model = linear();
    let history: Awaited<ReturnType<Sequential["fit"]>> | null = null;
    const lines: string[] = [];
    const previous = setLogSink((line) => lines.push(line));
    try {
      history = await model.fit(linearBatches(5), null, { epochs: 3, verbose: 0 });
    } finally {
      setLogSink(previous);
    }
    assert.equal(history!.history["loss"]!.length, 1, "training ends after the epoch that used up the generator");
    assert.equal(lines.length, 1, "one warning");
    assert.match(lines[0]!, /ran out after 0 batches/);
  });

  it("evaluates and predicts on iterables", async () => {
    const model = linear();
    const loss = (await model.evaluate(linearBatches(4), null, { verbose: 0 })) as number;
    assert.ok(Number.isFinite(loss), "evaluate returns a loss");
    const predictions = (await model.predictBatches(
      (function* () {
        yield [[1], [2]];
        yield [[3]];
      })(),
      { verbose: 0 },
    )) as Tensor;
    assert.deepEqual([...predictions.shape], [3, 1], "predictBatches joins the batches");
  });

  it("rejects labels or a batch size next to an iterable", async () => {
    const model = linear();
    await assert.rejects(model.fit(linearBatches(3), tensor([[1]]), { verbose: 0 }), /leave y out/);
    await assert.rejects(model.fit(linearBatches(3), null, { batchSize: 2, verbose: 0 }), /`batchSize` with an iterable/);
    await assert.rejects(
      model.fit((function* () { yield [[1]]; })(), null, { verbose: 0 }),
      /expected \[x, y\] or \[x, y, sampleWeight\]/,
    );
  });
});

describe("weight penalties", () => {
  it("count in the evaluated and trained loss", async () => {
    const model = new Sequential([Input({ shape: [2] }), new Dense({ units: 1, useBias: false, kernelInitializer: "ones" })]);
    const kernel = model.weights[0]!;
    // An L2 penalty with factor 1: the sum of the squared weights, 2 for a kernel of ones.
    kernel.regularizer = (value) => sum(square(value));
    model.compile({ optimizer: new SGD({ learningRate: 0.1 }), loss: "mse" });
    const zeros = tensor([[0, 0]]);
    const loss = (await model.evaluate(zeros, tensor([[0]]), { verbose: 0 })) as number;
    assertClose([loss], [2], { message: "evaluate reports the penalty in the loss" });
    model.trainOnBatch(zeros, tensor([[0]]));
    // The penalty's gradient is 2w, so one SGD step scales each weight by 1 - 0.1 * 2.
    assertClose([...kernel.value.data], [0.8, 0.8], { message: "the penalty's gradient reaches the weights" });
  });
});

describe("data checks before training", () => {
  const model = new Sequential([Input({ shape: [2] }), new Dense({ units: 3, activation: "softmax" })]);
  model.compile({ optimizer: "sgd", loss: "sparse_categorical_crossentropy" });

  it("name the first NaN and the option that allows it", async () => {
    await assert.rejects(model.fit([[1, 2], [3, NaN]], [0, 1], { verbose: 0 }), /`x` contains NaN at sample 1 \(element 3 of shape \(2, 2\)\).*allowNonFinite: true/);
    await assert.rejects(model.fit([[1, 2], [3, 4]], [0, Infinity], { verbose: 0 }), /`y` contains Infinity at sample 1/);
    await assert.rejects(model.evaluate([[1, 2]], [NaN], { verbose: 0 }), /allowNonFinite: true to evaluate/);
    assert.throws(() => model.predict([[NaN, 1]], { verbose: 0 }), /`x` contains NaN at sample 0/);
    await model.fit([[1, 2], [3, NaN]], [0, 1], { verbose: 0, allowNonFinite: true });
  });

  it("name a class label outside the output's classes", async () => {
    await assert.rejects(
      model.fit([[1, 2], [3, 4], [5, 6]], [0, 2, 3], { verbose: 0 }),
      /Invalid class label 3 in `y` at sample 2: output "dense_\d+" has 3 classes, so labels must be integers from 0 to 2/,
    );
    await assert.rejects(model.evaluate([[1, 2]], [-1], { verbose: 0 }), /Invalid class label -1 in `y` at sample 0/);
  });
});
