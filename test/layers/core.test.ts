import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { valueAndGradients } from "../../src/autodiff/tape.js";
import { ShapeError, ValueError } from "../../src/errors.js";
import { Activation, Dropout, Flatten } from "../../src/layers/index.js";
import { sum } from "../../src/ops/index.js";
import { setRandomSeed } from "../../src/random.js";
import { Tensor, fill, tensor } from "../../src/tensor/tensor.js";
import { forEachBackend } from "../helpers/backends.js";
import { assertClose } from "../helpers/close.js";
import { runLayerTest } from "../helpers/layer-test.js";

/** 1..n as a float32 tensor of `shape`, so every element is distinct and nonzero. */
function counting(shape: number[]): Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return new Tensor(Float32Array.from({ length: size }, (_, i) => i + 1), shape);
}

describe("Activation", () => {
  test("passes the layer test", () => {
    runLayerTest({
      create: () => new Activation({ activation: "tanh" }),
      inputShape: [2, 3],
      expectedOutputShape: [null, 3],
      expectedParams: 0,
    });
  });

  test(
    "applies the named activation",
    forEachBackend((backend) => {
      const x = tensor([[-2, -0.5, 0, 0.5, 2]]);
      assertClose(new Activation({ activation: "relu" }).apply(x).toArray(), [[0, 0, 0, 0.5, 2]], { message: `${backend} relu` });
      assertClose(new Activation({ activation: "linear" }).apply(x).toArray(), [[-2, -0.5, 0, 0.5, 2]], { message: `${backend} linear` });
      assertClose(
        new Activation({ activation: "sigmoid" }).apply(x).toArray(),
        [[-2, -0.5, 0, 0.5, 2].map((z) => 1 / (1 + Math.exp(-z)))],
        { message: `${backend} sigmoid` },
      );
      assertClose(
        new Activation({ activation: "tanh" }).apply(x).toArray(),
        [[-2, -0.5, 0, 0.5, 2].map(Math.tanh)],
        { message: `${backend} tanh` },
      );
      // Keras 3.15.1 reference value for softmax([1, 2, 3]).
      assertClose(
        new Activation({ activation: "softmax" }).apply(tensor([[1, 2, 3]])).toArray(),
        [[0.09003057, 0.24472848, 0.66524094]],
        { message: `${backend} softmax` },
      );
    }),
  );

  test("missing or unknown activation", () => {
    assert.throws(() => new Activation({} as { activation: string }), /`activation`/);
    assert.throws(() => new Activation({ activation: "swishy" }), (error: unknown) => {
      return error instanceof ValueError && /"swishy"/.test(error.message) && /"relu"/.test(error.message);
    });
  });

  test("getConfig stores activation name", () => {
    const config = new Activation({ activation: "sigmoid", name: "act" }).getConfig();
    assert.deepEqual(Object.keys(config), ["name", "trainable", "dtype", "activation"]);
    assert.equal(config["activation"], "sigmoid");
  });
});

describe("Dropout", () => {
  test("passes the layer test", () => {
    runLayerTest({
      create: () => new Dropout({ rate: 0.5, seed: 3 }),
      inputShape: [4, 5],
      expectedOutputShape: [null, 5],
      expectedParams: 0,
    });
  });

  test("identity outside training", () => {
    const x = counting([8, 16]);
    const layer = new Dropout({ rate: 0.5 });
    for (const options of [undefined, {}, { training: false }]) {
      const y = layer.apply(x, options);
      assert.deepEqual([...y.data], [...x.data], `options ${JSON.stringify(options)}`);
    }
  });

  test(
    "training drops and rescales",
    forEachBackend((backend) => {
      // Rate 0.5 scales by exactly 2, so kept values are exact in float32.
      const x = counting([100, 100]);
      const y = new Dropout({ rate: 0.5, seed: 11 }).apply(x, { training: true });
      assert.deepEqual([...y.shape], [100, 100]);
      let dropped = 0;
      for (let i = 0; i < x.size; i++) {
        const out = y.data[i]!;
        if (out === 0) dropped++;
        else assert.equal(out, 2 * x.data[i]!, `${backend}: element ${i}`);
      }
      // 10 000 draws: the dropped fraction has a standard deviation of 0.005.
      const fraction = dropped / x.size;
      assert.ok(Math.abs(fraction - 0.5) < 0.025, `${backend}: dropped fraction ${fraction}, expected about 0.5`);
    }),
  );

  test(
    "rate 0.25 rescales by 4/3",
    forEachBackend((backend) => {
      const rate = 0.25;
      const x = counting([100, 100]);
      const y = new Dropout({ rate, seed: 12 }).apply(x, { training: true });
      let dropped = 0;
      for (let i = 0; i < x.size; i++) {
        const out = y.data[i]!;
        if (out === 0) {
          dropped++;
          continue;
        }
        // NOTE: Keras divides by 1 − rate in float32, but ops.dropout multiplies by a
        // float32 reciprocal. The two results can differ by one unit in the last place.
        const expected = Math.fround(x.data[i]! / (1 - rate));
        assert.ok(Math.abs(out - expected) <= expected * 2 ** -23, `${backend}: element ${i} is ${out}, expected ${expected}`);
      }
      // 10 000 draws: the dropped fraction has a standard deviation of about 0.0043.
      const fraction = dropped / x.size;
      assert.ok(Math.abs(fraction - rate) < 0.02, `${backend}: dropped fraction ${fraction}, expected about ${rate}`);
    }),
  );

  test("rate zero keeps everything", () => {
    const x = counting([4, 4]);
    const y = new Dropout({ rate: 0 }).apply(x, { training: true });
    assert.deepEqual([...y.data], [...x.data]);
  });

  test("rate one zeroes everything", () => {
    const x = counting([4, 4]);
    const y = new Dropout({ rate: 1 }).apply(x, { training: true });
    assert.ok(
      [...y.data].every((v) => v === 0),
      "every element is zero",
    );
  });

  test("seeded layers repeat masks", () => {
    const x = counting([20, 20]);
    const first = new Dropout({ rate: 0.5, seed: 42 });
    const second = new Dropout({ rate: 0.5, seed: 42 });
    const a1 = first.apply(x, { training: true });
    const b1 = second.apply(x, { training: true });
    assert.deepEqual([...a1.data], [...b1.data], "same seed, same first mask");
    const a2 = first.apply(x, { training: true });
    const b2 = second.apply(x, { training: true });
    assert.deepEqual([...a2.data], [...b2.data], "same seed, same second mask");
    assert.notDeepEqual([...a1.data], [...a2.data], "the mask changes between calls");
    const other = new Dropout({ rate: 0.5, seed: 43 }).apply(x, { training: true });
    assert.notDeepEqual([...other.data], [...a1.data], "another seed gives another mask");
  });

  test("global seed repeats unseeded masks", () => {
    const x = counting([20, 20]);
    setRandomSeed(5);
    const a = new Dropout({ rate: 0.5 }).apply(x, { training: true });
    setRandomSeed(5);
    const b = new Dropout({ rate: 0.5 }).apply(x, { training: true });
    assert.deepEqual([...a.data], [...b.data]);
  });

  test("gradient follows the mask", () => {
    const x = counting([10, 10]);
    const layer = new Dropout({ rate: 0.5, seed: 9 });
    let output: Tensor | null = null;
    const { gradients } = valueAndGradients(() => {
      output = layer.apply(x, { training: true });
      return sum(output);
    }, [x]);
    const y = output as unknown as Tensor;
    const dx = gradients[0]!;
    for (let i = 0; i < x.size; i++) {
      assert.equal(dx.data[i], y.data[i] === 0 ? 0 : 2, `element ${i}`);
    }
  });

  test("high rate scales kept values", () => {
    // Rate 0.99 keeps about 1% of the ones, each scaled to 1 / 0.01 = 100.
    const x = fill([50, 50], 1);
    const y = new Dropout({ rate: 0.99, seed: 1 }).apply(x, { training: true });
    const keptValues = [...y.data].filter((v) => v !== 0);
    assert.ok(keptValues.length > 0, "some values are kept");
    assert.ok(keptValues.length < 75, `${keptValues.length} of 2500 kept, expected about 25`);
    for (const v of keptValues) assert.ok(Math.abs(v - 100) < 1e-3, `kept value ${v}`);
  });

  test("invalid rates are errors", () => {
    for (const rate of [-0.1, 1.5, Number.NaN, "0.5", undefined, null]) {
      assert.throws(
        () => new Dropout({ rate } as unknown as { rate: number }),
        (error: unknown) => error instanceof ValueError && /`rate`/.test(error.message),
        `rate = ${String(rate)}`,
      );
    }
  });

  test("getConfig keys and values", () => {
    const config = new Dropout({ rate: 0.3, seed: 7, name: "drop" }).getConfig();
    assert.deepEqual(Object.keys(config), ["name", "trainable", "dtype", "rate", "seed", "noise_shape"]);
    assert.equal(config["rate"], 0.3);
    assert.equal(config["seed"], 7);
    assert.equal(config["noise_shape"], null);
    assert.equal(new Dropout({ rate: 0.3 }).getConfig()["seed"], null);
  });
});

describe("Flatten", () => {
  test("passes the layer test", () => {
    runLayerTest({
      create: () => new Flatten(),
      inputShape: [2, 4, 3],
      expectedOutputShape: [null, 12],
      expectedParams: 0,
    });
  });

  test("flattens 28x28 images", () => {
    const layer = new Flatten();
    assert.deepEqual(layer.computeOutputShape([null, 28, 28]), [null, 784]);
    const x = counting([3, 28, 28]);
    const y = layer.apply(x);
    assert.deepEqual([...y.shape], [3, 784]);
    assert.deepEqual([...y.data], [...x.data], "row-major order is kept");
  });

  test("computeOutputShape edge cases", () => {
    const layer = new Flatten();
    assert.deepEqual(layer.computeOutputShape([null, 5]), [null, 5]);
    assert.deepEqual(layer.computeOutputShape([7, 2, 3, 4]), [7, 24]);
    assert.deepEqual(layer.computeOutputShape([null, null, 3]), [null, null], "unknown axis gives unknown size");
    assert.deepEqual(layer.computeOutputShape([null]), [null, 1], "rank 1 gains an axis of size 1");
    assert.throws(() => layer.computeOutputShape([]), ShapeError);
  });

  test("rank-1 input gains an axis", () => {
    const y = new Flatten().apply(tensor([1, 2, 3]));
    assert.deepEqual([...y.shape], [3, 1]);
  });

  test("getConfig has data_format", () => {
    const config = new Flatten({ name: "flat" }).getConfig();
    assert.deepEqual(Object.keys(config), ["name", "trainable", "dtype", "data_format"]);
    assert.equal(config["data_format"], "channels_last");
  });

  test("unknown option suggests nearest", () => {
    assert.throws(() => new Flatten({ nmae: "x" } as unknown as { name: string }), /Did you mean "name"\?/);
  });
});
