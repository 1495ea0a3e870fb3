/**
 * Finite-difference gradient checks, in float64, for every differentiable op
 * exported from src/ops/index.ts. Inputs stay away from kinks (relu, abs,
 * clip, maximum, minimum) and from the clipping range of the crossentropies.
 */

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { noGrad, valueAndGradients } from "../../src/autodiff/tape.js";
import type { CrossentropyBackwardArgs, FusedActivation } from "../../src/backend/backend.js";
import { getBackend } from "../../src/backend/registry.js";
import * as ops from "../../src/ops/index.js";
import { RandomGenerator } from "../../src/random.js";
import { sizeOf } from "../../src/tensor/shape.js";
import { Tensor } from "../../src/tensor/tensor.js";
import { checkGradients } from "../helpers/gradcheck.js";
import { sampleValues } from "../helpers/values.js";

const EPSILON = 1e-7;

/** Creates a float64 tensor of deterministic values in [low, high). */
function sample(shape: number[], seed: number, low = -1, high = 1): Tensor {
  return new Tensor(Float64Array.from(sampleValues(sizeOf(shape), seed, low, high)), shape);
}

/** Creates a float64 tensor of values with magnitude in [0.1, 2) and alternating signs, so none is near 0. */
function awayFromZero(shape: number[], seed: number): Tensor {
  const values = sampleValues(sizeOf(shape), seed, 0.1, 2).map((v, i) => (i % 2 === 0 ? v : -v));
  return new Tensor(Float64Array.from(values), shape);
}

function f64(values: number[], shape: number[]): Tensor {
  return new Tensor(Float64Array.from(values), shape);
}

function oneHot(labels: number[], classes: number): Tensor {
  const data = new Float64Array(labels.length * classes);
  labels.forEach((label, row) => (data[row * classes + label] = 1));
  return new Tensor(data, [labels.length, classes]);
}

/** Asserts that no element of `x` lies within `margin` of zero, so a kink at 0 cannot spoil a finite difference. */
function assertAwayFromZero(x: Tensor, margin: number, description: string): void {
  const nearest = Math.min(...Array.from(x.data, (v) => Math.abs(v)));
  assert.ok(nearest > margin, `${description} has an element within ${margin} of zero (${nearest}); choose other inputs`);
}

/**
 * Runs `body` with the active backend's crossentropyBackward wrapped, and
 * returns the `throughSoftmax` flag of every call.
 */
function recordThroughSoftmax(body: () => void): boolean[] {
  const backend = getBackend();
  const original = backend.crossentropyBackward;
  const flags: boolean[] = [];
  backend.crossentropyBackward = (args: CrossentropyBackwardArgs) => {
    flags.push(args.throughSoftmax);
    original.call(backend, args);
  };
  try {
    body();
  } finally {
    backend.crossentropyBackward = original;
  }
  return flags;
}

/** Names of the ops that have a gradient check below, filled while the tests are collected. */
const checkedOps = new Set<string>();

function gradientTest(op: keyof typeof ops, name: string, body: () => void): void {
  checkedOps.add(op);
  test(name, body);
}

describe("unary op gradients", () => {
  const smooth: (keyof typeof ops & ("neg" | "exp" | "square" | "sigmoid" | "tanh"))[] = [
    "neg",
    "exp",
    "square",
    "sigmoid",
    "tanh",
  ];
  for (const name of smooth) {
    gradientTest(name, `gradient of ${name}`, () => {
      checkGradients((x) => ops[name](x), [sample([2, 3], 1, -2, 2)]);
    });
  }

  gradientTest("abs", "gradient of abs", () => {
    checkGradients((x) => ops.abs(x), [awayFromZero([2, 3], 2)]);
  });

  gradientTest("relu", "gradient of relu", () => {
    checkGradients((x) => ops.relu(x), [awayFromZero([2, 3], 3)]);
  });

  gradientTest("log", "gradient of log", () => {
    checkGradients((x) => ops.log(x), [sample([2, 3], 4, 0.2, 3)]);
  });

  gradientTest("sqrt", "gradient of sqrt", () => {
    checkGradients((x) => ops.sqrt(x), [sample([2, 3], 5, 0.2, 3)]);
  });
});

describe("binary op gradients", () => {
  const shapePairs: [number[], number[]][] = [
    [[2, 3], [2, 3]],
    [[2, 3], [3]],
    [[2, 3], [2, 1]],
    [[3], [2, 3]],
    [[2, 1], [1, 3]],
    [[], [2, 3]],
  ];
  const binaryOps: ("add" | "sub" | "mul" | "div" | "maximum" | "minimum")[] = [
    "add",
    "sub",
    "mul",
    "div",
    "maximum",
    "minimum",
  ];

  for (const name of binaryOps) {
    for (const [aShape, bShape] of shapePairs) {
      gradientTest(name, `gradient of ${name} (${aShape}) with (${bShape})`, () => {
        const a = sample(aShape, 6, -2, 2);
        // Divisors stay away from zero.
        const b = name === "div" ? awayFromZero(bShape, 7) : sample(bShape, 7, -2, 2);
        if (name === "maximum" || name === "minimum") {
          assertAwayFromZero(noGrad(() => ops.sub(a, b)), 1e-3, "a − b");
        }
        checkGradients((x, y) => ops[name](x, y), [a, b]);
      });
    }
  }

  test("maximum gradient goes to larger", () => {
    // Hand-derived: each element's gradient goes to the input that was selected.
    const a = f64([1, 5], [2]);
    const b = f64([3, 2], [2]);
    checkGradients((x, y) => ops.maximum(x, y), [a, b]);
  });
});

describe("elementwise op gradients", () => {
  gradientTest("affine", "gradient of affine", () => {
    checkGradients((x) => ops.affine(x, 2.5, -1), [sample([2, 3], 8)]);
    checkGradients((x) => ops.affine(x, -0.5), [sample([4], 9)]);
  });

  gradientTest("clip", "gradient of clip", () => {
    // Some values inside the range, some clipped on either side, none near a bound.
    const x = f64([-1.2, -0.3, 0.1, 0.7, 0.2, -0.45, 2, 0.44], [2, 4]);
    checkGradients((t) => ops.clip(t, -0.5, 0.5), [x]);
  });
});

describe("reduction and shape gradients", () => {
  const axisCases: [number | number[] | undefined, boolean][] = [
    [undefined, false],
    [0, false],
    [1, true],
    [-1, false],
    [[0, 2], false],
    [[0, 2], true],
    [[2, 1, 0], true],
  ];
  for (const name of ["sum", "mean"] as const) {
    for (const [axis, keepDims] of axisCases) {
      const label = axis === undefined ? "all axes" : `axis ${JSON.stringify(axis)}`;
      gradientTest(name, `gradient of ${name} over ${label}${keepDims ? " keepDims" : ""}`, () => {
        checkGradients((x) => ops[name](x, axis, keepDims), [sample([2, 3, 4], 10)]);
      });
    }
  }

  gradientTest("reshape", "gradient of reshape", () => {
    checkGradients((x) => ops.reshape(x, [3, 2]), [sample([2, 3], 11)]);
    checkGradients((x) => ops.reshape(x, [-1, 2]), [sample([6], 12)]);
    // A reshape followed by an op whose gradient depends on position.
    checkGradients((x) => ops.mul(ops.reshape(x, [4, -1]), sample([4, 6], 13)), [sample([2, 3, 4], 14)]);
  });
});

describe("linear algebra gradients", () => {
  gradientTest("matmul", "gradient of matmul", () => {
    checkGradients((a, b) => ops.matmul(a, b), [sample([2, 3], 15), sample([3, 4], 16)]);
    checkGradients((a, b) => ops.matmul(a, b), [sample([1, 5], 17), sample([5, 1], 18)]);
  });

  const activations: FusedActivation[] = ["linear", "relu", "sigmoid", "tanh"];
  for (const activation of activations) {
    gradientTest("dense", `gradient of dense with ${activation}`, () => {
      const x = sample([3, 4], 19, -2, 2);
      const kernel = sample([4, 5], 20);
      const bias = sample([5], 21);
      if (activation === "relu") {
        assertAwayFromZero(noGrad(() => ops.dense(x, kernel, bias, "linear")), 1e-3, "pre-activation");
      }
      checkGradients((a, k, b) => ops.dense(a, k, b, activation), [x, kernel, bias]);
    });

    gradientTest("dense", `gradient of dense ${activation} without bias`, () => {
      const x = sample([3, 4], 22, -2, 2);
      const kernel = sample([4, 5], 23);
      if (activation === "relu") {
        assertAwayFromZero(noGrad(() => ops.dense(x, kernel, null, "linear")), 1e-3, "pre-activation");
      }
      checkGradients((a, k) => ops.dense(a, k, null, activation), [x, kernel]);
    });

    gradientTest("dense", `gradient of dense ${activation} rank-3 input`, () => {
      const x = sample([2, 3, 4], 24, -2, 2);
      const kernel = sample([4, 5], 25);
      const bias = sample([5], 26);
      if (activation === "relu") {
        assertAwayFromZero(noGrad(() => ops.dense(x, kernel, bias, "linear")), 1e-3, "pre-activation");
      }
      checkGradients((a, k, b) => ops.dense(a, k, b, activation), [x, kernel, bias]);
    });
  }
});

describe("neural network op gradients", () => {
  gradientTest("softmax", "gradient of softmax rank 2", () => {
    checkGradients((x) => ops.softmax(x), [sample([3, 4], 27, -2, 2)]);
  });

  gradientTest("softmax", "gradient of softmax rank 3", () => {
    checkGradients((x) => ops.softmax(x), [sample([2, 3, 4], 28, -2, 2)]);
  });

  gradientTest("categoricalCrossentropy", "gradient of categoricalCrossentropy on probabilities", () => {
    // Rows that do not sum to 1 also exercise the renormalization.
    const labels = f64([0, 1, 0, 0, 0.2, 0, 0.5, 0.3, 1, 0, 0, 0], [3, 4]);
    const probabilities = sample([3, 4], 29, 0.05, 1);
    checkGradients((y, p) => ops.categoricalCrossentropy(y, p, EPSILON), [labels, probabilities], { only: [1] });
  });

  gradientTest("categoricalCrossentropy", "gradient of categoricalCrossentropy through softmax", () => {
    const labels = oneHot([2, 0, 3], 4);
    const logits = sample([3, 4], 30, -2, 2);
    const flags = recordThroughSoftmax(() => {
      checkGradients((y, z) => ops.categoricalCrossentropy(y, ops.softmax(z), EPSILON), [labels, logits], { only: [1] });
    });
    assert.deepEqual(flags, [true], "the tape pass takes the fused path to the logits");
  });

  gradientTest("categoricalCrossentropy", "categoricalCrossentropy softmax with soft labels", () => {
    const labels = f64([0.1, 0.6, 0.3, 0, 0.5, 0.5], [2, 3]);
    checkGradients((y, z) => ops.categoricalCrossentropy(y, ops.softmax(z), EPSILON), [labels, sample([2, 3], 31, -2, 2)], {
      only: [1],
    });
  });

  test("crossentropy on earlier softmax output", () => {
    // A softmax output recorded on an earlier tape is an ordinary source here: its gradient must
    // reach it, not the logits of that earlier tape.
    const logits = sample([2, 3], 36, -2, 2);
    let probabilities = logits;
    valueAndGradients(() => {
      probabilities = ops.softmax(logits);
      return ops.sum(probabilities);
    }, [logits]);
    const labels = oneHot([1, 2], 3);
    const flags = recordThroughSoftmax(() => {
      checkGradients((p) => ops.categoricalCrossentropy(labels, p, EPSILON), [probabilities]);
    });
    assert.deepEqual(flags, [false]);

    const { gradients } = valueAndGradients(
      () => ops.sum(ops.sparseCategoricalCrossentropy(new Int32Array([1, 2]), probabilities, EPSILON)),
      [logits, probabilities],
    );
    assert.deepEqual(Array.from(gradients[0]!.data), [0, 0, 0, 0, 0, 0], "the logits are not used on this tape");
    assert.ok(gradients[1]!.data.some((v) => v !== 0), "the probabilities get a gradient");
  });

  gradientTest("sparseCategoricalCrossentropy", "gradient of sparseCategoricalCrossentropy on probabilities", () => {
    const labels = new Int32Array([1, 3, 0]);
    checkGradients((p) => ops.sparseCategoricalCrossentropy(labels, p, EPSILON), [sample([3, 4], 32, 0.05, 1)]);
  });

  gradientTest("sparseCategoricalCrossentropy", "gradient of sparseCategoricalCrossentropy through softmax", () => {
    const labels = new Int32Array([1, 3, 0]);
    const flags = recordThroughSoftmax(() => {
      checkGradients((z) => ops.sparseCategoricalCrossentropy(labels, ops.softmax(z), EPSILON), [sample([3, 4], 33, -2, 2)]);
    });
    assert.deepEqual(flags, [true], "the tape pass takes the fused path to the logits");
  });

  gradientTest("binaryCrossentropy", "gradient of binaryCrossentropy", () => {
    const labels = f64([1, 0, 0, 1, 0.3, 0.8, 1, 0, 0, 1, 0.5, 0], [3, 4]);
    checkGradients((y, p) => ops.binaryCrossentropy(y, p, EPSILON), [labels, sample([3, 4], 34, 0.05, 0.95)], { only: [1] });
  });

  gradientTest("dropout", "gradient of dropout", () => {
    const rate = 0.4;
    // A fresh generator per call gives the same mask on the tape pass and on every finite-difference pass.
    const apply = (x: Tensor): Tensor => ops.dropout(x, rate, new RandomGenerator(123));
    const x = sample([4, 5], 35, 0.5, 2);
    checkGradients(apply, [x]);

    const out = apply(x);
    let dropped = 0;
    for (let i = 0; i < x.size; i++) {
      if (out.data[i] === 0) dropped++;
      else assert.ok(Math.abs(out.data[i]! - x.data[i]! / (1 - rate)) < 1e-12, `element ${i} is scaled by 1 / (1 − rate)`);
    }
    assert.ok(dropped > 0, "the mask drops some elements");
    assert.ok(dropped < x.size, `the mask keeps some elements (${dropped} of ${x.size} dropped)`);
  });
});

// test/ops/conv.test.ts checks these ops in more configurations.
describe("convolution and pooling gradients", () => {
  const padding: [[number, number], [number, number]] = [
    [1, 0],
    [0, 1],
  ];
  gradientTest("conv2d", "gradient of conv2d", () => {
    const options = { strides: [2, 1] as [number, number], dilationRate: [1, 1] as [number, number], padding, groups: 1, activation: "tanh" as const };
    checkGradients((x, k, b) => ops.conv2d(x!, k!, b!, options), [sample([2, 5, 4, 2], 40), sample([2, 2, 2, 3], 41), sample([3], 42)]);
  });

  gradientTest("conv2dTranspose", "gradient of conv2dTranspose", () => {
    const options = { strides: [2, 2] as [number, number], dilationRate: [1, 1] as [number, number], padBefore: [1, 0] as [number, number], outputSize: [5, 6] as [number, number] };
    checkGradients((x, k) => ops.conv2dTranspose(x!, k!, options), [sample([1, 3, 3, 2], 43), sample([3, 2, 2, 2], 44)]);
  });

  for (const name of ["maxPool2d", "averagePool2d"] as const) {
    gradientTest(name, `gradient of ${name}`, () => {
      // Distinct, well separated values keep every window's maximum clear of a tie.
      const values = Array.from({ length: 2 * 4 * 5 * 2 }, (_, i) => ((i * 37) % 80) / 80);
      const x = f64(values, [2, 4, 5, 2]);
      checkGradients((input) => ops[name](input!, { poolSize: [2, 3], strides: [2, 2], padding }), [x]);
    });
  }
});

describe("activation and logits op gradients", () => {
  gradientTest("activation", "activation kernels", () => {
    for (const [op, params] of [
      ["gelu", []],
      ["mish", []],
      ["elu", [0.7]],
      ["power", [2.5]],
    ] as const) {
      const x = op === "power" ? sample([7], 80, 0.2, 2) : sample([7], 80, -3, 3);
      checkGradients((input) => ops.activation(op, input!, params), [x]);
    }
  });
  gradientTest("logSoftmax", "log_softmax along axis 1 of three", () => {
    checkGradients((input) => ops.logSoftmax(input!, 1), [sample([2, 3, 2], 83, -2, 2)]);
  });
  gradientTest("sparsemax", "sparsemax", () => {
    checkGradients((input) => ops.sparsemax(input!), [f64([0.3, 0.35, -1, 0.2, 1.5, -1.5, 0.05, 1.1], [2, 4])]);
  });
  gradientTest("glu", "glu", () => {
    checkGradients((input) => ops.glu(input!), [sample([3, 4], 84, -2, 2)]);
  });
  gradientTest("maxLastAxis", "max along last axis", () => {
    checkGradients((input) => ops.maxLastAxis(input!), [f64([0.1, 0.9, -0.3, 0.5, -2, 0.4], [2, 3])]);
  });
  gradientTest("softmaxCrossentropy", "crossentropy from logits", () => {
    const soft = new Tensor(Float64Array.from([0.2, 0.5, 0.3, 0, 1, 0]), [2, 3]);
    checkGradients((logits) => ops.softmaxCrossentropy(soft, logits!), [sample([2, 3], 85, -3, 3)]);
    checkGradients((logits) => ops.softmaxCrossentropy(Int32Array.from([2, 0]), logits!), [sample([2, 3], 86, -3, 3)]);
  });
  gradientTest("sigmoidCrossentropy", "binary crossentropy from logits", () => {
    const labels = new Tensor(Float64Array.from([1, 0, 0.3, 0.8]), [2, 2]);
    checkGradients((logits) => ops.sigmoidCrossentropy(labels, logits!), [sample([2, 2], 87, -4, 4)]);
  });
});

describe("normalization, reshaping and activation op gradients", () => {
  gradientTest("batchNormalization", "gradient of batchNormalization in training", () => {
    const run = (x: Tensor, gamma: Tensor, beta: Tensor): Tensor =>
      ops.batchNormalization(x, { axis: -1, epsilon: 1e-3, gamma, beta, mean: null, variance: null, training: true }).output;
    checkGradients(run, [sample([5, 3], 50, -2, 2), sample([3], 51, 0.5, 1.5), sample([3], 52)]);
  });

  test("gradient of batchNormalization on axis 1 of rank 4", () => {
    const run = (x: Tensor, gamma: Tensor, beta: Tensor): Tensor =>
      ops.batchNormalization(x, { axis: 1, epsilon: 1e-3, gamma, beta, mean: null, variance: null, training: true }).output;
    checkGradients(run, [sample([2, 3, 2, 2], 53, -2, 2), sample([3], 54, 0.5, 1.5), sample([3], 55)]);
  });

  test("gradient of batchNormalization with weights", () => {
    const x = sample([2, 4, 3], 56, -2, 2);
    const weights = new Tensor(new Float64Array(x.size), x.shape);
    for (let i = 0; i < x.size; i++) weights.data[i] = Math.floor(i / 3) % 3 === 2 ? 0 : 1;
    const run = (input: Tensor, gamma: Tensor, beta: Tensor): Tensor =>
      ops.batchNormalization(input, { axis: -1, epsilon: 1e-3, gamma, beta, mean: null, variance: null, training: true, weights }).output;
    checkGradients(run, [x, sample([3], 57, 0.5, 1.5), sample([3], 58)]);
  });

  test("gradient of batchNormalization in inference", () => {
    const mean = sample([3], 59);
    const variance = sample([3], 60, 0.5, 2);
    const run = (x: Tensor, gamma: Tensor, beta: Tensor): Tensor =>
      ops.batchNormalization(x, { axis: -1, epsilon: 1e-3, gamma, beta, mean, variance, training: false }).output;
    checkGradients(run, [sample([4, 3], 61, -2, 2), sample([3], 62, 0.5, 1.5), sample([3], 63)]);
  });

  gradientTest("layerNormalization", "gradient of layerNormalization on the last axis", () => {
    const run = (x: Tensor, gamma: Tensor, beta: Tensor): Tensor =>
      ops.layerNormalization(x, { axes: [-1], epsilon: 1e-3, gamma, beta });
    checkGradients(run, [sample([3, 5], 64, -2, 2), sample([5], 65, 0.5, 1.5), sample([5], 66)]);
  });

  test("gradient of layerNormalization over axes 0 and 2", () => {
    const run = (x: Tensor, gamma: Tensor, beta: Tensor): Tensor =>
      ops.layerNormalization(x, { axes: [2, 0], epsilon: 1e-3, gamma, beta });
    checkGradients(run, [sample([2, 3, 4], 67, -2, 2), sample([2, 4], 68, 0.5, 1.5), sample([2, 4], 69)]);
  });

  test("gradient of layerNormalization with rmsScaling", () => {
    const run = (x: Tensor, gamma: Tensor): Tensor =>
      ops.layerNormalization(x, { axes: [-1], epsilon: 1e-3, gamma, beta: null, rmsScaling: true });
    checkGradients(run, [sample([3, 4], 70, -2, 2), sample([4], 71, 0.5, 1.5)]);
  });

  gradientTest("concatenate", "gradient of concatenate on axis 1", () => {
    checkGradients((a, b, c) => ops.concatenate([a, b, c], 1), [sample([2, 1, 3], 72), sample([2, 2, 3], 73), sample([2, 3, 3], 74)]);
  });

  gradientTest("transpose", "gradient of transpose", () => {
    checkGradients((x) => ops.transpose(x, [2, 0, 1]), [sample([2, 3, 4], 75)]);
  });

  gradientTest("broadcastTo", "gradient of broadcastTo", () => {
    checkGradients((x) => ops.broadcastTo(x, [2, 3, 4]), [sample([2, 1, 4], 76)]);
  });

  gradientTest("leakyRelu", "gradient of leakyRelu", () => {
    checkGradients((x) => ops.leakyRelu(x, 0.3), [awayFromZero([2, 3], 77)]);
  });

  gradientTest("elu", "gradient of elu", () => {
    checkGradients((x) => ops.elu(x, 0.7), [awayFromZero([2, 3], 78)]);
  });

  gradientTest("reluWithOptions", "gradient of reluWithOptions", () => {
    // Values near 0.5 (the threshold) and 1.5 (the maximum) are avoided.
    const x = f64([-1.2, -0.3, 0.2, 0.8, 1.2, 1.9, 2.5, 0.7], [2, 4]);
    checkGradients((input) => ops.reluWithOptions(input, { negativeSlope: 0.2, maxValue: 1.5, threshold: 0.5 }), [x]);
    checkGradients((input) => ops.reluWithOptions(input, { maxValue: 1.5 }), [x]);
  });

  gradientTest("prelu", "gradient of prelu with a shared axis", () => {
    checkGradients((x, alpha) => ops.prelu(x, alpha), [awayFromZero([2, 3, 4], 79), sample([1, 4], 80, 0.1, 0.5)]);
  });

  gradientTest("softmaxAlong", "gradient of softmax along axis 1", () => {
    checkGradients((x) => ops.softmaxAlong(x, 1), [sample([2, 3, 4], 81, -2, 2)]);
    checkGradients((x) => ops.softmaxAlong(x, [0, 2]), [sample([2, 3, 2], 82, -2, 2)]);
  });

  gradientTest("maskedSoftmax", "gradient of masked softmax", () => {
    const mask = f64([1, 1, 0, 1, 0, 1, 1, 1], [2, 4]);
    checkGradients((x) => ops.maskedSoftmax(x, mask, -1), [sample([2, 4], 83, -2, 2)]);
  });
});

describe("sequence op gradients", () => {
  gradientTest("sliceLastAxis", "gradient of sliceLastAxis", () => {
    checkGradients((x) => ops.sliceLastAxis(x, 1, 2), [sample([2, 3, 4], 90)]);
  });

  gradientTest("sliceSteps", "gradient of sliceSteps", () => {
    checkGradients((x) => ops.sliceSteps(x, 1, 2), [sample([2, 4, 3], 91)]);
  });

  gradientTest("reverseSteps", "gradient of reverseSteps", () => {
    checkGradients((x) => ops.reverseSteps(x), [sample([2, 3, 2], 92)]);
  });

  gradientTest("gatherTableRows", "gradient of gatherTableRows with repeated indices", () => {
    checkGradients((table) => ops.gatherTableRows(table, Int32Array.from([0, 2, 2, 1]), [2, 2]), [sample([3, 2], 93)]);
  });

  // test/ops/recurrent.test.ts checks every cell kind, masks and dropout; this is the LSTM case.
  gradientTest("recurrentScan", "gradient of recurrentScan for an LSTM", () => {
    const options = { kind: "lstm", units: 2, activation: "tanh", recurrentActivation: "sigmoid" } as const;
    checkGradients(
      (projected, kernel, h, c) => ops.recurrentScan(projected, kernel, null, [h, c], options),
      [sample([2, 3, 8], 94), sample([2, 8], 95), sample([2, 2], 96), sample([2, 2], 97)],
    );
  });
});

describe("attention and volume op gradients", () => {
  const pad3 = [[1, 0], [0, 1], [1, 1]] as [[number, number], [number, number], [number, number]];

  gradientTest("batchMatmul", "gradient of batchMatmul with every transpose", () => {
    for (const [transposeA, transposeB] of [[false, false], [false, true], [true, false], [true, true]] as const) {
      const a = sample(transposeA ? [2, 3, 4, 2] : [2, 3, 2, 4], 90);
      const b = sample(transposeB ? [2, 3, 5, 4] : [2, 3, 4, 5], 91);
      checkGradients((x, y) => ops.batchMatmul(x!, y!, transposeA, transposeB), [a, b]);
    }
  });

  gradientTest("conv3d", "gradient of conv3d", () => {
    const options = { strides: [1, 2, 1] as [number, number, number], dilationRate: [1, 1, 1] as [number, number, number], padding: pad3, groups: 1, activation: "tanh" as const };
    checkGradients((x, k, b) => ops.conv3d(x!, k!, b!, options), [sample([1, 3, 4, 3, 2], 92), sample([2, 2, 2, 2, 3], 93), sample([3], 94)]);
    const grouped = { ...options, groups: 2, activation: "linear" as const };
    checkGradients((x, k, b) => ops.conv3d(x!, k!, b!, grouped), [sample([1, 3, 3, 3, 4], 95), sample([2, 1, 2, 2, 2], 96), sample([2], 97)]);
  });

  gradientTest("conv3dTranspose", "gradient of conv3dTranspose", () => {
    const options = {
      strides: [2, 1, 2] as [number, number, number],
      dilationRate: [1, 1, 1] as [number, number, number],
      padBefore: [1, 0, 0] as [number, number, number],
      outputSize: [4, 3, 5] as [number, number, number],
    };
    checkGradients((x, k) => ops.conv3dTranspose(x!, k!, options), [sample([1, 2, 2, 2, 2], 98), sample([2, 2, 2, 3, 2], 99)]);
  });

  for (const name of ["maxPool3d", "averagePool3d"] as const) {
    gradientTest(name, `gradient of ${name}`, () => {
      // Distinct, well separated values keep every window's maximum clear of a tie.
      const values = Array.from({ length: 1 * 3 * 4 * 5 * 2 }, (_, i) => ((i * 37) % 120) / 120);
      const x = f64(values, [1, 3, 4, 5, 2]);
      checkGradients((input) => ops[name](input!, { poolSize: [2, 2, 3], strides: [1, 2, 2], padding: pad3 }), [x]);
    });
  }

  gradientTest("depthwiseConv2d", "gradient of depthwiseConv2d", () => {
    const options = { strides: [2, 1] as [number, number], dilationRate: [1, 1] as [number, number], padding: [[1, 0], [0, 1]] as [[number, number], [number, number]] };
    checkGradients((x, k) => ops.depthwiseConv2d(x!, k!, options), [sample([2, 5, 4, 3], 100), sample([2, 3, 3, 2], 101)]);
    const dilated = { strides: [1, 1] as [number, number], dilationRate: [2, 2] as [number, number], padding: [[0, 0], [0, 0]] as [[number, number], [number, number]] };
    checkGradients((x, k) => ops.depthwiseConv2d(x!, k!, dilated), [sample([1, 5, 5, 2], 102), sample([2, 2, 2, 1], 103)]);
  });
});

test("every exported op has a check", () => {
  const exported = Object.keys(ops).sort();
  assert.deepEqual([...checkedOps].sort(), exported);
});
