import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { valueAndGradients } from "../../src/autodiff/tape.js";
import { ShapeError, ValueError } from "../../src/errors.js";
import * as losses from "../../src/losses/index.js";
import { sum } from "../../src/ops/index.js";
import { type NestedArray, Tensor, tensor } from "../../src/tensor/tensor.js";
import { forEachBackend } from "../helpers/backends.js";
import { checkGradients } from "../helpers/gradcheck.js";
import { assertClose } from "../helpers/close.js";

interface LossCase {
  name: string;
  class_name: string;
  kwargs: Record<string, unknown>;
  config: Record<string, unknown>;
  y_true: NestedArray;
  y_pred: NestedArray;
  sample_weight: NestedArray | null;
  expected: number | NestedArray;
  grad_of_sum: boolean;
  grad: NestedArray;
}

const reference = JSON.parse(readFileSync(new URL("../fixtures/reference/losses_all.json", import.meta.url), "utf8")) as {
  keras_version: string;
  cases: LossCase[];
};

function build(entry: LossCase): losses.Loss {
  return losses.deserialize({ class_name: entry.class_name, config: entry.kwargs });
}

function inputs(entry: LossCase, dtype: "float32" | "float64" = "float32"): { yTrue: Tensor; yPred: Tensor; weight?: Tensor } {
  const sparse = entry.class_name === "SparseCategoricalCrossentropy";
  return {
    yTrue: tensor(entry.y_true, undefined, sparse ? "int32" : dtype),
    yPred: tensor(entry.y_pred, undefined, dtype),
    weight: entry.sample_weight === null ? undefined : tensor(entry.sample_weight, undefined, dtype),
  };
}

describe("losses against Keras 3.15.1", () => {
  test("reference file has cases", () => {
    assert.equal(reference.keras_version, "3.15.1");
    assert.ok(reference.cases.length > 50);
  });

  for (const entry of reference.cases) {
    test(
      `${entry.name} value and gradient`,
      forEachBackend((backend) => {
        const { yTrue, yPred, weight } = inputs(entry);
        const loss = build(entry);
        const message = `${entry.name} on ${backend}`;
        const { value, gradients } = valueAndGradients(() => {
          const out = loss.compute(yTrue, yPred, weight);
          return entry.grad_of_sum ? sum(out) : out;
        }, [yPred]);
        const direct = loss.compute(yTrue, yPred, weight);
        assert.deepEqual(direct.shape, tensor(entry.expected as NestedArray).shape, `${message} shape`);
        assertClose(direct.toArray(), entry.expected, { rtol: 2e-5, atol: 1e-6, message });
        if (!entry.grad_of_sum) assertClose([value.data[0]!], [entry.expected], { rtol: 2e-5, atol: 1e-6, message });
        assertClose(gradients[0]!.toArray(), entry.grad, { rtol: 2e-4, atol: 2e-6, message: `${message} gradient` });
      }),
    );
  }

  test("configs match Keras", () => {
    for (const entry of reference.cases) {
      const config = build(entry).getConfig();
      const expected = { ...entry.config };
      // Keras writes tuples, which JSON stores as lists.
      assert.deepEqual(config, expected, entry.name);
    }
  });
});

describe("loss gradients in float64", () => {
  for (const entry of reference.cases) {
    test(`${entry.name} matches finite differences`, () => {
      const { yTrue, weight } = inputs(entry, "float64");
      const yPred = tensor(entry.y_pred, undefined, "float64");
      const loss = build(entry);
      // A zero label divides by ε = 1e-7 in MAPE, which leaves finite differences only about 1e-5 accurate.
      const tolerance = entry.name === "mape zero label" ? 1e-4 : 1e-6;
      checkGradients((prediction) => loss.compute(yTrue, prediction!, weight), [yPred], { tolerance });
    });
  }
});

describe("loss identifiers", () => {
  const kerasIdentifiers = [
    "BCE", "BinaryCrossentropy", "BinaryFocalCrossentropy", "CategoricalCrossentropy", "CategoricalFocalCrossentropy",
    "CategoricalHinge", "CosineSimilarity", "Dice", "Hinge", "Huber", "KLD", "KLDivergence", "LogCosh", "MAE", "MAPE",
    "MSE", "MSLE", "MeanAbsoluteError", "MeanAbsolutePercentageError", "MeanSquaredError", "MeanSquaredLogarithmicError",
    "Poisson", "SparseCategoricalCrossentropy", "SquaredHinge", "Tversky", "bce", "binary_crossentropy",
    "binary_focal_crossentropy", "categorical_crossentropy", "categorical_focal_crossentropy", "categorical_hinge",
    "cosine_similarity", "dice", "hinge", "huber", "kl_divergence", "kld", "log_cosh", "mae", "mape",
    "mean_absolute_error", "mean_absolute_percentage_error", "mean_squared_error", "mean_squared_logarithmic_error",
    "mse", "msle", "poisson", "sparse_categorical_crossentropy", "squared_hinge", "tversky",
  ];

  test("every Keras identifier resolves", () => {
    for (const name of kerasIdentifiers) assert.ok(losses.get(name) instanceof losses.Loss, name);
  });

  test("aliases pick the right class", () => {
    assert.ok(losses.get("kld") instanceof losses.KLDivergence);
    assert.ok(losses.get("MAPE") instanceof losses.MeanAbsolutePercentageError);
    assert.ok(losses.get("huber") instanceof losses.Huber);
    assert.equal(losses.get("Huber").name, "huber_loss");
    assert.equal(losses.get("msle").name, "msle");
  });

  for (const rejected of ["huber_loss", "logcosh"]) {
    test(`${rejected} is rejected as in Keras`, () => {
      assert.throws(() => losses.get(rejected), (error: Error) => error instanceof ValueError && error.message.includes(`"${rejected}"`));
    });
  }

  test("serialized loss round-trips", () => {
    const loss = new losses.CategoricalCrossentropy({ fromLogits: true, labelSmoothing: 0.1, reduction: "sum" });
    const copy = losses.get(losses.serialize(loss)) as losses.CategoricalCrossentropy;
    assert.ok(copy instanceof losses.CategoricalCrossentropy);
    assert.deepEqual(copy.getConfig(), loss.getConfig());
  });

  test("unknown option names nearest one", () => {
    assert.throws(() => new losses.BinaryCrossentropy({ from_logits: true } as never), /fromLogits/);
  });

  test("label smoothing outside [0, 1] is rejected", () => {
    assert.throws(() => new losses.CategoricalCrossentropy({ labelSmoothing: 1.5 }), /labelSmoothing/);
  });
});

describe("loss label shapes", () => {
  test("integer labels to categorical crossentropy from logits", () => {
    const loss = new losses.CategoricalCrossentropy({ fromLogits: true });
    assert.throws(
      () => loss.compute(tensor([0, 2]), tensor([[1, 2, 3], [0, 1, 0]])),
      (error: Error) => error instanceof ShapeError && /\(2,\)/.test(error.message) && /\(2, 3\)/.test(error.message),
    );
  });

  test("one-hot labels to sparse crossentropy from logits", () => {
    const loss = new losses.SparseCategoricalCrossentropy({ fromLogits: true });
    assert.throws(
      () => loss.compute(tensor([[0, 1], [1, 0]]), tensor([[1, 2], [0, 1]])),
      (error: Error) => error instanceof ShapeError && /one-hot/.test(error.message),
    );
  });

  test("mismatched regression labels name both shapes", () => {
    for (const loss of [new losses.MeanAbsoluteError(), new losses.Huber(), new losses.Hinge(), new losses.Dice()]) {
      assert.throws(
        () => loss.compute(tensor([[1, 2, 3]]), tensor([[1, 2]])),
        (error: Error) => error instanceof ShapeError && /\(1, 3\)/.test(error.message) && /\(1, 2\)/.test(error.message),
        loss.className,
      );
    }
  });

  test("labels (n,) against (n, 1) give (n,) values", () => {
    const values = new losses.MeanAbsoluteError({ reduction: "none" }).compute(tensor([1, 0]), tensor([[0.5], [0.25]]));
    assert.deepEqual(values.shape, [2]);
    assertClose(values.toArray(), [0.5, 0.25]);
  });

  test("out-of-range sparse label from logits", () => {
    assert.throws(() => new losses.SparseCategoricalCrossentropy({ fromLogits: true }).compute(tensor([3]), tensor([[1, 2, 3]])), /\[0, 2\]/);
  });
});

describe("functional losses", () => {
  test("return per-sample values", () => {
    const values = losses.categoricalCrossentropy(tensor([[0, 1, 0]]), tensor([[1, 2, 3]]), { fromLogits: true });
    assert.deepEqual(values.shape, [1]);
    // Keras 3.15.1: CCE from logits, z = [1, 2, 3], true class 1.
    assertClose(values.toArray(), [1.4076059]);
    assert.deepEqual(losses.huber(tensor([[0, 0]]), tensor([[0.5, 2]])).toArray(), [0.8125]);
  });
});
