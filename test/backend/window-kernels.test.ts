// Checks that the native window kernels reject geometries that do not match their arrays
// with an exception before any C code runs, and that the addon's own checks hold too.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { WindowGeometry } from "../../src/backend/backend.js";
import { getBackend, listBackends, nativeBackendError, setBackend } from "../../src/backend/registry.js";
import type { NativeBackend } from "../../src/backend/native/index.js";
import { ValueError } from "../../src/errors.js";

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

function native(): NativeBackend {
  const previous = getBackend().name;
  setBackend("native");
  const backend = getBackend() as NativeBackend;
  setBackend(previous);
  return backend;
}

const available = listBackends().includes("native");

describe("native window kernels reject bad calls", { skip: available ? false : `native backend unavailable: ${nativeBackendError()}` }, () => {
  test("im2col with a short patch array", () => {
    const x = new Float32Array(2 * 4 * 4 * 3);
    const cols = new Float32Array(10);
    assert.throws(() => native().im2col({ ...geometry, x, cols, channelOffset: 0, groupChannels: 3 }), (error: unknown) => {
      return error instanceof ValueError && /`cols` must have 216 elements.*received 10/.test((error as Error).message);
    });
  });

  test("col2im with a channel slice past the channels", () => {
    const cols = new Float32Array(2 * 3 * 3 * 2 * 2 * 2);
    const dx = new Float32Array(2 * 4 * 4 * 3);
    assert.throws(() => native().col2im({ ...geometry, cols, dx, channelOffset: 2, groupChannels: 2 }), /channel slice \[2, 4\) exceeds the 3 channels/);
  });

  test("pooling with a zero stride or a short output", () => {
    const x = new Float32Array(2 * 4 * 4 * 3);
    assert.throws(() => native().maxPool({ ...geometry, strideHeight: 0, x, out: new Float32Array(54) }), /`strideHeight` must be an integer from 1/);
    assert.throws(() => native().avgPool({ ...geometry, x, out: new Float32Array(5) }), /`out` must have 54 elements/);
    assert.throws(
      () => native().maxPoolBackward({ ...geometry, x, dy: new Float32Array(54), dx: new Float32Array(3) }),
      /`dx` must have 96 elements/,
    );
  });

  test("the addon checks array sizes itself", () => {
    // The geometry of a 2-D window: the 16 image fields, then depth, window depth, stride, dilation, front padding and output depth.
    const dims = Int32Array.from([2, 4, 4, 3, 2, 2, 1, 1, 1, 1, 0, 0, 3, 3, 0, 3, 1, 1, 1, 1, 0, 1]);
    const addon = native().addon;
    assert.throws(() => addon.im2col(new Float32Array(96), new Float32Array(100), dims), /argument 1 has 100 elements, at least 216/);
    assert.throws(() => addon.maxPool(new Float32Array(96), new Float32Array(54), dims.subarray(0, 10)), /argument 2 has 10 elements/);
    const huge = Int32Array.from([2147483647, 2147483647, 2147483647, 2147483647, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 0, 1, 1, 1, 1, 1, 0, 1]);
    assert.throws(() => addon.avgPool(new Float32Array(1), new Float32Array(1), huge), /more elements than memory can hold/);
  });
});
