// Behaviour of functional and subclassed models beyond the Keras reference
// runs: config round trips, nesting, and the errors bad arguments get.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Dense } from "../../src/layers/dense.js";
import { Input } from "../../src/layers/input.js";
import { Layer, type CallOptions, type SymbolicShape } from "../../src/layers/layer.js";
import { Model } from "../../src/models/model.js";
import { Sequential } from "../../src/models/sequential.js";
import { Ones } from "../../src/initializers/index.js";
import { mul } from "../../src/ops/index.js";
import { setRandomSeed } from "../../src/random.js";
import { Tensor, tensor } from "../../src/tensor/tensor.js";
import { errorMessage } from "../helpers/capture.js";
import { assertClose } from "../helpers/close.js";

function branchModel(): Model {
  const a = Input({ shape: [3], name: "a" });
  const b = Input({ shape: [2], name: "b" });
  const out1 = new Dense({ units: 2, name: "out1" }).apply(new Dense({ units: 4, activation: "relu", name: "h" }).apply(a));
  const out2 = new Dense({ units: 1, name: "out2" }).apply(b);
  return new Model({ inputs: [a, b], outputs: [out1, out2], name: "branches" });
}

const xa = tensor([[0.1, 0.2, 0.3], [0.4, -0.5, 0.6]]);
const xb = tensor([[1, 2], [3, 4]]);

describe("functional model config", () => {
  it("rebuilds the same graph", () => {
    setRandomSeed(3);
    const model = branchModel();
    const config = JSON.parse(JSON.stringify(model.getConfig())) as Record<string, unknown>;
    const rebuilt = Model.fromConfig(config);
    assert.deepEqual(JSON.parse(JSON.stringify(rebuilt.getConfig())), config, "config after fromConfig");
    assert.deepEqual(rebuilt.layers.map((l) => l.name), model.layers.map((l) => l.name), "layer order");
    rebuilt.setWeights(model.getWeights());
    const expected = model.predict([xa, xb], { verbose: 0 }) as Tensor[];
    const actual = rebuilt.predict([xa, xb], { verbose: 0 }) as Tensor[];
    expected.forEach((e, i) => assert.deepEqual([...actual[i]!.data], [...e.data], `output ${i}`));
  });

  it("reads Keras 2 node lists", () => {
    const config = {
      name: "legacy",
      layers: [
        { class_name: "InputLayer", config: { batch_input_shape: [null, 2], dtype: "float32", name: "x" }, name: "x", inbound_nodes: [] },
        {
          class_name: "Dense",
          config: { name: "d", units: 3, activation: "linear", use_bias: true },
          name: "d",
          inbound_nodes: [[["x", 0, 0, {}]]],
        },
      ],
      input_layers: [["x", 0, 0]],
      output_layers: [["d", 0, 0]],
    };
    const model = Model.fromConfig(config);
    assert.deepEqual(model.layers.map((l) => l.name), ["x", "d"]);
    assert.deepEqual((model.predict([tensor([[1, 2]])], { verbose: 0 }) as Tensor[])[0]!.shape, [1, 3]);
  });

  it("rejects a node that refers to a missing layer", () => {
    const config = {
      name: "broken",
      layers: [
        { class_name: "InputLayer", config: { batch_shape: [null, 2], name: "x" }, name: "x", inbound_nodes: [] },
        { class_name: "Dense", config: { name: "d", units: 3 }, name: "d", inbound_nodes: [[["nowhere", 0, 0, {}]]] },
      ],
      input_layers: [["x", 0, 0]],
      output_layers: [["d", 0, 0]],
    };
    assert.match(errorMessage(() => Model.fromConfig(config)), /refer to tensors that no layer produces/);
  });
});

describe("nested models", () => {
  it("calls a functional model as a layer", () => {
    setRandomSeed(4);
    const innerInput = Input({ shape: [3], name: "inner_in" });
    const inner = new Model({ inputs: innerInput, outputs: new Dense({ units: 2, name: "inner_dense" }).apply(innerInput), name: "inner" });
    const outerInput = Input({ shape: [3], name: "outer_in" });
    const head = new Dense({ units: 1, name: "head" });
    const outer = new Model({ inputs: outerInput, outputs: head.apply(inner.apply(outerInput)), name: "outer" });
    assert.deepEqual(outer.layers.map((l) => l.name), ["outer_in", "inner", "head"], "the inner model is one layer");
    assert.equal(outer.weights.length, 4, "the inner model's weights count in the outer model");
    const expected = head.apply(inner.predict(xa, { verbose: 0 }) as Tensor);
    assertClose([...(outer.predict(xa, { verbose: 0 }) as Tensor).data], [...expected.data]);
  });

  it("runs inside a Sequential", async () => {
    setRandomSeed(5);
    const input = Input({ shape: [3], name: "block_in" });
    const block = new Model({ inputs: input, outputs: new Dense({ units: 4, activation: "relu", name: "block_dense" }).apply(input), name: "block" });
    const model = new Sequential([Input({ shape: [3] }), block, new Dense({ units: 1, name: "last" })]);
    model.compile({ optimizer: "sgd", loss: "mse" });
    const before = (await model.evaluate(xa, tensor([[1], [0]]), { verbose: 0 })) as number;
    for (let i = 0; i < 20; i++) model.trainOnBatch(xa, tensor([[1], [0]]));
    const after = (await model.evaluate(xa, tensor([[1], [0]]), { verbose: 0 })) as number;
    assert.ok(after < before, `loss falls: ${before} before, ${after} after`);
  });
});

class Scale extends Layer {
  scale: ReturnType<Layer["addWeight"]> | null = null;

  constructor() {
    super({}, []);
  }

  override build(inputShape: SymbolicShape): void {
    this.scale = this.addWeight({ name: "scale", shape: [inputShape[inputShape.length - 1]!], initializer: new Ones() });
    super.build(inputShape);
  }

  call(inputs: Tensor, _options: CallOptions): Tensor {
    return mul(inputs, this.scale!.value);
  }
}

class ScaledModel extends Model {
  scale = new Scale();
  dense = new Dense({ units: 1, kernelInitializer: "ones" });

  override call(inputs: Tensor): Tensor {
    return this.dense.apply(this.scale.apply(inputs));
  }
}

describe("subclassed layers and models", () => {
  it("train a weight made in build", async () => {
    const model = new ScaledModel();
    model.compile({ optimizer: "sgd", loss: "mse" });
    const history = await model.fit(xa, tensor([[2], [-1]]), { epochs: 3, batchSize: 2, verbose: 0 });
    assert.deepEqual(model.weights.map((w) => w.path), ["scale/scale", "dense/kernel", "dense/bias"].map((p) => p), "weights of both layers");
    const scale = [...model.scale.scale!.value.data];
    assert.ok(scale.some((v) => v !== 1), "the custom weight was trained");
    const losses = history.history["loss"]!;
    assert.ok(losses[2]! < losses[0]!, `loss falls: ${losses.join(", ")}`);
  });
});

describe("functional model errors", () => {
  it("needs inputs and outputs", () => {
    assert.match(errorMessage(() => new Model()), /needs `inputs` and `outputs`/);
    const input = Input({ shape: [2] });
    assert.match(errorMessage(() => new Model({ inputs: input })), /needs both `inputs` and `outputs`/);
  });

  it("rejects inputs that do not come from Input", () => {
    const input = Input({ shape: [2] });
    const hidden = new Dense({ units: 2 }).apply(input);
    const message = errorMessage(() => new Model({ inputs: hidden, outputs: new Dense({ units: 1 }).apply(hidden) }));
    assert.match(message, /must come from Input/);
  });

  it("rejects an output built from an undeclared input", () => {
    const a = Input({ shape: [2], name: "declared" });
    const b = Input({ shape: [2], name: "undeclared" });
    const message = errorMessage(() => new Model({ inputs: a, outputs: new Dense({ units: 1 }).apply(b) }));
    assert.match(message, /Input "undeclared", which is not among the model's inputs/);
  });

  it("rejects two layers with one name", () => {
    const input = Input({ shape: [2] });
    const first = new Dense({ units: 2, name: "twin" }).apply(input);
    const message = errorMessage(() => new Model({ inputs: input, outputs: new Dense({ units: 1, name: "twin" }).apply(first) }));
    assert.match(message, /two layers are named "twin"/);
  });

  it("names the expected inputs when data does not match", async () => {
    const model = branchModel();
    model.compile({ optimizer: "sgd", loss: "mse" });
    const y = [tensor([[0, 0], [0, 0]]), tensor([[0], [0]])];
    await assert.rejects(model.fit(xa, y, { verbose: 0 }), /2 inputs \("a", "b"\)/);
    await assert.rejects(model.fit([xa], y, { verbose: 0 }), /received an array of length 1/);
    await assert.rejects(model.fit({ a: xa, c: xb }, y, { verbose: 0 }), /"c", which the model does not have/);
    await assert.rejects(model.fit({ a: xa }, y, { verbose: 0 }), /no entry "b"/);
    await assert.rejects(model.fit([xb, xa], y, { verbose: 0 }), /expects input of shape \(None, 3\), but `x\[0\]` has shape \(2, 2\)/);
    await assert.rejects(model.fit([xa, tensor([[1, 2]])], y, { verbose: 0 }), /`x\[1\]` has 1/);
  });

  it("checks per-output compile arguments", () => {
    const model = branchModel();
    assert.match(errorMessage(() => model.compile({ optimizer: "sgd", loss: ["mse"] })), /2 outputs \("out1", "out2"\), but the array has 1/);
    assert.match(errorMessage(() => model.compile({ optimizer: "sgd", loss: { out3: "mse" } })), /no output named "out3"/);
    assert.match(errorMessage(() => model.compile({ optimizer: "sgd", loss: [null, null] })), /no output of the model has a loss/);
    assert.match(
      errorMessage(() => model.compile({ optimizer: "sgd", loss: "mse", lossWeights: { out: 2 } })),
      /no output named "out"\. Did you mean "out1"\?/,
    );
    assert.match(errorMessage(() => model.compile({ optimizer: "sgd", loss: "mse", metrics: ["accuracy"] })), /received 1 entries/);
  });

  it("reports one loss per output and weights them", async () => {
    const model = branchModel();
    model.compile({ optimizer: "sgd", loss: { out1: "mse", out2: "mse" }, lossWeights: { out2: 3 } });
    const y = [tensor([[1, 0], [0, 1]]), tensor([[1], [2]])];
    const logs = (await model.evaluate([xa, xb], y, { verbose: 0, returnDict: true })) as Record<string, number>;
    assert.deepEqual(Object.keys(logs), ["loss", "out1_loss", "out2_loss"]);
    assertClose([logs["loss"]!], [logs["out1_loss"]! + 3 * logs["out2_loss"]!]);
  });
});
