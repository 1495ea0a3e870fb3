// Checks that the depthwise kernels reject volumes and mismatched arrays on every backend,
// and that the addon's own checks hold too.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { WindowGeometry } from "../../src/backend/backend.js";
import { getBackend, listBackends, nativeBackendError, setBackend } from "../../src/backend/registry.js";
import type { NativeBackend } from "../../src/backend/native/index.js";
import { TypeScriptBackend } from "../../src/backend/typescript/index.js";

const geometry: WindowGeometry = {
  batch: 1,
  height: 3,
  width: 3,
  channels: 2,
  windowHeight: 2,
  windowWidth: 2,
  strideHeight: 1,
  strideWidth: 1,
  dilationHeight: 1,
  dilationWidth: 1,
  padTop: 0,
  padLeft: 0,
  outHeight: 2,
  outWidth: 2,
};
const volume: WindowGeometry = { ...geometry, depth: 2, windowDepth: 2, outDepth: 1 };

function nativeBackend(): NativeBackend | null {
  if (!listBackends().includes("native")) return null;
  const previous = getBackend().name;
  setBackend("native");
  const backend = getBackend() as NativeBackend;
  setBackend(previous);
  return backend;
}

describe("depthwise kernels", () => {
  test("the TypeScript kernels reject volumes", () => {
    const backend = new TypeScriptBackend();
    const x = new Float32Array(2 * 3 * 3 * 2);
    assert.throws(() => backend.depthwiseConv({ ...volume, x, kernel: new Float32Array(8), out: new Float32Array(8), multiplier: 1 }), /images only/);
    assert.throws(
      () => backend.depthwiseConvBackward({ ...volume, x, kernel: new Float32Array(8), dy: new Float32Array(8), dx: null, dKernel: null, multiplier: 1 }),
      /images only/,
    );
  });

  const native = nativeBackend();
  test("the native kernels reject bad calls", { skip: native === null ? `native backend unavailable: ${nativeBackendError()}` : false }, () => {
    const x = new Float32Array(18);
    const kernel = new Float32Array(8);
    assert.throws(() => native!.depthwiseConv({ ...geometry, x, kernel, out: new Float32Array(5), multiplier: 1 }), /`out` must have 8 elements/);
    assert.throws(
      () => native!.depthwiseConvBackward({ ...geometry, x, kernel, dy: new Float32Array(3), dx: null, dKernel: null, multiplier: 1 }),
      /`dy` must have 8 elements/,
    );
    // The image fields, the channel slice, then depth 2 (a volume), window depth, stride, dilation, front padding and output depth.
    const volumeDims = Int32Array.from([1, 3, 3, 2, 2, 2, 1, 1, 1, 1, 0, 0, 2, 2, 0, 2, 2, 1, 1, 1, 0, 2]);
    assert.throws(() => native!.addon.depthwiseConv(new Float32Array(36), kernel, new Float32Array(16), 1, volumeDims), /images only/);
    const dims = Int32Array.from([1, 3, 3, 2, 2, 2, 1, 1, 1, 1, 0, 0, 2, 2, 0, 2, 1, 1, 1, 1, 0, 1]);
    assert.throws(() => native!.addon.depthwiseConv(x, kernel, new Float32Array(8), 0, dims), /multiplier must be at least 1/);
    assert.throws(() => native!.addon.depthwiseConv(x, new Float32Array(4), new Float32Array(8), 1, dims), /argument 1 has 4 elements/);
  });
});
