import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ValueError } from "../../src/errors.js";
import { Input, InputLayer, SymbolicTensor, deserialize } from "../../src/layers/index.js";
import type { InputOptions } from "../../src/layers/index.js";
import { tensor } from "../../src/tensor/tensor.js";

describe("Input", () => {
  test("shape gains batch axis", () => {
    const input = Input({ shape: [784] });
    assert.ok(input instanceof SymbolicTensor);
    assert.deepEqual(input.shape, [null, 784]);
    assert.equal(input.dtype, "float32");
    assert.ok(input.sourceLayer instanceof InputLayer);
    assert.deepEqual((input.sourceLayer as InputLayer).batchShape, [null, 784]);
  });

  test("batchSize fixes batch axis", () => {
    assert.deepEqual(Input({ shape: [3], batchSize: 8 }).shape, [8, 3]);
    assert.deepEqual(Input({ batchShape: [4, 2, 2] }).shape, [4, 2, 2]);
    assert.deepEqual(Input({ shape: [null, 3] }).shape, [null, null, 3]);
  });

  test("default names count up", () => {
    const first = Input({ shape: [1] }).sourceLayer.name;
    const second = Input({ shape: [1] }).sourceLayer.name;
    assert.match(first, /^input_layer(_\d+)?$/);
    assert.match(second, /^input_layer_\d+$/);
    assert.notEqual(first, second);
    assert.equal(Input({ shape: [1], name: "pixels" }).sourceLayer.name, "pixels");
  });

  test("config keys and values", () => {
    const layer = Input({ shape: [3], name: "features" }).sourceLayer;
    const config = layer.getConfig();
    assert.deepEqual(Object.keys(config), ["batch_shape", "dtype", "sparse", "ragged", "name", "optional"]);
    assert.deepEqual(config, {
      batch_shape: [null, 3],
      dtype: "float32",
      sparse: false,
      ragged: false,
      name: "features",
      optional: false,
    });
  });

  test("config round trip", () => {
    const layer = Input({ shape: [5, 2], name: "grid" }).sourceLayer;
    const config = JSON.parse(JSON.stringify(layer.getConfig())) as Record<string, unknown>;
    const rebuilt = deserialize({ class_name: "InputLayer", config });
    assert.ok(rebuilt instanceof InputLayer);
    assert.deepEqual(rebuilt.getConfig(), layer.getConfig());
  });

  test("fromConfig accepts batch_input_shape", () => {
    const layer = InputLayer.fromConfig({ batch_input_shape: [null, 7], name: "legacy", dtype: "float32" });
    assert.deepEqual(layer.batchShape, [null, 7]);
  });

  test("passes its input through", () => {
    const layer = Input({ shape: [2] }).sourceLayer;
    const x = tensor([[1, 2]]);
    assert.equal(layer.apply(x), x);
    assert.equal(layer.countParams(), 0);
  });

  test("missing shape is an error", () => {
    assert.throws(() => Input({}), (error: unknown) => error instanceof ValueError && /`shape`/.test(error.message));
    assert.throws(() => Input(undefined as unknown as InputOptions), ValueError);
    assert.throws(() => new InputLayer(undefined as unknown as InputOptions), ValueError);
  });

  test("invalid shapes are errors", () => {
    assert.throws(() => Input({ shape: 784 as unknown as number[] }), ValueError);
    assert.throws(() => Input({ shape: [-1] }), ValueError);
    assert.throws(() => Input({ shape: [2.5] }), ValueError);
  });

  test("unknown option suggests nearest", () => {
    assert.throws(() => Input({ shap: [3] } as unknown as InputOptions), /Did you mean "shape"\?/);
    assert.throws(() => Input({ shape: [3], batch_size: 2 } as unknown as InputOptions), /Did you mean "batchSize"\?/);
  });
});
