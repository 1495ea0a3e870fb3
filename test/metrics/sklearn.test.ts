// Replays test/fixtures/reference/metrics_sklearn.json (written by
// test/reference/metrics_sklearn.py with scikit-learn, independently of
// Keras): each data set arrives in several batches, one of them empty, and
// the accumulated result must equal scikit-learn's value for the whole set.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import * as metrics from "../../src/metrics/index.js";
import { Tensor } from "../../src/tensor/tensor.js";

interface FlatArray {
  values: number[];
  shape: number[];
}

interface SklearnCase {
  id: string;
  class_name: string;
  options: Record<string, unknown>;
  batches: { y_true: FlatArray; y_pred: FlatArray; sample_weight: FlatArray | null }[];
  expected: number | number[];
}

const reference = JSON.parse(readFileSync(new URL("../fixtures/reference/metrics_sklearn.json", import.meta.url), "utf8")) as {
  sklearn_version: string;
  cases: SklearnCase[];
};

/** The exported metric classes by name; the cases give camelCase constructor options. */
const CLASSES = metrics as unknown as Record<string, new (options: object) => metrics.Metric<metrics.MetricValue>>;

function toTensor(array: FlatArray): Tensor {
  return new Tensor(Float32Array.from(array.values), array.shape);
}

function assertClose(actual: number, expected: number, where: string): void {
  // Keras-style epsilons in F-scores and IoU move results by about 1e-7 relative.
  const tolerance = 1e-5 * Math.max(1, Math.abs(expected));
  assert.ok(Math.abs(actual - expected) <= tolerance, `${where}: expected ${expected}, received ${actual}`);
}

describe("metrics against scikit-learn", () => {
  for (const item of reference.cases) {
    test(item.id, () => {
      const MetricClass = CLASSES[item.class_name];
      assert.ok(MetricClass, `no metric class ${item.class_name}`);
      const metric = new MetricClass(item.options);
      for (const batch of item.batches) {
        metric.updateState(toTensor(batch.y_true), toTensor(batch.y_pred), batch.sample_weight ? toTensor(batch.sample_weight) : undefined);
      }
      const result = metric.result();
      if (Array.isArray(item.expected)) {
        assert.ok(Array.isArray(result), `${item.id}: expected a list`);
        assert.equal(result.length, item.expected.length);
        item.expected.forEach((e, i) => assertClose(result[i]!, e, `${item.id}[${i}]`));
      } else {
        assert.equal(typeof result, "number");
        assertClose(result as number, item.expected, item.id);
      }
    });
  }
});
