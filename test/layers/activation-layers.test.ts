import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ValueError } from "../../src/errors.js";
import { ELU, LeakyReLU, PReLU, ReLU, Softmax, deserialize, getMask } from "../../src/layers/index.js";
import { setLogSink } from "../../src/logger.js";
import { tensor } from "../../src/tensor/tensor.js";
import { assertClose } from "../helpers/close.js";
import { runLayerTest } from "../helpers/layer-test.js";

/** Runs `body` and returns the lines the logger wrote meanwhile. */
function captureWarnings(body: () => void): string[] {
  const lines: string[] = [];
  const previous = setLogSink((line) => lines.push(line));
  try {
    body();
  } finally {
    setLogSink(previous);
  }
  return lines;
}

describe("activation layer tests", () => {
  const cases = [
    { label: "ReLU", create: () => new ReLU() },
    { label: "ReLU with options", create: () => new ReLU({ maxValue: 0.5, negativeSlope: 0.1, threshold: 0.2 }) },
    { label: "LeakyReLU", create: () => new LeakyReLU() },
    { label: "ELU", create: () => new ELU({ alpha: 0.5 }) },
    { label: "Softmax", create: () => new Softmax() },
    { label: "Softmax on axis 1", create: () => new Softmax({ axis: 1 }) },
    { label: "Softmax on two axes", create: () => new Softmax({ axis: [1, 2] }) },
  ];
  for (const { label, create } of cases) {
    test(label, () => {
      runLayerTest({ create, inputShape: [2, 3, 4], expectedOutputShape: [null, 3, 4], expectedParams: 0 });
    });
  }

  test("PReLU", () => {
    runLayerTest({
      create: () => new PReLU({ alphaInitializer: "ones" }),
      inputShape: [2, 3, 4],
      expectedOutputShape: [null, 3, 4],
      expectedTrainableWeights: [{ name: "alpha", shape: [3, 4] }],
      expectedParams: 12,
    });
  });

  test("PReLU with shared axes", () => {
    runLayerTest({
      create: () => new PReLU({ sharedAxes: [1, 2], alphaInitializer: "ones" }),
      inputShape: [2, 3, 2, 4],
      expectedOutputShape: [null, 3, 2, 4],
      expectedTrainableWeights: [{ name: "alpha", shape: [1, 1, 4] }],
      expectedParams: 4,
    });
  });
});

describe("activation layer values", () => {
  const x = tensor([[-2, -0.5, 0, 0.3, 1, 4]]);

  test("ReLU options", () => {
    assertClose(new ReLU().apply(x).data, [0, 0, 0, 0.3, 1, 4]);
    assertClose(new ReLU({ maxValue: 1 }).apply(x).data, [0, 0, 0, 0.3, 1, 1]);
    assertClose(new ReLU({ negativeSlope: 0.5, threshold: 0.5, maxValue: 3 }).apply(x).data, [-1.25, -0.5, -0.25, -0.1, 1, 3]);
  });

  test("LeakyReLU and ELU", () => {
    assertClose(new LeakyReLU().apply(x).data, [-0.6, -0.15, 0, 0.3, 1, 4]);
    assertClose(new ELU().apply(x).data, [Math.expm1(-2), Math.expm1(-0.5), 0, 0.3, 1, 4]);
  });

  test("PReLU uses its alpha", () => {
    const layer = new PReLU();
    layer.build([null, 6]);
    layer.setWeights([tensor([0.1, 0.2, 0.3, 0.4, 0.5, 0.6])]);
    assertClose(layer.apply(x).data, [-0.2, -0.1, 0, 0.3, 1, 4]);
  });

  test("negative options are rejected", () => {
    assert.throws(() => new ReLU({ maxValue: -1 }), ValueError);
    assert.throws(() => new ReLU({ threshold: -1 }), ValueError);
    assert.throws(() => new LeakyReLU({ negativeSlope: -0.1 }), ValueError);
    assert.throws(() => new PReLU({ sharedAxes: [0] }), ValueError);
  });

  test("LeakyReLU accepts alpha with a warning", () => {
    let layer: LeakyReLU | null = null;
    const lines = captureWarnings(() => {
      layer = deserialize({ class_name: "LeakyReLU", config: { name: "old", trainable: true, dtype: "float32", alpha: 0.1 } }) as LeakyReLU;
    });
    assert.equal(layer!.negativeSlope, 0.1);
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /alpha/);
    assert.match(lines[0]!, /negativeSlope/);
  });

  test("ELU config puts alpha after name", () => {
    assert.deepEqual(Object.keys(new ELU().getConfig()), ["name", "alpha", "trainable", "dtype"]);
  });
});

describe("Softmax with a mask", () => {
  test("masked positions get probability 0", () => {
    const mask = tensor([
      [1, 1, 0],
      [0, 1, 1],
    ]);
    const y = new Softmax().apply(tensor([[1, 2, 3], [4, 5, 6]]), { mask });
    const e = Math.exp(1);
    assertClose(y.toArray(), [
      [1 / (1 + e), e / (1 + e), 0],
      [0, 1 / (1 + e), e / (1 + e)],
    ]);
    assert.equal(getMask(y), mask, "the mask passes through");
  });

  test("mask that does not broadcast is rejected", () => {
    assert.throws(() => new Softmax().apply(tensor([[1, 2, 3]]), { mask: tensor([[1, 0]]) }), /broadcasts to the input/);
  });
});
