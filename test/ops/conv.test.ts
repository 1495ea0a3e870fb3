/**
 * Convolution and pooling ops: forward values against direct loops written
 * from the definitions, on every backend, and finite-difference gradient
 * checks in float64 for inputs, kernels and biases.
 */

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { FusedActivation } from "../../src/backend/backend.js";
import * as ops from "../../src/ops/index.js";
import type { AxisPadding, Conv2DOptions, Conv2DTransposeOptions, Pool2DOptions } from "../../src/ops/index.js";
import { slidingOutputLength } from "../../src/ops/conv.js";
import { sizeOf } from "../../src/tensor/shape.js";
import { Tensor } from "../../src/tensor/tensor.js";
import { forEachBackend } from "../helpers/backends.js";
import { assertClose } from "../helpers/close.js";
import { checkGradients } from "../helpers/gradcheck.js";
import { sampleValues } from "../helpers/values.js";

function sample(shape: number[], seed: number, dtype: "float32" | "float64" = "float64"): Tensor {
  const values = sampleValues(sizeOf(shape), seed);
  return new Tensor(dtype === "float64" ? Float64Array.from(values) : Float32Array.from(values), shape);
}

/** Values that are all distinct and well apart, so the maximum of a window has no near tie. */
function distinct(shape: number[], seed: number): Tensor {
  const size = sizeOf(shape);
  const order = sampleValues(size, seed).map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const data = new Float64Array(size);
  order.forEach(([, index], rank) => (data[index] = rank / size - 0.5));
  return new Tensor(data, shape);
}

const at = (t: Tensor, index: number[]): number => {
  let offset = 0;
  for (let axis = 0; axis < index.length; axis++) offset = offset * t.shape[axis]! + index[axis]!;
  return t.data[offset]!;
};

function activate(value: number, activation: FusedActivation): number {
  if (activation === "relu") return Math.max(value, 0);
  if (activation === "sigmoid") return 1 / (1 + Math.exp(-value));
  if (activation === "tanh") return Math.tanh(value);
  return value;
}

/** Direct convolution from the definition: out[n, oh, ow, f] = Σ x[n, ih, iw, c] · kernel[kh, kw, c − group offset, f]. */
function directConv(x: Tensor, kernel: Tensor, bias: Tensor | null, options: Conv2DOptions): number[] {
  const [batch, height, width, channels] = x.shape as number[];
  const [kh, kw, groupChannels, filters] = kernel.shape as number[];
  const outH = slidingOutputLength(height!, kh!, options.strides[0], options.dilationRate[0], options.padding[0]);
  const outW = slidingOutputLength(width!, kw!, options.strides[1], options.dilationRate[1], options.padding[1]);
  const groupFilters = filters! / options.groups;
  const out: number[] = [];
  for (let n = 0; n < batch!; n++) {
    for (let oh = 0; oh < outH; oh++) {
      for (let ow = 0; ow < outW; ow++) {
        for (let f = 0; f < filters!; f++) {
          const group = Math.floor(f / groupFilters);
          let total = bias ? bias.data[f]! : 0;
          for (let i = 0; i < kh!; i++) {
            const ih = oh * options.strides[0] - options.padding[0][0] + i * options.dilationRate[0];
            for (let j = 0; j < kw!; j++) {
              const iw = ow * options.strides[1] - options.padding[1][0] + j * options.dilationRate[1];
              if (ih < 0 || ih >= height! || iw < 0 || iw >= width!) continue;
              for (let c = 0; c < groupChannels!; c++) {
                total += at(x, [n, ih, iw, group * groupChannels! + c]) * at(kernel, [i, j, c, f]);
              }
            }
          }
          out.push(activate(total, options.activation));
        }
      }
    }
  }
  void channels;
  return out;
}

/** Direct transposed convolution: every input element scatters input · kernel[kh, kw, f, c] to the positions it was read from. */
function directConvTranspose(x: Tensor, kernel: Tensor, options: Conv2DTransposeOptions): number[] {
  const [batch, inH, inW, channels] = x.shape as number[];
  const [kh, kw, filters] = kernel.shape as number[];
  const [outH, outW] = options.outputSize;
  const out = new Array<number>(batch! * outH * outW * filters!).fill(0);
  for (let n = 0; n < batch!; n++) {
    for (let ih = 0; ih < inH!; ih++) {
      for (let iw = 0; iw < inW!; iw++) {
        for (let i = 0; i < kh!; i++) {
          const oh = ih * options.strides[0] - options.padBefore[0] + i * options.dilationRate[0];
          for (let j = 0; j < kw!; j++) {
            const ow = iw * options.strides[1] - options.padBefore[1] + j * options.dilationRate[1];
            if (oh < 0 || oh >= outH || ow < 0 || ow >= outW) continue;
            for (let f = 0; f < filters!; f++) {
              for (let c = 0; c < channels!; c++) {
                out[((n * outH + oh) * outW + ow) * filters! + f]! += at(x, [n, ih, iw, c]) * at(kernel, [i, j, f, c]);
              }
            }
          }
        }
      }
    }
  }
  return out;
}

function directPool(x: Tensor, options: Pool2DOptions, kind: "max" | "average"): number[] {
  const [batch, height, width, channels] = x.shape as number[];
  const outH = slidingOutputLength(height!, options.poolSize[0], options.strides[0], 1, options.padding[0]);
  const outW = slidingOutputLength(width!, options.poolSize[1], options.strides[1], 1, options.padding[1]);
  const out: number[] = [];
  for (let n = 0; n < batch!; n++) {
    for (let oh = 0; oh < outH; oh++) {
      for (let ow = 0; ow < outW; ow++) {
        for (let c = 0; c < channels!; c++) {
          const values: number[] = [];
          for (let i = 0; i < options.poolSize[0]; i++) {
            const ih = oh * options.strides[0] - options.padding[0][0] + i;
            for (let j = 0; j < options.poolSize[1]; j++) {
              const iw = ow * options.strides[1] - options.padding[1][0] + j;
              if (ih >= 0 && ih < height! && iw >= 0 && iw < width!) values.push(at(x, [n, ih, iw, c]));
            }
          }
          out.push(kind === "max" ? Math.max(...values) : values.reduce((a, b) => a + b, 0) / values.length);
        }
      }
    }
  }
  return out;
}

const none: [AxisPadding, AxisPadding] = [
  [0, 0],
  [0, 0],
];

interface ConvCase {
  label: string;
  input: number[];
  kernel: number[];
  bias: boolean;
  options: Conv2DOptions;
}

const CONV_CASES: ConvCase[] = [
  { label: "3x3 valid", input: [2, 5, 4, 3], kernel: [3, 3, 3, 2], bias: true, options: { strides: [1, 1], dilationRate: [1, 1], padding: none, groups: 1, activation: "linear" } },
  { label: "strided, padded, relu", input: [2, 6, 5, 2], kernel: [3, 2, 2, 3], bias: true, options: { strides: [2, 2], dilationRate: [1, 1], padding: [[1, 1], [0, 1]], groups: 1, activation: "relu" } },
  { label: "dilated, sigmoid", input: [1, 7, 6, 2], kernel: [2, 3, 2, 2], bias: false, options: { strides: [1, 1], dilationRate: [2, 2], padding: [[1, 1], [2, 2]], groups: 1, activation: "sigmoid" } },
  { label: "two groups, tanh", input: [2, 4, 4, 4], kernel: [2, 2, 2, 6], bias: true, options: { strides: [1, 1], dilationRate: [1, 1], padding: none, groups: 2, activation: "tanh" } },
  { label: "one-dimensional", input: [2, 1, 9, 3], kernel: [1, 3, 3, 2], bias: true, options: { strides: [1, 2], dilationRate: [1, 1], padding: [[0, 0], [2, 0]], groups: 1, activation: "linear" } },
];

describe("conv2d", () => {
  for (const { label, input, kernel, bias, options } of CONV_CASES) {
    test(
      `${label} matches direct loops`,
      forEachBackend(() => {
        const x = sample(input, 1, "float32");
        const k = sample(kernel, 2, "float32");
        const b = bias ? sample([kernel[3]!], 3, "float32") : null;
        const y = ops.conv2d(x, k, b, options);
        assert.equal(y.dtype, "float32");
        assertClose(y.data, directConv(x, k, b, options), { rtol: 1e-5, atol: 1e-5 });
      }),
    );
    test(`${label} gradients`, () => {
      const inputs = [sample(input, 4), sample(kernel, 5)];
      if (bias) inputs.push(sample([kernel[3]!], 6));
      checkGradients((x, k, b) => ops.conv2d(x!, k!, b ?? null, options), inputs);
    });
  }

  test("channels that do not match the kernel", () => {
    assert.throws(
      () => ops.conv2d(sample([1, 4, 4, 3], 1), sample([2, 2, 2, 4], 2), null, { ...CONV_CASES[0]!.options }),
      /kernel shape \(2, 2, 2, 4\)/,
    );
  });
});

interface TransposeCase {
  label: string;
  input: number[];
  kernel: number[];
  options: Conv2DTransposeOptions;
}

const TRANSPOSE_CASES: TransposeCase[] = [
  { label: "stride 1", input: [2, 3, 3, 2], kernel: [2, 2, 3, 2], options: { strides: [1, 1], dilationRate: [1, 1], padBefore: [0, 0], outputSize: [4, 4] } },
  { label: "stride 2, cropped", input: [1, 3, 2, 2], kernel: [3, 3, 2, 2], options: { strides: [2, 2], dilationRate: [1, 1], padBefore: [1, 1], outputSize: [6, 4] } },
  { label: "dilated", input: [1, 3, 3, 1], kernel: [2, 2, 2, 1], options: { strides: [1, 1], dilationRate: [2, 2], padBefore: [0, 1], outputSize: [5, 4] } },
];

describe("conv2dTranspose", () => {
  for (const { label, input, kernel, options } of TRANSPOSE_CASES) {
    test(
      `${label} matches direct loops`,
      forEachBackend(() => {
        const x = sample(input, 7, "float32");
        const k = sample(kernel, 8, "float32");
        assertClose(ops.conv2dTranspose(x, k, options).data, directConvTranspose(x, k, options), { rtol: 1e-5, atol: 1e-5 });
      }),
    );
    test(`${label} gradients`, () => {
      checkGradients((x, k) => ops.conv2dTranspose(x!, k!, options), [sample(input, 9), sample(kernel, 10)]);
    });
  }
});

const POOL_CASES: [string, number[], Pool2DOptions][] = [
  ["2x2 valid", [2, 4, 5, 3], { poolSize: [2, 2], strides: [2, 2], padding: none }],
  ["3x3 same, stride 2", [1, 5, 6, 2], { poolSize: [3, 3], strides: [2, 2], padding: [[1, 1], [0, 1]] }],
  ["overlapping", [2, 4, 4, 1], { poolSize: [2, 3], strides: [1, 1], padding: none }],
];

describe("pooling", () => {
  for (const [label, shape, options] of POOL_CASES) {
    for (const kind of ["max", "average"] as const) {
      const op = kind === "max" ? ops.maxPool2d : ops.averagePool2d;
      test(
        `${kind} ${label} matches direct loops`,
        forEachBackend(() => {
          const x = new Tensor(Float32Array.from(distinct(shape, 11).data), shape);
          assertClose(op(x, options).data, directPool(x, options, kind), { rtol: 1e-6, atol: 1e-7 });
        }),
      );
      test(`${kind} ${label} gradients`, () => {
        checkGradients((x) => op(x!, options), [distinct(shape, 12)]);
      });
    }
  }

  test("window larger than the input gives an empty output", () => {
    const y = ops.maxPool2d(sample([1, 2, 2, 1], 1), { poolSize: [3, 3], strides: [3, 3], padding: none });
    assert.deepEqual([...y.shape], [1, 0, 0, 1]);
  });
});
