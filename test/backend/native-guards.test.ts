// Calls every native kernel with bad arguments and requires a thrown error:
// first through the native backend, whose TypeScript checks run before any C
// code, then on the addon itself, whose own checks are the second line of defence.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type {
  Backend,
  RecurrentSequenceBackwardArgs,
  RecurrentSequenceForwardArgs,
  BatchNormBackwardArgs,
  BatchNormForwardArgs,
  DenseBackwardArgs,
  DenseForwardArgs,
  LayerNormBackwardArgs,
  LayerNormForwardArgs,
  RecurrentGatesBackwardArgs,
  RecurrentGatesForwardArgs,
  WindowGeometry,
} from "../../src/backend/backend.js";
import { getBackend, listBackends, nativeBackendError, setBackend } from "../../src/backend/registry.js";
import { NativeBackend } from "../../src/backend/native/index.js";
import { ShapeError, ValueError } from "../../src/errors.js";

const available = listBackends().includes("native");
const skip = available ? false : `native backend unavailable: ${nativeBackendError()}`;

function nativeBackend(): NativeBackend {
  const previous = getBackend().name;
  setBackend("native");
  const backend = getBackend() as NativeBackend;
  setBackend(previous);
  return backend;
}

const f32 = (n: number): Float32Array => new Float32Array(n);
const f64 = (n: number): Float64Array => new Float64Array(n);
const i32 = (values: number[]): Int32Array => Int32Array.from(values);

interface GuardCase {
  name: string;
  /** The NativeBackend method under test. */
  kernel: keyof Backend;
  call: (backend: Backend) => void;
  error: typeof ValueError;
  message: RegExp;
}

const cases: GuardCase[] = [];

function add(kernel: keyof Backend, name: string, call: (backend: Backend) => void, message: RegExp, error = ValueError): void {
  cases.push({ name: `${kernel} ${name}`, kernel, call, error, message });
}

/** Adds the cases every size argument must reject: NaN, negative, fractional, and beyond the native limit. */
function addSizeCases(kernel: keyof Backend, size: string, call: (backend: Backend, value: number) => void): void {
  const invalid: [string, number][] = [
    ["NaN", Number.NaN],
    ["negative", -1],
    ["fractional", 2.5],
    ["huge", 2 ** 31],
    ["infinite", Number.POSITIVE_INFINITY],
  ];
  for (const [label, value] of invalid) {
    const pattern = `\`${escapeRegExp(size)}\` must be an integer from 0 to 2147483647, received ${escapeRegExp(String(value))}`;
    add(kernel, `${label} ${size}`, (backend) => call(backend, value), new RegExp(pattern));
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

// Elementwise kernels.
add("unary", "short out", (b) => b.unary("exp", f32(4), f32(3)), /unary: `out` must have 4 elements, received 3/, ShapeError);
add("unary", "unknown operation", (b) => b.unary("cube" as "exp", f32(4), f32(4)), /unknown operation "cube". Valid values: "neg"/);
add("unary", "mixed dtypes", (b) => b.unary("exp", f32(4), f64(4)), /same dtype, but `out` is a Float64Array and an earlier array is a Float32Array/);
add("unary", "int32 input", (b) => b.unary("exp", new Int32Array(4) as unknown as Float32Array, f32(4)), /`x` must be a Float32Array or Float64Array, received Int32Array/);
add("unary", "missing out", (b) => b.unary("exp", f32(4), null as unknown as Float32Array), /`out` is required, but the call passed no array for it/);
add("unary", "partly overlapping out", (b) => {
  const buffer = f32(8);
  b.unary("exp", buffer.subarray(0, 4), buffer.subarray(2, 6));
}, /`out` partly overlaps `x`/);
add("unaryBackward", "short dx", (b) => b.unaryBackward("tanh", f32(4), f32(4), f32(4), f32(5)), /`dx` must have 4 elements, received 5/, ShapeError);
add("unaryBackward", "overlapping dx", (b) => {
  const buffer = f32(8);
  b.unaryBackward("tanh", f32(4), f32(4), buffer.subarray(0, 4), buffer.subarray(1, 5));
}, /`dx` partly overlaps `dy`/);
add("binary", "shape and length disagree", (b) => b.binary("add", f32(6), [2, 3], f32(5), [2, 3], f32(6), [2, 3]), /`b` has 5 elements, but its shape \[2, 3\] has 6/, ShapeError);
add("binary", "NaN dimension", (b) => b.binary("add", f32(6), [2, 3], f32(3), [Number.NaN], f32(6), [2, 3]), /`b` has an invalid dimension NaN at axis 0/, ShapeError);
add("binary", "unknown operation", (b) => b.binary("pow" as "add", f32(2), [2], f32(2), [2], f32(2), [2]), /unknown operation "pow"/);
add("binary", "out overlaps repeated row", (b) => {
  const buffer = f32(6);
  b.binary("add", f32(6), [2, 3], buffer.subarray(0, 3), [3], buffer, [2, 3]);
}, /`out` partly overlaps `b`/);
add("affine", "short out", (b) => b.affine(f32(3), 2, 1, f32(2)), /affine: `out` must have 3 elements, received 2/, ShapeError);
add("clip", "mixed dtypes", (b) => b.clip(f64(3), 0, 1, f32(3)), /clip: every array of one call must have the same dtype/);

// Matrix kernels.
const matmul = (m: number, k: number, n: number, a = f32(6), bm = f32(12), out = f32(8)) => (b: Backend) =>
  b.matmul(a, bm, out, m, k, n, false, false);
add("matmul", "short a", (b) => matmul(2, 3, 4, f32(5))(b), /matmul: `a` must have 6 elements, received 5/, ShapeError);
add("matmul", "product beyond memory", (b) => matmul(2 ** 31 - 1, 2 ** 31 - 1, 4)(b), /`a` must have \d+ elements, received 6/, ShapeError);
add("matmul", "out aliases a", (b) => {
  const a = f32(4);
  b.matmul(a, f32(4), a, 2, 2, 2, false, false);
}, /the output `out` shares memory with `a`/);
add("matmul", "overlap after a valid call", (b) => {
  // The first two calls pass and leave both views' buffer in the checks' cache.
  const buffer = f32(8);
  const a = buffer.subarray(0, 4);
  const out = buffer.subarray(2, 6);
  b.matmul(a, f32(4), f32(4), 2, 2, 2, false, false);
  b.matmul(out, f32(4), f32(4), 2, 2, 2, false, false);
  b.matmul(a, f32(4), out, 2, 2, 2, false, false);
}, /the output `out` shares memory with `a`/);
add("matmul", "non-boolean flag", (b) => b.matmul(f32(4), f32(4), f32(4), 2, 2, 2, 1 as unknown as boolean, false), /`transposeA` must be a boolean, received number/);
addSizeCases("matmul", "m", (b, m) => b.matmul(f32(6), f32(12), f32(8), m, 3, 4, false, false));
addSizeCases("matmul", "k", (b, k) => b.matmul(f32(6), f32(12), f32(8), 2, k, 4, false, false));
add("sum", "axis outside a matrix", (b) => b.sum(f32(6), [2, 3], [2], f32(2)), /the axis of a matrix sum must be 0 or 1, received 2/);
add("sum", "short out", (b) => b.sum(f32(6), [2, 3], [0], f32(2)), /sum: `out` must have 3 elements, received 2/, ShapeError);
add("sum", "out inside x", (b) => {
  const x = f32(6);
  b.sum(x, [3, 2], [0], x.subarray(0, 2));
}, /the output `out` shares memory with `x`/);
addSizeCases("sum", "shape[0]", (b, rows) => b.sum(f32(6), [rows, 3], [1], f32(2)));
add("argmax", "short out", (b) => b.argmax(f32(6), 3, 2, new Int32Array(2)), /argmax: `out` must have at least 3 elements, received 2/, ShapeError);
add("argmax", "float out", (b) => b.argmax(f32(6), 3, 2, f32(3) as unknown as Int32Array), /`out` must be an Int32Array, received Float32Array/);
addSizeCases("argmax", "rows", (b, rows) => b.argmax(f32(6), rows, 2, new Int32Array(3)));
add("gatherRows", "index past the rows", (b) => b.gatherRows(f32(6), 2, i32([0, 3]), f32(4)), /`indices\[1\]` is 3, outside the valid range \[0, 3\)/);
add("gatherRows", "negative index", (b) => b.gatherRows(f32(6), 2, i32([-1]), f32(2)), /`indices\[0\]` is -1, outside the valid range \[0, 3\)/);
add("gatherRows", "float indices", (b) => b.gatherRows(f32(6), 2, f32(2) as unknown as Int32Array, f32(4)), /`indices` must be an Int32Array/);
add("gatherRows", "ragged rows", (b) => b.gatherRows(f32(7), 2, i32([0]), f32(2)), /`x` has 7 elements, which is not a whole number of rows of 2/, ShapeError);
add("gatherRows", "short out", (b) => b.gatherRows(f32(6), 2, i32([0, 1]), f32(3)), /`out` must have 4 elements, received 3/, ShapeError);
addSizeCases("gatherRows", "rowSize", (b, rowSize) => b.gatherRows(f32(6), rowSize, i32([0]), f32(2)));
add("softmax", "short x", (b) => b.softmax(f32(5), f32(6), 2, 3), /softmax: `x` must have 6 elements, received 5/, ShapeError);
addSizeCases("softmax", "cols", (b, cols) => b.softmax(f32(6), f32(6), 2, cols));
add("softmaxBackward", "overlapping dx", (b) => {
  const buffer = f32(8);
  b.softmaxBackward(buffer.subarray(0, 6), f32(6), buffer.subarray(2, 8), 2, 3);
}, /`dx` partly overlaps `y`/);

// Dense kernels.
const denseForward = (overrides: Partial<DenseForwardArgs>) => (b: Backend) =>
  b.denseForward({ x: f32(6), kernel: f32(12), bias: f32(4), out: f32(8), m: 2, k: 3, n: 4, activation: "relu", ...overrides });
add("denseForward", "short kernel", denseForward({ kernel: f32(11) }), /denseForward: `kernel` must have 12 elements, received 11/, ShapeError);
add("denseForward", "long bias", denseForward({ bias: f32(5) }), /`bias` must have 4 elements, received 5/, ShapeError);
add("denseForward", "unknown activation", denseForward({ activation: "gelu" as "relu" }), /unknown activation "gelu". Valid values: "linear", "relu", "sigmoid", "tanh"/);
add("denseForward", "float64 bias", denseForward({ bias: f64(4) }), /`bias` is a Float64Array and an earlier array is a Float32Array/);
add("denseForward", "out aliases kernel", (b) => {
  const shared = f32(4);
  b.denseForward({ x: f32(4), kernel: shared, bias: null, out: shared, m: 2, k: 2, n: 2, activation: "linear" });
}, /the output `out` shares memory with `kernel`/);
addSizeCases("denseForward", "n", (b, n) => denseForward({ n })(b));
const denseBackward = (overrides: Partial<DenseBackwardArgs>) => (b: Backend) =>
  b.denseBackward({
    x: f32(6),
    kernel: f32(12),
    y: f32(8),
    dy: f32(8),
    dPre: f32(8),
    dx: f32(6),
    dKernel: f32(12),
    dBias: f32(4),
    m: 2,
    k: 3,
    n: 4,
    activation: "tanh",
    ...overrides,
  });
add("denseBackward", "short dKernel", denseBackward({ dKernel: f32(4) }), /`dKernel` must have 12 elements, received 4/, ShapeError);
add("denseBackward", "dx aliases x", (b) => {
  const x = f32(6);
  denseBackward({ x, dx: x })(b);
}, /the output `dx` shares memory with `x`/);
add("denseBackward", "dBias inside dy", (b) => {
  const dy = f32(8);
  denseBackward({ dy, dBias: dy.subarray(0, 4) })(b);
}, /the output `dBias` shares memory with `dy`/);
add("denseBackward", "missing dPre", denseBackward({ dPre: null as unknown as Float32Array }), /`dPre` is required, but the call passed no array for it/);
addSizeCases("denseBackward", "k", (b, k) => denseBackward({ k })(b));

// Losses.
add("categoricalCrossentropy", "short labels", (b) =>
  b.categoricalCrossentropy({ probs: f32(6), labels: f32(4), loss: f32(2), rows: 2, classes: 3, epsilon: 1e-7 }), /`labels` must have 6 elements, received 4/, ShapeError);
add("categoricalCrossentropy", "string epsilon", (b) =>
  b.categoricalCrossentropy({ probs: f32(6), labels: f32(6), loss: f32(2), rows: 2, classes: 3, epsilon: "1e-7" as unknown as number }), /`epsilon` must be a number, received string/);
addSizeCases("categoricalCrossentropy", "classes", (b, classes) =>
  b.categoricalCrossentropy({ probs: f32(6), labels: f32(6), loss: f32(2), rows: 2, classes, epsilon: 1e-7 }));
add("sparseCategoricalCrossentropy", "label past the classes", (b) =>
  b.sparseCategoricalCrossentropy({ probs: f32(6), labels: i32([0, 3]), loss: f32(2), rows: 2, classes: 3, epsilon: 1e-7 }), /`labels\[1\]` is 3, outside the valid range \[0, 3\)/);
add("sparseCategoricalCrossentropy", "negative label", (b) =>
  b.sparseCategoricalCrossentropy({ probs: f32(6), labels: i32([-2, 0]), loss: f32(2), rows: 2, classes: 3, epsilon: 1e-7 }), /`labels\[0\]` is -2/);
add("sparseCategoricalCrossentropy", "float labels", (b) =>
  b.sparseCategoricalCrossentropy({ probs: f32(6), labels: f32(2) as unknown as Int32Array, loss: f32(2), rows: 2, classes: 3, epsilon: 1e-7 }), /`labels` must be an Int32Array, received Float32Array/);
add("sparseCategoricalCrossentropy", "loss inside labels", (b) => {
  const buffer = new ArrayBuffer(16);
  b.sparseCategoricalCrossentropy({ probs: f32(6), labels: new Int32Array(buffer, 0, 2), loss: new Float32Array(buffer, 4, 2), rows: 2, classes: 3, epsilon: 1e-7 });
}, /the output `loss` shares memory with `labels`/);
addSizeCases("sparseCategoricalCrossentropy", "rows", (b, rows) =>
  b.sparseCategoricalCrossentropy({ probs: f32(6), labels: i32([0, 1]), loss: f32(2), rows, classes: 3, epsilon: 1e-7 }));
const crossentropyBackward = (sparse: boolean, labels: Float32Array | Int32Array, grad = f32(6), probs = f32(6)) => (b: Backend) =>
  b.crossentropyBackward({ probs, labels, dLoss: f32(2), grad, rows: 2, classes: 3, epsilon: 1e-7, sparse, throughSoftmax: true });
add("crossentropyBackward", "sparse label past the classes", crossentropyBackward(true, i32([1, 7])), /`labels\[1\]` is 7, outside the valid range \[0, 3\)/);
add("crossentropyBackward", "sparse float labels", crossentropyBackward(true, f32(2)), /`labels` must be an Int32Array, received Float32Array/);
add("crossentropyBackward", "dense int32 labels", crossentropyBackward(false, i32([0, 0, 0, 0, 0, 0])), /`labels` must be a Float32Array or Float64Array, received Int32Array/);
add("crossentropyBackward", "grad aliases probs", (b) => {
  const probs = f32(6);
  crossentropyBackward(false, f32(6), probs, probs)(b);
}, /the output `grad` shares memory with `probs`/);
add("crossentropyBackward", "short grad", crossentropyBackward(false, f32(6), f32(5)), /`grad` must have 6 elements, received 5/, ShapeError);
add("binaryCrossentropy", "short loss", (b) =>
  b.binaryCrossentropy({ probs: f32(6), labels: f32(6), loss: f32(1), rows: 2, cols: 3, epsilon: 1e-7 }), /`loss` must have 2 elements, received 1/, ShapeError);
addSizeCases("binaryCrossentropy", "cols", (b, cols) =>
  b.binaryCrossentropy({ probs: f32(6), labels: f32(6), loss: f32(2), rows: 2, cols, epsilon: 1e-7 }));
add("binaryCrossentropyBackward", "grad aliases dLoss", (b) => {
  const buffer = f32(8);
  b.binaryCrossentropyBackward({ probs: f32(6), labels: f32(6), dLoss: buffer.subarray(6, 8), grad: buffer.subarray(2, 8), rows: 2, cols: 3, epsilon: 1e-7 });
}, /the output `grad` shares memory with `dLoss`/);
add("binaryCrossentropyBackward", "float64 grad", (b) =>
  b.binaryCrossentropyBackward({ probs: f32(6), labels: f32(6), dLoss: f32(2), grad: f64(6), rows: 2, cols: 3, epsilon: 1e-7 }), /same dtype/);

// Optimizers.
const adam = (overrides: object) => (b: Backend) =>
  b.adamUpdate({ variable: f32(5), gradient: f32(5), momentum: f32(5), velocity: f32(5), velocityHat: null, learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, step: 1, ...overrides });
add("adamUpdate", "short velocity", adam({ velocity: f32(4) }), /`velocity` must have 5 elements, received 4/, ShapeError);
add("adamUpdate", "momentum aliases velocity", (b) => {
  const state = f32(5);
  adam({ momentum: state, velocity: state })(b);
}, /the output `momentum` shares memory with `velocity`/);
add("adamUpdate", "gradient aliases variable", (b) => {
  const variable = f32(5);
  adam({ variable, gradient: variable })(b);
}, /the output `variable` shares memory with `gradient`/);
add("adamUpdate", "undefined step", adam({ step: undefined }), /`step` must be a number, received undefined/);
add("adamUpdate", "missing momentum", adam({ momentum: undefined }), /`momentum` is required, but the call passed no array for it/);
const sgd = (overrides: object) => (b: Backend) =>
  b.sgdUpdate({ variable: f32(5), gradient: f32(5), momentum: f32(5), learningRate: 0.01, momentumFactor: 0.9, nesterov: false, ...overrides });
add("sgdUpdate", "long momentum", sgd({ momentum: f32(6) }), /`momentum` must have 5 elements, received 6/, ShapeError);
add("sgdUpdate", "momentum aliases gradient", (b) => {
  const shared = f32(5);
  sgd({ gradient: shared, momentum: shared })(b);
}, /the output `momentum` shares memory with `gradient`/);
add("sgdUpdate", "string nesterov", sgd({ nesterov: "yes" }), /`nesterov` must be a boolean, received string/);

// Optimizers beyond Adam and SGD, on variables of 5 elements.
const update = (kernel: keyof Backend, base: Record<string, unknown>) => (overrides: Record<string, unknown>) => (b: Backend) =>
  (b[kernel] as (args: unknown) => void).call(b, { ...base, ...overrides });
const rmsprop = update("rmspropUpdate", { variable: f32(5), gradient: f32(5), velocity: f32(5), momentum: null, averageGradient: null, learningRate: 1e-3, rho: 0.9, momentumFactor: 0, epsilon: 1e-7 });
add("rmspropUpdate", "short averageGradient", rmsprop({ averageGradient: f32(4) }), /`averageGradient` must have 5 elements, received 4/, ShapeError);
add("rmspropUpdate", "string rho", rmsprop({ rho: "0.9" }), /`rho` must be a number, received string/);
const adagrad = update("adagradUpdate", { variable: f32(5), gradient: f32(5), accumulator: f32(5), learningRate: 1e-3, epsilon: 1e-7 });
add("adagradUpdate", "accumulator aliases variable", (b) => {
  const variable = f32(5);
  adagrad({ variable, accumulator: variable })(b);
}, /the output `variable` shares memory with `accumulator`/);
const adadelta = update("adadeltaUpdate", { variable: f32(5), gradient: f32(5), accumulatedGrad: f32(5), accumulatedDeltaVar: f32(5), learningRate: 1, rho: 0.95, epsilon: 1e-7 });
add("adadeltaUpdate", "float64 accumulator", adadelta({ accumulatedDeltaVar: f64(5) }), /same dtype, but `accumulatedDeltaVar` is a Float64Array/);
const adamax = update("adamaxUpdate", { variable: f32(5), gradient: f32(5), momentum: f32(5), norm: f32(5), learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, step: 1 });
add("adamaxUpdate", "long norm", adamax({ norm: f32(6) }), /`norm` must have 5 elements, received 6/, ShapeError);
const nadam = update("nadamUpdate", { variable: f32(5), gradient: f32(5), momentum: f32(5), velocity: f32(5), learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, step: 1, momentumProduct: 1 });
add("nadamUpdate", "missing momentum product", nadam({ momentumProduct: undefined }), /`momentumProduct` must be a number, received undefined/);
const lion = update("lionUpdate", { variable: f32(5), gradient: f32(5), momentum: f32(5), learningRate: 1e-4, beta1: 0.9, beta2: 0.99 });
add("lionUpdate", "momentum inside gradient", (b) => {
  const buffer = f32(10);
  lion({ gradient: buffer.subarray(0, 5), momentum: buffer.subarray(3, 8) })(b);
}, /the output `momentum` shares memory with `gradient`/);
const lamb = update("lambUpdate", { variable: f32(5), gradient: f32(5), momentum: f32(5), velocity: f32(5), learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-6, step: 1 });
add("lambUpdate", "int32 velocity", lamb({ velocity: new Int32Array(5) }), /`velocity` must be a Float32Array or Float64Array, received Int32Array/);
const ftrl = update("ftrlUpdate", { variable: f32(5), gradient: f32(5), accumulator: f32(5), linear: f32(5), learningRate: 1e-3, learningRatePower: -0.5, l1: 0, l2: 0, l2Shrinkage: 0 });
add("ftrlUpdate", "short linear", ftrl({ linear: f32(1) }), /`linear` must have 5 elements, received 1/, ShapeError);
const adafactor = update("adafactorUpdate", {
  variable: f32(6),
  gradient: f32(6),
  velocity: f32(6),
  rowFactor: f32(2),
  columnFactor: f32(3),
  batch: 1,
  rows: 2,
  cols: 3,
  relativeStep: 1e-3,
  beta2: 0.8,
  epsilon1: 1e-30,
  epsilon2: 1e-3,
  clipThreshold: 1,
});
add("adafactorUpdate", "factors that disagree with the variable", adafactor({ rows: 3 }), /batch · rows · cols \(1 · 3 · 3\) must equal the variable's 6 elements/, ShapeError);
add("adafactorUpdate", "only one factor", adafactor({ columnFactor: null }), /`rowFactor` and `columnFactor` must both be arrays or both be null/);
add("adafactorUpdate", "short row factor", adafactor({ batch: 2, rows: 1, rowFactor: f32(1), columnFactor: f32(6) }), /`rowFactor` must have 2 elements, received 1/, ShapeError);
add("adafactorUpdate", "sizes whose product overflows", adafactor({ batch: 2 ** 31 - 1, rows: 2 ** 31 - 1, cols: 2 ** 31 - 1 }), /must equal the variable's 6 elements/, ShapeError);
addSizeCases("adafactorUpdate", "cols", (b, cols) => adafactor({ cols })(b));
const ema = update("emaUpdate", { average: f32(5), variable: f32(5), momentum: 0.99 });
add("emaUpdate", "average aliases variable", (b) => {
  const shared = f32(5);
  ema({ average: shared, variable: shared })(b);
}, /the output `average` shares memory with `variable`/);
add("findNonFinite", "plain array", (b) => b.findNonFinite([1, 2] as unknown as Float32Array), /findNonFinite: `x` must be a typed array, received object/);
add("squaredNorm", "int32 input", (b) => b.squaredNorm(new Int32Array(3) as unknown as Float32Array), /squaredNorm: `x` must be a Float32Array or Float64Array, received Int32Array/);

// Activations beyond the unary ones, and crossentropy on logits.
add("activation", "unknown activation", (b) => b.activation("swish2" as "silu", f32(4), f32(4), []), /unknown activation "swish2"/);
add("activation", "short out", (b) => b.activation("elu", f32(4), f32(3), [1]), /activation: `out` must have 4 elements, received 3/, ShapeError);
add("activation", "string parameter", (b) => b.activation("leaky_relu", f32(4), f32(4), ["0.2" as unknown as number]), /`params\[0\]` must be a number, received string/);
add("activationBackward", "overlapping dx", (b) => {
  const buffer = f32(6);
  b.activationBackward("elu", buffer.subarray(0, 4), f32(4), f32(4), buffer.subarray(2, 6), [1]);
}, /`dx` partly overlaps `x`/);
add("rowActivation", "glu with odd columns", (b) => b.rowActivation("glu", f32(6), f32(3), 2, 3), /glu splits the last axis in halves, so `cols` must be even, received 3/, ShapeError);
add("rowActivation", "long out", (b) => b.rowActivation("log_softmax", f32(6), f32(7), 2, 3), /`out` must have 6 elements, received 7/, ShapeError);
add("rowActivation", "unknown row activation", (b) => b.rowActivation("softmin" as "glu", f32(6), f32(6), 2, 3), /unknown row activation "softmin"/);
addSizeCases("rowActivation", "rows", (b, rows) => b.rowActivation("sparsemax", f32(6), f32(6), rows, 3));
add("rowActivationBackward", "short dy for glu", (b) => b.rowActivationBackward("glu", f32(8), f32(4), f32(3), f32(8), 2, 4), /`dy` must have 4 elements, received 3/, ShapeError);
const softmaxCrossentropy = (overrides: Record<string, unknown>) => (b: Backend) =>
  b.softmaxCrossentropy({ logits: f32(6), labels: i32([0, 2]), sparse: true, loss: f32(2), probs: f32(6), rows: 2, classes: 3, ...overrides });
add("softmaxCrossentropy", "label past the classes", softmaxCrossentropy({ labels: i32([0, 3]) }), /`labels\[1\]` is 3, outside the valid range \[0, 3\)/);
add("softmaxCrossentropy", "sparse float labels", softmaxCrossentropy({ labels: f32(2) }), /`labels` must be an Int32Array, received Float32Array/);
add("softmaxCrossentropy", "loss aliases probs", (b) => {
  const probs = f32(6);
  softmaxCrossentropy({ probs, loss: probs.subarray(0, 2) })(b);
}, /the output `loss` shares memory with `probs`/);
add("softmaxCrossentropy", "dense labels too short", softmaxCrossentropy({ sparse: false, labels: f32(5) }), /`labels` must have 6 elements, received 5/, ShapeError);
addSizeCases("softmaxCrossentropy", "classes", (b, classes) => softmaxCrossentropy({ classes })(b));
const softmaxCrossentropyBackward = (overrides: Record<string, unknown>) => (b: Backend) =>
  b.softmaxCrossentropyBackward({ probs: f32(6), labels: i32([0, 2]), sparse: true, dLoss: f32(2), grad: f32(6), rows: 2, classes: 3, ...overrides });
add("softmaxCrossentropyBackward", "negative label", softmaxCrossentropyBackward({ labels: i32([-1, 0]) }), /`labels\[0\]` is -1/);
add("softmaxCrossentropyBackward", "grad overlaps dLoss", (b) => {
  const buffer = f32(8);
  softmaxCrossentropyBackward({ dLoss: buffer.subarray(6, 8), grad: buffer.subarray(2, 8) })(b);
}, /the output `grad` shares memory with `dLoss`/);
add("softmaxCrossentropyBackward", "numeric sparse flag", softmaxCrossentropyBackward({ sparse: 1 }), /`sparse` must be a boolean, received number/);
add("sigmoidCrossentropy", "short loss", (b) => b.sigmoidCrossentropy({ logits: f32(6), labels: f32(6), loss: f32(1), rows: 2, cols: 3 }), /`loss` must have 2 elements, received 1/, ShapeError);
addSizeCases("sigmoidCrossentropy", "cols", (b, cols) => b.sigmoidCrossentropy({ logits: f32(6), labels: f32(6), loss: f32(2), rows: 2, cols }));
add("sigmoidCrossentropyBackward", "float64 labels", (b) =>
  b.sigmoidCrossentropyBackward({ logits: f32(6), labels: f64(6), dLoss: f32(2), grad: f32(6), rows: 2, cols: 3 }), /same dtype, but `labels` is a Float64Array/);

// Window kernels: [batch 2, 4 × 4 images, 3 channels], 2 × 2 windows, stride 1.
const geometry: WindowGeometry = {
  batch: 2,
  height: 4,
  width: 4,
  channels: 3,
  windowHeight: 2,
  windowWidth: 2,
  strideHeight: 1,
  strideWidth: 1,
  dilationHeight: 1,
  dilationWidth: 1,
  padTop: 0,
  padLeft: 0,
  outHeight: 3,
  outWidth: 3,
};
const image = 96;
const pooled = 54;
const patches = 216;
add("im2col", "short cols", (b) => b.im2col({ ...geometry, x: f32(image), cols: f32(10), channelOffset: 0, groupChannels: 3 }), /`cols` must have 216 elements/, ShapeError);
add("im2col", "NaN stride", (b) => b.im2col({ ...geometry, strideWidth: Number.NaN, x: f32(image), cols: f32(patches), channelOffset: 0, groupChannels: 3 }), /`strideWidth` must be an integer from 1 to 2147483647, received NaN/);
add("im2col", "negative padding", (b) => b.im2col({ ...geometry, padTop: -1, x: f32(image), cols: f32(patches), channelOffset: 0, groupChannels: 3 }), /`padTop` must be an integer from 0/);
add("im2col", "sizes whose product overflows", (b) =>
  b.im2col({ ...geometry, batch: 2 ** 31 - 1, height: 2 ** 31 - 1, width: 2 ** 31 - 1, x: f32(image), cols: f32(patches), channelOffset: 0, groupChannels: 3 }), /`x` must have \S+ elements for this window geometry, received 96/, ShapeError);
add("im2col", "channel slice past the channels", (b) => b.im2col({ ...geometry, x: f32(image), cols: f32(patches), channelOffset: 2, groupChannels: 3 }), /channel slice \[2, 5\) exceeds the 3 channels/);
add("col2im", "dx aliases cols", (b) => {
  const buffer = f32(patches);
  b.col2im({ ...geometry, cols: buffer, dx: buffer.subarray(0, image), channelOffset: 0, groupChannels: 3 });
}, /the output `dx` shares memory with `cols`/);
add("col2im", "int32 cols", (b) => b.col2im({ ...geometry, cols: new Int32Array(patches) as unknown as Float32Array, dx: f32(image), channelOffset: 0, groupChannels: 3 }), /`cols` must be a Float32Array or Float64Array/);
add("maxPool", "short out", (b) => b.maxPool({ ...geometry, x: f32(image), out: f32(pooled - 1) }), /`out` must have 54 elements/, ShapeError);
add("maxPool", "zero window", (b) => b.maxPool({ ...geometry, windowHeight: 0, x: f32(image), out: f32(pooled) }), /`windowHeight` must be an integer from 1/);
add("maxPool", "out aliases x", (b) => {
  const x = f32(image);
  b.maxPool({ ...geometry, x, out: x.subarray(0, pooled) });
}, /the output `out` shares memory with `x`/);
add("maxPoolBackward", "dx aliases dy", (b) => {
  const dy = f32(image);
  b.maxPoolBackward({ ...geometry, x: f32(image), dy: dy.subarray(0, pooled), dx: dy });
}, /the output `dx` shares memory with `dy`/);
add("avgPool", "fractional dilation", (b) => b.avgPool({ ...geometry, dilationHeight: 1.5, x: f32(image), out: f32(pooled) }), /`dilationHeight` must be an integer from 1/);
add("avgPoolBackward", "short dx", (b) => b.avgPoolBackward({ ...geometry, x: f32(image), dy: f32(pooled), dx: f32(image - 1) }), /`dx` must have 96 elements/, ShapeError);

// Depthwise convolution with a channel multiplier of 2: kernel [2, 2, 3, 2], output [2, 3, 3, 6].
const depthwiseKernel = 24;
const depthwiseOut = 108;
add("depthwiseConv", "short kernel", (b) => b.depthwiseConv({ ...geometry, x: f32(image), kernel: f32(depthwiseKernel - 1), out: f32(depthwiseOut), multiplier: 2 }), /`kernel` must have 24 elements, received 23/, ShapeError);
add("depthwiseConv", "zero multiplier", (b) => b.depthwiseConv({ ...geometry, x: f32(image), kernel: f32(0), out: f32(0), multiplier: 0 }), /`multiplier` must be at least 1, received 0/);
add("depthwiseConv", "volume geometry", (b) => b.depthwiseConv({ ...geometry, depth: 2, outDepth: 2, x: f32(2 * image), kernel: f32(depthwiseKernel), out: f32(2 * depthwiseOut), multiplier: 2 }), /the depth fields must be 1/);
add("depthwiseConv", "out aliases x", (b) => {
  const x = f32(depthwiseOut);
  b.depthwiseConv({ ...geometry, x: x.subarray(0, image), kernel: f32(depthwiseKernel), out: x, multiplier: 2 });
}, /the output `out` shares memory with `x`/);
addSizeCases("depthwiseConv", "multiplier", (b, multiplier) => b.depthwiseConv({ ...geometry, x: f32(image), kernel: f32(depthwiseKernel), out: f32(depthwiseOut), multiplier }));
add("depthwiseConvBackward", "short dx", (b) => b.depthwiseConvBackward({ ...geometry, x: f32(image), kernel: f32(depthwiseKernel), dy: f32(depthwiseOut), dx: f32(image - 1), dKernel: null, multiplier: 2 }), /`dx` must have 96 elements, received 95/, ShapeError);
add("depthwiseConvBackward", "dKernel aliases kernel", (b) => {
  const kernel = f32(depthwiseKernel);
  b.depthwiseConvBackward({ ...geometry, x: f32(image), kernel, dy: f32(depthwiseOut), dx: null, dKernel: kernel, multiplier: 2 });
}, /the output `dKernel` shares memory with `kernel`/);

// Normalization: [outer 2, channels 3, inner 4].
const batchNormForward = (overrides: Partial<BatchNormForwardArgs>) => (b: Backend) =>
  b.batchNormForward({ x: f32(24), outer: 2, channels: 3, inner: 4, weights: null, gamma: f32(3), beta: f32(3), mean: f32(3), variance: f32(3), training: true, epsilon: 1e-3, out: f32(24), ...overrides });
add("batchNormForward", "short weights", batchNormForward({ weights: f32(23) }), /`weights` must have 24 elements, received 23/, ShapeError);
add("batchNormForward", "sizes whose product overflows", batchNormForward({ outer: 2 ** 31 - 1, channels: 2 ** 31 - 1, inner: 2 ** 31 - 1 }), /`x` must have \S+ elements, received 24/, ShapeError);
add("batchNormForward", "mean aliases gamma", (b) => {
  const shared = f32(3);
  batchNormForward({ gamma: shared, mean: shared })(b);
}, /the output `mean` shares memory with `gamma`/);
add("batchNormForward", "numeric training flag", batchNormForward({ training: 1 as unknown as boolean }), /`training` must be a boolean, received number/);
addSizeCases("batchNormForward", "inner", (b, inner) => batchNormForward({ inner })(b));
const batchNormBackward = (overrides: Partial<BatchNormBackwardArgs>) => (b: Backend) =>
  b.batchNormBackward({ x: f32(24), outer: 2, channels: 3, inner: 4, weights: null, gamma: f32(3), mean: f32(3), variance: f32(3), training: true, epsilon: 1e-3, dy: f32(24), dx: f32(24), dGamma: f32(3), dBeta: f32(3), ...overrides });
add("batchNormBackward", "dGamma aliases gamma", (b) => {
  const gamma = f32(3);
  batchNormBackward({ gamma, dGamma: gamma })(b);
}, /the output `dGamma` shares memory with `gamma`/);
add("batchNormBackward", "long dBeta", batchNormBackward({ dBeta: f32(4) }), /`dBeta` must have 3 elements, received 4/, ShapeError);
addSizeCases("batchNormBackward", "channels", (b, channels) => batchNormBackward({ channels })(b));
const layerNormForward = (overrides: Partial<LayerNormForwardArgs>) => (b: Backend) =>
  b.layerNormForward({ x: f32(6), rows: 2, cols: 3, gamma: f32(3), beta: f32(3), epsilon: 1e-3, rmsScaling: false, out: f32(6), mean: f32(2), invStd: f32(2), ...overrides });
add("layerNormForward", "short invStd", layerNormForward({ invStd: f32(1) }), /`invStd` must have 2 elements, received 1/, ShapeError);
add("layerNormForward", "mean inside x", (b) => {
  const x = f32(6);
  layerNormForward({ x, mean: x.subarray(4, 6) })(b);
}, /the output `mean` shares memory with `x`/);
addSizeCases("layerNormForward", "rows", (b, rows) => layerNormForward({ rows })(b));
const layerNormBackward = (overrides: Partial<LayerNormBackwardArgs>) => (b: Backend) =>
  b.layerNormBackward({ x: f32(6), rows: 2, cols: 3, gamma: f32(3), mean: f32(2), invStd: f32(2), rmsScaling: false, dy: f32(6), dx: f32(6), dGamma: f32(3), dBeta: f32(3), ...overrides });
add("layerNormBackward", "dBeta aliases dGamma", (b) => {
  const shared = f32(3);
  layerNormBackward({ dGamma: shared, dBeta: shared })(b);
}, /the output `dGamma` shares memory with `dBeta`/);
add("layerNormBackward", "float64 dy", layerNormBackward({ dy: f64(6) }), /same dtype/);
addSizeCases("layerNormBackward", "cols", (b, cols) => layerNormBackward({ cols })(b));

// Recurrent gates: an LSTM step with batch 2, 3 units, 4 steps.
const lstmForward = (overrides: Partial<RecurrentGatesForwardArgs>) => (b: Backend) =>
  b.recurrentGatesForward({
    kind: "lstm",
    activation: "tanh",
    recurrentActivation: "sigmoid",
    batch: 2,
    units: 3,
    steps: 4,
    step: 1,
    projected: f32(96),
    products: f32(24),
    recurrentBias: null,
    mask: null,
    zeroOutput: false,
    hPrev: f32(6),
    cPrev: f32(6),
    gateValues: f32(24),
    extra: f32(6),
    hNew: f32(6),
    cNew: f32(6),
    output: f32(6),
    ...overrides,
  });
add("recurrentGatesForward", "step past the steps", lstmForward({ step: 4 }), /`step` must be below `steps` \(4\), received 4/);
add("recurrentGatesForward", "short projected", lstmForward({ projected: f32(95) }), /`projected` must have 96 elements, received 95/, ShapeError);
add("recurrentGatesForward", "missing cell state", lstmForward({ cNew: null }), /`cNew` is required for a lstm cell, received null/);
add("recurrentGatesForward", "unknown cell kind", lstmForward({ kind: "peephole" as "lstm" }), /unknown cell kind "peephole"/);
add("recurrentGatesForward", "sizes whose product overflows", lstmForward({ batch: 2 ** 31 - 1, steps: 2 ** 31 - 1, units: 2 ** 31 - 1 }), /`projected` must have \S+ elements, received 96/, ShapeError);
add("recurrentGatesForward", "hNew aliases hPrev", (b) => {
  const h = f32(6);
  lstmForward({ hPrev: h, hNew: h })(b);
}, /the output `hNew` shares memory with `hPrev`/);
add("recurrentGatesForward", "float64 output", lstmForward({ output: f64(6) }), /same dtype, but `output` is a Float64Array/);
addSizeCases("recurrentGatesForward", "units", (b, units) => lstmForward({ units })(b));
const lstmBackward = (overrides: Partial<RecurrentGatesBackwardArgs>) => (b: Backend) =>
  b.recurrentGatesBackward({
    kind: "lstm",
    activation: "tanh",
    recurrentActivation: "sigmoid",
    batch: 2,
    units: 3,
    steps: 4,
    step: 1,
    mask: null,
    zeroOutput: false,
    gateValues: f32(24),
    extra: f32(6),
    hPrev: f32(6),
    cPrev: f32(6),
    dOutput: f32(6),
    dH: f32(6),
    dC: f32(6),
    dProjected: f32(96),
    productGradients: f32(24),
    dHPrev: f32(6),
    dCPrev: f32(6),
    ...overrides,
  });
add("recurrentGatesBackward", "short mask", lstmBackward({ mask: f32(7) }), /`mask` must have 8 elements, received 7/, ShapeError);
add("recurrentGatesBackward", "dHPrev aliases dH", (b) => {
  const dH = f32(6);
  lstmBackward({ dH, dHPrev: dH })(b);
}, /the output `dHPrev` shares memory with `dH`/);
add("recurrentGatesBackward", "negative step", lstmBackward({ step: -1 }), /`step` must be an integer from 0/);
add("recurrentGatesBackward", "unknown activation", lstmBackward({ activation: "softsign" as "tanh" }), /unknown activation "softsign"/);

// Whole recurrent sequences: an LSTM with batch 2, 3 units, 4 steps.
const lstmSequenceConfig = { kind: "lstm", activation: "tanh", recurrentActivation: "sigmoid", batch: 2, units: 3, steps: 4, goBackwards: false, mask: null, zeroOutput: false } as const;
const lstmSequenceForward = (overrides: Partial<RecurrentSequenceForwardArgs>) => (b: Backend) =>
  b.recurrentSequenceForward({
    ...lstmSequenceConfig,
    projected: f32(96),
    kernel: f32(36),
    recurrentBias: null,
    hHistory: f32(30),
    cHistory: f32(30),
    gateValues: f32(96),
    extra: f32(24),
    output: f32(36),
    ...overrides,
  });
add("recurrentSequenceForward", "short kernel", lstmSequenceForward({ kernel: f32(35) }), /`kernel` must have 36 elements, received 35/, ShapeError);
add("recurrentSequenceForward", "missing cell history", lstmSequenceForward({ cHistory: null }), /`cHistory` is required for a lstm cell, received null/);
add("recurrentSequenceForward", "output inside hHistory", (b) => {
  const history = f32(60);
  lstmSequenceForward({ hHistory: history.subarray(0, 30), output: history.subarray(24, 60) })(b);
}, /the output `hHistory` shares memory with `output`/);
add("recurrentSequenceForward", "goBackwards not a boolean", lstmSequenceForward({ goBackwards: 1 as unknown as boolean }), /`goBackwards` must be a boolean, received number/);
addSizeCases("recurrentSequenceForward", "steps", (b, steps) => lstmSequenceForward({ steps })(b));
const lstmSequenceBackward = (overrides: Partial<RecurrentSequenceBackwardArgs>) => (b: Backend) =>
  b.recurrentSequenceBackward({
    ...lstmSequenceConfig,
    kernel: f32(36),
    gateValues: f32(96),
    extra: f32(24),
    hHistory: f32(30),
    cHistory: f32(30),
    dy: f32(36),
    dProjected: f32(96),
    productGradients: f32(96),
    dInitialH: f32(6),
    dInitialC: f32(6),
    ...overrides,
  });
add("recurrentSequenceBackward", "short dy", lstmSequenceBackward({ dy: f32(30) }), /`dy` must have 36 elements, received 30/, ShapeError);
add("recurrentSequenceBackward", "long mask", lstmSequenceBackward({ mask: f32(9) }), /`mask` must have 8 elements, received 9/, ShapeError);
add("recurrentSequenceBackward", "dInitialH aliases dInitialC", (b) => {
  const shared = f32(6);
  lstmSequenceBackward({ dInitialH: shared, dInitialC: shared })(b);
}, /the output `dInitialH` shares memory with `dInitialC`/);
add("recurrentSequenceBackward", "float64 dProjected", lstmSequenceBackward({ dProjected: f64(96) }), /same dtype/);

describe("native backend rejects bad kernel calls", { skip }, () => {
  const backend = available ? nativeBackend() : null;
  for (const c of cases) {
    test(c.name, () => {
      assert.throws(
        () => c.call(backend!),
        (error: unknown) => {
          assert.ok(error instanceof c.error, `expected a ${c.error.name}, received ${String(error)}`);
          assert.match((error as Error).message, c.message);
          assert.match((error as Error).message, new RegExp(`^${c.kernel}: `), "the message starts with the kernel name");
          return true;
        },
      );
    });
  }

  test("every native kernel has a guard case", () => {
    const prototype = NativeBackend.prototype as unknown as Record<string, unknown>;
    const kernels = Object.getOwnPropertyNames(prototype).filter((name) => {
      const descriptor = Object.getOwnPropertyDescriptor(prototype, name)!;
      return name !== "constructor" && typeof descriptor.value === "function";
    });
    const covered = new Set<string>(cases.map((c) => c.kernel));
    assert.deepEqual(kernels.filter((name) => !covered.has(name)), []);
  });
});

// The addon's own checks, reached only by code that calls it without the native backend.
interface AddonCase {
  name: string;
  fn: string;
  args: unknown[];
  message: RegExp;
}

const a32 = (n: number) => new Float32Array(n);
const window16 = (values: number[]) => Int32Array.from(values);
// The 22 geometry fields of native/src/conv.h: the 2-D window, the channel slice, then depth 1, window 1, stride 1, dilation 1, padding 0, output 1.
const goodWindow = [2, 4, 4, 3, 2, 2, 1, 1, 1, 1, 0, 0, 3, 3, 0, 3, 1, 1, 1, 1, 0, 1];
const lstmStep = (values: number[]) => Int32Array.from(values);

// Views of one buffer: int32 labels or indices in its first 8 bytes, and a float32 output from byte 4.
const sharedLabels = () => {
  const buffer = new ArrayBuffer(64);
  return { labels: new Int32Array(buffer, 0, 2), out: (length: number) => new Float32Array(buffer, 4, length) };
};
const SHARED_INDICES = /an output shares memory with the indices or labels/;
const sparseLoss = sharedLabels();
const sparseGrad = sharedLabels();
const softmaxProbs = sharedLabels();
const softmaxGrad = sharedLabels();
const gatherOut = sharedLabels();

const addonCases: AddonCase[] = [
  { name: "loss over the labels", fn: "sparseCategoricalCrossentropy", args: [a32(6), sparseLoss.labels, sparseLoss.out(2), 2, 3, 1e-7], message: SHARED_INDICES },
  { name: "grad over the labels", fn: "crossentropyBackward", args: [a32(6), sparseGrad.labels, a32(2), sparseGrad.out(6), 2, 3, 1e-7, true, false], message: SHARED_INDICES },
  { name: "probs over the labels", fn: "softmaxCrossentropy", args: [a32(6), softmaxProbs.labels, true, a32(2), softmaxProbs.out(6), 2, 3], message: SHARED_INDICES },
  { name: "grad over the labels", fn: "softmaxCrossentropyBackward", args: [a32(6), softmaxGrad.labels, true, a32(2), softmaxGrad.out(6), 2, 3], message: SHARED_INDICES },
  { name: "out over the indices", fn: "gatherRows", args: [a32(6), 2, gatherOut.labels, gatherOut.out(4)], message: SHARED_INDICES },
  { name: "too few arguments", fn: "matmul", args: [a32(4), a32(4)], message: /expected 9 arguments, received 2/ },
  { name: "size beyond int32", fn: "matmul", args: [a32(4), a32(4), a32(4), 2 ** 31, 2, 2, false, false, false], message: /argument 3 must be an integer size from 0 to 2147483647/ },
  { name: "short output", fn: "unary", args: [0, a32(4), a32(3)], message: /argument 2 has 3 elements, at least 4/ },
  { name: "op code out of range", fn: "unaryBackward", args: [9, a32(1), a32(1), a32(1), a32(1)], message: /unknown operation code/ },
  { name: "period not dividing the output", fn: "binary", args: [0, a32(5), a32(2), a32(5), 2, false], message: /period must divide the output size/ },
  { name: "string in place of an array", fn: "affine", args: ["x", 1, 0, a32(1)], message: /expected a typed array|must be a typed array/ },
  { name: "string in place of a number", fn: "clip", args: [a32(2), "0", 1, a32(2)], message: /argument 1 must be a number/ },
  { name: "NaN size", fn: "sum2d", args: [a32(4), Number.NaN, 2, 0, a32(2)], message: /argument 1 must be an integer size/ },
  { name: "rows without columns", fn: "argmax", args: [a32(0), 2, 0, new Int32Array(2)], message: /rows need at least one column/ },
  { name: "index out of range", fn: "gatherRows", args: [a32(4), 2, Int32Array.from([2]), a32(2)], message: /row index out of range/ },
  { name: "float32 indices", fn: "gatherRows", args: [a32(4), 2, a32(1), a32(2)], message: /argument 2 has the wrong element type/ },
  { name: "fractional size", fn: "softmax", args: [a32(4), a32(4), 1.5, 2], message: /argument 2 must be an integer size/ },
  { name: "negative size", fn: "softmaxBackward", args: [a32(4), a32(4), a32(4), -2, 2], message: /argument 3 must be an integer size/ },
  { name: "unknown activation code", fn: "denseForward", args: [a32(4), a32(4), null, a32(4), 2, 2, 2, 7], message: /unknown operation code/ },
  { name: "short kernel", fn: "denseBackward", args: [a32(4), a32(3), a32(4), a32(4), a32(4), null, null, null, 2, 2, 2, 0], message: /argument 1 has 3 elements, at least 4/ },
  { name: "short labels", fn: "categoricalCrossentropy", args: [a32(6), a32(5), a32(2), 2, 3, 1e-7], message: /argument 1 has 5 elements/ },
  { name: "label out of range", fn: "sparseCategoricalCrossentropy", args: [a32(6), Int32Array.from([0, 3]), a32(2), 2, 3, 1e-7], message: /class label out of range/ },
  { name: "negative sparse label", fn: "crossentropyBackward", args: [a32(6), Int32Array.from([-1, 0]), a32(2), a32(6), 2, 3, 1e-7, true, true], message: /class label out of range/ },
  { name: "short loss", fn: "binaryCrossentropy", args: [a32(6), a32(6), a32(1), 2, 3, 1e-7], message: /argument 2 has 1 elements, at least 2/ },
  { name: "short grad", fn: "binaryCrossentropyBackward", args: [a32(6), a32(6), a32(2), a32(5), 2, 3, 1e-7], message: /argument 3 has 5 elements/ },
  { name: "short velocity", fn: "adamUpdate", args: [a32(4), a32(4), a32(4), a32(3), null, 1e-3, 0.9, 0.999, 1e-7, 1], message: /argument 3 has 3 elements, at least 4/ },
  { name: "number in place of nesterov", fn: "sgdUpdate", args: [a32(4), a32(4), null, 0.1, 0, 1], message: /argument 5 must be a boolean/ },
  { name: "zero threads", fn: "setThreads", args: [0], message: /thread count must be an integer from 1 to 256/ },
  { name: "fractional threads", fn: "setThreads", args: [1.5], message: /thread count must be an integer from 1 to 256/ },
  { name: "unknown instruction set level", fn: "setIsaLimit", args: [3], message: /unknown operation code/ },
  { name: "short geometry", fn: "im2col", args: [a32(96), a32(216), window16(goodWindow.slice(0, 16))], message: /argument 2 has 16 elements, at least 22/ },
  { name: "negative geometry entry", fn: "col2im", args: [a32(216), a32(96), window16(goodWindow.map((v, i) => (i === 10 ? -1 : v)))], message: /must be non-negative/ },
  { name: "zero stride", fn: "maxPool", args: [a32(96), a32(54), window16(goodWindow.map((v, i) => (i === 6 ? 0 : v)))], message: /at least 1/ },
  { name: "channel slice past the channels", fn: "maxPoolBackward", args: [a32(96), a32(54), a32(96), window16(goodWindow.map((v, i) => (i === 14 ? 1 : v)))], message: /channel slice exceeds the channels/ },
  { name: "geometry beyond memory", fn: "avgPool", args: [a32(1), a32(1), window16([2147483647, 2147483647, 2147483647, 2147483647, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 0, 1, 1, 1, 1, 1, 0, 1])], message: /more elements than memory can hold/ },
  { name: "short dx", fn: "avgPoolBackward", args: [a32(96), a32(54), a32(95), window16(goodWindow)], message: /argument 2 has 95 elements/ },
  { name: "short velocity", fn: "rmspropUpdate", args: [a32(4), a32(4), a32(3), null, null, 1e-3, 0.9, 0, 1e-7], message: /argument 2 has 3 elements/ },
  { name: "short accumulator", fn: "adagradUpdate", args: [a32(4), a32(4), a32(2), 1e-3, 1e-7], message: /argument 2 has 2 elements/ },
  { name: "string rho", fn: "adadeltaUpdate", args: [a32(4), a32(4), a32(4), a32(4), 1, "0.9", 1e-7], message: /argument 5 must be a number/ },
  { name: "short norm", fn: "adamaxUpdate", args: [a32(4), a32(4), a32(4), a32(1), 1e-3, 0.9, 0.999, 1e-7, 1], message: /argument 3 has 1 elements/ },
  { name: "too few arguments", fn: "nadamUpdate", args: [a32(4), a32(4), a32(4), a32(4), 1e-3, 0.9, 0.999, 1e-7, 1], message: /expected 10 arguments, received 9/ },
  { name: "float64 momentum", fn: "lionUpdate", args: [a32(4), a32(4), new Float64Array(4), 1e-4, 0.9, 0.99], message: /argument 2 has the wrong element type/ },
  { name: "short velocity", fn: "lambUpdate", args: [a32(4), a32(4), a32(4), a32(0), 1e-3, 0.9, 0.999, 1e-6, 1], message: /argument 3 has 0 elements/ },
  { name: "short linear", fn: "ftrlUpdate", args: [a32(4), a32(4), a32(4), a32(3), 1e-3, -0.5, 0, 0, 0], message: /argument 3 has 3 elements/ },
  { name: "factored sizes that overflow", fn: "adafactorUpdate", args: [a32(8), a32(8), a32(8), a32(4), a32(4), 4, 1, 2 ** 31 - 1, 1e-3, 0.8, 1e-30, 1e-3, 1], message: /argument 4 has 4 elements|batch \* rows \* cols must equal/ },
  { name: "short variable", fn: "emaUpdate", args: [a32(4), a32(3), 0.99], message: /argument 1 has 3 elements/ },
  { name: "string argument", fn: "findNonFinite", args: ["x"], message: /expected a typed array|must be a typed array/ },
  { name: "string argument", fn: "squaredNorm", args: ["x"], message: /expected a typed array|must be a typed array/ },
  { name: "op code out of range", fn: "activation", args: [99, a32(2), a32(2), 0, 0, 0], message: /unknown operation code/ },
  { name: "short dx", fn: "activationBackward", args: [0, a32(2), a32(2), a32(2), a32(1), 0, 0, 0], message: /argument 4 has 1 elements/ },
  { name: "glu with odd columns", fn: "rowActivation", args: [2, a32(6), a32(3), 2, 3], message: /glu needs an even number of columns/ },
  { name: "NaN rows", fn: "rowActivationBackward", args: [0, a32(6), a32(6), a32(6), a32(6), Number.NaN, 3], message: /argument 5 must be an integer size/ },
  { name: "label out of range", fn: "softmaxCrossentropy", args: [a32(6), Int32Array.from([0, 5]), true, a32(2), a32(6), 2, 3], message: /class label out of range/ },
  { name: "short grad", fn: "softmaxCrossentropyBackward", args: [a32(6), a32(6), false, a32(2), a32(5), 2, 3], message: /argument 4 has 5 elements/ },
  { name: "short labels", fn: "sigmoidCrossentropy", args: [a32(6), a32(5), a32(2), 2, 3], message: /argument 1 has 5 elements/ },
  { name: "short dLoss", fn: "sigmoidCrossentropyBackward", args: [a32(6), a32(6), a32(1), a32(6), 2, 3], message: /argument 2 has 1 elements/ },
  { name: "zero multiplier", fn: "depthwiseConv", args: [a32(96), a32(0), a32(0), 0, window16(goodWindow)], message: /multiplier must be at least 1/ },
  { name: "volume geometry", fn: "depthwiseConvBackward", args: [a32(192), a32(24), a32(216), null, null, 2, window16(goodWindow.map((v, i) => (i === 16 ? 2 : v)))], message: /take images only/ },
  { name: "sizes whose product overflows", fn: "batchNormForward", args: [a32(1), 2147483647, 2147483647, 2147483647, null, null, null, a32(1), a32(1), true, 1e-3, a32(1)], message: /outer \* channels \* inner overflows/ },
  { name: "short dy", fn: "batchNormBackward", args: [a32(6), 2, 3, 1, null, null, a32(3), a32(3), true, 1e-3, a32(5), null, null, null], message: /argument 10 has 5 elements/ },
  { name: "short statistics", fn: "layerNormForward", args: [a32(6), 2, 3, null, null, 1e-3, false, a32(6), a32(1), a32(2)], message: /argument 8 has 1 elements/ },
  { name: "short dx", fn: "layerNormBackward", args: [a32(6), 2, 3, null, a32(2), a32(2), false, a32(6), a32(5), null, null], message: /argument 8 has 5 elements/ },
  { name: "sizes whose product overflows", fn: "recurrentGatesForward", args: [lstmStep([1, 3, 2, 2147483647, 1073741824, 2147483647, 0, 0]), ...new Array(11).fill(a32(16))], message: /batch \* steps \* gates \* units overflows/ },
  { name: "step past the steps", fn: "recurrentGatesBackward", args: [lstmStep([0, 3, 2, 1, 1, 2, 2, 0]), ...new Array(12).fill(a32(4))], message: /step index must be below the number of steps/ },
  { name: "sizes whose product overflows", fn: "recurrentSequenceForward", args: [lstmStep([1, 3, 2, 2147483647, 1073741824, 2147483647, 0, 0]), ...new Array(9).fill(a32(16))], message: /batch \* steps \* gates \* units overflows/ },
  { name: "short output", fn: "recurrentSequenceForward", args: [lstmStep([1, 3, 2, 2, 3, 4, 0, 0]), a32(96), a32(36), null, null, a32(30), a32(30), a32(96), a32(24), a32(35)], message: /argument 9 has 35 elements, at least 36/ },
  { name: "unknown activation code", fn: "recurrentSequenceBackward", args: [lstmStep([1, 9, 2, 2, 3, 4, 0, 0]), ...new Array(11).fill(a32(96))], message: /unknown recurrent cell or activation code/ },
  { name: "negative size", fn: "recurrentSequenceBackward", args: [lstmStep([1, 3, 2, -2, 3, 4, 0, 0]), ...new Array(11).fill(a32(96))], message: /must be non-negative/ },
  { name: "unknown cell kind", fn: "recurrentGatesBackward", args: [lstmStep([3, 3, 2, 1, 1, 2, 0, 0]), ...new Array(12).fill(a32(4))], message: /unknown recurrent cell/ },
];

describe("native addon rejects bad calls itself", { skip }, () => {
  const addon = available ? (nativeBackend().addon as unknown as Record<string, (...args: unknown[]) => unknown>) : {};
  for (const c of addonCases) {
    test(`${c.fn} ${c.name}`, () => {
      assert.throws(() => addon[c.fn]!(...c.args), (error: unknown) => {
        assert.ok(error instanceof RangeError, `expected a RangeError, received ${String(error)}`);
        assert.match((error as Error).message, new RegExp(`^stratum native ${c.fn}: `));
        assert.match((error as Error).message, c.message);
        return true;
      });
    });
  }

  test("every addon function has a case", () => {
    const covered = new Set(addonCases.map((c) => c.fn));
    const untested = Object.keys(addon).filter((name) => name !== "info" && !covered.has(name));
    assert.deepEqual(untested, []);
  });

  test("empty arrays reach no kernel memory", () => {
    const empty = a32(0);
    assert.doesNotThrow(() => {
      (addon["sum2d"] as (...args: unknown[]) => void)(empty, 0, 0, 0, empty);
      (addon["gatherRows"] as (...args: unknown[]) => void)(empty, 1, new Int32Array(0), empty);
      (addon["matmul"] as (...args: unknown[]) => void)(empty, empty, empty, 0, 0, 0, false, false, false);
      (addon["softmax"] as (...args: unknown[]) => void)(empty, empty, 0, 5);
      (addon["batchNormForward"] as (...args: unknown[]) => void)(empty, 0, 0, 0, null, null, null, empty, empty, true, 1e-3, empty);
    });
  });
});
