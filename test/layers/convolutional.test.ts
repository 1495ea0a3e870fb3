import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ShapeError, ValueError } from "../../src/errors.js";
import { Conv1D, Conv1DTranspose, Conv2D, Conv2DTranspose, Dense, Flatten, Input, type Layer, MaxPooling2D } from "../../src/layers/index.js";
import { Sequential } from "../../src/models/sequential.js";
import { affine } from "../../src/ops/index.js";
import { setRandomSeed } from "../../src/random.js";
import { Tensor, tensor } from "../../src/tensor/tensor.js";
import { forEachBackend } from "../helpers/backends.js";
import { errorMessage } from "../helpers/capture.js";
import { runLayerTest } from "../helpers/layer-test.js";

const kernelAndBias = (kernel: number[], filters: number) => [
  { name: "kernel", shape: kernel },
  { name: "bias", shape: [filters] },
];

/** A layer test case: label, factory, input shape, expected output shape and kernel shape. */
type ConvCase = [string, () => Layer, number[], (number | null)[], number[]];

/** Runs the shared layer test for each case; `filterAxis` is the kernel axis that has the bias's length. */
function runConvCases(cases: ConvCase[], filterAxis: number): void {
  for (const [label, create, inputShape, outputShape, kernel] of cases) {
    test(`passes the layer test: ${label}`, () => {
      runLayerTest({
        create,
        inputShape,
        expectedOutputShape: outputShape,
        expectedTrainableWeights: kernelAndBias(kernel, kernel[filterAxis]!),
        expectedParams: kernel.reduce((a, b) => a * b, 1) + kernel[filterAxis]!,
      });
    });
  }
}

describe("Conv2D", () => {
  runConvCases(
    [
      ["3x3 valid", () => new Conv2D({ filters: 4, kernelSize: 3 }), [2, 6, 5, 3], [null, 4, 3, 4], [3, 3, 3, 4]],
      ["strided same relu", () => new Conv2D({ filters: 2, kernelSize: [3, 2], strides: 2, padding: "same", activation: "relu" }), [2, 7, 6, 2], [null, 4, 3, 2], [3, 2, 2, 2]],
      ["dilated tanh", () => new Conv2D({ filters: 3, kernelSize: 2, dilationRate: 2, activation: "tanh" }), [2, 6, 6, 1], [null, 4, 4, 3], [2, 2, 1, 3]],
      ["grouped", () => new Conv2D({ filters: 6, kernelSize: 2, groups: 3, padding: "same" }), [2, 4, 4, 3], [null, 4, 4, 6], [2, 2, 1, 6]],
    ],
    3,
  );

  test("without bias has only a kernel", () => {
    runLayerTest({
      create: () => new Conv2D({ filters: 2, kernelSize: 3, useBias: false }),
      inputShape: [1, 4, 4, 2],
      expectedOutputShape: [null, 2, 2, 2],
      expectedTrainableWeights: [{ name: "kernel", shape: [3, 3, 2, 2] }],
      expectedParams: 36,
    });
  });

  test("activation given as a function", () => {
    const double = Object.assign((x: Tensor) => affine(x, 2), { activationName: "double" });
    const layer = new Conv2D({ filters: 1, kernelSize: 1, activation: double, kernelInitializer: "ones" });
    assert.deepEqual(layer.apply(tensor([[[[3]]]])).toArray(), [[[[6]]]]);
  });

  test("invalid arguments name the argument and value", () => {
    assert.match(errorMessage(() => new Conv2D({ filters: 0, kernelSize: 3 })), /`filters`.*received 0/);
    assert.match(errorMessage(() => new Conv2D({ filters: 2, kernelSize: 2.5 })), /`kernelSize`.*2 integers.*received 2.5/);
    assert.match(errorMessage(() => new Conv2D({ filters: 2, kernelSize: [3, 3, 3] })), /`kernelSize`.*received \[3,3,3\]/);
    assert.match(errorMessage(() => new Conv2D({ filters: 2, kernelSize: 3, strides: 0 })), /`strides`.*at least 1.*received 0/);
    assert.match(errorMessage(() => new Conv2D({ filters: 2, kernelSize: 3, padding: "causal" })), /`padding`.*"valid", "same".*received "causal"/);
    assert.match(errorMessage(() => new Conv2D({ filters: 2, kernelSize: 3, padding: "smae" as "same" })), /Did you mean "same"/);
    assert.match(errorMessage(() => new Conv2D({ filters: 3, kernelSize: 3, groups: 2 })), /filters 3 and groups 2/);
    assert.match(errorMessage(() => new Conv2D({ filters: 2, kernelSize: 3, strides: 2, dilationRate: 2 })), /strides above 1.*dilationRate above 1/);
    assert.match(errorMessage(() => new Conv2D({ filters: 2, kernelSize: 3, dataFormat: "channels_first" })), /only "channels_last"/);
    assert.match(errorMessage(() => new Conv2D({ filters: 2, kernelSize: 3, kernel: 3 } as never)), /kernelSize/);
    assert.throws(() => new Conv2D({ filters: 2, kernelSize: 3, dataFormat: "channels_first" }), ValueError);
  });

  test("bad inputs are shape errors", () => {
    assert.throws(() => new Conv2D({ filters: 2, kernelSize: 3 }).apply(tensor([[[1, 2, 3]]])), (error: unknown) => {
      return error instanceof ShapeError && /rank 4/.test(error.message) && /\(1, 1, 3\)/.test(error.message);
    });
    const grouped = new Conv2D({ filters: 4, kernelSize: 1, groups: 2 });
    assert.match(errorMessage(() => grouped.apply(new Tensor(new Float32Array(9), [1, 1, 3, 3]))), /3 channels, which 2 does not divide/);
    const tooSmall = new Conv2D({ filters: 2, kernelSize: 5 });
    assert.match(errorMessage(() => tooSmall.apply(new Tensor(new Float32Array(9), [1, 3, 3, 1]))), /empty or negative/);
    const built = new Conv2D({ filters: 2, kernelSize: 1 });
    built.apply(new Tensor(new Float32Array(4), [1, 2, 2, 1]));
    assert.match(errorMessage(() => built.apply(new Tensor(new Float32Array(8), [1, 2, 2, 2]))), /expects inputs with 1 channels/);
  });

  test("unknown spatial size gives null output axes", () => {
    const layer = new Conv2D({ filters: 3, kernelSize: 3, strides: 2 });
    assert.deepEqual(layer.computeOutputShape([null, null, 9, 2]), [null, null, 4, 3]);
  });
});

describe("Conv1D", () => {
  runConvCases(
    [
      ["valid", () => new Conv1D({ filters: 3, kernelSize: 3 }), [2, 7, 2], [null, 5, 3], [3, 2, 3]],
      ["causal dilated", () => new Conv1D({ filters: 2, kernelSize: 3, padding: "causal", dilationRate: 2 }), [2, 8, 3], [null, 8, 2], [3, 3, 2]],
      ["strided same sigmoid", () => new Conv1D({ filters: 4, kernelSize: 4, strides: 3, padding: "same", activation: "sigmoid" }), [2, 10, 2], [null, 4, 4], [4, 2, 4]],
      ["grouped", () => new Conv1D({ filters: 4, kernelSize: 2, groups: 2 }), [2, 5, 4], [null, 4, 4], [2, 2, 4]],
    ],
    2,
  );

  test(
    "causal output depends only on earlier steps",
    forEachBackend(() => {
      setRandomSeed(3);
      const layer = new Conv1D({ filters: 1, kernelSize: 3, padding: "causal", dilationRate: 2 });
      const x = new Tensor(Float32Array.from([1, 2, 3, 4, 5, 6]), [1, 6, 1]);
      const changed = new Tensor(Float32Array.from([1, 2, 3, 4, 5, 60]), [1, 6, 1]);
      const a = [...layer.apply(x).data];
      const b = [...layer.apply(changed).data];
      assert.deepEqual(a.slice(0, 5), b.slice(0, 5));
      assert.notEqual(a[5], b[5]);
    }),
  );

  test("wrong rank and invalid kernel size", () => {
    assert.match(errorMessage(() => new Conv1D({ filters: 2, kernelSize: 3 }).apply(new Tensor(new Float32Array(16), [1, 4, 4, 1]))), /rank 3 \(batch, steps, channels\)/);
    assert.match(errorMessage(() => new Conv1D({ filters: 2, kernelSize: [2, 2] })), /`kernelSize`.*expected an integer/);
    assert.match(errorMessage(() => new Conv1D({ filters: 2, kernelSize: 3, padding: "full" as "same" })), /"valid", "same", "causal".*received "full"/);
  });
});

describe("Conv2DTranspose", () => {
  runConvCases(
    [
      ["valid", () => new Conv2DTranspose({ filters: 3, kernelSize: 3 }), [2, 4, 3, 2], [null, 6, 5, 3], [3, 3, 3, 2]],
      ["strided same", () => new Conv2DTranspose({ filters: 2, kernelSize: 3, strides: 2, padding: "same" }), [2, 3, 4, 3], [null, 6, 8, 2], [3, 3, 2, 3]],
      ["output padding", () => new Conv2DTranspose({ filters: 2, kernelSize: 3, strides: 2, outputPadding: 1, activation: "relu" }), [1, 3, 3, 2], [null, 8, 8, 2], [3, 3, 2, 2]],
      ["dilated", () => new Conv2DTranspose({ filters: 2, kernelSize: 2, dilationRate: 2, padding: "same" }), [2, 3, 3, 1], [null, 3, 3, 2], [2, 2, 2, 1]],
    ],
    2,
  );

  test("output padding must be below the stride", () => {
    assert.match(
      errorMessage(() => new Conv2DTranspose({ filters: 2, kernelSize: 3, strides: 2, outputPadding: 2 })),
      /`outputPadding`.*less than the stride.*axis 0 has outputPadding 2 and stride 2/,
    );
    assert.match(errorMessage(() => new Conv2DTranspose({ filters: 2, kernelSize: 3, padding: "causal" as "same" })), /`padding`.*received "causal"/);
  });
});

describe("Conv1DTranspose", () => {
  runConvCases(
    [
      ["strided valid", () => new Conv1DTranspose({ filters: 2, kernelSize: 3, strides: 2 }), [2, 4, 3], [null, 9, 2], [3, 2, 3]],
      ["same with output padding", () => new Conv1DTranspose({ filters: 3, kernelSize: 3, strides: 3, padding: "same", outputPadding: 2 }), [2, 4, 2], [null, 12, 3], [3, 3, 2]],
    ],
    1,
  );
});

describe("small CNN", () => {
  test(
    "fit lowers the loss",
    forEachBackend(async () => {
      setRandomSeed(7);
      // Images with a bright vertical bar are class 0, with a horizontal bar class 1.
      const count = 32;
      const x = new Float32Array(count * 64);
      const y: number[][] = [];
      for (let i = 0; i < count; i++) {
        const label = i % 2;
        const position = (i * 3) % 8;
        for (let j = 0; j < 8; j++) {
          const pixel = label === 0 ? j * 8 + position : position * 8 + j;
          x[i * 64 + pixel] = 1;
        }
        y.push(label === 0 ? [1, 0] : [0, 1]);
      }
      const model = new Sequential([
        Input({ shape: [8, 8, 1] }),
        new Conv2D({ filters: 4, kernelSize: 3, activation: "relu" }),
        new MaxPooling2D({ poolSize: 2 }),
        new Flatten(),
        new Dense({ units: 2, activation: "softmax" }),
      ]);
      model.compile({ optimizer: "adam", loss: "categorical_crossentropy", metrics: ["accuracy"] });
      const history = await model.fit(new Tensor(x, [count, 8, 8, 1]), y, { epochs: 8, batchSize: 8, verbose: 0 });
      const losses = history.history["loss"]!;
      assert.equal(losses.length, 8);
      assert.ok(losses[7]! < losses[0]!, `loss falls: ${losses.join(", ")}`);
    }),
  );
});
