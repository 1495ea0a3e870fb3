// Float32 results against the same computation in float64: the float32 path
// may only differ by rounding, for values and for gradients.
import { describe, test } from "node:test";
import { valueAndGradients } from "../../src/autodiff/tape.js";
import * as ops from "../../src/ops/index.js";
import { Tensor, cast } from "../../src/tensor/tensor.js";
import { forEachBackend } from "../helpers/backends.js";
import { assertClose } from "../helpers/close.js";
import { sampleArray } from "../helpers/values.js";

type Case = { name: string; shapes: number[][]; fn: (...inputs: Tensor[]) => Tensor };

const oneHot = new Tensor(Float64Array.from([0, 1, 0, 1, 0, 0, 0, 0, 1, 0, 1, 0]), [4, 3]);
const binaryLabels = new Tensor(Float64Array.from([1, 0, 0, 1, 1, 0]), [3, 2]);

const cases: Case[] = [
  { name: "matmul", shapes: [[5, 7], [7, 3]], fn: (a, b) => ops.matmul(a!, b!) },
  { name: "dense with relu", shapes: [[6, 8], [8, 4], [4]], fn: (x, k, b) => ops.dense(x!, k!, b!, "relu") },
  { name: "dense with sigmoid", shapes: [[6, 8], [8, 4], [4]], fn: (x, k, b) => ops.dense(x!, k!, b!, "sigmoid") },
  { name: "dense with tanh", shapes: [[6, 8], [8, 4], [4]], fn: (x, k, b) => ops.dense(x!, k!, b!, "tanh") },
  { name: "softmax", shapes: [[4, 5]], fn: (x) => ops.softmax(ops.affine(x!, 4)) },
  {
    name: "softmax crossentropy",
    shapes: [[4, 3]],
    fn: (z) => ops.categoricalCrossentropy(cast(oneHot, z!.dtype), ops.softmax(ops.affine(z!, 3)), 1e-7),
  },
  {
    name: "binary crossentropy",
    shapes: [[3, 2]],
    fn: (z) => ops.binaryCrossentropy(cast(binaryLabels, z!.dtype), ops.sigmoid(ops.affine(z!, 2)), 1e-7),
  },
  { name: "mean of squares", shapes: [[4, 6]], fn: (x) => ops.mean(ops.square(x!), -1) },
];

/** Evaluates `fn` on inputs of `dtype` and returns the value and every input's gradient, in float64. */
function run(testCase: Case, dtype: "float32" | "float64"): { value: Float64Array; gradients: Float64Array[] } {
  const inputs = testCase.shapes.map((shape, i) => {
    const size = shape.reduce((a, b) => a * b, 1);
    return new Tensor(sampleArray(dtype, size, 11 + i), shape);
  });
  let value: Tensor | null = null;
  const { gradients } = valueAndGradients(() => {
    value = testCase.fn(...inputs);
    return ops.sum(value);
  }, inputs);
  return { value: Float64Array.from(value!.data), gradients: gradients.map((g) => Float64Array.from(g.data)) };
}

describe("float32 against float64", () => {
  for (const testCase of cases) {
    test(
      testCase.name,
      forEachBackend((backend) => {
        const single = run(testCase, "float32");
        const double = run(testCase, "float64");
        assertClose(single.value, double.value, { rtol: 1e-5, atol: 1e-6, message: `${backend} ${testCase.name} value` });
        single.gradients.forEach((g, i) => {
          assertClose(g, double.gradients[i], { rtol: 1e-4, atol: 1e-5, message: `${backend} ${testCase.name} gradient ${i}` });
        });
      }),
    );
  }
});
