// Runs every kernel on the native backend and on the TypeScript reference with
// the same float32 inputs, and requires the results to agree to float32 tolerance.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Backend, BinaryOp, FusedActivation, UnaryOp, WindowGeometry } from "../../src/backend/backend.js";
import type { ActivationOp, RowActivationOp } from "../../src/backend/backend.js";
import { listBackends, nativeBackendError, setBackend, getBackend } from "../../src/backend/registry.js";
import type { NativeBackend } from "../../src/backend/native/index.js";
import { TypeScriptBackend } from "../../src/backend/typescript/index.js";
import { assertClose } from "../helpers/close.js";
import { sampleArray } from "../helpers/values.js";

const reference = new TypeScriptBackend();

function nativeBackend(): Backend | null {
  if (!listBackends().includes("native")) return null;
  const previous = getBackend().name;
  setBackend("native");
  const backend = getBackend();
  setBackend(previous);
  return backend;
}

const f32 = (count: number, seed: number, low = -1, high = 1): Float32Array =>
  sampleArray("float32", count, seed, low, high) as Float32Array;

interface ParityCase {
  name: string;
  kernel: keyof Backend;
  /** Runs the kernel on `backend` with fresh copies of the inputs and returns the arrays it wrote. */
  run: (backend: Backend) => (Float32Array | Int32Array)[];
  rtol?: number;
  atol?: number;
}

const cases: ParityCase[] = [];

const UNARY: UnaryOp[] = ["neg", "abs", "exp", "log", "sqrt", "square", "relu", "sigmoid", "tanh"];
for (const op of UNARY) {
  const positive = op === "log" || op === "sqrt";
  cases.push({
    name: `unary ${op}`,
    kernel: "unary",
    run: (backend) => {
      const x = f32(37, 1, positive ? 0.1 : -4, 4);
      const out = new Float32Array(37);
      backend.unary(op, x, out);
      return [out];
    },
  });
  cases.push({
    name: `unaryBackward ${op}`,
    kernel: "unaryBackward",
    run: (backend) => {
      const x = f32(37, 2, positive ? 0.1 : -4, 4);
      const y = new Float32Array(37);
      reference.unary(op, x, y);
      const dx = new Float32Array(37);
      backend.unaryBackward(op, x, y, f32(37, 3), dx);
      return [dx];
    },
  });
}

const BINARY: BinaryOp[] = ["add", "sub", "mul", "div", "maximum", "minimum"];
const BROADCASTS: [string, number[], number[]][] = [
  ["same shape", [4, 5], [4, 5]],
  ["scalar right", [4, 5], []],
  ["scalar left", [], [4, 5]],
  ["row right", [4, 5], [5]],
  ["row left", [1, 5], [4, 5]],
  ["column", [4, 1], [4, 5]],
  ["outer", [4, 1], [1, 5]],
];
for (const op of BINARY) {
  for (const [label, aShape, bShape] of BROADCASTS) {
    cases.push({
      name: `binary ${op} ${label}`,
      kernel: "binary",
      run: (backend) => {
        const size = (s: number[]) => s.reduce((p, d) => p * d, 1);
        const outShape = [4, 5];
        const a = f32(size(aShape), 4, 0.5, 2);
        const b = f32(size(bShape), 5, 0.5, 2);
        const out = new Float32Array(20);
        backend.binary(op, a, aShape, b, bShape, out, outShape);
        return [out];
      },
    });
  }
}

cases.push({
  name: "affine",
  kernel: "affine",
  run: (backend) => {
    const out = new Float32Array(50);
    backend.affine(f32(50, 6), 0.37, -1.5, out);
    return [out];
  },
});
cases.push({
  name: "clip",
  kernel: "clip",
  run: (backend) => {
    const out = new Float32Array(50);
    backend.clip(f32(50, 7, -2, 2), -0.5, 0.75, out);
    return [out];
  },
});

const MATMUL_SIZES: [number, number, number][] = [
  [1, 1, 1],
  [3, 5, 4],
  [17, 33, 9],
  [32, 784, 64],
  [32, 64, 10],
  [1, 784, 64],
  [70, 70, 70],
  [0, 3, 2],
  // Fewer than 16 columns and over a million multiply-adds: the native kernels compute cᵀ = op(b)ᵀ · op(a)ᵀ.
  [256, 1024, 10],
];
/** Adds a matmul case on `a` (made with its seed), a random b and a random starting c. */
function addMatmulCase(label: string, [m, k, n]: [number, number, number], transposeA: boolean, transposeB: boolean,
  accumulate: boolean, makeA: (count: number, seed: number) => Float32Array = f32): void {
  cases.push({
    name: `matmul ${transposeA ? "aT" : "a"}·${transposeB ? "bT" : "b"}${label} [${m}, ${k}, ${n}]${accumulate ? " accumulate" : ""}`,
    kernel: "matmul",
    // The TypeScript kernel rounds its float32 output after every four products, so over
    // k = 784 terms its own error reaches about 1e-5; the native kernel sums in registers.
    rtol: 1e-4,
    atol: 5e-5,
    run: (backend) => {
      const out = f32(m * n, 10);
      backend.matmul(makeA(m * k, 8), f32(k * n, 9), out, m, k, n, transposeA, transposeB, accumulate);
      return [out];
    },
  });
}

for (const transposeA of [false, true]) {
  for (const transposeB of [false, true]) {
    for (const size of MATMUL_SIZES) {
      for (const accumulate of [false, true]) addMatmulCase("", size, transposeA, transposeB, accumulate);
    }
  }
}

// Mostly-zero left operands, as a batch of images gives: the native backend leaves out the zeros
// in products of at least 2^20 multiply-adds. About 80% of the stored a is zeros, in runs of 77
// with 20 values between them, as in images. With AVX-512 the native backend keeps the steps where
// any row of a block of 4 is nonzero, so it leaves out the zeros only when they come in runs.
// n = 330 ends in a partial block of 64 columns, and rows of 300 and 590 end in a partial vector.
const sparseArray = (count: number, seed: number): Float32Array => {
  const values = f32(count, seed);
  for (let i = 0; i < count; i++) if ((i + seed) % 97 >= 20) values[i] = 0;
  return values;
};
for (const size of [
  [32, 784, 64],
  [256, 784, 384],
  [300, 590, 330],
] as [number, number, number][]) {
  for (const transposeA of [false, true]) {
    for (const accumulate of [false, true]) addMatmulCase(" with 80% zeros in a", size, transposeA, false, accumulate, sparseArray);
  }
}
for (const activation of ["relu", "sigmoid", "linear"] as const) {
  cases.push({
    name: `denseForward ${activation} with bias and 80% zeros in x`,
    kernel: "denseForward",
    rtol: 1e-4,
    atol: 1e-5,
    run: (backend) => {
      const [m, k, n] = [256, 784, 340];
      const out = new Float32Array(m * n);
      backend.denseForward({ x: sparseArray(m * k, 21), kernel: f32(k * n, 22), bias: f32(n, 23), out, m, k, n, activation });
      return [out];
    },
  });
}
// A zero of a times NaN or infinity in b is NaN, so those must not be left out.
for (const [label, bad] of [
  ["NaN", Number.NaN],
  ["infinity", Number.POSITIVE_INFINITY],
] as const) {
  for (const transposeA of [false, true]) {
    cases.push({
      name: `matmul ${transposeA ? "aT" : "a"}·b with 80% zeros in a and ${label} in b`,
      kernel: "matmul",
      rtol: 1e-4,
      atol: 5e-5,
      run: (backend) => {
        const [m, k, n] = [256, 784, 384];
        const a = sparseArray(m * k, 8);
        const b = f32(k * n, 9);
        // Row 700 of op(b) meets only zeros of op(a): column 700 of op(a) is zero in every row.
        // The native check of b runs in blocks of rows, and row 700 is in a late one.
        for (let i = 0; i < m; i++) a[transposeA ? 700 * m + i : i * k + 700] = 0;
        b[700 * n + 3] = bad;
        const out = new Float32Array(m * n);
        backend.matmul(a, b, out, m, k, n, transposeA, false, false);
        for (let i = 0; i < m; i++) assert.ok(Number.isNaN(out[i * n + 3]), `row ${i}, column 3 is NaN`);
        return [out];
      },
    });
  }
}

for (const [label, shape, axes] of [
  ["rows", [6, 7], [0]],
  ["columns", [6, 7], [1]],
  ["all", [6, 7], [0, 1]],
  ["rank 3", [3, 4, 5], [1]],
] as [string, number[], number[]][]) {
  cases.push({
    name: `sum ${label}`,
    kernel: "sum",
    run: (backend) => {
      const outSize = shape.filter((_, i) => !axes.includes(i)).reduce((p, d) => p * d, 1);
      const out = new Float32Array(outSize);
      backend.sum(f32(shape.reduce((p, d) => p * d, 1), 11), shape, axes, out);
      return [out];
    },
  });
}

cases.push({
  name: "broadcastTo",
  kernel: "broadcastTo",
  run: (backend) => {
    const out = new Float32Array(12);
    backend.broadcastTo(f32(4, 12), [1, 4], out, [3, 4]);
    return [out];
  },
});
cases.push({
  name: "argmax",
  kernel: "argmax",
  run: (backend) => {
    const x = f32(60, 13);
    x[3] = x[7] = 5; // a tie in row 0: the first index wins
    const out = new Int32Array(6);
    backend.argmax(x, 6, 10, out);
    return [out];
  },
});
cases.push({
  name: "gatherRows",
  kernel: "gatherRows",
  run: (backend) => {
    const out = new Float32Array(3 * 4);
    backend.gatherRows(f32(5 * 4, 14), 4, Int32Array.from([4, 0, 2]), out);
    return [out];
  },
});
// 300 rows of 784 floats: above the size at which the native copy is split across threads, with a partial last task.
cases.push({
  name: "gatherRows of a large batch",
  kernel: "gatherRows",
  run: (backend) => {
    const [rows, count, size] = [500, 300, 784];
    const indices = Int32Array.from({ length: count }, (_, i) => (i * 7919) % rows);
    const out = new Float32Array(count * size);
    backend.gatherRows(f32(rows * size, 15), size, indices, out);
    return [out];
  },
});
cases.push({
  name: "softmax",
  kernel: "softmax",
  run: (backend) => {
    const out = new Float32Array(30);
    const x = f32(30, 15, -20, 20);
    x[0] = 1000;
    backend.softmax(x, out, 3, 10);
    return [out];
  },
});
cases.push({
  name: "softmaxBackward",
  kernel: "softmaxBackward",
  run: (backend) => {
    const y = new Float32Array(30);
    reference.softmax(f32(30, 16, -3, 3), y, 3, 10);
    const dx = new Float32Array(30);
    backend.softmaxBackward(y, f32(30, 17), dx, 3, 10);
    return [dx];
  },
});

const ACTIVATIONS: FusedActivation[] = ["linear", "relu", "sigmoid", "tanh"];
for (const activation of ACTIVATIONS) {
  for (const withBias of [true, false]) {
    const [m, k, n] = [9, 13, 6];
    const label = `${activation}${withBias ? "" : " without bias"}`;
    cases.push({
      name: `denseForward ${label}`,
      kernel: "denseForward",
      rtol: 1e-4,
      atol: 1e-5,
      run: (backend) => {
        const out = new Float32Array(m * n);
        backend.denseForward({ x: f32(m * k, 18), kernel: f32(k * n, 19), bias: withBias ? f32(n, 20) : null, out, m, k, n, activation });
        return [out];
      },
    });
    cases.push({
      name: `denseBackward ${label}`,
      kernel: "denseBackward",
      rtol: 1e-4,
      atol: 1e-5,
      run: (backend) => {
        const x = f32(m * k, 21);
        const kernel = f32(k * n, 22);
        const y = new Float32Array(m * n);
        reference.denseForward({ x, kernel, bias: null, out: y, m, k, n, activation });
        const dx = new Float32Array(m * k);
        const dKernel = new Float32Array(k * n);
        const dBias = withBias ? new Float32Array(n) : null;
        backend.denseBackward({ x, kernel, y, dy: f32(m * n, 23), dPre: new Float32Array(m * n), dx, dKernel, dBias, m, k, n, activation });
        return dBias ? [dx, dKernel, dBias] : [dx, dKernel];
      },
    });
  }
}

// The first shape is large enough for the packed, multithreaded matrix-multiply path, whose epilogue runs on
// the last block of k only. The second is a Dense layer with 10 units after a wide one, computed transposed.
for (const [label, [m, k, n], seed] of [
  ["on the packed path", [70, 600, 300], 24],
  ["with 10 units", [256, 1024, 10], 27],
] as [string, [number, number, number], number][]) {
  for (const activation of ACTIVATIONS) {
    cases.push({
      name: `denseForward ${activation} ${label}`,
      kernel: "denseForward",
      rtol: 1e-4,
      atol: 1e-4,
      run: (backend) => {
        const out = new Float32Array(m * n);
        backend.denseForward({ x: f32(m * k, seed), kernel: f32(k * n, seed + 1), bias: f32(n, seed + 2), out, m, k, n, activation });
        return [out];
      },
    });
  }
}

// Softmax runs after the product, on each row of the output: one row of 10 classes, as one-sample predict
// computes it, a batch on the sparse path, and a product on the packed path.
for (const [label, [m, k, n], sparse, seed] of [
  ["one row", [1, 784, 10], false, 28],
  ["80% zeros in x", [256, 784, 64], true, 31],
  ["on the packed path", [70, 600, 300], false, 34],
] as [string, [number, number, number], boolean, number][]) {
  cases.push({
    name: `denseForward softmax, ${label}`,
    kernel: "denseForward",
    rtol: 1e-4,
    atol: 1e-6,
    run: (backend) => {
      const out = new Float32Array(m * n);
      const x = sparse ? sparseArray(m * k, seed) : f32(m * k, seed);
      backend.denseForward({ x, kernel: f32(k * n, seed + 1), bias: f32(n, seed + 2), out, m, k, n, activation: "softmax" });
      return [out];
    },
  });
}

function probabilities(rows: number, classes: number, seed: number): Float32Array {
  const p = new Float32Array(rows * classes);
  reference.softmax(f32(rows * classes, seed, -3, 3), p, rows, classes);
  p[1] = 0; // an exact zero exercises the clip
  return p;
}
const oneHot = (labels: number[], classes: number): Float32Array => {
  const y = new Float32Array(labels.length * classes);
  labels.forEach((label, r) => (y[r * classes + label] = 1));
  return y;
};
const LABELS = [1, 0, 3, 2, 3];

cases.push({
  name: "categoricalCrossentropy",
  kernel: "categoricalCrossentropy",
  run: (backend) => {
    const loss = new Float32Array(5);
    backend.categoricalCrossentropy({ probs: probabilities(5, 4, 24), labels: oneHot(LABELS, 4), loss, rows: 5, classes: 4, epsilon: 1e-7 });
    return [loss];
  },
});
cases.push({
  name: "sparseCategoricalCrossentropy",
  kernel: "sparseCategoricalCrossentropy",
  run: (backend) => {
    const loss = new Float32Array(5);
    backend.sparseCategoricalCrossentropy({ probs: probabilities(5, 4, 25), labels: Int32Array.from(LABELS), loss, rows: 5, classes: 4, epsilon: 1e-7 });
    return [loss];
  },
});
for (const sparse of [false, true]) {
  for (const throughSoftmax of [false, true]) {
    cases.push({
      name: `crossentropyBackward${sparse ? " sparse" : ""}${throughSoftmax ? " through softmax" : ""}`,
      kernel: "crossentropyBackward",
      run: (backend) => {
        const grad = new Float32Array(20);
        backend.crossentropyBackward({
          probs: probabilities(5, 4, 26),
          labels: sparse ? Int32Array.from(LABELS) : oneHot(LABELS, 4),
          dLoss: f32(5, 27, 0.1, 1),
          grad,
          rows: 5,
          classes: 4,
          epsilon: 1e-7,
          sparse,
          throughSoftmax,
        });
        return [grad];
      },
    });
  }
}
cases.push({
  name: "binaryCrossentropy",
  kernel: "binaryCrossentropy",
  run: (backend) => {
    const loss = new Float32Array(4);
    const probs = f32(12, 28, 0, 1);
    probs[0] = 0;
    probs[1] = 1;
    backend.binaryCrossentropy({ probs, labels: Float32Array.from([1, 0, 1, 1, 0, 0, 1, 0, 1, 0, 1, 1]), loss, rows: 4, cols: 3, epsilon: 1e-7 });
    return [loss];
  },
});
cases.push({
  name: "binaryCrossentropyBackward",
  kernel: "binaryCrossentropyBackward",
  run: (backend) => {
    const grad = new Float32Array(12);
    backend.binaryCrossentropyBackward({
      probs: f32(12, 29, 0.05, 0.95),
      labels: Float32Array.from([1, 0, 1, 1, 0, 0, 1, 0, 1, 0, 1, 1]),
      dLoss: f32(4, 30, 0.1, 1),
      grad,
      rows: 4,
      cols: 3,
      epsilon: 1e-7,
    });
    return [grad];
  },
});
for (const amsgrad of [false, true]) {
  for (const size of [7, 40000]) {
    cases.push({
      name: `adamUpdate${amsgrad ? " amsgrad" : ""} size ${size}`,
      kernel: "adamUpdate",
      run: (backend) => {
        const variable = f32(size, 31);
        const momentum = f32(size, 32, -0.1, 0.1);
        const velocity = f32(size, 33, 0, 0.1);
        const velocityHat = amsgrad ? f32(size, 34, 0, 0.1) : null;
        for (let step = 1; step <= 3; step++) {
          backend.adamUpdate({
            variable,
            gradient: f32(size, 35 + step),
            momentum,
            velocity,
            velocityHat,
            learningRate: Math.fround(0.01),
            beta1: 0.9,
            beta2: 0.999,
            epsilon: 1e-7,
            step,
          });
        }
        return velocityHat ? [variable, momentum, velocity, velocityHat] : [variable, momentum, velocity];
      },
    });
  }
}
for (const [label, momentumFactor, nesterov] of [
  ["plain", 0, false],
  ["momentum", 0.9, false],
  ["nesterov", 0.9, true],
] as [string, number, boolean][]) {
  cases.push({
    name: `sgdUpdate ${label}`,
    kernel: "sgdUpdate",
    run: (backend) => {
      const variable = f32(33, 40);
      const momentum = momentumFactor === 0 ? null : f32(33, 41, -0.1, 0.1);
      backend.sgdUpdate({ variable, gradient: f32(33, 42), momentum, learningRate: Math.fround(0.1), momentumFactor, nesterov });
      return momentum ? [variable, momentum] : [variable];
    },
  });
}

// Optimizer kernels run three steps from random state. The large sizes run on the thread pool.
const OPTIMIZER_TOLERANCE = { rtol: 1e-5, atol: 1e-6 };
for (const [label, withMomentum, centered, size] of [
  ["plain", false, false, 33],
  ["momentum", true, false, 33],
  ["centered", false, true, 33],
  ["centered momentum threaded", true, true, 300000],
] as [string, boolean, boolean, number][]) {
  cases.push({
    name: `rmspropUpdate ${label}`,
    kernel: "rmspropUpdate",
    ...OPTIMIZER_TOLERANCE,
    run: (backend) => {
      const variable = f32(size, 50);
      const velocity = f32(size, 51, 0.5, 1);
      const momentum = withMomentum ? f32(size, 52, -0.1, 0.1) : null;
      const averageGradient = centered ? f32(size, 53, -0.1, 0.1) : null;
      for (let step = 1; step <= 3; step++) {
        backend.rmspropUpdate({
          variable,
          gradient: f32(size, 54 + step),
          velocity,
          momentum,
          averageGradient,
          learningRate: Math.fround(0.01),
          rho: 0.9,
          momentumFactor: withMomentum ? 0.9 : 0,
          epsilon: 1e-7,
        });
      }
      return [variable, velocity, ...(momentum ? [momentum] : []), ...(averageGradient ? [averageGradient] : [])];
    },
  });
}
cases.push({
  name: "adagradUpdate",
  kernel: "adagradUpdate",
  ...OPTIMIZER_TOLERANCE,
  run: (backend) => {
    const variable = f32(33, 60);
    const accumulator = f32(33, 61, 0.1, 1);
    for (let step = 1; step <= 3; step++) {
      backend.adagradUpdate({ variable, gradient: f32(33, 61 + step), accumulator, learningRate: Math.fround(0.1), epsilon: 1e-7 });
    }
    return [variable, accumulator];
  },
});
cases.push({
  name: "adadeltaUpdate",
  kernel: "adadeltaUpdate",
  ...OPTIMIZER_TOLERANCE,
  run: (backend) => {
    const variable = f32(33, 65);
    const accumulatedGrad = f32(33, 66, 0, 1);
    const accumulatedDeltaVar = f32(33, 67, 0, 0.1);
    for (let step = 1; step <= 3; step++) {
      backend.adadeltaUpdate({ variable, gradient: f32(33, 67 + step), accumulatedGrad, accumulatedDeltaVar, learningRate: 1, rho: 0.95, epsilon: 1e-7 });
    }
    return [variable, accumulatedGrad, accumulatedDeltaVar];
  },
});
cases.push({
  name: "adamaxUpdate",
  kernel: "adamaxUpdate",
  ...OPTIMIZER_TOLERANCE,
  run: (backend) => {
    const variable = f32(33, 71);
    const momentum = f32(33, 72, -0.1, 0.1);
    const norm = f32(33, 73, 0, 1);
    for (let step = 1; step <= 3; step++) {
      backend.adamaxUpdate({ variable, gradient: f32(33, 73 + step), momentum, norm, learningRate: Math.fround(0.01), beta1: 0.9, beta2: 0.999, epsilon: 1e-7, step });
    }
    return [variable, momentum, norm];
  },
});
cases.push({
  name: "nadamUpdate",
  kernel: "nadamUpdate",
  ...OPTIMIZER_TOLERANCE,
  run: (backend) => {
    const variable = f32(33, 77);
    const momentum = f32(33, 78, -0.1, 0.1);
    const velocity = f32(33, 79, 0, 0.1);
    let product = 1;
    for (let step = 1; step <= 3; step++) {
      product = Math.fround(product * 0.9 * (1 - 0.5 * 0.96 ** step));
      backend.nadamUpdate({
        variable,
        gradient: f32(33, 79 + step),
        momentum,
        velocity,
        learningRate: Math.fround(0.01),
        beta1: 0.9,
        beta2: 0.999,
        epsilon: 1e-7,
        step,
        momentumProduct: product,
      });
    }
    return [variable, momentum, velocity];
  },
});
for (const size of [33, 300000]) {
  cases.push({
    name: `lionUpdate size ${size}`,
    kernel: "lionUpdate",
    ...OPTIMIZER_TOLERANCE,
    run: (backend) => {
      const variable = f32(size, 83);
      const momentum = f32(size, 84, -0.1, 0.1);
      for (let step = 1; step <= 3; step++) {
        backend.lionUpdate({ variable, gradient: f32(size, 84 + step), momentum, learningRate: Math.fround(0.01), beta1: 0.9, beta2: 0.99 });
      }
      return [variable, momentum];
    },
  });
}
cases.push({
  name: "lambUpdate",
  kernel: "lambUpdate",
  ...OPTIMIZER_TOLERANCE,
  run: (backend) => {
    const variable = f32(33, 88);
    const momentum = f32(33, 89, -0.1, 0.1);
    const velocity = f32(33, 90, 0, 0.1);
    for (let step = 1; step <= 3; step++) {
      backend.lambUpdate({ variable, gradient: f32(33, 90 + step), momentum, velocity, learningRate: Math.fround(0.01), beta1: 0.9, beta2: 0.999, epsilon: 1e-7, step });
    }
    return [variable, momentum, velocity];
  },
});
cases.push({
  name: "ftrlUpdate",
  kernel: "ftrlUpdate",
  ...OPTIMIZER_TOLERANCE,
  run: (backend) => {
    const variable = f32(33, 94);
    const accumulator = f32(33, 95, 0.1, 1);
    const linear = f32(33, 96, -0.1, 0.1);
    for (let step = 1; step <= 3; step++) {
      backend.ftrlUpdate({
        variable,
        gradient: f32(33, 96 + step),
        accumulator,
        linear,
        learningRate: Math.fround(0.1),
        learningRatePower: -0.5,
        l1: 0.01,
        l2: 0.02,
        l2Shrinkage: 0.03,
      });
    }
    return [variable, accumulator, linear];
  },
});
for (const [label, shape] of [
  ["vector", [12]],
  ["matrix", [4, 6]],
  ["rank 3", [2, 3, 5]],
] as [string, number[]][]) {
  cases.push({
    name: `adafactorUpdate ${label}`,
    kernel: "adafactorUpdate",
    ...OPTIMIZER_TOLERANCE,
    run: (backend) => {
      const size = shape.reduce((p, d) => p * d, 1);
      const factored = shape.length >= 2;
      const rows = factored ? shape[shape.length - 2]! : 1;
      const cols = factored ? shape[shape.length - 1]! : size;
      const batch = size / (rows * cols);
      const variable = f32(size, 100);
      const velocity = f32(size, 101, 0.1, 1);
      const rowFactor = factored ? f32(batch * rows, 102, 0.1, 1) : null;
      const columnFactor = factored ? f32(batch * cols, 103, 0.1, 1) : null;
      for (let step = 1; step <= 3; step++) {
        backend.adafactorUpdate({
          variable,
          gradient: f32(size, 103 + step),
          velocity,
          rowFactor,
          columnFactor,
          batch,
          rows,
          cols,
          relativeStep: Math.fround(Math.min(0.01, 1 / Math.sqrt(step))),
          beta2: Math.fround(1 - step ** -0.8),
          epsilon1: 1e-30,
          epsilon2: 1e-3,
          clipThreshold: 1,
        });
      }
      return [variable, velocity, ...(rowFactor ? [rowFactor] : []), ...(columnFactor ? [columnFactor] : [])];
    },
  });
}
for (const size of [33, 300000]) {
  cases.push({
    name: `emaUpdate size ${size}`,
    kernel: "emaUpdate",
    ...OPTIMIZER_TOLERANCE,
    run: (backend) => {
      const average = f32(size, 110);
      backend.emaUpdate({ average, variable: f32(size, 111), momentum: Math.fround(0.99) });
      return [average];
    },
  });
}
cases.push({
  name: "squaredNorm",
  kernel: "squaredNorm",
  run: (backend) => [Float32Array.of(backend.squaredNorm(f32(1001, 112)))],
});

// Window kernels: strides, dilation, padding on both sides, a channel slice, and one
// geometry large enough that the native kernels split the work across threads.
const WINDOWS: [string, WindowGeometry, number, number][] = [
  ["3x3", window(2, 5, 6, 3, [3, 3], [1, 1], [1, 1], [0, 0], [3, 4]), 0, 3],
  ["strided, padded", window(2, 7, 7, 4, [3, 2], [2, 3], [1, 1], [1, 0], [4, 3]), 0, 4],
  ["dilated, padded", window(1, 6, 8, 2, [2, 3], [1, 1], [2, 2], [1, 2], [6, 8]), 0, 2],
  ["channel slice", window(2, 5, 5, 6, [2, 2], [1, 1], [1, 1], [0, 0], [4, 4]), 2, 3],
  ["one-dimensional", window(3, 1, 9, 2, [1, 3], [1, 2], [1, 1], [0, 1], [1, 5]), 0, 2],
  ["threaded", window(4, 32, 32, 8, [3, 3], [1, 1], [1, 1], [1, 1], [32, 32]), 0, 8],
];

function window(
  batch: number,
  height: number,
  width: number,
  channels: number,
  size: [number, number],
  strides: [number, number],
  dilation: [number, number],
  pads: [number, number],
  out: [number, number],
): WindowGeometry {
  return {
    batch,
    height,
    width,
    channels,
    windowHeight: size[0],
    windowWidth: size[1],
    strideHeight: strides[0],
    strideWidth: strides[1],
    dilationHeight: dilation[0],
    dilationWidth: dilation[1],
    padTop: pads[0],
    padLeft: pads[1],
    outHeight: out[0],
    outWidth: out[1],
  };
}

for (const [label, g, channelOffset, groupChannels] of WINDOWS) {
  const image = g.batch * g.height * g.width * g.channels;
  const patches = g.batch * g.outHeight * g.outWidth * g.windowHeight * g.windowWidth * groupChannels;
  const pooled = g.batch * g.outHeight * g.outWidth * g.channels;
  cases.push({
    name: `im2col ${label}`,
    kernel: "im2col",
    run: (backend) => {
      const cols = f32(patches, 50);
      backend.im2col({ ...g, x: f32(image, 51), cols, channelOffset, groupChannels });
      return [cols];
    },
  });
  cases.push({
    name: `col2im ${label}`,
    kernel: "col2im",
    run: (backend) => {
      const dx = f32(image, 52);
      backend.col2im({ ...g, cols: f32(patches, 53), dx, channelOffset, groupChannels });
      return [dx];
    },
  });
  // Pooling windows are undilated.
  const pool = { ...g, dilationHeight: 1, dilationWidth: 1 };
  for (const kind of ["maxPool", "avgPool"] as const) {
    cases.push({
      name: `${kind} ${label}`,
      kernel: kind,
      run: (backend) => {
        const out = f32(pooled, 54);
        backend[kind]({ ...pool, x: f32(image, 55), out });
        return [out];
      },
    });
    const backward = kind === "maxPool" ? "maxPoolBackward" : "avgPoolBackward";
    cases.push({
      name: `${backward} ${label}`,
      kernel: backward,
      run: (backend) => {
        const dx = f32(image, 56);
        backend[backward]({ ...pool, x: f32(image, 57), dy: f32(pooled, 58), dx });
        return [dx];
      },
    });
  }
}

// Activations and crossentropy from logits. Parameters are (slope, max value, threshold) for relu_full.
const ACTIVATION_PARAMETERS: [ActivationOp, number[]][] = [
  ["relu_full", [0.1, 4, 0.5]],
  ["leaky_relu", [0.2]],
  ["relu6", []],
  ["elu", [1.3]],
  ["selu", []],
  ["celu", [0.7]],
  ["softplus", []],
  ["softsign", []],
  ["silu", []],
  ["gelu", []],
  ["gelu_tanh", []],
  ["exponential", []],
  ["hard_sigmoid", []],
  ["hard_silu", []],
  ["hard_tanh", []],
  ["hard_shrink", [0.5]],
  ["soft_shrink", [0.5]],
  ["tanh_shrink", []],
  ["sparse_plus", []],
  ["sparse_sigmoid", []],
  ["squareplus", [4]],
  ["mish", []],
  ["log_sigmoid", []],
  ["threshold", [0.3, -2]],
  ["power", [2.5]],
];
for (const [op, params] of ACTIVATION_PARAMETERS) {
  cases.push({
    name: `activation ${op}`,
    kernel: "activation",
    run: (backend) => {
      const out = new Float32Array(41);
      backend.activation(op, f32(41, 60, op === "power" ? 0 : -5, 5), out, params);
      return [out];
    },
  });
  cases.push({
    name: `activationBackward ${op}`,
    kernel: "activationBackward",
    run: (backend) => {
      const x = f32(41, 61, op === "power" ? 0 : -5, 5);
      const y = new Float32Array(41);
      reference.activation(op, x, y, params);
      const dx = new Float32Array(41);
      backend.activationBackward(op, x, y, f32(41, 62), dx, params);
      return [dx];
    },
  });
}
for (const op of ["log_softmax", "sparsemax", "glu"] as RowActivationOp[]) {
  const outCols = op === "glu" ? 3 : 6;
  cases.push({
    name: `rowActivation ${op}`,
    kernel: "rowActivation",
    run: (backend) => {
      const out = new Float32Array(5 * outCols);
      backend.rowActivation(op, f32(30, 63, -3, 3), out, 5, 6);
      return [out];
    },
  });
  cases.push({
    name: `rowActivationBackward ${op}`,
    kernel: "rowActivationBackward",
    run: (backend) => {
      const x = f32(30, 64, -3, 3);
      const y = new Float32Array(5 * outCols);
      reference.rowActivation(op, x, y, 5, 6);
      const dx = new Float32Array(30);
      backend.rowActivationBackward(op, x, y, f32(5 * outCols, 65), dx, 5, 6);
      return [dx];
    },
  });
}
for (const sparse of [false, true]) {
  const labels = (): Float32Array | Int32Array => (sparse ? Int32Array.from(LABELS) : probabilities(5, 4, 66));
  cases.push({
    name: `softmaxCrossentropy${sparse ? " sparse" : ""}`,
    kernel: "softmaxCrossentropy",
    run: (backend) => {
      const loss = new Float32Array(5);
      const probs = new Float32Array(20);
      const logits = f32(20, 67, -4, 4);
      logits[0] = 80;
      backend.softmaxCrossentropy({ logits, labels: labels(), sparse, loss, probs, rows: 5, classes: 4 });
      return [loss, probs];
    },
  });
  cases.push({
    name: `softmaxCrossentropyBackward${sparse ? " sparse" : ""}`,
    kernel: "softmaxCrossentropyBackward",
    run: (backend) => {
      const grad = new Float32Array(20);
      backend.softmaxCrossentropyBackward({ probs: probabilities(5, 4, 68), labels: labels(), sparse, dLoss: f32(5, 69, 0.1, 1), grad, rows: 5, classes: 4 });
      return [grad];
    },
  });
}
cases.push({
  name: "sigmoidCrossentropy",
  kernel: "sigmoidCrossentropy",
  run: (backend) => {
    const loss = new Float32Array(4);
    const logits = f32(12, 70, -6, 6);
    logits[0] = 100;
    logits[1] = -100;
    backend.sigmoidCrossentropy({ logits, labels: f32(12, 71, 0, 1), loss, rows: 4, cols: 3 });
    return [loss];
  },
});
cases.push({
  name: "sigmoidCrossentropyBackward",
  kernel: "sigmoidCrossentropyBackward",
  run: (backend) => {
    const grad = new Float32Array(12);
    backend.sigmoidCrossentropyBackward({ logits: f32(12, 72, -6, 6), labels: f32(12, 73, 0, 1), dLoss: f32(4, 74, 0.1, 1), grad, rows: 4, cols: 3 });
    return [grad];
  },
});
/** A 0/1 weight array of `count` elements that masks every third run of `group` elements (one step of a sequence). */
const maskWeights = (count: number, group: number): Float32Array =>
  Float32Array.from({ length: count }, (_, i) => (Math.floor(i / group) % 3 === 2 ? 0 : 1));

for (const [label, outer, channels, inner, training, masked] of [
  ["rows training", 37, 5, 1, true, false],
  ["rows inference", 37, 5, 1, false, false],
  ["rows masked training", 36, 5, 1, true, true],
  ["inner axis training", 3, 4, 7, true, false],
  ["inner axis masked training", 3, 4, 7, true, true],
] as [string, number, number, number, boolean, boolean][]) {
  const n = outer * channels * inner;
  // A mask covers whole steps, that is runs as long as the input's last axis.
  const lastAxis = inner > 1 ? inner : channels;
  const weights = masked ? maskWeights(n, lastAxis) : null;
  const gamma = f32(channels, 50, 0.5, 1.5);
  cases.push({
    name: `batchNormForward ${label}`,
    kernel: "batchNormForward",
    run: (backend) => {
      const mean = training ? new Float32Array(channels) : f32(channels, 51);
      const variance = training ? new Float32Array(channels) : f32(channels, 52, 0.5, 2);
      const out = new Float32Array(n);
      backend.batchNormForward({ x: f32(n, 53, -2, 3), outer, channels, inner, weights, gamma, beta: f32(channels, 54), mean, variance, training, epsilon: 1e-3, out });
      return training ? [out, mean, variance] : [out];
    },
  });
  cases.push({
    name: `batchNormBackward ${label}`,
    kernel: "batchNormBackward",
    run: (backend) => {
      const dx = new Float32Array(n);
      const dGamma = new Float32Array(channels);
      const dBeta = new Float32Array(channels);
      backend.batchNormBackward({
        x: f32(n, 53, -2, 3),
        outer,
        channels,
        inner,
        weights,
        gamma,
        mean: f32(channels, 51),
        variance: f32(channels, 52, 0.5, 2),
        training,
        epsilon: 1e-3,
        dy: f32(n, 55),
        dx,
        dGamma,
        dBeta,
      });
      return [dx, dGamma, dBeta];
    },
    atol: 1e-5,
  });
}
for (const [label, withAffine, rmsScaling] of [
  ["with gamma and beta", true, false],
  ["without gamma and beta", false, false],
  ["rms scaling", true, true],
] as [string, boolean, boolean][]) {
  const rows = 9;
  const cols = 33;
  const gamma = withAffine ? f32(cols, 56, 0.5, 1.5) : null;
  const beta = withAffine && !rmsScaling ? f32(cols, 57) : null;
  cases.push({
    name: `layerNormForward ${label}`,
    kernel: "layerNormForward",
    run: (backend) => {
      const out = new Float32Array(rows * cols);
      const mean = new Float32Array(rows);
      const invStd = new Float32Array(rows);
      backend.layerNormForward({ x: f32(rows * cols, 58, -2, 3), rows, cols, gamma, beta, epsilon: 1e-3, rmsScaling, out, mean, invStd });
      return [out, mean, invStd];
    },
  });
  cases.push({
    name: `layerNormBackward ${label}`,
    kernel: "layerNormBackward",
    run: (backend) => {
      const x = f32(rows * cols, 58, -2, 3);
      const mean = new Float32Array(rows);
      const invStd = new Float32Array(rows);
      reference.layerNormForward({ x, rows, cols, gamma, beta, epsilon: 1e-3, rmsScaling, out: new Float32Array(rows * cols), mean, invStd });
      const dx = new Float32Array(rows * cols);
      const dGamma = withAffine ? new Float32Array(cols) : null;
      const dBeta = beta ? new Float32Array(cols) : null;
      backend.layerNormBackward({ x, rows, cols, gamma, mean, invStd, rmsScaling, dy: f32(rows * cols, 59), dx, dGamma, dBeta });
      return [dx, ...(dGamma ? [dGamma] : []), ...(dBeta ? [dBeta] : [])];
    },
    atol: 1e-5,
  });
}

// Recurrent gate kernels: each cell, with and without a step mask, forward and backward.
for (const [kind, activation, gates, masked, zeroOutput, withBias] of [
  ["simple_rnn", "tanh", 1, false, false, false],
  ["simple_rnn", "relu", 1, true, false, false],
  ["lstm", "tanh", 4, false, false, false],
  ["lstm", "tanh", 4, true, true, false],
  ["gru", "tanh", 3, false, false, true],
  ["gru", "linear", 3, true, false, false],
] as const) {
  const batch = 3;
  const units = 5;
  const steps = 4;
  const step = 2;
  const width = gates * units;
  const label = `${kind} ${activation}${masked ? " masked" : ""}${zeroOutput ? " zero output" : ""}${withBias ? " with bias" : ""}`;
  const mask = masked ? Float32Array.from({ length: batch * steps }, (_, i) => (i % 3 === 1 ? 0 : 1)) : null;
  const forwardInputs = () => ({
    kind,
    activation,
    recurrentActivation: "sigmoid" as const,
    batch,
    units,
    steps,
    step,
    projected: f32(batch * steps * width, 50, -2, 2),
    products: f32(batch * width, 51, -2, 2),
    recurrentBias: withBias ? f32(width, 52) : null,
    mask,
    zeroOutput,
    hPrev: f32(batch * units, 53),
    cPrev: kind === "lstm" ? f32(batch * units, 54) : null,
  });
  const forwardOutputs = () => ({
    gateValues: new Float32Array(batch * width),
    extra: kind === "simple_rnn" ? null : new Float32Array(batch * units),
    hNew: new Float32Array(batch * units),
    cNew: kind === "lstm" ? new Float32Array(batch * units) : null,
    output: new Float32Array(batch * units),
  });
  cases.push({
    name: `recurrentGatesForward ${label}`,
    kernel: "recurrentGatesForward",
    run: (backend) => {
      const outputs = forwardOutputs();
      backend.recurrentGatesForward({ ...forwardInputs(), ...outputs });
      return [outputs.gateValues, outputs.hNew, outputs.output, ...(outputs.extra ? [outputs.extra] : []), ...(outputs.cNew ? [outputs.cNew] : [])];
    },
  });
  cases.push({
    name: `recurrentGatesBackward ${label}`,
    kernel: "recurrentGatesBackward",
    run: (backend) => {
      const inputs = forwardInputs();
      const saved = forwardOutputs();
      reference.recurrentGatesForward({ ...inputs, ...saved });
      const dProjected = f32(batch * steps * width, 55);
      const productGradients = new Float32Array(batch * width);
      const dHPrev = new Float32Array(batch * units);
      const dCPrev = kind === "lstm" ? new Float32Array(batch * units) : null;
      backend.recurrentGatesBackward({
        kind,
        activation,
        recurrentActivation: "sigmoid",
        batch,
        units,
        steps,
        step,
        mask,
        zeroOutput,
        gateValues: saved.gateValues,
        extra: saved.extra,
        hPrev: inputs.hPrev,
        cPrev: inputs.cPrev,
        dOutput: f32(batch * units, 56),
        dH: f32(batch * units, 57),
        dC: kind === "lstm" ? f32(batch * units, 58) : null,
        dProjected,
        productGradients,
        dHPrev,
        dCPrev,
      });
      return [dProjected, productGradients, dHPrev, ...(dCPrev ? [dCPrev] : [])];
    },
  });
}

// Whole-sequence recurrent kernels: 19 batch rows span two of the native kernel's row blocks,
// and 20 units leave a remainder after the 16- and 8-lane vector loops of the LSTM gates.
for (const [kind, activation, gates, masked, zeroOutput, goBackwards, withBias] of [
  ["simple_rnn", "tanh", 1, false, false, false, false],
  ["simple_rnn", "relu", 1, true, false, true, false],
  ["lstm", "tanh", 4, false, false, false, false],
  ["lstm", "tanh", 4, true, true, true, false],
  ["lstm", "relu", 4, false, false, false, false],
  ["gru", "tanh", 3, false, false, false, true],
  ["gru", "linear", 3, true, false, true, true],
] as const) {
  const batch = 19;
  const units = 20;
  const steps = 5;
  const width = gates * units;
  const size = batch * units;
  const states = kind === "lstm" ? 2 : 1;
  const label = `${kind} ${activation}${masked ? " masked" : ""}${zeroOutput ? " zero output" : ""}${goBackwards ? " backwards" : ""}${withBias ? " with bias" : ""}`;
  const config = () => ({
    kind,
    activation,
    recurrentActivation: "sigmoid" as const,
    batch,
    units,
    steps,
    goBackwards,
    mask: masked ? Float32Array.from({ length: batch * steps }, (_, i) => (i % 4 === 1 ? 0 : 1)) : null,
    zeroOutput,
  });
  const forwardArrays = () => {
    const hHistory = new Float32Array((steps + 1) * size);
    hHistory.set(f32(size, 63));
    const cHistory = kind === "lstm" ? new Float32Array((steps + 1) * size) : null;
    cHistory?.set(f32(size, 64));
    return {
      projected: f32(batch * steps * width, 60, -2, 2),
      kernel: f32(units * width, 61, -0.5, 0.5),
      recurrentBias: withBias ? f32(width, 62) : null,
      hHistory,
      cHistory,
      gateValues: new Float32Array(steps * batch * width),
      extra: kind === "simple_rnn" ? null : new Float32Array(steps * size),
      output: new Float32Array((steps + states) * size),
    };
  };
  cases.push({
    name: `recurrentSequenceForward ${label}`,
    kernel: "recurrentSequenceForward",
    run: (backend) => {
      const arrays = forwardArrays();
      backend.recurrentSequenceForward({ ...config(), ...arrays });
      return [arrays.output, arrays.hHistory, arrays.gateValues, ...(arrays.extra ? [arrays.extra] : []), ...(arrays.cHistory ? [arrays.cHistory] : [])];
    },
  });
  cases.push({
    name: `recurrentSequenceBackward ${label}`,
    kernel: "recurrentSequenceBackward",
    run: (backend) => {
      const saved = forwardArrays();
      reference.recurrentSequenceForward({ ...config(), ...saved });
      const dProjected = f32(batch * steps * width, 65);
      const productGradients = new Float32Array(steps * batch * width);
      const dInitialH = new Float32Array(size);
      const dInitialC = kind === "lstm" ? new Float32Array(size) : null;
      backend.recurrentSequenceBackward({
        ...config(),
        kernel: saved.kernel,
        gateValues: saved.gateValues,
        extra: saved.extra,
        hHistory: saved.hHistory,
        cHistory: saved.cHistory,
        dy: f32((steps + states) * size, 66),
        dProjected,
        productGradients,
        dInitialH,
        dInitialC,
      });
      return [dProjected, productGradients, dInitialH, ...(dInitialC ? [dInitialC] : [])];
    },
    atol: 1e-5,
  });
}

// Volume windows (a depth axis), batched matrix products and depthwise convolution.
const VOLUMES: [string, WindowGeometry, number, number][] = [
  ["3-D valid", { ...window(2, 4, 5, 3, [2, 2], [1, 1], [1, 1], [0, 0], [3, 4]), depth: 3, windowDepth: 2, outDepth: 2 }, 0, 3],
  [
    "3-D strided, padded",
    { ...window(1, 5, 4, 2, [3, 2], [2, 1], [1, 1], [1, 0], [3, 3]), depth: 4, windowDepth: 3, strideDepth: 2, padFront: 1, outDepth: 2 },
    0,
    2,
  ],
  ["3-D dilated, channel slice", { ...window(1, 4, 4, 4, [2, 2], [1, 1], [1, 1], [0, 0], [3, 3]), depth: 5, windowDepth: 2, dilationDepth: 2, outDepth: 3 }, 1, 2],
];

for (const [label, g, channelOffset, groupChannels] of VOLUMES) {
  const image = g.batch * g.depth! * g.height * g.width * g.channels;
  const patches = g.batch * g.outDepth! * g.outHeight * g.outWidth * g.windowDepth! * g.windowHeight * g.windowWidth * groupChannels;
  const pooled = g.batch * g.outDepth! * g.outHeight * g.outWidth * g.channels;
  cases.push({
    name: `im2col ${label}`,
    kernel: "im2col",
    run: (backend) => {
      const cols = f32(patches, 70);
      backend.im2col({ ...g, x: f32(image, 71), cols, channelOffset, groupChannels });
      return [cols];
    },
  });
  cases.push({
    name: `col2im ${label}`,
    kernel: "col2im",
    run: (backend) => {
      const dx = f32(image, 72);
      backend.col2im({ ...g, cols: f32(patches, 73), dx, channelOffset, groupChannels });
      return [dx];
    },
  });
  const pool = { ...g, dilationHeight: 1, dilationWidth: 1, dilationDepth: 1 };
  if ((g.dilationDepth ?? 1) !== 1) continue;
  for (const kind of ["maxPool", "avgPool"] as const) {
    cases.push({
      name: `${kind} ${label}`,
      kernel: kind,
      run: (backend) => {
        const out = f32(pooled, 74);
        backend[kind]({ ...pool, x: f32(image, 75), out });
        return [out];
      },
    });
    const backward = kind === "maxPool" ? "maxPoolBackward" : "avgPoolBackward";
    cases.push({
      name: `${backward} ${label}`,
      kernel: backward,
      run: (backend) => {
        const dx = f32(image, 76);
        backend[backward]({ ...pool, x: f32(image, 77), dy: f32(pooled, 78), dx });
        return [dx];
      },
    });
  }
}

for (const [label, batch, m, k, n, transposeA, transposeB] of [
  ["plain", 3, 4, 5, 6, false, false],
  ["transposed b", 6, 7, 8, 7, false, true],
  ["transposed a", 2, 9, 3, 4, true, false],
  ["large", 8, 64, 32, 64, false, true],
] as const) {
  cases.push({
    name: `batchMatmul ${label}`,
    kernel: "batchMatmul",
    run: (backend) => {
      const out = f32(batch * m * n, 80);
      backend.batchMatmul({ a: f32(batch * m * k, 81), b: f32(batch * k * n, 82), out, batch, m, k, n, transposeA, transposeB });
      return [out];
    },
  });
}

for (const [label, g, multiplier] of [
  ["3x3 valid", window(2, 5, 6, 3, [3, 3], [1, 1], [1, 1], [0, 0], [3, 4]), 2],
  ["strided, padded", window(2, 7, 7, 4, [3, 2], [2, 3], [1, 1], [1, 0], [4, 3]), 1],
  ["dilated, padded", window(1, 6, 8, 2, [2, 3], [1, 1], [2, 2], [1, 2], [6, 8]), 3],
  ["one-dimensional", window(3, 1, 9, 2, [1, 3], [1, 2], [1, 1], [0, 1], [1, 5]), 2],
  ["threaded", window(4, 32, 32, 8, [3, 3], [1, 1], [1, 1], [1, 1], [32, 32]), 2],
] as const) {
  const image = g.batch * g.height * g.width * g.channels;
  const kernelSize = g.windowHeight * g.windowWidth * g.channels * multiplier;
  const outSize = g.batch * g.outHeight * g.outWidth * g.channels * multiplier;
  cases.push({
    name: `depthwiseConv ${label}`,
    kernel: "depthwiseConv",
    run: (backend) => {
      const out = f32(outSize, 83);
      backend.depthwiseConv({ ...g, x: f32(image, 84), kernel: f32(kernelSize, 85), out, multiplier });
      return [out];
    },
  });
  cases.push({
    name: `depthwiseConvBackward ${label}`,
    kernel: "depthwiseConvBackward",
    run: (backend) => {
      const dx = f32(image, 86);
      const dKernel = f32(kernelSize, 87);
      backend.depthwiseConvBackward({ ...g, x: f32(image, 88), kernel: f32(kernelSize, 89), dy: f32(outSize, 90), dx, dKernel, multiplier });
      return [dx, dKernel];
    },
  });
}

cases.push({
  name: "findNonFinite",
  kernel: "findNonFinite",
  run: (backend) => {
    // Long enough for several scan blocks, with hits after the first block and in a short tail.
    const length = 10_007;
    const probes: [number, number][] = [[-1, 0], [0, NaN], [5000, Infinity], [9999, -Infinity], [10_006, NaN]];
    const found = probes.map(([index, value]) => {
      const x = f32(length, 91, -3e38, 3e38);
      if (index >= 0) x[index] = value;
      if (index >= 0 && index + 3 < length) x[index + 3] = NaN;
      return backend.findNonFinite(x);
    });
    found.push(backend.findNonFinite(Float64Array.from([1, 2, Infinity])));
    return [Int32Array.from(found)];
  },
});

cases.push({
  name: "findNonFinite over several parallel tasks and rounds",
  kernel: "findNonFinite",
  run: (backend) => {
    // The native scan splits arrays of 2^21 elements or more into tasks of 2^20 elements, run in
    // rounds of 8 tasks: this array needs a second round, which ends in a short tail.
    const task = 2 ** 20;
    const length = 9 * task + 5;
    const x = new Float32Array(length).fill(0.5);
    const probes: number[][] = [[], [3], [task + 7], [task + 7, 2 * task + 1], [8 * task - 1, 8 * task], [9 * task + 4], [4 * task, 9 * task]];
    const found = probes.map((indices) => {
      for (const index of indices) x[index] = index % 2 === 0 ? Infinity : NaN;
      const first = backend.findNonFinite(x);
      for (const index of indices) x[index] = 0.5;
      return first;
    });
    return [Int32Array.from(found)];
  },
});

const native = nativeBackend();

describe(`native backend parity (${cases.length} cases)`, { skip: native === null ? `native backend unavailable: ${nativeBackendError()}` : false }, () => {
  for (const parityCase of cases) {
    test(parityCase.name, () => {
      const expected = parityCase.run(reference);
      const actual = parityCase.run(native!);
      assert.equal(actual.length, expected.length);
      actual.forEach((array, i) => {
        if (array instanceof Int32Array) {
          assert.deepEqual(Array.from(array), Array.from(expected[i]!), `output ${i}`);
        } else {
          assertClose(array, expected[i], { rtol: parityCase.rtol ?? 1e-5, atol: parityCase.atol ?? 1e-6, message: `output ${i}` });
        }
      });
    });
  }

  // The matrix multiply and the LSTM gates have a code path per instruction set; cap the level to run the lower ones here too.
  for (const [level, isa] of [
    [1, "avx2"],
    [0, "portable"],
  ] as const) {
    test(`matmul, dense and recurrent kernels on the ${isa} path`, () => {
      const addon = (native as NativeBackend).addon;
      const best = addon.info().isa;
      const inUse = addon.setIsaLimit(level);
      try {
        if (best === "portable" || (best === "avx2" && level === 1)) assert.equal(inUse, best);
        else assert.equal(inUse, isa);
        for (const parityCase of cases.filter((c) => c.kernel === "matmul" || c.kernel.startsWith("dense") || c.kernel.startsWith("recurrent"))) {
          const expected = parityCase.run(reference);
          const actual = parityCase.run(native!);
          actual.forEach((array, i) => {
            assertClose(array, expected[i], { rtol: parityCase.rtol ?? 1e-5, atol: parityCase.atol ?? 1e-6, message: `${parityCase.name}, output ${i}` });
          });
        }
      } finally {
        addon.setIsaLimit(2);
      }
    });
  }

  test("every kernel has a parity case", () => {
    const kernels = Object.getOwnPropertyNames(TypeScriptBackend.prototype).filter((name) => name !== "constructor");
    const covered = new Set(cases.map((c) => c.kernel));
    assert.deepEqual(kernels.filter((name) => !covered.has(name as keyof Backend)), []);
  });
});
