import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { ValueError } from "../../src/errors.js";
import * as initializers from "../../src/initializers/index.js";
import { setRandomSeed } from "../../src/random.js";

interface StatisticsCase {
  class_name: string;
  kwargs: Record<string, unknown>;
  shape: number[];
  config: Record<string, unknown>;
  mean: number;
  std: number;
  max_abs_deviation: number;
}

interface ExactCase {
  class_name: string;
  kwargs: Record<string, unknown>;
  shape: number[];
  config: Record<string, unknown>;
  values: number[][];
}

const reference = JSON.parse(readFileSync(new URL("../fixtures/reference/initializers.json", import.meta.url), "utf8")) as {
  keras_version: string;
  cases: StatisticsCase[];
  exact: ExactCase[];
  names: Record<string, string>;
};

function build(className: string, kwargs: Record<string, unknown>, seed: number | null): initializers.Initializer {
  const config: Record<string, unknown> = { ...kwargs };
  if (seed !== null) config["seed"] = seed;
  return initializers.deserialize({ module: "keras.initializers", class_name: className, config, registered_name: null });
}

function statistics(values: ArrayLike<number>): { mean: number; std: number; maxDeviation: number } {
  let total = 0;
  for (let i = 0; i < values.length; i++) total += values[i]!;
  const mean = total / values.length;
  let squares = 0;
  let maxDeviation = 0;
  for (let i = 0; i < values.length; i++) {
    const d = values[i]! - mean;
    squares += d * d;
    maxDeviation = Math.max(maxDeviation, Math.abs(d));
  }
  return { mean, std: Math.sqrt(squares / values.length), maxDeviation };
}

describe("initializer statistics against Keras 3.15.1", () => {
  test("reference file has cases", () => {
    assert.equal(reference.keras_version, "3.15.1");
    assert.ok(reference.cases.length >= 10);
  });

  for (const entry of reference.cases) {
    const label = `${entry.class_name} ${JSON.stringify(entry.kwargs)}`;
    test(`${label} matches mean, stddev and bounds`, () => {
      const values = build(entry.class_name, entry.kwargs, 7).call(entry.shape, "float64").data;
      const ours = statistics(values);
      // 60 000 draws and more: both means carry sampling noise, so they may differ by a few standard errors.
      const standardError = entry.std / Math.sqrt(values.length);
      assert.ok(Math.abs(ours.mean - entry.mean) < 6 * standardError, `${label}: mean ${ours.mean}, Keras ${entry.mean}`);
      assert.ok(Math.abs(ours.std / entry.std - 1) < 0.02, `${label}: stddev ${ours.std}, Keras ${entry.std}`);
      // Truncated and uniform samples are bounded, so the largest deviation is within 2 % of Keras's.
      const bounded = entry.kwargs["distribution"] !== "untruncated_normal" && entry.class_name !== "RandomNormal";
      if (bounded) assert.ok(Math.abs(ours.maxDeviation / entry.max_abs_deviation - 1) < 0.02, `${label}: max deviation ${ours.maxDeviation}, Keras ${entry.max_abs_deviation}`);
    });

    test(`${label} config matches Keras`, () => {
      assert.deepEqual(build(entry.class_name, entry.kwargs, 7).getConfig(), entry.config);
    });
  }

  for (const entry of reference.exact) {
    test(`${entry.class_name} values and config`, () => {
      const initializer = build(entry.class_name, entry.kwargs, null);
      assert.deepEqual(initializer.call(entry.shape, "float32").toArray(), entry.values);
      assert.deepEqual(initializer.getConfig(), entry.config);
    });
  }

  test("every Keras name resolves to its class", () => {
    for (const [name, className] of Object.entries(reference.names)) {
      assert.equal(initializers.get(name).className, className, name);
    }
  });
});

describe("variance scaling", () => {
  test("truncated normal stays within two stddevs", () => {
    const initializer = new initializers.HeNormal({ seed: 3 });
    const limit = (2 * Math.sqrt(2 / 50)) / initializers.TRUNCATION_CORRECTION;
    for (const v of initializer.call([50, 60], "float64").data) assert.ok(Math.abs(v) <= limit, `${v} exceeds ${limit}`);
  });

  test("every mode and distribution", () => {
    // Shape (40, 160): fan_in 40, fan_out 160, fan_avg 100; scale 3.
    const fans = { fan_in: 40, fan_out: 160, fan_avg: 100 } as const;
    for (const mode of ["fan_in", "fan_out", "fan_avg"] as const) {
      for (const distribution of ["truncated_normal", "untruncated_normal", "uniform"] as const) {
        const values = new initializers.VarianceScaling({ scale: 3, mode, distribution, seed: 11 }).call([40, 160], "float64").data;
        const { std } = statistics(values);
        const expected = Math.sqrt(3 / fans[mode]);
        assert.ok(Math.abs(std / expected - 1) < 0.05, `${mode} ${distribution}: stddev ${std}, expected ${expected}`);
      }
    }
  });

  test("input and output axes set the fans", () => {
    const initializer = new initializers.VarianceScaling({ mode: "fan_out", distribution: "uniform", inputAxes: [0], outputAxes: [1, 2], seed: 1 });
    assert.deepEqual(initializer.fans([4, 5, 6]), [4, 30]);
  });

  test("seeded calls repeat and unseeded ones follow the global seed", () => {
    const seeded = new initializers.GlorotNormal({ seed: 5 });
    assert.deepEqual(seeded.call([3, 4], "float32").toArray(), seeded.call([3, 4], "float32").toArray());
    setRandomSeed(9);
    const first = new initializers.LecunUniform().call([3, 4], "float32").toArray();
    setRandomSeed(9);
    assert.deepEqual(new initializers.LecunUniform().call([3, 4], "float32").toArray(), first);
  });

  test("invalid options are rejected", () => {
    assert.throws(() => new initializers.VarianceScaling({ scale: 0 }), ValueError);
    assert.throws(() => new initializers.VarianceScaling({ mode: "fan_mean" as never }), /fan_in/);
    assert.throws(() => new initializers.VarianceScaling({ distribution: "gaussian" as never }), /truncated_normal/);
    assert.throws(() => new initializers.HeNormal({ scale: 2 } as never), /Unknown option/);
    assert.throws(() => new initializers.RandomNormal({ seed: -1 }), /seed/);
  });

  test("normal is an alias of truncated normal", () => {
    assert.equal(new initializers.VarianceScaling({ distribution: "normal" }).distribution, "truncated_normal");
  });

  test("identity needs a matrix", () => {
    assert.throws(() => new initializers.Identity().call([2, 2, 2], "float32"), /two-dimensional/);
  });
});
