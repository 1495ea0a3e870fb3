// The native kernels flush subnormal floats to zero, and JavaScript's own arithmetic keeps them.
import assert from "node:assert/strict";
import { test } from "node:test";
import { getBackend, listBackends, nativeBackendError, setBackend } from "../../src/backend/registry.js";
import type { NativeBackend } from "../../src/backend/native/index.js";

const available = listBackends().includes("native");
const skip = available ? false : `native backend unavailable: ${nativeBackendError()}`;
const isX64 = process.arch === "x64";

// The smallest positive float32, 2^-149, a subnormal.
const SMALLEST_SUBNORMAL_FLOAT32 = 2 ** -149;

function withNative(body: (backend: NativeBackend) => void): void {
  const previous = getBackend().name;
  setBackend("native");
  try {
    body(getBackend() as NativeBackend);
  } finally {
    setBackend(previous);
  }
}

test("native adam update clears momentum stuck at the smallest subnormal", { skip: skip || (isX64 ? false : "flushing is only set on x86-64") }, () => {
  withNative((backend) => {
    // A weight whose gradient stays 0: m + (0 - m) * 0.1 rounds back to m at 2^-149, so without
    // flushing the momentum never leaves the subnormal range.
    const momentum = new Float32Array([SMALLEST_SUBNORMAL_FLOAT32, 4 * SMALLEST_SUBNORMAL_FLOAT32, 0.5]);
    const velocity = new Float32Array([1e-20, 1e-20, 0.25]);
    const variable = new Float32Array([1, 1, 1]);
    backend.adamUpdate({ variable, gradient: new Float32Array(3), momentum, velocity, velocityHat: null, learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, step: 1 });
    assert.equal(momentum[0], 0);
    assert.equal(momentum[1], 0);
    // Normal values take the ordinary update: 0.5 + (0 - 0.5) * 0.1.
    assert.equal(momentum[2], Math.fround(0.5 + Math.fround(-0.5 * Math.fround(0.1))));
  });
});

test("typescript adam update keeps subnormal momentum", () => {
  const previous = getBackend().name;
  setBackend("typescript");
  try {
    const momentum = new Float32Array([SMALLEST_SUBNORMAL_FLOAT32]);
    getBackend().adamUpdate({ variable: new Float32Array([1]), gradient: new Float32Array(1), momentum, velocity: new Float32Array([1e-20]), velocityHat: null, learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, step: 1 });
    assert.equal(momentum[0], SMALLEST_SUBNORMAL_FLOAT32);
  } finally {
    setBackend(previous);
  }
});

test("native products treat subnormal inputs as zero", { skip: skip || (isX64 ? false : "flushing is only set on x86-64") }, () => {
  withNative((backend) => {
    // 2^-139 · 2^100 = 2^-39 without flushing.
    const single = new Float32Array(1);
    backend.matmul(new Float32Array([SMALLEST_SUBNORMAL_FLOAT32 * 1024]), new Float32Array([2 ** 100]), single, 1, 1, 1, false, false, false);
    assert.equal(single[0], 0, "a subnormal input counts as zero");
  });
});

test("javascript arithmetic keeps subnormals after native calls", { skip }, () => {
  withNative((backend) => {
    const out = new Float32Array(4);
    backend.matmul(new Float32Array(4).fill(1), new Float32Array(4).fill(1), out, 2, 2, 2, false, false, false);
    // Values read from an array, so that the compiler cannot fold the products.
    const values = [Number.MIN_VALUE, 1, 2 ** -1040];
    assert.equal(values[0]! * values[1]!, Number.MIN_VALUE);
    assert.ok(values[2]! * values[1]! > 0, "a float64 subnormal survives a multiplication");
  });
});
