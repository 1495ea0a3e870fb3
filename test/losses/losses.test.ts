import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { valueAndGradients } from "../../src/autodiff/tape.js";
import { ShapeError, ValueError } from "../../src/errors.js";
import * as losses from "../../src/losses/index.js";
import { type NestedArray, Tensor, tensor } from "../../src/tensor/tensor.js";
import { assertClose } from "../helpers/close.js";

interface LossCase {
  name: string;
  loss: string;
  y_true: NestedArray;
  y_pred: NestedArray;
  sample_weight: NestedArray | null;
  expected: number;
  grad: NestedArray;
}

const reference = JSON.parse(readFileSync(new URL("../fixtures/reference/losses.json", import.meta.url), "utf8")) as {
  keras_version: string;
  cases: LossCase[];
};

const LOSS_CLASSES: Record<string, new () => losses.Loss> = {
  categorical_crossentropy: losses.CategoricalCrossentropy,
  sparse_categorical_crossentropy: losses.SparseCategoricalCrossentropy,
  binary_crossentropy: losses.BinaryCrossentropy,
  mean_squared_error: losses.MeanSquaredError,
};

function makeLoss(name: string): losses.Loss {
  const LossClass = LOSS_CLASSES[name];
  assert.ok(LossClass, `no loss class for ${name}`);
  return new LossClass();
}

/** Asserts that `fn` throws a ShapeError whose message matches every pattern. */
function assertShapeError(fn: () => unknown, patterns: RegExp[]): void {
  assert.throws(fn, (error: Error) => {
    assert.ok(error instanceof ShapeError, `expected a ShapeError, received ${error.name}: ${error.message}`);
    for (const pattern of patterns) assert.match(error.message, pattern);
    return true;
  });
}

describe("losses against Keras", () => {
  test("reference file has cases", () => {
    assert.equal(reference.keras_version, "3.15.1");
    assert.ok(reference.cases.length > 0);
  });

  for (const entry of reference.cases) {
    const labelDType = entry.loss === "sparse_categorical_crossentropy" ? "int32" : "float32";
    const inputs = (): { yTrue: Tensor; yPred: Tensor; weight: Tensor | undefined } => ({
      yTrue: tensor(entry.y_true, undefined, labelDType),
      yPred: tensor(entry.y_pred),
      weight: entry.sample_weight === null ? undefined : tensor(entry.sample_weight),
    });

    test(`${entry.name} value`, () => {
      const { yTrue, yPred, weight } = inputs();
      const value = makeLoss(entry.loss).compute(yTrue, yPred, weight);
      assert.deepEqual(value.shape, []);
      assertClose([value.item()], [entry.expected], { rtol: 1e-6, atol: 0 });
    });

    test(`${entry.name} gradient`, () => {
      const { yTrue, yPred, weight } = inputs();
      const loss = makeLoss(entry.loss);
      const { value, gradients } = valueAndGradients(() => loss.compute(yTrue, yPred, weight), [yPred]);
      assertClose([value.item()], [entry.expected], { rtol: 1e-6, atol: 0 });
      assert.deepEqual(gradients[0]!.shape, yPred.shape);
      assertClose(gradients[0]!.toArray(), entry.grad, { rtol: 1e-5, atol: 1e-6 });
    });
  }
});

describe("loss values by hand", () => {
  test("crossentropy of wrong class", () => {
    // p = 0 for the true class is clipped to ε = 1e-7: −log(1e-7) = 16.118095.
    const value = new losses.CategoricalCrossentropy().compute(tensor([[1, 0]]), tensor([[0, 1]]));
    assertClose([value.item()], [16.118095], { rtol: 1e-6, atol: 0 });
  });

  // Four samples of ten classes with every prediction 0.1 and one-hot labels for classes 3, 7, 1, 5.
  const oneHot = tensor([3, 7, 1, 5].map((label) => Array.from({ length: 10 }, (_, c) => (c === label ? 1 : 0))));
  const uniform = tensor(Array.from({ length: 4 }, () => new Array<number>(10).fill(0.1)));

  test("uniform predictions binary crossentropy", () => {
    // Per row: (−log 0.1 + 9·(−log 0.9)) / 10 = (2.302585 + 0.948245) / 10 = 0.325083.
    const value = new losses.BinaryCrossentropy().compute(oneHot, uniform);
    assertClose([value.item()], [0.325083], { rtol: 2e-6, atol: 0 });
  });

  test("uniform predictions categorical crossentropy", () => {
    // Per row: −log 0.1 = 2.302585.
    const value = new losses.CategoricalCrossentropy().compute(oneHot, uniform);
    assertClose([value.item()], [2.302585], { rtol: 1e-6, atol: 0 });
  });

  test("sum reduction adds samples", () => {
    // mse per sample: [(0.5² + 0) / 2, (1² + 0) / 2] = [0.125, 0.5].
    const loss = new losses.MeanSquaredError({ reduction: "sum" });
    const value = loss.compute(tensor([[1, 2], [3, 4]]), tensor([[1.5, 2], [2, 4]]));
    assertClose([value.item()], [0.625], { rtol: 1e-7, atol: 0 });
  });

  test("none reduction keeps samples", () => {
    const loss = new losses.MeanSquaredError({ reduction: "none" });
    const value = loss.compute(tensor([[1, 2], [3, 4]]), tensor([[1.5, 2], [2, 4]]));
    assert.deepEqual(value.toArray(), [0.125, 0.5]);
  });
});

describe("loss label shapes", () => {
  const predictions = tensor([
    [0.7, 0.2, 0.1],
    [0.1, 0.1, 0.8],
  ]);

  test("categorical rejects integer labels", () => {
    const loss = new losses.CategoricalCrossentropy();
    assertShapeError(() => loss.compute(tensor([0, 2]), predictions), [/\(2,\)/, /\(2, 3\)/, /sparse_categorical_crossentropy/]);
  });

  test("categorical rejects column labels", () => {
    const loss = new losses.CategoricalCrossentropy();
    assertShapeError(() => loss.compute(tensor([[0], [2]]), predictions), [/\(2, 1\)/, /\(2, 3\)/, /sparse_categorical_crossentropy/]);
  });

  test("sparse rejects one-hot labels", () => {
    const loss = new losses.SparseCategoricalCrossentropy();
    const labels = tensor([
      [1, 0, 0],
      [0, 0, 1],
    ]);
    assertShapeError(() => loss.compute(labels, predictions), [/\(2, 3\)/, /labels of shape \(2, 3\)/, /predictions of shape \(2, 3\)/]);
  });

  test("sparse accepts both label shapes", () => {
    // −(log 0.7 + log 0.8) / 2.
    const expected = -(Math.log(0.7) + Math.log(0.8)) / 2;
    const loss = new losses.SparseCategoricalCrossentropy();
    assertClose([loss.compute(tensor([0, 2]), predictions).item()], [expected], { rtol: 1e-6, atol: 0 });
    assertClose([loss.compute(tensor([[0], [2]]), predictions).item()], [expected], { rtol: 1e-6, atol: 0 });
  });

  test("mse accepts labels without axis", () => {
    // ((0.5 − 1)² + (0.25 − 0)²) / 2 = (0.25 + 0.0625) / 2.
    const loss = new losses.MeanSquaredError();
    const value = loss.compute(tensor([1, 0]), tensor([[0.5], [0.25]]));
    assertClose([value.item()], [0.15625], { rtol: 1e-7, atol: 0 });
  });

  test("bce accepts labels without axis", () => {
    // (−log 0.8 − log(1 − 0.3)) / 2.
    const loss = new losses.BinaryCrossentropy();
    const value = loss.compute(tensor([1, 0]), tensor([[0.8], [0.3]]));
    assertClose([value.item()], [-(Math.log(0.8) + Math.log(0.7)) / 2], { rtol: 1e-6, atol: 0 });
  });

  test("mse rejects mismatched shapes", () => {
    const loss = new losses.MeanSquaredError();
    assertShapeError(() => loss.compute(tensor([[1, 2, 3]]), tensor([[1, 2]])), [/\(1, 3\)/, /\(1, 2\)/]);
  });

  test("class label above range", () => {
    const loss = new losses.SparseCategoricalCrossentropy();
    assert.throws(
      () => loss.compute(tensor([0, 3]), predictions),
      (error: Error) => {
        assert.ok(error instanceof ValueError);
        assert.match(error.message, /label 3\b/);
        assert.match(error.message, /\[0, 2\]/);
        return true;
      },
    );
  });

  test("negative class label", () => {
    const loss = new losses.SparseCategoricalCrossentropy();
    assert.throws(
      () => loss.compute(tensor([-1, 0]), predictions),
      (error: Error) => {
        assert.ok(error instanceof ValueError);
        assert.match(error.message, /label -1\b/);
        assert.match(error.message, /\[0, 2\]/);
        return true;
      },
    );
  });

  test("fractional class label", () => {
    const loss = new losses.SparseCategoricalCrossentropy();
    assert.throws(() => loss.compute(tensor([0.5, 1]), predictions), /0\.5/);
  });
});

describe("losses.get", () => {
  test("names and aliases resolve", () => {
    assert.ok(losses.get("categorical_crossentropy") instanceof losses.CategoricalCrossentropy);
    assert.ok(losses.get("sparse_categorical_crossentropy") instanceof losses.SparseCategoricalCrossentropy);
    assert.ok(losses.get("bce") instanceof losses.BinaryCrossentropy);
    assert.ok(losses.get("mse") instanceof losses.MeanSquaredError);
    assert.ok(losses.get("MeanSquaredError") instanceof losses.MeanSquaredError);
    const instance = new losses.BinaryCrossentropy();
    assert.equal(losses.get(instance), instance);
  });

  test("unknown name lists valid ones", () => {
    assert.throws(
      () => losses.get("huber_loss"),
      (error: Error) => {
        assert.ok(error instanceof ValueError);
        assert.match(error.message, /"huber_loss"/);
        for (const name of Object.keys(LOSS_CLASSES)) assert.match(error.message, new RegExp(`"${name}"`));
        return true;
      },
    );
  });

  test("invalid reduction is rejected", () => {
    assert.throws(() => new losses.MeanSquaredError({ reduction: "average" as never }), /"average"/);
  });
});

describe("loss error hints", () => {
  test("class count mismatch suggests units", () => {
    const loss = new losses.CategoricalCrossentropy();
    assert.throws(
      () => loss.compute(tensor([[0, 0, 0, 1]]), tensor([[0.2, 0.3, 0.5]])),
      /labels have 4 classes but the model outputs 3.*`units`/,
    );
  });

  test("misspelt loss name gets a suggestion", () => {
    assert.throws(() => losses.get("categorical_crossentopy"), /Did you mean "categorical_crossentropy"\?/);
    assert.throws(() => losses.get("categoricalCrossentropy"), /Did you mean "(categorical_crossentropy|CategoricalCrossentropy)"\?/);
  });
});
