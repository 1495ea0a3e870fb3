import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ValueError } from "../../src/errors.js";
import { GlorotUniform, Ones, Zeros, computeFans, deserialize, get } from "../../src/initializers/index.js";
import { Dense } from "../../src/layers/index.js";
import { setRandomSeed } from "../../src/random.js";
import { errorMessage } from "../helpers/capture.js";

describe("computeFans", () => {
  test("ranks 0 to 4", () => {
    assert.deepEqual(computeFans([]), [1, 1]);
    assert.deepEqual(computeFans([7]), [7, 7]);
    assert.deepEqual(computeFans([3, 4]), [3, 4]);
    // Rank 3 and up: (…spatial, in, out), each fan multiplied by the spatial size.
    assert.deepEqual(computeFans([5, 3, 4]), [15, 20]);
    assert.deepEqual(computeFans([3, 3, 16, 32]), [144, 288]);
  });
});

describe("GlorotUniform", () => {
  test("values stay within limit", () => {
    const limit = Math.sqrt(6 / 7); // 0.92582 for a (3, 4) kernel
    const values = new GlorotUniform({ seed: 1 }).call([3, 4], "float32");
    assert.deepEqual([...values.shape], [3, 4]);
    assert.equal(values.dtype, "float32");
    for (const v of values.data) assert.ok(Math.abs(v) <= Math.fround(limit), `${v} exceeds ${limit}`);
  });

  test("large sample matches uniform law", () => {
    // 200 × 300 = 60 000 draws from U(−L, L) with L = sqrt(6 / 500).
    const limit = Math.sqrt(6 / 500);
    const values = new GlorotUniform({ seed: 2 }).call([200, 300], "float64").data;
    let max = 0;
    let total = 0;
    let totalSquares = 0;
    for (const v of values) {
      max = Math.max(max, Math.abs(v));
      total += v;
      totalSquares += v * v;
    }
    const mean = total / values.length;
    const variance = totalSquares / values.length - mean * mean;
    assert.ok(max <= limit, `max |value| ${max} exceeds the limit ${limit}`);
    // The chance that no draw lands within 0.1% of the limit is 0.999^60000, about 1e-26.
    assert.ok(max > 0.999 * limit, `max |value| ${max}, expected close to ${limit}`);
    // The variance estimate has a relative standard error of about 0.4%.
    const expectedVariance = (limit * limit) / 3;
    assert.ok(Math.abs(variance / expectedVariance - 1) < 0.03, `variance ${variance}, expected ${expectedVariance}`);
    assert.ok(Math.abs(mean) < 0.01 * limit, `mean ${mean}, expected about 0`);
  });

  test("limit follows fan average", () => {
    // A (3, 40, 50) kernel has fans 120 and 150, so L = sqrt(6 / 270); a (5000,) vector has
    // fans 5000 and 5000. With thousands of draws, the largest |value| is within 1% of L
    // except with probability below 1e-20.
    for (const [shape, limit] of [
      [[3, 40, 50], Math.sqrt(6 / 270)],
      [[5000], Math.sqrt(6 / 10000)],
    ] as const) {
      const values = new GlorotUniform({ seed: 3 }).call(shape, "float64").data;
      let max = 0;
      for (const v of values) max = Math.max(max, Math.abs(v));
      assert.ok(max <= limit, `shape [${shape.join(", ")}]: max |value| ${max} exceeds the limit ${limit}`);
      assert.ok(max > 0.99 * limit, `shape [${shape.join(", ")}]: max |value| ${max}, expected close to ${limit}`);
    }
    // A scalar has fans 1 and 1, so L = sqrt(3).
    const scalar = new GlorotUniform({ seed: 4 }).call([], "float64");
    assert.deepEqual([...scalar.shape], []);
    assert.ok(Math.abs(scalar.item()) <= Math.sqrt(3));
  });

  test("seeded instance repeats values", () => {
    const initializer = new GlorotUniform({ seed: 7 });
    const first = [...initializer.call([4, 5], "float32").data];
    const second = [...initializer.call([4, 5], "float32").data];
    assert.deepEqual(second, first, "same instance, second call");
    assert.deepEqual([...new GlorotUniform({ seed: 7 }).call([4, 5], "float32").data], first, "another instance");
    assert.notDeepEqual([...new GlorotUniform({ seed: 8 }).call([4, 5], "float32").data], first, "another seed");
  });

  test("setRandomSeed repeats unseeded values", () => {
    setRandomSeed(99);
    const first = [...new GlorotUniform().call([6, 2], "float32").data];
    const next = [...new GlorotUniform().call([6, 2], "float32").data];
    setRandomSeed(99);
    assert.deepEqual([...new GlorotUniform().call([6, 2], "float32").data], first);
    assert.notDeepEqual(next, first, "later draws differ");
  });

  test("setRandomSeed repeats Dense kernels", () => {
    const kernel = (): number[] => {
      setRandomSeed(2024);
      const layer = new Dense({ units: 3 });
      layer.build([null, 4]);
      return [...layer.kernel!.value.data];
    };
    assert.deepEqual(kernel(), kernel());
  });

  test("config and serialization", () => {
    assert.deepEqual(new GlorotUniform().getConfig(), { seed: null, input_axes: null, output_axes: null });
    assert.deepEqual(new GlorotUniform({ seed: 5 }).serialize(), {
      module: "keras.initializers",
      class_name: "GlorotUniform",
      config: { seed: 5, input_axes: null, output_axes: null },
      registered_name: null,
    });
    const rebuilt = deserialize(new GlorotUniform({ seed: 5 }).serialize());
    assert.ok(rebuilt instanceof GlorotUniform);
    assert.equal(rebuilt.seed, 5);
  });

  test("invalid options are errors", () => {
    assert.throws(() => new GlorotUniform({ sed: 1 } as unknown as { seed: number }), /Did you mean "seed"\?/);
    assert.throws(() => new GlorotUniform({ seed: -1 }), (error: unknown) => error instanceof ValueError && /`seed`/.test(error.message));
    assert.throws(() => new GlorotUniform({ seed: 1.5 }), ValueError);
  });
});

describe("Zeros and Ones", () => {
  test("fill with constants", () => {
    const zeros = new Zeros().call([2, 3], "float32");
    assert.deepEqual([...zeros.shape], [2, 3]);
    assert.deepEqual([...zeros.data], [0, 0, 0, 0, 0, 0]);
    const ones = new Ones().call([4], "float64");
    assert.equal(ones.dtype, "float64");
    assert.deepEqual([...ones.data], [1, 1, 1, 1]);
    assert.deepEqual([...new Ones().call([], "float32").data], [1], "scalar shape");
  });

  test("serialize with empty config", () => {
    assert.deepEqual(new Zeros().serialize(), { module: "keras.initializers", class_name: "Zeros", config: {}, registered_name: null });
    assert.deepEqual(new Ones().serialize(), { module: "keras.initializers", class_name: "Ones", config: {}, registered_name: null });
    assert.ok(deserialize(new Ones().serialize()) instanceof Ones);
    assert.ok(deserialize("zeros") instanceof Zeros);
  });
});

describe("initializers.get", () => {
  test("resolves names and class names", () => {
    const cases: [string, new () => object][] = [
      ["glorot_uniform", GlorotUniform],
      ["GlorotUniform", GlorotUniform],
      ["zeros", Zeros],
      ["zero", Zeros],
      ["Zeros", Zeros],
      ["ones", Ones],
      ["one", Ones],
      ["Ones", Ones],
    ];
    for (const [name, type] of cases) assert.ok(get(name) instanceof type, name);
  });

  test("returns fresh instances", () => {
    assert.notEqual(get("glorot_uniform"), get("glorot_uniform"));
    const instance = new GlorotUniform({ seed: 1 });
    assert.equal(get(instance), instance, "an instance passes through");
  });

  test("unknown name lists valid ones", () => {
    const message = errorMessage(() => get("glorot_uniformm"));
    assert.match(message, /"glorot_uniformm"/);
    for (const name of ["glorot_uniform", "zeros", "ones"]) assert.ok(message.includes(`"${name}"`), `lists "${name}"`);
    assert.match(errorMessage(() => get("he_normall", "kernelInitializer")), /`kernelInitializer`/);
  });

  test("Dense reports bad initializer", () => {
    assert.throws(() => new Dense({ units: 2, kernelInitializer: "glorot" }), /`kernelInitializer`/);
    assert.throws(() => new Dense({ units: 2, biasInitializer: "zeroes" }), /`biasInitializer`/);
  });
});
