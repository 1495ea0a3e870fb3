// Replays every case of test/fixtures/reference/metrics.json (written by
// test/reference/metrics.py with Keras 3.15.1): the metric is rebuilt from
// Keras's config, fed the same batches, and checked after every batch.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import * as metrics from "../../src/metrics/index.js";
import { Tensor } from "../../src/tensor/tensor.js";

interface FlatArray {
  values: (number | string)[];
  shape: number[];
}

interface Batch {
  y_true: FlatArray;
  y_pred: FlatArray;
  sample_weight: FlatArray | null;
}

type Encoded = number | string | Encoded[];

interface MetricCase {
  id: string;
  class_name: string;
  config_in: Record<string, unknown>;
  name: string;
  config: Record<string, unknown>;
  direction: "up" | "down" | null;
  values_only?: boolean;
  batches: Batch[];
  results: Encoded[];
  reset_batch: Batch | null;
  reset_result: Encoded | null;
}

const reference = JSON.parse(readFileSync(new URL("../fixtures/reference/metrics.json", import.meta.url), "utf8")) as {
  keras_version: string;
  cases: MetricCase[];
};

function decode(value: number | string): number {
  if (typeof value === "number") return value;
  return Number(value);
}

function toTensor(array: FlatArray): Tensor {
  return new Tensor(Float32Array.from(array.values.map(decode)), array.shape);
}

/** Keras computes in float32 and Stratum in float64, so results agree to about float32 precision. */
function assertValueClose(actual: unknown, expected: Encoded, where: string): void {
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), `${where}: expected a list, received ${JSON.stringify(actual)}`);
    assert.equal(actual.length, expected.length, `${where}: length`);
    expected.forEach((e, i) => assertValueClose(actual[i], e, `${where}[${i}]`));
    return;
  }
  const want = decode(expected);
  assert.equal(typeof actual, "number", `${where}: expected a number, received ${JSON.stringify(actual)}`);
  const got = actual as number;
  if (Number.isNaN(want)) {
    assert.ok(Number.isNaN(got), `${where}: expected NaN, received ${got}`);
    return;
  }
  const tolerance = 2e-5 * Math.max(1, Math.abs(want));
  assert.ok(Math.abs(got - want) <= tolerance, `${where}: expected ${want}, received ${got}`);
}

function assertConfigClose(actual: Record<string, unknown>, expected: Record<string, unknown>, where: string): void {
  assert.deepEqual(Object.keys(actual).sort(), Object.keys(expected).sort(), `${where}: config keys`);
  for (const [key, want] of Object.entries(expected)) {
    const got = actual[key];
    if (typeof want === "number" || (Array.isArray(want) && want.every((v) => typeof v === "number"))) {
      assertValueClose(got, want as Encoded, `${where}.${key}`);
    } else {
      assert.deepEqual(got, want, `${where}.${key}`);
    }
  }
}

function update(metric: metrics.Metric<metrics.MetricValue>, batch: Batch, valuesOnly: boolean): void {
  const weights = batch.sample_weight ? toTensor(batch.sample_weight) : undefined;
  if (valuesOnly) {
    (metric as metrics.Mean).updateState(toTensor(batch.y_true), weights);
  } else {
    metric.updateState(toTensor(batch.y_true), toTensor(batch.y_pred), weights);
  }
}

describe("metrics against Keras", () => {
  test("fixture comes from Keras 3.15.1", () => {
    assert.equal(reference.keras_version, "3.15.1");
  });

  for (const item of reference.cases) {
    test(item.id, () => {
      const metric = metrics.fromConfig(item.class_name, item.config_in);
      assert.equal(metric.className, item.class_name);
      assert.equal(metric.direction, item.direction, "direction");
      item.batches.forEach((batch, i) => {
        update(metric, batch, item.values_only ?? false);
        assertValueClose(metric.result(), item.results[i]!, `result after batch ${i}`);
      });
      if (item.reset_batch) {
        metric.resetState();
        update(metric, item.reset_batch, item.values_only ?? false);
        assertValueClose(metric.result(), item.reset_result!, "result after reset");
      }
    });

    test(`${item.id}: name and config`, () => {
      const metric = metrics.fromConfig(item.class_name, item.config_in);
      // Keras numbers unnamed metrics of one class (precision_1, ...); the default name is the part before the suffix.
      const keras = item.name.replace(/_\d+$/, "");
      assert.equal(metric.name, keras);
      const expected = { ...item.config, name: keras };
      assertConfigClose(metric.getConfig(), expected, item.id);
      const rebuilt = metrics.deserialize(metrics.serialize(metric));
      assert.deepEqual(rebuilt.getConfig(), metric.getConfig());
    });
  }
});
