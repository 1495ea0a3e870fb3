// The native kernels must give the same bits wherever their arrays sit in
// memory. Compiled loops come in several versions (vector and scalar, chosen
// at run time from the length and from the distance between the arrays), and
// a seeded training run repeats exactly only if every version rounds the same
// way.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Backend, FusedActivation } from "../../src/backend/backend.js";
import { getBackend, listBackends, registerBackend, setBackend } from "../../src/backend/registry.js";
import { Dense, Dropout, Input, Sequential, setRandomSeed } from "../../src/index.js";
import { type Placement, relocatingBackend } from "../helpers/relocate.js";
import { sampleArray } from "../helpers/values.js";

const hasNative = listBackends().includes("native");

function nativeBackend(): Backend {
  const previous = getBackend().name;
  setBackend("native");
  const backend = getBackend();
  setBackend(previous);
  return backend;
}

/** Arrays far apart, so that no alias check of a vectorized loop fails: the reference placement. */
const FAR: Placement = { startBytes: 0, gapBytes: 4096 };

/** Arrays next to each other or a few floats apart, starting at each 4-byte offset of the buffer's first 64 bytes. */
const NEAR: Placement[] = [];
for (let start = 0; start < 16; start++) {
  for (const gap of [0, 1, 3, 16]) NEAR.push({ startBytes: 4 * start, gapBytes: 4 * gap });
}

const describePlacement = (p: Placement): string => `start ${p.startBytes} B, gap ${p.gapBytes} B`;

const f32 = (count: number, seed: number, low = -1, high = 1): Float32Array =>
  sampleArray("float32", count, seed, low, high) as Float32Array;

/** Bit patterns of float32 arrays, so that a comparison distinguishes -0 from +0 and one NaN from another. */
const bits = (arrays: Float32Array[]): number[][] => arrays.map((a) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length)));

interface KernelCase {
  name: string;
  /** Runs the kernel on `backend` with fresh inputs of `size` elements and returns the arrays it wrote. */
  run: (backend: Backend, size: number) => Float32Array[];
}

const KERNEL_CASES: KernelCase[] = [];

for (const amsgrad of [false, true]) {
  KERNEL_CASES.push({
    name: amsgrad ? "adamUpdate amsgrad" : "adamUpdate",
    run: (backend, size) => {
      const variable = f32(size, 1);
      const momentum = f32(size, 2, -0.1, 0.1);
      const velocity = f32(size, 3, 0, 0.1);
      const velocityHat = amsgrad ? f32(size, 4, 0, 0.1) : null;
      for (let step = 1; step <= 3; step++) {
        backend.adamUpdate({
          variable,
          gradient: f32(size, 4 + step),
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
for (const nesterov of [false, true]) {
  KERNEL_CASES.push({
    name: nesterov ? "sgdUpdate nesterov" : "sgdUpdate momentum",
    run: (backend, size) => {
      const variable = f32(size, 10);
      const momentum = f32(size, 11, -0.1, 0.1);
      for (let step = 1; step <= 3; step++) {
        backend.sgdUpdate({ variable, gradient: f32(size, 11 + step), momentum, learningRate: Math.fround(0.1), momentumFactor: 0.9, nesterov });
      }
      return [variable, momentum];
    },
  });
}
KERNEL_CASES.push({
  name: "rmspropUpdate centered momentum",
  run: (backend, size) => {
    const variable = f32(size, 20);
    const velocity = f32(size, 21, 0.5, 1);
    const momentum = f32(size, 22, -0.1, 0.1);
    const averageGradient = f32(size, 23, -0.1, 0.1);
    for (let step = 1; step <= 3; step++) {
      backend.rmspropUpdate({
        variable,
        gradient: f32(size, 23 + step),
        velocity,
        momentum,
        averageGradient,
        learningRate: Math.fround(0.01),
        rho: 0.9,
        momentumFactor: 0.9,
        epsilon: 1e-7,
      });
    }
    return [variable, velocity, momentum, averageGradient];
  },
});
KERNEL_CASES.push({
  name: "adagradUpdate",
  run: (backend, size) => {
    const variable = f32(size, 30);
    const accumulator = f32(size, 31, 0.1, 1);
    for (let step = 1; step <= 3; step++) {
      backend.adagradUpdate({ variable, gradient: f32(size, 31 + step), accumulator, learningRate: Math.fround(0.1), epsilon: 1e-7 });
    }
    return [variable, accumulator];
  },
});
KERNEL_CASES.push({
  name: "adadeltaUpdate",
  run: (backend, size) => {
    const variable = f32(size, 40);
    const accumulatedGrad = f32(size, 41, 0, 1);
    const accumulatedDeltaVar = f32(size, 42, 0, 0.1);
    for (let step = 1; step <= 3; step++) {
      backend.adadeltaUpdate({ variable, gradient: f32(size, 42 + step), accumulatedGrad, accumulatedDeltaVar, learningRate: 1, rho: 0.95, epsilon: 1e-7 });
    }
    return [variable, accumulatedGrad, accumulatedDeltaVar];
  },
});
KERNEL_CASES.push({
  name: "adamaxUpdate",
  run: (backend, size) => {
    const variable = f32(size, 50);
    const momentum = f32(size, 51, -0.1, 0.1);
    const norm = f32(size, 52, 0, 1);
    for (let step = 1; step <= 3; step++) {
      backend.adamaxUpdate({ variable, gradient: f32(size, 52 + step), momentum, norm, learningRate: Math.fround(0.01), beta1: 0.9, beta2: 0.999, epsilon: 1e-7, step });
    }
    return [variable, momentum, norm];
  },
});
KERNEL_CASES.push({
  name: "nadamUpdate",
  run: (backend, size) => {
    const variable = f32(size, 60);
    const momentum = f32(size, 61, -0.1, 0.1);
    const velocity = f32(size, 62, 0, 0.1);
    let product = 1;
    for (let step = 1; step <= 3; step++) {
      product = Math.fround(product * 0.9 * (1 - 0.5 * 0.96 ** step));
      backend.nadamUpdate({
        variable,
        gradient: f32(size, 62 + step),
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
KERNEL_CASES.push({
  name: "lionUpdate",
  run: (backend, size) => {
    const variable = f32(size, 70);
    const momentum = f32(size, 71, -0.1, 0.1);
    for (let step = 1; step <= 3; step++) {
      backend.lionUpdate({ variable, gradient: f32(size, 71 + step), momentum, learningRate: Math.fround(0.01), beta1: 0.9, beta2: 0.99 });
    }
    return [variable, momentum];
  },
});
KERNEL_CASES.push({
  name: "ftrlUpdate",
  run: (backend, size) => {
    const variable = f32(size, 80);
    const accumulator = f32(size, 81, 0.1, 1);
    const linear = f32(size, 82, -0.1, 0.1);
    for (let step = 1; step <= 3; step++) {
      backend.ftrlUpdate({
        variable,
        gradient: f32(size, 82 + step),
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
for (const activation of ["linear", "relu", "sigmoid", "tanh"] as FusedActivation[]) {
  // `size` is the number of units; the batch has 4 rows and 3 inputs.
  KERNEL_CASES.push({
    name: `denseBackward ${activation}`,
    run: (backend, size) => {
      const [m, k, n] = [4, 3, size];
      const x = f32(m * k, 90);
      const kernel = f32(k * n, 91);
      const y = new Float32Array(m * n);
      backend.denseForward({ x, kernel, bias: f32(n, 92), out: y, m, k, n, activation });
      const dPre = new Float32Array(m * n);
      const dx = new Float32Array(m * k);
      const dKernel = new Float32Array(k * n);
      const dBias = new Float32Array(n);
      backend.denseBackward({ x, kernel, y, dy: f32(m * n, 93), dPre, dx, dKernel, dBias, m, k, n, activation });
      return [y, dx, dKernel, dBias];
    },
  });
}
for (const op of ["sigmoid", "tanh"] as const) {
  KERNEL_CASES.push({
    name: `unaryBackward ${op}`,
    run: (backend, size) => {
      const x = f32(size, 100, -4, 4);
      const y = new Float32Array(size);
      backend.unary(op, x, y);
      const dx = new Float32Array(size);
      backend.unaryBackward(op, x, y, f32(size, 101), dx);
      return [y, dx];
    },
  });
}

/** Lengths around the widths of SSE, AVX2 and AVX-512 vectors, where loops switch between versions. */
const SIZES = [1, 3, 7, 8, 9, 13, 16, 17, 24, 31, 40];

describe("native results do not depend on buffer placement", { skip: hasNative ? false : "the native backend is not built" }, () => {
  let placement: Placement = FAR;
  const relocated = hasNative ? relocatingBackend(nativeBackend(), () => placement) : null;

  for (const kernelCase of KERNEL_CASES) {
    test(kernelCase.name, () => {
      for (const size of SIZES) {
        placement = FAR;
        const expected = bits(kernelCase.run(relocated!, size));
        for (const near of NEAR) {
          placement = near;
          const actual = bits(kernelCase.run(relocated!, size));
          assert.deepEqual(actual, expected, `size ${size}, ${describePlacement(near)}`);
        }
      }
    });
  }

  test("seeded training run", async () => {
    const train = async (): Promise<number[][]> => {
      setRandomSeed(42);
      const model = new Sequential([
        Input({ shape: [3] }),
        new Dense({ units: 8, activation: "relu" }),
        new Dropout({ rate: 0.5 }),
        new Dense({ units: 2, activation: "softmax" }),
      ]);
      model.compile({ optimizer: "adam", loss: "categorical_crossentropy" });
      const x = Array.from({ length: 20 }, (_, i) => [i / 20, Math.sin(i), Math.cos(i)]);
      const y = Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? [1, 0] : [0, 1]));
      await model.fit(x, y, { epochs: 3, batchSize: 4, verbose: 0 });
      return bits(model.getWeights().map((w) => w.data as Float32Array));
    };

    const previous = getBackend().name;
    registerBackend("native-relocated", () => relocated!);
    try {
      setBackend("native");
      const direct = await train();
      setBackend("native-relocated");
      placement = FAR;
      assert.deepEqual(await train(), direct, "relocated far apart versus direct");
      for (const near of NEAR.filter((_, i) => i % 5 === 0)) {
        placement = near;
        assert.deepEqual(await train(), direct, describePlacement(near));
      }
    } finally {
      setBackend(previous);
    }
  });
});
