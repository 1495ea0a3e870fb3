// End-to-end fit, evaluate and predict against Keras 3.15.1 on tiny models.
// The reference values come from test/reference/training.py.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Callback, type Logs } from "../../src/callbacks/callback.js";
import { Dense } from "../../src/layers/dense.js";
import { Input } from "../../src/layers/input.js";
import { Sequential } from "../../src/models/sequential.js";
import { Adam } from "../../src/optimizers/adam.js";
import { SGD } from "../../src/optimizers/sgd.js";
import type { CompileOptions, FitOptions } from "../../src/models/model.js";
import { tensor } from "../../src/tensor/tensor.js";
import { assertClose } from "../helpers/close.js";
import { forEachBackend } from "../helpers/backends.js";

interface ReferenceCase {
  name: string;
  x: number[][];
  y: number[][] | number[];
  initial_weights: unknown[];
  history_keys: string[];
  history: Record<string, number[]>;
  batch_logs: Logs[];
  final_weights: unknown[];
  evaluate: number[];
  predict_first_3: number[][];
}

const reference = JSON.parse(
  readFileSync(new URL("../fixtures/reference/training.json", import.meta.url), "utf8"),
) as { epochs: number; batch_size: number; cases: ReferenceCase[] };

/** The compile and fit settings of each reference case, as test/reference/training.py uses them. */
const settings: Record<string, { units: number; activation: string; compile: () => CompileOptions; fit: FitOptions }> = {
  categorical: {
    units: 2,
    activation: "softmax",
    compile: () => ({ optimizer: new Adam({ learningRate: 0.01 }), loss: "categorical_crossentropy", metrics: ["accuracy"] }),
    fit: {},
  },
  binary_mse: {
    units: 1,
    activation: "sigmoid",
    compile: () => ({ optimizer: new SGD({ learningRate: 0.1, momentum: 0.9 }), loss: "mse", metrics: ["accuracy"] }),
    fit: {},
  },
  sparse_validation: {
    units: 2,
    activation: "softmax",
    compile: () => ({ optimizer: new Adam({ learningRate: 0.01 }), loss: "sparse_categorical_crossentropy", metrics: ["acc"] }),
    fit: { validationSplit: 0.2 },
  },
};

class BatchLogRecorder extends Callback {
  readonly batchLogs: Logs[] = [];
  override onTrainBatchEnd(_batch: number, logs: Logs = {}): void {
    this.batchLogs.push({ ...logs });
  }
}

describe("fit against Keras reference", () => {
  for (const testCase of reference.cases) {
    it(
      `${testCase.name} matches Keras`,
      forEachBackend(async () => {
        const setting = settings[testCase.name];
        assert.ok(setting, `no settings for reference case ${testCase.name}`);
        const model = new Sequential([
          Input({ shape: [4] }),
          new Dense({ units: 3, activation: "relu" }),
          new Dense({ units: setting.units, activation: setting.activation }),
        ]);
        model.setWeights(testCase.initial_weights.map((w) => tensor(w as number[])));
        model.compile(setting.compile());
        const recorder = new BatchLogRecorder();
        const history = await model.fit(testCase.x, testCase.y, {
          epochs: reference.epochs,
          batchSize: reference.batch_size,
          shuffle: false,
          verbose: 0,
          callbacks: [recorder],
          ...setting.fit,
        });

        assert.deepEqual(Object.keys(history.history), testCase.history_keys);
        for (const key of testCase.history_keys) {
          assertClose(history.history[key], testCase.history[key], { rtol: 1e-4, atol: 1e-6, message: `history ${key}` });
        }
        assert.equal(recorder.batchLogs.length, testCase.batch_logs.length);
        recorder.batchLogs.forEach((logs, i) => {
          const expected = testCase.batch_logs[i]!;
          assert.deepEqual(Object.keys(logs), Object.keys(expected), `batch ${i} log keys`);
          for (const key of Object.keys(expected)) {
            assertClose(logs[key], expected[key], { rtol: 1e-4, atol: 1e-6, message: `batch ${i} ${key}` });
          }
        });
        model.getWeights().forEach((w, i) => {
          assertClose(w.data, testCase.final_weights[i], { rtol: 1e-4, atol: 1e-5, message: `final weight ${i}` });
        });
        const evaluation = await model.evaluate(testCase.x, testCase.y, { batchSize: reference.batch_size, verbose: 0 });
        assertClose(evaluation, testCase.evaluate, { rtol: 1e-4, atol: 1e-6, message: "evaluate" });
        const prediction = model.predict(testCase.x.slice(0, 3), { verbose: 0 });
        assertClose(prediction.toArray(), testCase.predict_first_3, { rtol: 1e-4, atol: 1e-6, message: "predict" });
      }),
    );
  }
});
