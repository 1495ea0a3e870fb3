import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { noGrad } from "../../src/autodiff/tape.js";
import { Dense, Dropout } from "../../src/layers/index.js";
import type { CallOptions, SymbolicShape } from "../../src/layers/index.js";
import type { Tensor } from "../../src/tensor/tensor.js";
import { type LayerTestCase, runLayerTest } from "../helpers/layer-test.js";

// These tests feed the helper wrong expectations or faulty layers and check
// that it fails at the step responsible, so a passing layer test means something.

/** Claims one output shape but computes another. */
class MisreportedShapeDense extends Dense {
  override computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    return [...inputShape.slice(0, -1), this.units + 1];
  }
}

/** Writes an extra key that fromConfig does not read back. */
/** Leaves `seed` out of its config, so a rebuilt layer's config lacks that key. */
class LossyConfigDropout extends Dropout {
  override getConfig(): Record<string, unknown> {
    const { seed: _seed, ...rest } = super.getConfig();
    return rest;
  }
}

/** Computes Dense's output but hides it from the gradient tape. */
class DetachedDense extends Dense {
  override call(inputs: Tensor, options: CallOptions): Tensor {
    return noGrad(() => super.call(inputs, options));
  }
}

const denseCase: LayerTestCase = {
  create: () => new Dense({ units: 2 }),
  inputShape: [3, 4],
  expectedOutputShape: [null, 2],
  expectedTrainableWeights: [
    { name: "kernel", shape: [4, 2] },
    { name: "bias", shape: [2] },
  ],
  expectedParams: 10,
};

describe("runLayerTest", () => {
  test("accepts a correct case", () => {
    const { layer, output } = runLayerTest(denseCase);
    assert.ok(layer instanceof Dense);
    assert.deepEqual([...output.shape], [3, 2]);
  });

  test("rejects wrong output shape", () => {
    assert.throws(() => runLayerTest({ ...denseCase, expectedOutputShape: [null, 3] }), /computeOutputShape/);
  });

  test("rejects misreported output shape", () => {
    assert.throws(
      () => runLayerTest({ ...denseCase, create: () => new MisreportedShapeDense({ units: 2 }), expectedOutputShape: [null, 3] }),
      /output shape of a real call/,
    );
  });

  test("rejects wrong weight order", () => {
    assert.throws(
      () =>
        runLayerTest({
          ...denseCase,
          expectedTrainableWeights: [
            { name: "bias", shape: [2] },
            { name: "kernel", shape: [4, 2] },
          ],
        }),
      /weight names in creation order/,
    );
  });

  test("rejects wrong weight shape", () => {
    assert.throws(
      () =>
        runLayerTest({
          ...denseCase,
          expectedTrainableWeights: [
            { name: "kernel", shape: [2, 4] },
            { name: "bias", shape: [2] },
          ],
        }),
      /shape of trainable weight "kernel"/,
    );
  });

  test("rejects weights in wrong list", () => {
    assert.throws(
      () => runLayerTest({ ...denseCase, create: () => new Dense({ units: 2, trainable: false }) }),
      /trainable weight names/,
    );
  });

  test("rejects wrong parameter count", () => {
    assert.throws(() => runLayerTest({ ...denseCase, expectedParams: 8 }), /countParams/);
  });

  test("rejects lossy config", () => {
    assert.throws(
      () =>
        runLayerTest({
          create: () => new LossyConfigDropout({ rate: 0.5 }),
          inputShape: [2, 2],
          expectedOutputShape: [null, 2],
          expectedParams: 0,
        }),
      /config keys after fromConfig/,
    );
  });

  test("rejects weights training cannot reach", () => {
    assert.throws(
      () => runLayerTest({ ...denseCase, create: () => new DetachedDense({ units: 2 }) }),
      /training step changes trainable weight "kernel"/,
    );
  });
});
