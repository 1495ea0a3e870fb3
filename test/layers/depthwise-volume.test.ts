import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ShapeError, ValueError } from "../../src/errors.js";
import {
  AveragePooling3D,
  Conv3D,
  Conv3DTranspose,
  DepthwiseConv1D,
  DepthwiseConv2D,
  GlobalAveragePooling3D,
  GlobalMaxPooling3D,
  type Layer,
  MaxPooling3D,
  SeparableConv1D,
  SeparableConv2D,
} from "../../src/layers/index.js";
import { Tensor } from "../../src/tensor/tensor.js";
import { errorMessage } from "../helpers/capture.js";
import { type ExpectedWeight, runLayerTest } from "../helpers/layer-test.js";

/** A layer test case: label, factory, input shape, expected output shape and expected weights. */
type LayerCase = [string, () => Layer, number[], (number | null)[], [string, number[]][]];

function runCases(cases: LayerCase[]): void {
  for (const [label, create, inputShape, outputShape, weights] of cases) {
    test(`passes the layer test: ${label}`, () => {
      const expected: ExpectedWeight[] = weights.map(([name, shape]) => ({ name, shape }));
      runLayerTest({
        create,
        inputShape,
        expectedOutputShape: outputShape,
        expectedTrainableWeights: expected,
        expectedParams: weights.reduce((total, [, shape]) => total + shape.reduce((a, b) => a * b, 1), 0),
      });
    });
  }
}

describe("DepthwiseConv2D and DepthwiseConv1D", () => {
  runCases([
    ["2-D 3x3", () => new DepthwiseConv2D({ kernelSize: 3 }), [2, 5, 6, 3], [null, 3, 4, 3], [["kernel", [3, 3, 3, 1]], ["bias", [3]]]],
    [
      "2-D strided same, multiplier 2",
      () => new DepthwiseConv2D({ kernelSize: [3, 2], strides: 2, padding: "same", depthMultiplier: 2, activation: "relu" }),
      [2, 7, 6, 2],
      [null, 4, 3, 4],
      [["kernel", [3, 2, 2, 2]], ["bias", [4]]],
    ],
    ["2-D dilated without bias", () => new DepthwiseConv2D({ kernelSize: 2, dilationRate: 2, useBias: false }), [1, 6, 6, 3], [null, 4, 4, 3], [["kernel", [2, 2, 3, 1]]]],
    ["1-D multiplier 3", () => new DepthwiseConv1D({ kernelSize: 3, depthMultiplier: 3 }), [2, 7, 2], [null, 5, 6], [["kernel", [3, 2, 3]], ["bias", [6]]]],
    ["1-D strided same tanh", () => new DepthwiseConv1D({ kernelSize: 4, strides: 2, padding: "same", activation: "tanh" }), [2, 9, 3], [null, 5, 3], [["kernel", [4, 3, 1]], ["bias", [3]]]],
  ]);

  test("rejects a missing kernel size, a bad multiplier and strides with dilation", () => {
    assert.match(errorMessage(() => new DepthwiseConv2D({} as never)), /needs `kernelSize`/);
    assert.match(errorMessage(() => new DepthwiseConv2D({ kernelSize: 3, depthMultiplier: 0 })), /depthMultiplier/);
    assert.throws(() => new DepthwiseConv1D({ kernelSize: 3, strides: 2, dilationRate: 2 }), ValueError);
    assert.throws(() => new DepthwiseConv1D({ kernelSize: 3, padding: "causal" as never }), ValueError);
  });

  test("rejects inputs of the wrong rank or channels", () => {
    const layer = new DepthwiseConv2D({ kernelSize: 2 });
    assert.throws(() => layer.apply(new Tensor(new Float32Array(12), [2, 3, 2])), ShapeError);
    layer.apply(new Tensor(new Float32Array(2 * 3 * 3 * 2), [2, 3, 3, 2]));
    assert.match(errorMessage(() => layer.apply(new Tensor(new Float32Array(2 * 3 * 3 * 4), [2, 3, 3, 4]))), /2 channels/);
  });
});

describe("SeparableConv2D and SeparableConv1D", () => {
  runCases([
    [
      "2-D 3x3",
      () => new SeparableConv2D({ filters: 4, kernelSize: 3 }),
      [2, 6, 5, 3],
      [null, 4, 3, 4],
      [["depthwise_kernel", [3, 3, 3, 1]], ["pointwise_kernel", [1, 1, 3, 4]], ["bias", [4]]],
    ],
    [
      "2-D strided same, multiplier 2",
      () => new SeparableConv2D({ filters: 3, kernelSize: 3, strides: 2, padding: "same", depthMultiplier: 2, activation: "relu" }),
      [2, 7, 7, 2],
      [null, 4, 4, 3],
      [["depthwise_kernel", [3, 3, 2, 2]], ["pointwise_kernel", [1, 1, 4, 3]], ["bias", [3]]],
    ],
    [
      "1-D dilated",
      () => new SeparableConv1D({ filters: 4, kernelSize: 3, dilationRate: 2 }),
      [2, 9, 3],
      [null, 5, 4],
      [["depthwise_kernel", [3, 3, 1]], ["pointwise_kernel", [1, 3, 4]], ["bias", [4]]],
    ],
    [
      "1-D same sigmoid without bias",
      () => new SeparableConv1D({ filters: 2, kernelSize: 2, padding: "same", useBias: false, activation: "sigmoid" }),
      [2, 5, 2],
      [null, 5, 2],
      [["depthwise_kernel", [2, 2, 1]], ["pointwise_kernel", [1, 2, 2]]],
    ],
  ]);

  test("rejects a missing filter count", () => {
    assert.match(errorMessage(() => new SeparableConv2D({ kernelSize: 3 } as never)), /filters/);
  });
});

describe("Conv3D and Conv3DTranspose", () => {
  runCases([
    ["Conv3D 2x2x2", () => new Conv3D({ filters: 3, kernelSize: 2 }), [2, 4, 4, 3, 2], [null, 3, 3, 2, 3], [["kernel", [2, 2, 2, 2, 3]], ["bias", [3]]]],
    [
      "Conv3D strided same relu",
      () => new Conv3D({ filters: 2, kernelSize: [3, 2, 2], strides: [2, 1, 2], padding: "same", activation: "relu" }),
      [1, 5, 4, 5, 3],
      [null, 3, 4, 3, 2],
      [["kernel", [3, 2, 2, 3, 2]], ["bias", [2]]],
    ],
    ["Conv3D grouped", () => new Conv3D({ filters: 4, kernelSize: 2, groups: 2 }), [1, 3, 3, 3, 4], [null, 2, 2, 2, 4], [["kernel", [2, 2, 2, 2, 4]], ["bias", [4]]]],
    [
      "Conv3DTranspose strided",
      () => new Conv3DTranspose({ filters: 2, kernelSize: 2, strides: 2 }),
      [1, 2, 3, 2, 3],
      [null, 4, 6, 4, 2],
      [["kernel", [2, 2, 2, 2, 3]], ["bias", [2]]],
    ],
    [
      "Conv3DTranspose same with output padding",
      () => new Conv3DTranspose({ filters: 3, kernelSize: 3, strides: 2, padding: "same", outputPadding: 1 }),
      [1, 2, 2, 2, 2],
      [null, 4, 4, 4, 3],
      [["kernel", [3, 3, 3, 3, 2]], ["bias", [3]]],
    ],
  ]);

  test("rejects inputs of rank 4", () => {
    assert.match(errorMessage(() => new Conv3D({ filters: 1, kernelSize: 1 }).apply(new Tensor(new Float32Array(8), [1, 2, 2, 2]))), /rank 5 \(batch, depth, height, width, channels\)/);
  });
});

describe("3-D pooling", () => {
  const cases: [string, () => Layer, number[], (number | null)[]][] = [
    ["MaxPooling3D default", () => new MaxPooling3D(), [2, 4, 5, 4, 2], [null, 2, 2, 2, 2]],
    ["MaxPooling3D strided same", () => new MaxPooling3D({ poolSize: 3, strides: 2, padding: "same" }), [1, 5, 4, 5, 2], [null, 3, 2, 3, 2]],
    ["AveragePooling3D", () => new AveragePooling3D({ poolSize: 2 }), [2, 4, 5, 4, 2], [null, 2, 2, 2, 2]],
    ["AveragePooling3D same", () => new AveragePooling3D({ poolSize: [2, 3, 2], strides: 1, padding: "same" }), [1, 3, 4, 3, 2], [null, 3, 4, 3, 2]],
    ["GlobalMaxPooling3D", () => new GlobalMaxPooling3D(), [2, 3, 4, 2, 3], [null, 3]],
    ["GlobalAveragePooling3D keepdims", () => new GlobalAveragePooling3D({ keepdims: true }), [2, 3, 4, 2, 3], [null, 1, 1, 1, 3]],
  ];
  for (const [label, create, inputShape, outputShape] of cases) {
    test(`passes the layer test: ${label}`, () => {
      runLayerTest({ create, inputShape, expectedOutputShape: outputShape, expectedParams: 0 });
    });
  }

  test("AveragePooling3D needs a pool size", () => {
    assert.match(errorMessage(() => new AveragePooling3D({})), /poolSize: \[2, 2, 2\]/);
  });
});
