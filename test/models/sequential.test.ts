import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Dropout } from "../../src/layers/core.js";
import { Dense } from "../../src/layers/dense.js";
import { Input, InputLayer } from "../../src/layers/input.js";
import { Sequential, sequentialFromConfig } from "../../src/models/sequential.js";
import { captureLog } from "../helpers/capture.js";
import { NotBuiltError, ValueError } from "../../src/errors.js";
import { tensor } from "../../src/tensor/tensor.js";

describe("Sequential", () => {
  it("builds eagerly after an Input", () => {
    const model = new Sequential([Input({ shape: [3] }), new Dense({ units: 4 })]);
    assert.ok(model.built);
    assert.equal(model.weights.length, 2);
    assert.deepEqual(model.inputShape, [null, 3]);
    model.add(new Dense({ units: 2 }));
    assert.equal(model.weights.length, 4);
    assert.deepEqual([...model.weights[2]!.shape], [4, 2]);
  });

  it("list constructor with Input gives no warning", () => {
    const warnings = captureLog(() => new Sequential([Input({ shape: [784] }), new Dense({ units: 10 })]));
    assert.deepEqual(warnings, []);
  });

  it("inputDim on the first layer builds and warns", () => {
    let model: Sequential | null = null;
    const warnings = captureLog(() => {
      model = new Sequential();
      model.add(new Dense({ units: 64, activation: "relu", inputDim: 784 }));
    });
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /inputDim/);
    assert.match(warnings[0]!, /Input\(\{ shape: \[784\] \}\)/);
    assert.deepEqual(model!.inputShape, [null, 784]);
    assert.equal(model!.countParams(), 50240);
  });

  it("defers building without an input shape", async () => {
    const model = new Sequential([new Dense({ units: 4 }), new Dense({ units: 2 })]);
    assert.equal(model.built, false);
    assert.equal(model.weights.length, 0);
    assert.throws(() => model.countParams(), NotBuiltError);
    model.compile({ optimizer: "sgd", loss: "mse" });
    await model.fit([[1, 2, 3]], [[1, 2]], { verbose: 0 });
    assert.ok(model.built);
    assert.deepEqual(model.inputShape, [null, 3]);
    assert.equal(model.countParams(), 3 * 4 + 4 + 4 * 2 + 2);
  });

  it("build with an explicit shape", () => {
    const model = new Sequential([new Dense({ units: 4 })]);
    model.build([null, 5]);
    assert.equal(model.countParams(), 24);
  });

  it("layers excludes the input layer", () => {
    const dense = new Dense({ units: 4 });
    const model = new Sequential([Input({ shape: [3] }), dense]);
    assert.deepEqual(model.layers, [dense]);
    assert.ok(!model.layers.some((l) => l instanceof InputLayer));
  });

  it("pop removes the last layer", () => {
    const first = new Dense({ units: 4 });
    const second = new Dense({ units: 2 });
    const model = new Sequential([Input({ shape: [3] }), first, second]);
    assert.equal(model.pop(), second);
    assert.deepEqual(model.layers, [first]);
    model.pop();
    assert.throws(() => model.pop(), /no layers/);
  });

  it("rejects duplicate layer names", () => {
    const model = new Sequential([new Dense({ units: 2, name: "same" })]);
    assert.throws(() => model.add(new Dense({ units: 2, name: "same" })), /already has a layer named "same"/);
  });

  it("rejects an Input that is not first", () => {
    const model = new Sequential([new Dense({ units: 2 })]);
    assert.throws(() => model.add(Input({ shape: [3] })), ValueError);
  });

  it("rejects non-layers", () => {
    assert.throws(() => new Sequential([{} as never]), /needs a Layer or an Input/);
    assert.throws(() => new Sequential({ name: "x" } as never), /array of layers/);
  });

  it("getWeights and setWeights round trip", () => {
    const model = new Sequential([Input({ shape: [2] }), new Dense({ units: 2 }), new Dropout({ rate: 0.1 }), new Dense({ units: 1 })]);
    const values = [tensor([[1, 2], [3, 4]]), tensor([5, 6]), tensor([[7], [8]]), tensor([9])];
    model.setWeights(values);
    assert.deepEqual(
      model.getWeights().map((w) => w.toArray()),
      values.map((v) => v.toArray()),
    );
    assert.throws(() => model.setWeights(values.slice(1)), /4 weights.*received 3/);
    assert.throws(() => model.setWeights([tensor([1]), ...values.slice(1)]), /shape \(1,\).*\(2, 2\)/);
  });

  it("call runs layers with training off by default", () => {
    const model = new Sequential([Input({ shape: [4] }), new Dropout({ rate: 0.9 })]);
    const x = tensor([[1, 2, 3, 4]]);
    assert.deepEqual(model.predict(x, { verbose: 0 }).toArray(), [[1, 2, 3, 4]]);
  });

  it("config lists the input layer first", () => {
    const model = new Sequential([Input({ shape: [3] }), new Dense({ units: 2 })], { name: "seq" });
    const config = model.getConfig() as { name: string; layers: { class_name: string }[]; build_input_shape: unknown };
    assert.equal(config.name, "seq");
    assert.deepEqual(
      config.layers.map((l) => l.class_name),
      ["InputLayer", "Dense"],
    );
    assert.deepEqual(config.build_input_shape, [null, 3]);
  });
});

describe("Sequential config round trip", () => {
  it("rebuilds layers and input shape", () => {
    const model = new Sequential(
      [Input({ shape: [3] }), new Dense({ units: 4, activation: "relu", name: "hidden" }), new Dropout({ rate: 0.25, name: "drop" })],
      { name: "round_trip" },
    );
    const config = model.getConfig();
    const rebuilt = sequentialFromConfig(JSON.parse(JSON.stringify(config)) as Record<string, unknown>);
    assert.equal(rebuilt.name, "round_trip");
    assert.deepEqual(rebuilt.inputShape, [null, 3]);
    assert.deepEqual(
      rebuilt.layers.map((l) => l.name),
      ["hidden", "drop"],
    );
    assert.deepEqual(rebuilt.getConfig(), config);
  });
});
