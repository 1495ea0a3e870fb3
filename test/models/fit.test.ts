import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Callback, type Logs } from "../../src/callbacks/callback.js";
import { Activation, Dropout } from "../../src/layers/core.js";
import { Dense } from "../../src/layers/dense.js";
import { Input } from "../../src/layers/input.js";
import { Sequential } from "../../src/models/sequential.js";
import { SGD } from "../../src/optimizers/sgd.js";
import { setRandomSeed } from "../../src/random.js";
import { Tensor, tensor } from "../../src/tensor/tensor.js";
import { ShapeError, ValueError } from "../../src/errors.js";
import { assertClose } from "../helpers/close.js";

/** Builds a model whose output is x · kernel + bias with the given constant weights. */
function linearModel(inputDim: number, kernel: number[][], bias: number[]): Sequential {
  const model = new Sequential([Input({ shape: [inputDim] }), new Dense({ units: bias.length })]);
  model.setWeights([tensor(kernel), tensor(bias)]);
  return model;
}

/** Ten classes, every prediction exactly 0.1: a zero kernel and zero bias followed by softmax. */
function uniformSoftmaxModel(): Sequential {
  const model = new Sequential([
    Input({ shape: [2] }),
    new Dense({ units: 10, kernelInitializer: "zeros" }),
    new Activation({ activation: "softmax" }),
  ]);
  return model;
}

const oneHot = (labels: number[], classes: number): number[][] =>
  labels.map((label) => Array.from({ length: classes }, (_, c) => (c === label ? 1 : 0)));

describe("evaluate on reported cases", () => {
  it("binary crossentropy with uniform softmax", async () => {
    const model = uniformSoftmaxModel();
    model.compile({ optimizer: "adam", loss: "binary_crossentropy", metrics: ["accuracy"] });
    const x = [[1, 2], [3, 4], [5, 6], [7, 8]];
    const [loss, accuracy] = (await model.evaluate(x, oneHot([3, 7, 1, 5], 10), { verbose: 0 })) as number[];
    // −(0.1·log 0.1 + 0.9·log 0.9) = 0.325083; accuracy resolves to categorical accuracy, and argmax picks class 0.
    assertClose(loss, 0.325083, { rtol: 1e-6 });
    assert.equal(accuracy, 0);
  });

  it("categorical crossentropy with uniform softmax", async () => {
    const model = uniformSoftmaxModel();
    model.compile({ optimizer: "adam", loss: "categorical_crossentropy", metrics: ["accuracy"] });
    const [loss] = (await model.evaluate([[1, 2], [3, 4], [5, 6], [7, 8]], oneHot([3, 7, 1, 5], 10), { verbose: 0 })) as number[];
    assertClose(loss, 2.302585, { rtol: 1e-6 });
  });

  it("loss weighs the short last batch", async () => {
    // Squared errors 1, 1, 16: batches [1, 1] and [16] average to (2·1 + 1·16) / 3 = 6, not (1 + 16) / 2 = 8.5.
    const model = linearModel(1, [[0]], [0]);
    model.compile({ optimizer: "sgd", loss: "mse" });
    const x = [[1], [2], [3]];
    const y = [[1], [1], [4]];
    assert.equal(await model.evaluate(x, y, { batchSize: 2, verbose: 0 }), 6);
    assert.equal(await model.evaluate(x, y, { batchSize: 64, verbose: 0 }), 6);
  });

  it("batch size 64 runs one step", async () => {
    const model = linearModel(1, [[0]], [0]);
    model.compile({ optimizer: new SGD({ learningRate: 0 }), loss: "mse" });
    const steps: number[] = [];
    class StepCounter extends Callback {
      override onTrainBegin(): void {
        steps.push(this.params.steps!);
      }
    }
    await model.fit([[1], [2], [3]], [[1], [1], [4]], { batchSize: 64, verbose: 0, callbacks: [new StepCounter()] });
    assert.deepEqual(steps, [1]);
  });

  it("crossentropy of a zero prediction is finite", async () => {
    const model = linearModel(2, [[0, 0], [0, 0]], [0, 1]);
    model.compile({ optimizer: "sgd", loss: "categorical_crossentropy" });
    // Predictions are [0, 1] for every sample; against label [1, 0] the clipped loss is −log(1e-7).
    const loss = (await model.evaluate([[0, 0]], [[1, 0]], { verbose: 0 })) as number;
    assertClose(loss, 16.118095, { rtol: 1e-6 });
  });
});

describe("fit validation split", () => {
  // With a zero model and a zero learning rate, the mean squared error of a set is the mean of y².
  const x = Array.from({ length: 10 }, (_, i) => [i]);
  const y = Array.from({ length: 10 }, (_, i) => [i]);
  const trainLoss = [0, 1, 4, 9, 16, 25, 36, 49].reduce((a, b) => a + b) / 8;
  const validationLoss = (64 + 81) / 2;

  for (const shuffle of [false, true]) {
    it(`holds out the last samples, shuffle ${shuffle}`, async () => {
      const model = linearModel(1, [[0]], [0]);
      model.compile({ optimizer: new SGD({ learningRate: 0 }), loss: "mse" });
      const history = await model.fit(x, y, { epochs: 3, batchSize: 3, validationSplit: 0.2, shuffle, verbose: 0 });
      assert.deepEqual(Object.keys(history.history), ["loss", "val_loss"]);
      assertClose(history.history["loss"], [trainLoss, trainLoss, trainLoss]);
      assert.deepEqual(history.history["val_loss"], [validationLoss, validationLoss, validationLoss]);
    });
  }

  it("rejects a split with an empty side", async () => {
    const model = linearModel(1, [[0]], [0]);
    model.compile({ optimizer: "sgd", loss: "mse" });
    await assert.rejects(model.fit([[1], [2]], [[1], [2]], { validationSplit: 0.99, verbose: 0 }), /no training samples/);
  });

  it("uses validationData when given", async () => {
    const model = linearModel(1, [[0]], [0]);
    model.compile({ optimizer: new SGD({ learningRate: 0 }), loss: "mse", metrics: [] });
    const history = await model.fit(x, y, { validationData: [[[2]], [[2]]], validationSplit: 0.5, verbose: 0 });
    assert.deepEqual(history.history["val_loss"], [4]);
    assertClose(history.history["loss"], [28.5]);
  });
});

describe("fit loop", () => {
  it("calls hooks in Keras order", async () => {
    const events: string[] = [];
    class Recorder extends Callback {
      override onTrainBegin(): void {
        events.push("train_begin");
      }
      override onEpochBegin(epoch: number): void {
        events.push(`epoch_begin ${epoch}`);
      }
      override async onTrainBatchBegin(batch: number): Promise<void> {
        await new Promise((resolve) => setTimeout(resolve, 1));
        events.push(`batch_begin ${batch}`);
      }
      override onTrainBatchEnd(batch: number, logs: Logs = {}): void {
        events.push(`batch_end ${batch} ${Object.keys(logs).join(",")}`);
      }
      override onTestBegin(): void {
        events.push("test_begin");
      }
      override onTestBatchEnd(batch: number): void {
        events.push(`test_batch_end ${batch}`);
      }
      override onTestEnd(): void {
        events.push("test_end");
      }
      override onEpochEnd(epoch: number, logs: Logs = {}): void {
        events.push(`epoch_end ${epoch} ${Object.keys(logs).join(",")}`);
      }
      override onTrainEnd(): void {
        events.push("train_end");
      }
    }
    const model = linearModel(1, [[1]], [0]);
    model.compile({ optimizer: "sgd", loss: "mse", metrics: ["accuracy"] });
    await model.fit([[1], [2], [3], [4], [5]], [[1], [2], [3], [4], [5]], {
      epochs: 1,
      batchSize: 2,
      validationSplit: 0.2,
      verbose: 0,
      callbacks: [new Recorder()],
    });
    assert.deepEqual(events, [
      "train_begin",
      "epoch_begin 0",
      "batch_begin 0",
      "batch_end 0 accuracy,loss",
      "batch_begin 1",
      "batch_end 1 accuracy,loss",
      "test_begin",
      "test_batch_end 0",
      "test_end",
      "epoch_end 0 accuracy,loss,val_accuracy,val_loss",
      "train_end",
    ]);
  });

  it("keeps the last partial batch", async () => {
    const sizes: number[] = [];
    const model = linearModel(1, [[0]], [0]);
    model.compile({ optimizer: new SGD({ learningRate: 0 }), loss: "mse" });
    let steps = 0;
    class Params extends Callback {
      override onTrainBegin(): void {
        steps = this.params.steps!;
      }
    }
    // Each batch's loss is the mean of its y², so the batch sizes follow from the running mean.
    class Sizes extends Callback {
      override onTrainBatchEnd(batch: number): void {
        sizes.push(batch);
      }
    }
    const history = await model.fit(
      Array.from({ length: 10 }, () => [0]),
      Array.from({ length: 10 }, (_, i) => [i < 8 ? 0 : 1]),
      { batchSize: 4, shuffle: false, verbose: 0, callbacks: [new Params(), new Sizes()] },
    );
    assert.equal(steps, 3);
    assert.deepEqual(sizes, [0, 1, 2]);
    // The two last samples (loss 1 each) fall in the short last batch: the epoch mean is 2/10, not 1/3.
    assertClose(history.history["loss"], [0.2]);
  });

  it("returns history with epochs and params", async () => {
    const model = linearModel(1, [[0]], [0]);
    model.compile({ optimizer: "sgd", loss: "mse" });
    const history = await model.fit([[1], [2]], [[1], [2]], { epochs: 3, verbose: 0 });
    assert.deepEqual(history.epoch, [0, 1, 2]);
    assert.deepEqual(history.params, { verbose: 0, epochs: 3, steps: 1 });
    assert.equal(history.history["loss"]!.length, 3);
    assert.equal(model.history, history);
  });

  it("stops when a callback sets stopTraining", async () => {
    const model = linearModel(1, [[0]], [0]);
    model.compile({ optimizer: "sgd", loss: "mse" });
    class Stopper extends Callback {
      override onEpochEnd(epoch: number): void {
        if (epoch === 1) this.model!.stopTraining = true;
      }
    }
    const history = await model.fit([[1], [2]], [[1], [2]], { epochs: 10, verbose: 0, callbacks: [new Stopper()] });
    assert.deepEqual(history.epoch, [0, 1]);
  });

  it("repeats exactly with the same seed", async () => {
    const train = async (): Promise<Float32Array[]> => {
      setRandomSeed(42);
      const model = new Sequential([
        Input({ shape: [3] }),
        new Dense({ units: 8, activation: "relu" }),
        new Dropout({ rate: 0.5 }),
        new Dense({ units: 2, activation: "softmax" }),
      ]);
      model.compile({ optimizer: "adam", loss: "categorical_crossentropy" });
      const x = Array.from({ length: 20 }, (_, i) => [i / 20, Math.sin(i), Math.cos(i)]);
      const y = Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? [1, 0] : [0, 1]));
      await model.fit(x, y, { epochs: 3, batchSize: 4, verbose: 0 });
      return model.getWeights().map((w) => w.data as Float32Array);
    };
    const first = await train();
    const second = await train();
    first.forEach((w, i) => assert.deepEqual(w, second[i]));
  });
});

describe("train and test on one batch", () => {
  it("trainOnBatch returns that batch's loss", () => {
    const model = linearModel(1, [[0]], [0]);
    model.compile({ optimizer: new SGD({ learningRate: 0 }), loss: "mse" });
    assert.equal(model.trainOnBatch([[1]], [[2]]), 4);
    // Not a running mean over calls: the second batch reports its own loss only.
    assert.equal(model.trainOnBatch([[1]], [[3]]), 9);
  });

  it("trainOnBatch takes one SGD step", () => {
    const model = linearModel(1, [[0]], [0]);
    model.compile({ optimizer: new SGD({ learningRate: 0.1 }), loss: "mse" });
    model.trainOnBatch([[1]], [[2]]);
    // d/dw (w·1 + b − 2)² = −4 at w = b = 0, so both move by 0.4.
    assertClose(model.getWeights()[0]!.data, [0.4]);
    assertClose(model.getWeights()[1]!.data, [0.4]);
  });

  it("testOnBatch returns loss and metrics", () => {
    const model = linearModel(1, [[1]], [0]);
    model.compile({ optimizer: "sgd", loss: "mse", metrics: ["accuracy"] });
    const [loss, accuracy] = model.testOnBatch([[0.2], [0.9]], [[0], [0]]) as number[];
    assertClose(loss, (0.04 + 0.81) / 2);
    assert.equal(accuracy, 0.5);
  });
});

describe("evaluate and predict results", () => {
  it("evaluate without metrics returns a number", async () => {
    const model = linearModel(1, [[1]], [0]);
    model.compile({ optimizer: "sgd", loss: "mse" });
    assert.equal(await model.evaluate([[1]], [[3]], { verbose: 0 }), 4);
  });

  it("evaluate returns a record on request", async () => {
    const model = linearModel(1, [[1]], [0]);
    model.compile({ optimizer: "sgd", loss: "mse", metrics: ["acc"] });
    assert.deepEqual(await model.evaluate([[1]], [[1]], { verbose: 0, returnDict: true }), { acc: 1, loss: 0 });
  });

  it("predict returns a tensor in batches", () => {
    const model = linearModel(2, [[1, 0, 2], [0, 1, 3]], [0.5, 0, 0]);
    const x = Array.from({ length: 70 }, (_, i) => [i, 1]);
    const out = model.predict(x, { verbose: 0 });
    assert.ok(out instanceof Tensor);
    assert.deepEqual(out.shape, [70, 3]);
    assert.deepEqual((out.toArray() as number[][])[69], [69.5, 1, 141]);
  });

  it("accepts typed arrays and tensors", () => {
    const model = linearModel(2, [[1], [1]], [0]);
    const fromTyped = model.predict([new Float32Array([1, 2]), new Float32Array([3, 4])], { verbose: 0 });
    assert.deepEqual(fromTyped.toArray(), [[3], [7]]);
    const fromTensor = model.predictOnBatch(tensor([1, 2, 3, 4], [2, 2]));
    assert.deepEqual(fromTensor.toArray(), [[3], [7]]);
  });

  it("predictOnBatch results survive the next call", () => {
    const model = linearModel(2, [[1], [1]], [0]);
    const first = model.predictOnBatch(tensor([1, 2, 3, 4], [2, 2]));
    const second = model.predictOnBatch(tensor([5, 6, 7, 8], [2, 2]));
    assert.deepEqual(first.toArray(), [[3], [7]]);
    assert.deepEqual(second.toArray(), [[11], [15]]);
    assert.notEqual(first.data, second.data);
  });

  it("predictOnBatch never returns the input's array", () => {
    const model = new Sequential([Input({ shape: [2] }), new Dropout({ rate: 0.5 })]);
    const x = tensor([1, 2, 3, 4], [2, 2]);
    const out = model.predictOnBatch(x);
    assert.deepEqual(out.toArray(), [[1, 2], [3, 4]]);
    assert.notEqual(out.data, x.data);
  });
});

describe("fit input errors", () => {
  const compiled = (): Sequential => {
    const model = linearModel(3, [[1], [1], [1]], [0]);
    model.compile({ optimizer: "sgd", loss: "mse" });
    return model;
  };

  it("fit before compile", async () => {
    const model = linearModel(1, [[1]], [0]);
    await assert.rejects(model.fit([[1]], [[1]]), (error: Error) => {
      assert.ok(error instanceof ValueError);
      assert.match(error.message, /must be compiled before fit/);
      assert.match(error.message, /model\.compile/);
      return true;
    });
  });

  it("wrong input width names both shapes", async () => {
    await assert.rejects(compiled().fit([[1, 2]], [[1]], { verbose: 0 }), (error: Error) => {
      assert.ok(error instanceof ShapeError);
      assert.match(error.message, /expects input of shape \(None, 3\)/);
      assert.match(error.message, /`x` has shape \(1, 2\)/);
      return true;
    });
    assert.throws(() => compiled().predict([[1, 2, 3, 4]]), /expects input of shape \(None, 3\).*\(1, 4\)/);
  });

  it("single sample of wrong rank", () => {
    assert.throws(() => compiled().predict([1, 2, 3]), /single sample.*\(1, 3\)/);
  });

  it("label count must match inputs", async () => {
    await assert.rejects(compiled().fit([[1, 2, 3], [4, 5, 6]], [[1]], { verbose: 0 }), /`x` has 2.*`y` has 1/);
    await assert.rejects(compiled().evaluate([[1, 2, 3]], [[1], [2]], { verbose: 0 }), /same number of samples/);
  });

  it("zero samples", async () => {
    await assert.rejects(compiled().fit(tensor(new Float32Array(0), [0, 3]), tensor(new Float32Array(0), [0, 1]), { verbose: 0 }), /no samples/);
  });

  it("invalid batch size and epochs", async () => {
    await assert.rejects(compiled().fit([[1, 2, 3]], [[1]], { batchSize: 0 }), /`batchSize`.*positive integer.*0/);
    await assert.rejects(compiled().fit([[1, 2, 3]], [[1]], { batchSize: 2.5 }), /`batchSize`/);
    await assert.rejects(compiled().fit([[1, 2, 3]], [[1]], { epochs: -1 }), /`epochs`.*-1/);
  });

  it("misspelt fit option", async () => {
    await assert.rejects(
      compiled().fit([[1, 2, 3]], [[1]], { batch_size: 4 } as never),
      /Unknown option "batch_size" for fit\. Did you mean "batchSize"\?/,
    );
  });

  it("unknown names list the valid ones", () => {
    const model = linearModel(1, [[1]], [0]);
    assert.throws(() => model.compile({ optimizer: "adamz", loss: "mse" }), /Unknown optimizer "adamz".*"adam".*"sgd"/);
    assert.throws(() => model.compile({ optimizer: "adam", loss: "msee" }), /Unknown loss "msee".*"mean_squared_error"/);
    assert.throws(
      () => model.compile({ optimizer: "adam", loss: "mse", metrics: ["accuracyy"] }),
      /Unknown metric "accuracyy".*"accuracy"/,
    );
    assert.throws(() => new Dense({ units: 2, activation: "relu7" }), /Unknown activation "relu7".*"relu"/);
  });

  it("metrics must be a list", () => {
    const model = linearModel(1, [[1]], [0]);
    assert.throws(() => model.compile({ optimizer: "adam", loss: "mse", metrics: "accuracy" as never }), /expected an array/);
  });

  it("ragged rows name the row", async () => {
    await assert.rejects(compiled().fit([[1, 2, 3], [1, 2]], [[1], [2]], { verbose: 0 }), /row at \[1\] has length 2.*length 3/);
  });
});

describe("fit callback errors", () => {
  it("rejects a non-callback entry", async () => {
    const model = linearModel(1, [[0]], [0]);
    model.compile({ optimizer: "sgd", loss: "mse" });
    await assert.rejects(
      model.fit([[1]], [[1]], { verbose: 0, callbacks: [{ onEpochEnd: () => {} } as never] }),
      /`callbacks\[0\]` for fit: expected an instance of a Callback subclass/,
    );
    await assert.rejects(model.evaluate([[1]], [[1]], { verbose: 0, callbacks: {} as never }), /expected an array of Callback/);
  });
});
