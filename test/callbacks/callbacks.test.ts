// Keras's callbacks on a one-weight model whose trajectory is known, against
// Keras 3.15.1 (test/reference/callbacks.py).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Callback, Logs } from "../../src/callbacks/callback.js";
import {
  BackupAndRestore,
  CSVLogger,
  ModelCheckpoint,
  EarlyStopping,
  LambdaCallback,
  LearningRateScheduler,
  ReduceLROnPlateau,
  TerminateOnNaN,
} from "../../src/callbacks/index.js";
import { setOutput } from "../../src/callbacks/progbar.js";
import { formatPythonFloat } from "../../src/callbacks/csv-logger.js";
import { formatPathTemplate } from "../../src/callbacks/checkpoint.js";
import { loadModel } from "../../src/index.js";
import { Dense } from "../../src/layers/dense.js";
import { Input } from "../../src/layers/input.js";
import { Sequential } from "../../src/models/sequential.js";
import { SGD } from "../../src/optimizers/index.js";
import { tensor } from "../../src/tensor/tensor.js";
import { assertClose } from "../helpers/close.js";
import { errorMessage } from "../helpers/capture.js";

interface ReferenceCase {
  history: Record<string, number[]>;
  epochs: number[];
  final_weight: number;
  printed: string;
  csv?: string;
}

// Python's json module writes NaN as a bare token, which JSON.parse rejects.
const referenceText = readFileSync(new URL("../fixtures/reference/callbacks.json", import.meta.url), "utf8").replace(/\bNaN\b/g, '"NaN"');
const reference = JSON.parse(referenceText, (_key, value) => (value === "NaN" ? NaN : value)) as { cases: Record<string, ReferenceCase> };

function oneWeight(learningRate: number): Sequential {
  const model = new Sequential([Input({ shape: [1] }), new Dense({ units: 1, useBias: false, kernelInitializer: "zeros" })]);
  model.compile({ optimizer: new SGD({ learningRate }), loss: "mae" });
  return model;
}

async function run(learningRate: number, epochs: number, callbacks: Callback[], y = 1) {
  const model = oneWeight(learningRate);
  let printed = "";
  const previous = setOutput({ write: (text: string) => (printed += text), isTTY: false });
  try {
    const allowNonFinite = !Number.isFinite(y);
    const history = await model.fit(tensor([[1]]), tensor([[y]]), { epochs, batchSize: 1, verbose: 0, shuffle: false, callbacks, allowNonFinite });
    return { history, printed, weight: model.weights[0]!.value.data[0]! };
  } finally {
    setOutput(previous);
  }
}

async function check(name: string, learningRate: number, epochs: number, callbacks: Callback[], options: { y?: number; weight?: boolean } = {}) {
  const ref = reference.cases[name]!;
  const { history, printed, weight } = await run(learningRate, epochs, callbacks, options.y);
  assert.deepEqual(history.epoch, ref.epochs, "epochs that ran");
  assert.deepEqual(Object.keys(history.history).sort(), Object.keys(ref.history).sort(), "history keys");
  for (const [key, values] of Object.entries(ref.history)) assertClose(history.history[key]!, values, { message: key });
  if (options.weight !== false) assertClose([weight], [ref.final_weight], { message: "final weight" });
  assert.equal(printed, ref.printed, "printed text");
}

describe("EarlyStopping against Keras", () => {
  it("stops after the patience runs out", () => check("early_stopping", 0.3, 10, [new EarlyStopping({ monitor: "loss", patience: 1, verbose: 1 })]));
  it("restores the best weights", () =>
    check("early_stopping_restore", 0.3, 10, [new EarlyStopping({ monitor: "loss", patience: 2, verbose: 1, restoreBestWeights: true })]));
  it("restores the best weights at the last epoch too", () =>
    check("early_stopping_restore_at_end", 0.3, 3, [new EarlyStopping({ monitor: "loss", patience: 5, restoreBestWeights: true })]));
  it("waits for the baseline and the start epoch", () =>
    check("early_stopping_baseline", 0.1, 10, [
      new EarlyStopping({ monitor: "loss", patience: 2, baseline: 0.75, startFromEpoch: 1, verbose: 1 }),
    ]));
  it("needs at least minDelta of improvement", () =>
    check("early_stopping_min_delta", 0.05, 10, [new EarlyStopping({ monitor: "loss", minDelta: 0.06, patience: 1 })]));
});

describe("learning-rate callbacks against Keras", () => {
  it("ReduceLROnPlateau halves the rate with a cooldown", () =>
    check("reduce_lr", 0.3, 8, [new ReduceLROnPlateau({ monitor: "loss", factor: 0.5, patience: 1, cooldown: 1, minLr: 0.05, verbose: 1 })]));
  it("LearningRateScheduler sets every epoch's rate", () =>
    check("scheduler", 0.3, 4, [new LearningRateScheduler((epoch, lr) => (epoch < 1 ? lr : lr * 0.5), { verbose: 1 })]));
});

describe("CSVLogger", () => {
  it("writes Keras's rows", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "stratum-csv-")), "log.csv");
    await check("csv_logger", 0.3, 3, [new CSVLogger(path, { separator: ";" })]);
    assert.equal(readFileSync(path, "utf8"), reference.cases["csv_logger"]!.csv);
  });

  it("appends without a second header", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "stratum-csv-")), "log.csv");
    writeFileSync(path, "epoch,loss,val_loss\r\n0,1.0,NA\r\n");
    await run(0.3, 1, [new CSVLogger(path, { append: true })]);
    assert.equal(readFileSync(path, "utf8"), "epoch,loss,val_loss\r\n0,1.0,NA\r\n0,1.0,NA\r\n");
  });

  it("formats floats as Python does", () => {
    const cases: [number, string][] = [
      [1, "1.0"],
      [0.1, "0.1"],
      [1e-5, "1e-05"],
      [0.0001, "0.0001"],
      [123456.5, "123456.5"],
      [1e16, "1e+16"],
      [-2.5e-7, "-2.5e-07"],
      [Math.fround(0.7), "0.699999988079071"],
    ];
    for (const [value, text] of cases) assert.equal(formatPythonFloat(value), text, `repr of ${value}`);
  });
});

describe("TerminateOnNaN and LambdaCallback", () => {
  it("stops at the batch whose loss is NaN", () => check("terminate_on_nan", 0.3, 3, [new TerminateOnNaN()], { y: NaN, weight: false }));

  it("raises when asked to", async () => {
    await assert.rejects(run(0.3, 3, [new TerminateOnNaN({ raiseError: true })], NaN), /loss is NaN at batch 0/);
  });

  it("calls the given functions", async () => {
    const seen: string[] = [];
    const callback = new LambdaCallback({
      onEpochEnd: (epoch: number, logs?: Logs) => void seen.push(`epoch ${epoch} loss ${logs?.["loss"]?.toFixed(1)}`),
      onTrainEnd: () => void seen.push("end"),
    });
    await run(0.3, 2, [callback]);
    assert.deepEqual(seen, ["epoch 0 loss 1.0", "epoch 1 loss 0.7", "end"]);
    assert.match(errorMessage(() => new LambdaCallback({ onEpochFinish: () => {} } as never)), /onEpochEnd/);
  });
});

describe("monitor modes", () => {
  it("resolve a metric's direction", async () => {
    const model = new Sequential([Input({ shape: [1] }), new Dense({ units: 2, activation: "softmax" })]);
    model.compile({ optimizer: "sgd", loss: "categorical_crossentropy", metrics: ["accuracy"] });
    await model.fit(tensor([[1]]), tensor([[1, 0]]), { verbose: 0 });
    assert.equal(model.metricDirection("val_accuracy"), "max");
    assert.equal(model.metricDirection("loss"), "min");
    assert.equal(model.metricDirection("val_unknown"), null);
  });

  it("reject an unknown key in auto mode", async () => {
    await assert.rejects(run(0.3, 2, [new EarlyStopping({ monitor: "f1" })]), /cannot tell whether "f1" should go up or down/);
  });
});

describe("ModelCheckpoint", () => {
  it("saves the best weights under formatted names, as Keras does", async () => {
    const folder = mkdtempSync(join(tmpdir(), "stratum-checkpoint-"));
    const ref = reference.cases["checkpoint_best"]! as ReferenceCase & { files: string[] };
    const checkpoint = new ModelCheckpoint(join(folder, "w-{epoch:02d}-{loss:.2f}.weights.h5"), {
      monitor: "loss",
      saveBestOnly: true,
      saveWeightsOnly: true,
      verbose: 1,
    });
    const { printed } = await run(0.3, 6, [checkpoint]);
    assert.deepEqual(readdirSync(folder).sort(), ref.files, "files written");
    assert.equal(printed.replaceAll(folder, "FOLDER"), ref.printed, "printed text");
    const restored = oneWeight(0.3);
    await restored.loadWeights(join(folder, "w-04-0.10.weights.h5"));
    assertClose([restored.weights[0]!.value.data[0]!], [1.2], { message: "the best epoch's weight" });
  });

  it("saves whole models that load again", async () => {
    const folder = mkdtempSync(join(tmpdir(), "stratum-checkpoint-"));
    await run(0.3, 2, [new ModelCheckpoint(join(folder, "model-{epoch}.keras"))]);
    assert.deepEqual(readdirSync(folder).sort(), ["model-1.keras", "model-2.keras"]);
    const model = await loadModel(join(folder, "model-2.keras"));
    assertClose([model.weights[0]!.value.data[0]!], [0.6], { message: "weight after two epochs" });
  });

  it("rejects a path of the wrong kind", () => {
    assert.match(errorMessage(() => new ModelCheckpoint("out.h5", { saveWeightsOnly: true })), /must end in "\.weights\.h5"/);
    assert.match(errorMessage(() => new ModelCheckpoint("out.json")), /must end in "\.keras"/);
    assert.match(errorMessage(() => new ModelCheckpoint("m.keras", { saveFreq: 0 })), /saveFreq/);
  });

  it("formats paths as Python's str.format", () => {
    assert.equal(formatPathTemplate("e{epoch:03d}-{val_loss:.3f}-{acc:.1e}.keras", { epoch: 7, val_loss: 0.12345, acc: 0.5 }), "e007-0.123-5.0e-01.keras");
    assert.throws(() => formatPathTemplate("{missing}.keras", { epoch: 1 }), /uses \{missing\}, which is not in the logs/);
  });
});

describe("BackupAndRestore", () => {
  class Interrupt extends LambdaCallback {}

  it("resumes an interrupted fit where it stopped", async () => {
    const folder = join(mkdtempSync(join(tmpdir(), "stratum-backup-")), "backup");
    const uninterrupted = await run(0.3, 5, []);

    const model = oneWeight(0.3);
    const fitOptions = { epochs: 5, batchSize: 1, verbose: 0 as const, shuffle: false };
    const crash = new Interrupt({
      onEpochEnd: (epoch: number) => {
        if (epoch === 2) throw new Error("simulated crash");
      },
    });
    await assert.rejects(model.fit(tensor([[1]]), tensor([[1]]), { ...fitOptions, callbacks: [crash, new BackupAndRestore(folder)] }), /simulated crash/);
    assert.ok(existsSync(join(folder, "latest.weights.h5")), "a backup exists after the crash");

    const resumedModel = oneWeight(0.3);
    const history = await resumedModel.fit(tensor([[1]]), tensor([[1]]), { ...fitOptions, callbacks: [new BackupAndRestore(folder)] });
    assert.deepEqual(history.epoch, [2, 3, 4], "training resumes after the last backed-up epoch");
    assert.equal(resumedModel.weights[0]!.value.data[0], uninterrupted.weight, "the same final weight as without the crash");
    assert.equal(resumedModel.optimizer!.iterations, 5, "the optimizer's step count continues");
    assert.ok(!existsSync(folder), "the backup is deleted when training finishes");
  });
});
