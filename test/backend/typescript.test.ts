import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { BinaryOp, FusedActivation } from "../../src/backend/backend.js";
import { getBackend } from "../../src/backend/registry.js";
import type { FloatArray } from "../../src/tensor/dtype.js";
import { broadcastShapes, sizeOf, stridesOf } from "../../src/tensor/shape.js";
import { forEachBackend } from "../helpers/backends.js";
import { assertClose } from "../helpers/close.js";
import { sampleArray } from "../helpers/values.js";

type FloatName = "float32" | "float64";
const FLOAT_DTYPES: FloatName[] = ["float32", "float64"];

function allocate(dtype: FloatName, size: number): FloatArray {
  return dtype === "float64" ? new Float64Array(size) : new Float32Array(size);
}

/** Tolerances for comparing a kernel's result with a float64 loop over the same inputs. */
function tolerance(dtype: FloatName): { rtol: number; atol: number } {
  return dtype === "float64" ? { rtol: 1e-12, atol: 1e-12 } : { rtol: 1e-5, atol: 1e-6 };
}

/** Rounds to the output dtype, as a correctly rounded kernel stores each result. */
function roundTo(dtype: FloatName, values: number[]): number[] {
  return dtype === "float64" ? values : values.map((v) => Math.fround(v));
}

// Naive references, written for clarity and computed in float64.

function naiveMatmul(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  m: number,
  k: number,
  n: number,
  transposeA: boolean,
  transposeB: boolean,
): number[] {
  const out: number[] = [];
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let total = 0;
      for (let p = 0; p < k; p++) {
        const left = transposeA ? a[p * m + i]! : a[i * k + p]!;
        const right = transposeB ? b[j * k + p]! : b[p * n + j]!;
        total += left * right;
      }
      out.push(total);
    }
  }
  return out;
}

/** Returns the flat offset in an array of `shape` that broadcasting maps the output index `index` to. */
function broadcastOffset(index: number[], shape: readonly number[]): number {
  const strides = stridesOf(shape);
  const lead = index.length - shape.length;
  let offset = 0;
  for (let axis = 0; axis < shape.length; axis++) {
    const position = shape[axis] === 1 ? 0 : index[lead + axis]!;
    offset += position * strides[axis]!;
  }
  return offset;
}

function unravel(flatIndex: number, shape: readonly number[]): number[] {
  const index = new Array<number>(shape.length).fill(0);
  let rest = flatIndex;
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    index[axis] = rest % shape[axis]!;
    rest = Math.floor(rest / shape[axis]!);
  }
  return index;
}

const BINARY_FUNCTIONS: Record<BinaryOp, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  maximum: (a, b) => Math.max(a, b),
  minimum: (a, b) => Math.min(a, b),
};

function naiveBinary(
  op: BinaryOp,
  a: ArrayLike<number>,
  aShape: readonly number[],
  b: ArrayLike<number>,
  bShape: readonly number[],
  outShape: readonly number[],
): number[] {
  const out: number[] = [];
  for (let i = 0; i < sizeOf(outShape); i++) {
    const index = unravel(i, outShape);
    out.push(BINARY_FUNCTIONS[op](a[broadcastOffset(index, aShape)]!, b[broadcastOffset(index, bShape)]!));
  }
  return out;
}

function naiveSum(x: ArrayLike<number>, shape: readonly number[], axes: readonly number[]): number[] {
  const keptShape = shape.filter((_, axis) => !axes.includes(axis));
  const out = new Array<number>(sizeOf(keptShape)).fill(0);
  for (let i = 0; i < x.length; i++) {
    const index = unravel(i, shape);
    const keptIndex = index.filter((_, axis) => !axes.includes(axis));
    let offset = 0;
    const strides = stridesOf(keptShape);
    keptIndex.forEach((position, axis) => (offset += position * strides[axis]!));
    out[offset]! += x[i]!;
  }
  return out;
}

const ACTIVATION_FUNCTIONS: Record<FusedActivation, (x: number) => number> = {
  linear: (x) => x,
  relu: (x) => Math.max(x, 0),
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  tanh: (x) => Math.tanh(x),
};

describe("matmul kernel", () => {
  const sizes: [number, number, number][] = [
    [3, 5, 4],
    [2, 9, 3],
    [1, 1, 1],
  ];
  for (const transposeA of [false, true]) {
    for (const transposeB of [false, true]) {
      const label = `${transposeA ? "aT" : "a"}·${transposeB ? "bT" : "b"}`;

      test(`matmul ${label} matches naive loop`, forEachBackend(() => {
        for (const dtype of FLOAT_DTYPES) {
          for (const [m, k, n] of sizes) {
            const a = sampleArray(dtype, m * k, 1);
            const b = sampleArray(dtype, k * n, 2);
            // Zeros in `a` must not change the result.
            a[0] = 0;
            const out = sampleArray(dtype, m * n, 3);
            getBackend().matmul(a, b, out, m, k, n, transposeA, transposeB);
            const expected = naiveMatmul(a, b, m, k, n, transposeA, transposeB);
            assertClose(out, expected, { ...tolerance(dtype), message: `${dtype} [${m}, ${k}, ${n}]` });
          }
        }
      }));

      test(`matmul ${label} with accumulate`, forEachBackend(() => {
        for (const dtype of FLOAT_DTYPES) {
          for (const [m, k, n] of sizes) {
            const a = sampleArray(dtype, m * k, 4);
            const b = sampleArray(dtype, k * n, 5);
            const initial = sampleArray(dtype, m * n, 6);
            const out = initial.slice();
            getBackend().matmul(a, b, out, m, k, n, transposeA, transposeB, true);
            const product = naiveMatmul(a, b, m, k, n, transposeA, transposeB);
            const expected = product.map((v, i) => v + initial[i]!);
            assertClose(out, expected, { ...tolerance(dtype), message: `${dtype} [${m}, ${k}, ${n}]` });
          }
        }
      }));
    }
  }

  test("matmul hand-computed product", forEachBackend(() => {
    // [[1, 2], [3, 4]] · [[5, 6], [7, 8]] = [[19, 22], [43, 50]].
    const out = new Float64Array(4);
    getBackend().matmul(new Float64Array([1, 2, 3, 4]), new Float64Array([5, 6, 7, 8]), out, 2, 2, 2, false, false);
    assert.deepEqual(Array.from(out), [19, 22, 43, 50]);
  }));

  test("matmul propagates NaN through zeros", forEachBackend(() => {
    for (const [transposeA, transposeB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      // a = [[0, 1]] and b = [[NaN, 1], [2, 3]]: 0 · NaN is NaN, so the first output is NaN.
      const a = new Float32Array([0, 1]);
      const b = transposeB ? new Float32Array([NaN, 2, 1, 3]) : new Float32Array([NaN, 1, 2, 3]);
      const out = new Float32Array(2);
      getBackend().matmul(a, b, out, 1, 2, 2, transposeA, transposeB);
      assert.ok(Number.isNaN(out[0]), `first output with transposes ${transposeA}, ${transposeB}`);
      assert.equal(out[1], 3, `second output with transposes ${transposeA}, ${transposeB}`);
    }
  }));
});

describe("binary kernel", () => {
  const shapePairs: [number[], number[]][] = [
    [[2, 3], [2, 3]],
    [[2, 3], [3]],
    [[3], [2, 3]],
    [[2, 3], [2, 1]],
    [[2, 1], [1, 3]],
    [[2, 3, 4], [3, 1]],
    [[4, 1, 2], [3, 1]],
    [[], [2, 2]],
    [[2, 2], [1]],
    [[1, 3, 1], [2, 1, 4]],
  ];
  const ops: BinaryOp[] = ["add", "sub", "mul", "div", "maximum", "minimum"];

  for (const op of ops) {
    test(`${op} broadcasts like NumPy`, forEachBackend(() => {
      for (const dtype of FLOAT_DTYPES) {
        for (const [aShape, bShape] of shapePairs) {
          const outShape = broadcastShapes(aShape, bShape);
          const a = sampleArray(dtype, sizeOf(aShape), 7, -2, 2);
          // Keep divisors away from zero.
          const b = sampleArray(dtype, sizeOf(bShape), 8, 0.5, 2);
          const out = allocate(dtype, sizeOf(outShape));
          getBackend().binary(op, a, aShape, b, bShape, out, outShape);
          const expected = roundTo(dtype, naiveBinary(op, a, aShape, b, bShape, outShape));
          assert.deepEqual(Array.from(out), expected, `${dtype} (${aShape}) ${op} (${bShape})`);
        }
      }
    }));
  }

  test("binary writes in place", forEachBackend(() => {
    const a = new Float64Array([1, 2, 3, 4, 5, 6]);
    const b = new Float64Array([10, 20, 30]);
    getBackend().binary("mul", a, [2, 3], b, [3], a, [2, 3]);
    assert.deepEqual(Array.from(a), [10, 40, 90, 40, 100, 180]);
  }));
});

describe("sum and broadcastTo kernels", () => {
  const cases: [number[], number[]][] = [
    [[3, 4], [0]],
    [[3, 4], [1]],
    [[3, 4], [0, 1]],
    [[2, 3, 4], [0]],
    [[2, 3, 4], [1]],
    [[2, 3, 4], [2]],
    [[2, 3, 4], [0, 2]],
    [[2, 3, 4], [1, 2]],
    [[2, 3, 4], [0, 1, 2]],
    [[2, 3, 4], []],
    [[5], [0]],
  ];

  test("sum over axes matches naive", forEachBackend(() => {
    for (const dtype of FLOAT_DTYPES) {
      for (const [shape, axes] of cases) {
        const x = sampleArray(dtype, sizeOf(shape), 9);
        const keptSize = sizeOf(shape.filter((_, axis) => !axes.includes(axis)));
        // Stale values in `out` must be overwritten, not added to.
        const out = allocate(dtype, keptSize).fill(100);
        getBackend().sum(x, shape, axes, out);
        assertClose(out, naiveSum(x, shape, axes), {
          ...tolerance(dtype),
          message: `${dtype} shape (${shape}) axes [${axes}]`,
        });
      }
    }
  }));

  test("sum hand-computed columns", forEachBackend(() => {
    const out = new Float64Array(3);
    getBackend().sum(new Float64Array([1, 2, 3, 4, 5, 6]), [2, 3], [0], out);
    assert.deepEqual(Array.from(out), [5, 7, 9]);
  }));

  const broadcastCases: [number[], number[]][] = [
    [[3], [2, 3]],
    [[2, 1], [2, 3]],
    [[], [2, 2]],
    [[1, 3, 1], [2, 3, 4]],
    [[2, 3], [2, 3]],
  ];

  test("broadcastTo copies along axes", forEachBackend(() => {
    for (const dtype of FLOAT_DTYPES) {
      for (const [shape, outShape] of broadcastCases) {
        const x = sampleArray(dtype, sizeOf(shape), 10);
        const out = allocate(dtype, sizeOf(outShape));
        getBackend().broadcastTo(x, shape, out, outShape);
        const expected: number[] = [];
        for (let i = 0; i < out.length; i++) expected.push(x[broadcastOffset(unravel(i, outShape), shape)]!);
        assert.deepEqual(Array.from(out), expected, `${dtype} (${shape}) to (${outShape})`);
      }
    }
  }));

  test("broadcastTo hand-computed rows", forEachBackend(() => {
    const out = new Float32Array(6);
    getBackend().broadcastTo(new Float32Array([7, 8]), [2, 1], out, [2, 3]);
    assert.deepEqual(Array.from(out), [7, 7, 7, 8, 8, 8]);
  }));
});

describe("argmax and gatherRows kernels", () => {
  test("argmax picks first on ties", forEachBackend(() => {
    const x = new Float32Array([1, 3, 3, 5, 5, 1, 0, -1, -2, -4, -3, -3]);
    const out = new Int32Array(4);
    getBackend().argmax(x, 4, 3, out);
    assert.deepEqual(Array.from(out), [1, 0, 0, 1]);
  }));

  test("argmax on int32 and float64", forEachBackend(() => {
    const out = new Int32Array(2);
    getBackend().argmax(new Int32Array([2, 9, 9, 4, 4, 4]), 2, 3, out);
    assert.deepEqual(Array.from(out), [1, 0]);
    getBackend().argmax(new Float64Array([0.1, 0.3, 0.2, 0.7]), 1, 4, out);
    assert.equal(out[0], 3);
  }));

  test("gatherRows copies chosen rows", forEachBackend(() => {
    const x = new Float64Array([0, 1, 10, 11, 20, 21]);
    const out = new Float64Array(8);
    getBackend().gatherRows(x, 2, new Int32Array([2, 0, 2, 1]), out);
    assert.deepEqual(Array.from(out), [20, 21, 0, 1, 20, 21, 10, 11]);

    const labels = new Int32Array([5, 6, 7]);
    const gathered = new Int32Array(2);
    getBackend().gatherRows(labels, 1, new Int32Array([1, 2]), gathered);
    assert.deepEqual(Array.from(gathered), [6, 7]);
  }));
});

describe("softmax kernel", () => {
  test("softmax rows sum to one", forEachBackend(() => {
    for (const dtype of FLOAT_DTYPES) {
      const rows = 4;
      const cols = 6;
      const x = sampleArray(dtype, rows * cols, 11, -5, 5);
      const out = allocate(dtype, rows * cols);
      getBackend().softmax(x, out, rows, cols);
      for (let r = 0; r < rows; r++) {
        let total = 0;
        for (let c = 0; c < cols; c++) total += out[r * cols + c]!;
        assertClose([total], [1], { ...tolerance(dtype), message: `${dtype} row ${r}` });
      }
    }
  }));

  test("softmax matches exp over sum", forEachBackend(() => {
    for (const dtype of FLOAT_DTYPES) {
      const x = sampleArray(dtype, 2 * 5, 12, -3, 3);
      const out = allocate(dtype, 10);
      getBackend().softmax(x, out, 2, 5);
      const expected: number[] = [];
      for (let r = 0; r < 2; r++) {
        const exps = Array.from(x.subarray(r * 5, r * 5 + 5), (v) => Math.exp(v));
        const total = exps.reduce((s, v) => s + v, 0);
        expected.push(...exps.map((e) => e / total));
      }
      assertClose(out, expected, { ...tolerance(dtype), message: dtype });
    }
  }));

  test("softmax of large logits", forEachBackend(() => {
    for (const dtype of FLOAT_DTYPES) {
      const out = allocate(dtype, 2);
      getBackend().softmax(dtype === "float64" ? new Float64Array([1000, 0]) : new Float32Array([1000, 0]), out, 1, 2);
      // exp(-1000) underflows to exactly 0 in both dtypes.
      assert.deepEqual(Array.from(out), [1, 0], dtype);
    }
  }));

  test("softmax of one two three", forEachBackend(() => {
    // e^k / (e + e^2 + e^3) for k = 1, 2, 3.
    const out = new Float32Array(3);
    getBackend().softmax(new Float32Array([1, 2, 3]), out, 1, 3);
    assertClose(out, [0.09003057, 0.24472848, 0.66524094], { rtol: 1e-6, atol: 0 });
  }));
});

describe("dense kernels", () => {
  const activations: FusedActivation[] = ["linear", "relu", "sigmoid", "tanh"];
  for (const activation of activations) {
    test(`denseForward with ${activation}`, forEachBackend(() => {
      for (const dtype of FLOAT_DTYPES) {
        for (const withBias of [true, false]) {
          const [m, k, n] = [3, 5, 4];
          const x = sampleArray(dtype, m * k, 13, -2, 2);
          const kernel = sampleArray(dtype, k * n, 14);
          const bias = withBias ? sampleArray(dtype, n, 15) : null;
          const out = allocate(dtype, m * n).fill(100);
          getBackend().denseForward({ x, kernel, bias, out, m, k, n, activation });
          const product = naiveMatmul(x, kernel, m, k, n, false, false);
          const expected = product.map((v, i) => ACTIVATION_FUNCTIONS[activation](v + (bias ? bias[i % n]! : 0)));
          assertClose(out, expected, { ...tolerance(dtype), message: `${dtype}, bias ${withBias}` });
        }
      }
    }));
  }

  test("denseForward with softmax normalizes each row", forEachBackend(() => {
    for (const dtype of FLOAT_DTYPES) {
      const [m, k, n] = [3, 5, 4];
      const x = sampleArray(dtype, m * k, 16, -2, 2);
      const kernel = sampleArray(dtype, k * n, 17);
      const bias = sampleArray(dtype, n, 18);
      const out = allocate(dtype, m * n).fill(100);
      getBackend().denseForward({ x, kernel, bias, out, m, k, n, activation: "softmax" });
      const logits = naiveMatmul(x, kernel, m, k, n, false, false).map((v, i) => v + bias[i % n]!);
      const expected: number[] = [];
      for (let r = 0; r < m; r++) {
        const row = logits.slice(r * n, (r + 1) * n);
        const total = row.reduce((sum, v) => sum + Math.exp(v), 0);
        expected.push(...row.map((v) => Math.exp(v) / total));
      }
      assertClose(out, expected, { ...tolerance(dtype), message: dtype });
    }
  }));
});

describe("optimizer kernels", () => {
  test("adamUpdate first step", forEachBackend(() => {
    // Step 1 from zero moments: m = 0.1·g, v = 0.001·g², alpha = lr·√(1 − 0.999)/(1 − 0.9),
    // and the variable moves by alpha·m/(√v + ε), which is about lr·sign(g).
    const variable = new Float64Array([1, -2, 0.5]);
    const momentum = new Float64Array(3);
    const velocity = new Float64Array(3);
    getBackend().adamUpdate({
      variable,
      gradient: new Float64Array([0.1, -0.5, 0]),
      momentum,
      velocity,
      velocityHat: null,
      learningRate: 0.01,
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-7,
      step: 1,
    });
    assertClose(variable, [0.9900003162177663, -1.990000063245153, 0.5], { rtol: 1e-12, atol: 0 });
    assertClose(momentum, [0.01, -0.05, 0], { rtol: 1e-12, atol: 0 });
    assertClose(velocity, [1e-5, 2.5e-4, 0], { rtol: 1e-12, atol: 0 });
  }));

  test("adamUpdate later step", forEachBackend(() => {
    // Step 3 with m = 0.2, v = 0.04, g = 0.5: m' = 0.23, v' = 0.04021,
    // alpha = 0.1·√(1 − 0.999³)/(1 − 0.9³), variable = 1 − alpha·0.23/(√0.04021 + 1e-7).
    const variable = new Float64Array([1]);
    const momentum = new Float64Array([0.2]);
    const velocity = new Float64Array([0.04]);
    getBackend().adamUpdate({
      variable,
      gradient: new Float64Array([0.5]),
      momentum,
      velocity,
      velocityHat: null,
      learningRate: 0.1,
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-7,
      step: 3,
    });
    assertClose(momentum, [0.23], { rtol: 1e-12, atol: 0 });
    assertClose(velocity, [0.04021], { rtol: 1e-12, atol: 0 });
    assertClose(variable, [0.9768295357278424], { rtol: 1e-12, atol: 0 });
  }));

  test("adamUpdate with amsgrad", forEachBackend(() => {
    // As the later step, but the running maximum 0.09 exceeds v' = 0.04021 and is used instead.
    const variable = new Float64Array([1]);
    const velocityHat = new Float64Array([0.09]);
    const velocity = new Float64Array([0.04]);
    getBackend().adamUpdate({
      variable,
      gradient: new Float64Array([0.5]),
      momentum: new Float64Array([0.2]),
      velocity,
      velocityHat,
      learningRate: 0.1,
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-7,
      step: 3,
    });
    assertClose(variable, [0.9845125260255038], { rtol: 1e-12, atol: 0 });
    assertClose(velocityHat, [0.09], { rtol: 1e-12, atol: 0 });
    assertClose(velocity, [0.04021], { rtol: 1e-12, atol: 0 });
  }));

  test("adamUpdate in float32", forEachBackend(() => {
    const variable = new Float32Array([1, -2, 0.5]);
    getBackend().adamUpdate({
      variable,
      gradient: new Float32Array([0.1, -0.5, 0]),
      momentum: new Float32Array(3),
      velocity: new Float32Array(3),
      velocityHat: null,
      learningRate: 0.01,
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-7,
      step: 1,
    });
    assertClose(variable, [0.9900003162177663, -1.990000063245153, 0.5], { rtol: 1e-6, atol: 0 });
  }));

  test("sgdUpdate without momentum", forEachBackend(() => {
    // variable − lr·g = [1 − 0.05, −1 + 0.2].
    const variable = new Float64Array([1, -1]);
    getBackend().sgdUpdate({
      variable,
      gradient: new Float64Array([0.5, -2]),
      momentum: null,
      learningRate: 0.1,
      momentumFactor: 0,
      nesterov: false,
    });
    assertClose(variable, [0.95, -0.8], { rtol: 1e-12, atol: 0 });
  }));

  test("sgdUpdate with momentum", forEachBackend(() => {
    // m' = 0.9·m − lr·g = [0.09 − 0.05, 0 + 0.2] = [0.04, 0.2]; variable + m'.
    const variable = new Float64Array([1, -1]);
    const momentum = new Float64Array([0.1, 0]);
    getBackend().sgdUpdate({
      variable,
      gradient: new Float64Array([0.5, -2]),
      momentum,
      learningRate: 0.1,
      momentumFactor: 0.9,
      nesterov: false,
    });
    assertClose(momentum, [0.04, 0.2], { rtol: 1e-12, atol: 0 });
    assertClose(variable, [1.04, -0.8], { rtol: 1e-12, atol: 0 });
  }));

  test("sgdUpdate with nesterov momentum", forEachBackend(() => {
    // m' = [0.04, 0.2] as above; variable + 0.9·m' − lr·g = [1 − 0.014, −1 + 0.38].
    const variable = new Float64Array([1, -1]);
    const momentum = new Float64Array([0.1, 0]);
    getBackend().sgdUpdate({
      variable,
      gradient: new Float64Array([0.5, -2]),
      momentum,
      learningRate: 0.1,
      momentumFactor: 0.9,
      nesterov: true,
    });
    assertClose(momentum, [0.04, 0.2], { rtol: 1e-12, atol: 0 });
    assertClose(variable, [0.986, -0.62], { rtol: 1e-12, atol: 0 });
  }));
});
