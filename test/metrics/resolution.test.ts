import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ValueError } from "../../src/errors.js";
import * as metrics from "../../src/metrics/index.js";
import { tensor } from "../../src/tensor/tensor.js";

const labels = tensor([[0, 1, 0], [1, 0, 0]]);
const predictions = tensor([[0.1, 0.8, 0.1], [0.2, 0.7, 0.1]]);

describe("metric names", () => {
  // The class and name Keras 3.15.1's compile gives each string (from its get_metric).
  const cases: [string, string][] = [
    ["mae", "MeanAbsoluteError"],
    ["MSE", "MeanSquaredError"],
    ["mape", "MeanAbsolutePercentageError"],
    ["msle", "MeanSquaredLogarithmicError"],
    ["bce", "BinaryCrossentropy"],
    ["auc", "AUC"],
    ["precision", "Precision"],
    ["recall", "Recall"],
    ["top_k_categorical_accuracy", "TopKCategoricalAccuracy"],
    ["sparse_top_k_categorical_accuracy", "SparseTopKCategoricalAccuracy"],
    ["f1_score", "F1Score"],
    ["f_beta_score", "FBetaScore"],
    ["kl_divergence", "KLDivergence"],
    ["binary_io_u", "BinaryIoU"],
    ["log_cosh_error", "LogCoshError"],
    ["r2_score", "R2Score"],
    ["RootMeanSquaredError", "RootMeanSquaredError"],
    ["categorical_crossentropy", "CategoricalCrossentropy"],
  ];
  for (const [identifier, className] of cases) {
    it(`resolves ${identifier}`, () => {
      const metric = metrics.get(identifier, labels, predictions);
      assert.equal(metric.className, className);
      assert.equal(metric.name, identifier);
    });
  }

  it("default names follow Keras", () => {
    assert.equal(new metrics.LogCoshError().name, "logcosh");
    assert.equal(new metrics.FBetaScore().name, "fbeta_score");
    assert.equal(new metrics.MeanIoU({ numClasses: 2 }).name, "mean_io_u");
    assert.equal(new metrics.PrecisionAtRecall({ recall: 0.5 }).name, "precision_at_recall");
  });

  it("accuracy aliases resolve from shapes", () => {
    assert.equal(metrics.get("acc", labels, predictions).className, "CategoricalAccuracy");
    assert.equal(metrics.get("accuracy", tensor([1, 0]), tensor([[0.2, 0.8], [0.6, 0.4]])).className, "SparseCategoricalAccuracy");
    assert.equal(metrics.get("accuracy", tensor([[1], [0]]), tensor([[0.8], [0.4]])).className, "BinaryAccuracy");
  });

  it("configs resolve like Keras's get", () => {
    const metric = metrics.get({ class_name: "Precision", config: { thresholds: [0.3, 0.6] } }, labels, predictions);
    assert.ok(metric instanceof metrics.Precision);
    assert.deepEqual(metric.getConfig()["thresholds"], [0.3, 0.6]);
  });

  it("instances pass through", () => {
    const auc = new metrics.AUC({ curve: "PR" });
    assert.equal(metrics.get(auc, labels, predictions), auc);
  });
});

describe("metric identifier errors", () => {
  it("unknown names suggest the nearest", () => {
    assert.throws(() => metrics.validate("precison"), (error: Error) => error instanceof ValueError && /Did you mean "precision"/.test(error.message));
  });

  it("names needing options are rejected", () => {
    assert.throws(() => metrics.validate("mean_io_u"), /needs the option\(s\) numClasses/);
    assert.throws(() => metrics.validate("precision_at_recall"), /needs the option\(s\) recall/);
  });

  it("unknown options suggest the nearest", () => {
    assert.throws(() => new metrics.Precision({ topk: 2 } as never), /Did you mean "topK"/);
    assert.throws(() => metrics.fromConfig("AUC", { num_threshold: 10 }), /Did you mean "numThresholds"/);
  });

  it("invalid option values are rejected", () => {
    assert.throws(() => new metrics.Precision({ thresholds: [0.5, 1.5] }), /must be in \[0, 1\]/);
    assert.throws(() => new metrics.AUC({ numThresholds: 1 }), /integer > 1/);
    assert.throws(() => new metrics.AUC({ curve: "DET" }), /Invalid `curve`/);
    assert.throws(() => new metrics.AUC({ numLabels: 3 }), /only with `multiLabel: true`/);
    assert.throws(() => new metrics.F1Score({ average: "samples" as never }), /Invalid `average`/);
    assert.throws(() => new metrics.FBetaScore({ beta: 0 }), /Invalid `beta`/);
    assert.throws(() => new metrics.F1Score({ threshold: 0 }), /0 < threshold <= 1/);
    assert.throws(() => new metrics.R2Score({ classAggregation: "mean" as never }), /Invalid `classAggregation`/);
    assert.throws(() => new metrics.IoU({ numClasses: 2, targetClassIds: [2] }), /outside \[0, 2\)/);
    assert.throws(() => new metrics.RecallAtPrecision({ precision: 2 }), /expected a number in \[0, 1\]/);
    assert.throws(() => new metrics.SensitivityAtSpecificity({ specificity: 0.5, numThresholds: 0 }), /integer > 0/);
    assert.throws(() => new metrics.TopKCategoricalAccuracy({ k: 0 }), /positive integer/);
  });

  it("mismatched shapes are rejected", () => {
    assert.throws(() => new metrics.MeanSquaredError().updateState([[1, 2]], [[1, 2, 3]]), /one label per prediction/);
    assert.throws(() => new metrics.F1Score().updateState([1, 0], [0.2, 0.9]), /\(samples, classes\)/);
    assert.throws(() => new metrics.Precision({ classId: 0 }).updateState([1, 0], [0.2, 0.9]), /classId/);
  });
});

describe("metric behaviour", () => {
  it("direction for callbacks", () => {
    assert.equal(new metrics.AUC().higherIsBetter, true);
    assert.equal(new metrics.MeanAbsoluteError().higherIsBetter, false);
    assert.equal(new metrics.TruePositives().higherIsBetter, null);
    assert.equal(new metrics.Mean().higherIsBetter, null);
  });

  it("zero weights give zero", () => {
    const metric = new metrics.MeanSquaredError();
    metric.updateState([[1], [2]], [[0], [0]], [0, 0]);
    assert.equal(metric.result(), 0);
  });

  it("empty batches change nothing", () => {
    const metric = new metrics.BinaryAccuracy();
    metric.updateState(tensor([], [0, 1]), tensor([], [0, 1]));
    assert.equal(metric.result(), 0);
    metric.updateState([[1]], [[0.9]]);
    metric.updateState(tensor([], [0, 1]), tensor([], [0, 1]));
    assert.equal(metric.result(), 1);
  });

  it("mean metric wrapper averages a function", () => {
    const metric = new metrics.MeanMetricWrapper({ fn: (yTrue, yPred) => Array.from(yPred.data, (p, i) => Math.abs(p - yTrue.data[i]!)) });
    metric.updateState([1, 2, 3], [1, 1, 1]);
    assert.equal(metric.result(), 1);
    assert.equal(metric.name, "mean_metric_wrapper");
    assert.equal(metric.higherIsBetter, null);
  });

  it("vector results per threshold", () => {
    const metric = new metrics.Recall({ thresholds: [0.2, 0.8] });
    metric.updateState([1, 1, 0], [0.5, 0.9, 0.3]);
    assert.deepEqual(metric.result(), [1, 0.5]);
  });

  it("reset clears multi-label auc", () => {
    const metric = new metrics.AUC({ multiLabel: true });
    metric.updateState([[1, 0], [0, 1]], [[0.9, 0.2], [0.1, 0.8]]);
    assert.ok(Math.abs(metric.result() - 1) < 1e-6);
    metric.resetState();
    assert.equal(metric.result(), 0);
  });

  it("state is not a weight", () => {
    const metric = new metrics.AUC();
    assert.equal("weights" in metric, false);
  });
});
