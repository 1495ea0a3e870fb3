// The parts of the Layer contract that every layer relies on: masks that
// travel with tensors, symbolic calls, and weights of tracked sub-layers.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Ones } from "../../src/initializers/index.js";
import { Dense } from "../../src/layers/dense.js";
import { Input } from "../../src/layers/input.js";
import { type CallOptions, Layer, getMask } from "../../src/layers/layer.js";
import { LSTM } from "../../src/layers/recurrent.js";
import { SymbolicTensor } from "../../src/layers/symbolic.js";
import { Model } from "../../src/models/model.js";
import { Sequential } from "../../src/models/sequential.js";
import { mul } from "../../src/ops/index.js";
import { Tensor, tensor } from "../../src/tensor/tensor.js";
import { captureLog, errorMessage } from "../helpers/capture.js";

/** Masks every step whose first feature is 0, as Embedding with maskZero does for index 0. */
class ZeroMasker extends Layer {
  constructor(name?: string) {
    super({ name }, ["name"]);
    this.supportsMasking = true;
  }

  call(inputs: Tensor, _options: CallOptions): Tensor {
    return inputs;
  }

  override computeMask(inputs: Tensor | Tensor[], _mask: Tensor | null): Tensor | null {
    const x = inputs as Tensor;
    const [batch, steps, features] = x.shape as [number, number, number];
    const mask = new Float32Array(batch * steps);
    for (let i = 0; i < batch * steps; i++) mask[i] = x.data[i * features] === 0 ? 0 : 1;
    return new Tensor(mask, [batch, steps]);
  }
}

/** Passes its input through and records the mask it was called with. */
class MaskRecorder extends Layer {
  seen: (Tensor | null)[] = [];

  constructor(supportsMasking: boolean) {
    super({}, []);
    this.supportsMasking = supportsMasking;
  }

  call(inputs: Tensor, options: CallOptions): Tensor {
    this.seen.push(options.mask ?? null);
    return inputs;
  }
}

const sequences = tensor([
  [[1, 1], [0, 5], [2, 2]],
  [[0, 0], [3, 3], [4, 4]],
]);

describe("masks", () => {
  it("travel from the layer that makes them to later layers", () => {
    const passer = new MaskRecorder(true);
    const reader = new MaskRecorder(true);
    const model = new Sequential([Input({ shape: [3, 2] }), new ZeroMasker(), passer, reader]);
    model.predict(sequences, { verbose: 0 });
    assert.deepEqual([...passer.seen[0]!.data], [1, 0, 1, 0, 1, 1], "the first layer after the masker sees the mask");
    assert.deepEqual([...reader.seen[0]!.data], [1, 0, 1, 0, 1, 1], "a layer that supports masking passes it on");
  });

  it("are dropped with a warning by layers that do not support them", () => {
    const dropper = new MaskRecorder(false);
    const after = new MaskRecorder(true);
    const model = new Sequential([Input({ shape: [3, 2] }), new ZeroMasker("masker"), dropper, after]);
    const lines = captureLog(() => model.predict(sequences, { verbose: 0 }));
    assert.equal(after.seen[0], null, "no mask reaches the layer after");
    assert.equal(lines.length, 1, "one warning");
    assert.match(lines[0]!, /does not support masking/);
  });

  it("can be given explicitly", () => {
    const reader = new MaskRecorder(true);
    const mask = tensor([[1, 1, 0], [0, 1, 1]]);
    const output = reader.apply(sequences, { mask });
    assert.equal(reader.seen[0], mask, "call receives the given mask");
    assert.equal(getMask(output), mask, "the output carries it");
  });

  it("flow through a functional graph", () => {
    const input = Input({ shape: [3, 2] });
    const reader = new MaskRecorder(true);
    const model = new Model({ inputs: input, outputs: reader.apply(new ZeroMasker().apply(input)) });
    model.predict(sequences, { verbose: 0 });
    assert.deepEqual([...reader.seen[0]!.data], [1, 0, 1, 0, 1, 1]);
  });
});

describe("masks of several outputs", () => {
  it("stay on the sequence and leave the states", () => {
    const lstm = new LSTM({ units: 2, returnSequences: true, returnState: true });
    const mask = tensor([[1, 1, 0], [0, 1, 1]]);
    const [sequence, hidden, cell] = lstm.apply(sequences as Tensor | Tensor[], { mask }) as Tensor[];
    assert.equal(getMask(sequence!), mask, "the sequence output keeps the mask");
    assert.equal(getMask(hidden!), null, "the hidden state has no mask");
    assert.equal(getMask(cell!), null, "the cell state has no mask");
  });
});

describe("symbolic calls", () => {
  it("build the layer and record a node", () => {
    const input = Input({ shape: [4], name: "x" });
    const dense = new Dense({ units: 3, name: "d" });
    const output = dense.apply(input);
    assert.ok(output instanceof SymbolicTensor);
    assert.deepEqual(output.shape, [null, 3], "output shape");
    assert.ok(dense.built, "the layer is built");
    assert.equal(dense.inboundNodes.length, 1, "one node");
    assert.deepEqual(output.history, ["d", 0, 0], "keras_history of the output");
    assert.deepEqual(dense.apply(input).history, ["d", 1, 0], "a second call is node 1");
  });

  it("reject a shared layer on a different shape", () => {
    const dense = new Dense({ units: 3, name: "shared_d" });
    dense.apply(Input({ shape: [4] }));
    assert.match(
      errorMessage(() => dense.apply(Input({ shape: [5] }))),
      /built for inputs of shape \(None, 4\), but is called on a symbolic tensor of shape \(None, 5\)/,
    );
  });
});

/** Scales its input by a weight and then applies an inner Dense layer it owns. */
class ScaledDense extends Layer {
  readonly inner: Dense;
  scale: ReturnType<Layer["addWeight"]> | null = null;

  constructor() {
    super({ name: "scaled_dense" }, ["name"]);
    this.inner = this.trackLayer(new Dense({ units: 2, name: "inner" }));
  }

  override build(inputShape: (number | null)[]): void {
    this.scale = this.addWeight({ name: "scale", shape: [1], initializer: new Ones() });
    super.build(inputShape);
  }

  call(inputs: Tensor, options: CallOptions): Tensor {
    return this.inner.apply(mul(inputs, this.scale!.value), options);
  }
}

describe("tracked sub-layers", () => {
  it("contribute their weights after the layer's own", () => {
    const layer = new ScaledDense();
    layer.apply(tensor([[1, 2, 3]]));
    assert.deepEqual(layer.weights.map((w) => w.path), ["scaled_dense/scale", "inner/kernel", "inner/bias"]);
    assert.equal(layer.trainableWeights.length, 3, "all trainable");
    layer.trainable = false;
    assert.equal(layer.trainableWeights.length, 0, "a frozen layer has no trainable weights");
    assert.equal(layer.nonTrainableWeights.length, 3, "a frozen layer lists every weight as non-trainable");
  });
});
