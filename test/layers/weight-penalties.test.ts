import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import * as constraints from "../../src/constraints/index.js";
import { Conv1D } from "../../src/layers/convolutional.js";
import { Dense } from "../../src/layers/dense.js";
import { Embedding } from "../../src/layers/embedding.js";
import { deserialize } from "../../src/layers/index.js";
import { encodeModel, loadModel } from "../../src/io/saving.js";
import { Input } from "../../src/layers/input.js";
import type { Layer, SymbolicShape } from "../../src/layers/layer.js";
import { BatchNormalization } from "../../src/layers/normalization.js";
import { MultiHeadAttention } from "../../src/layers/multi-head-attention.js";
import { LSTM } from "../../src/layers/recurrent.js";
import { Sequential } from "../../src/models/sequential.js";
import { SGD } from "../../src/optimizers/sgd.js";
import * as regularizers from "../../src/regularizers/index.js";
import { type NestedArray, tensor } from "../../src/tensor/tensor.js";
import { forEachBackend } from "../helpers/backends.js";
import { assertClose, flat } from "../helpers/close.js";

interface LayerConfigCase {
  class_name: string;
  config: Record<string, unknown>;
}

interface FitCase {
  x: NestedArray;
  y: NestedArray;
  initial_weights: NestedArray[];
  initial_loss: number;
  history_loss: number[];
  final_weights: NestedArray[];
  final_loss: number;
}

const reference = JSON.parse(readFileSync(new URL("../fixtures/reference/regularizers.json", import.meta.url), "utf8")) as {
  keras_version: string;
  layer_configs: LayerConfigCase[];
  fit: FitCase;
};

/** A build shape (batch axis included) for each layer class in the reference configs. */
const BUILD_SHAPES: Record<string, SymbolicShape | SymbolicShape[]> = {
  Dense: [null, 4],
  Conv1D: [null, 6, 2],
  Conv2D: [null, 5, 5, 2],
  Conv1DTranspose: [null, 6, 2],
  Conv2DTranspose: [null, 5, 5, 2],
  Embedding: [null, 3],
  SimpleRNN: [null, 4, 2],
  LSTM: [null, 4, 2],
  GRU: [null, 4, 2],
  SimpleRNNCell: [null, 2],
  LSTMCell: [null, 2],
  GRUCell: [null, 2],
  BatchNormalization: [null, 4],
  LayerNormalization: [null, 4],
  GroupNormalization: [null, 4],
  PReLU: [null, 4],
  Conv3D: [null, 3, 3, 3, 2],
  Conv3DTranspose: [null, 3, 3, 3, 2],
  DepthwiseConv1D: [null, 6, 2],
  DepthwiseConv2D: [null, 5, 5, 2],
  SeparableConv1D: [null, 6, 2],
  SeparableConv2D: [null, 5, 5, 2],
  MultiHeadAttention: [null, 4, 6],
};

/** Maps each variable name to the config key prefix of its regularizer and constraint. */
function penaltyPrefix(layer: Layer, variableName: string): string {
  if (variableName === "recurrent_kernel") return "recurrent";
  if (variableName === "depthwise_kernel" || (layer.className.startsWith("Depthwise") && variableName === "kernel")) return "depthwise";
  if (variableName === "pointwise_kernel") return "pointwise";
  return variableName;
}

describe("layer configs with regularizers and constraints", () => {
  it("reference file has every layer kind", () => {
    assert.equal(reference.keras_version, "3.15.1");
    for (const className of Object.keys(BUILD_SHAPES)) {
      assert.ok(
        reference.layer_configs.some((c) => c.class_name === className),
        `a ${className} config is in the reference file`,
      );
    }
  });

  for (const entry of reference.layer_configs) {
    const name = entry.config["name"] as string;
    it(`${entry.class_name} ${name} round trip`, () => {
      const layer = deserialize(entry);
      assert.deepEqual(layer.getConfig(), entry.config);
      assert.deepEqual(Object.keys(layer.getConfig()), Object.keys(entry.config), "keys in Keras's order");
    });

    it(`${entry.class_name} ${name} sets its variables`, () => {
      const layer = deserialize(entry);
      layer.build(BUILD_SHAPES[entry.class_name]!);
      assert.ok(layer.weights.length > 0);
      for (const variable of layer.weights) {
        const prefix = penaltyPrefix(layer, variable.name);
        const regularizer = entry.config[`${prefix}_regularizer`] ?? null;
        const constraint = entry.config[`${prefix}_constraint`] ?? null;
        assert.equal(variable.regularizer !== null, regularizer !== null, `${variable.path} has a regularizer exactly when the config sets one`);
        assert.equal(variable.constraint !== null, constraint !== null, `${variable.path} has a constraint exactly when the config sets one`);
        if (regularizer !== null) {
          const expected = regularizers.deserialize(regularizer as regularizers.SerializedRegularizer)!.call(variable.value);
          assertClose([variable.regularizer!(variable.value).item()], [expected.item()], { message: `${variable.path} penalty` });
        }
        if (constraint !== null) {
          const expected = constraints.deserialize(constraint as constraints.SerializedConstraint)!.call(variable.value);
          assertClose(variable.constraint!(variable.value).data, expected.data, { message: `${variable.path} projection` });
        }
      }
    });
  }
});

describe("regularizer and constraint options", () => {
  it("camelCase options take names, objects and configs", () => {
    const layer = new Dense({
      units: 2,
      kernelRegularizer: "l2",
      biasRegularizer: regularizers.l1(0.5),
      kernelConstraint: { module: "keras.constraints", class_name: "MaxNorm", config: { max_value: 3, axis: 0 }, registered_name: null },
      biasConstraint: "non_neg",
    });
    const config = layer.getConfig();
    assert.deepEqual(config["kernel_regularizer"], { module: "keras.regularizers", class_name: "L2", config: { l2: 0.01 }, registered_name: null });
    assert.deepEqual(config["bias_regularizer"], { module: "keras.regularizers", class_name: "L1", config: { l1: 0.5 }, registered_name: null });
    assert.deepEqual(config["kernel_constraint"], { module: "keras.constraints", class_name: "MaxNorm", config: { max_value: 3, axis: 0 }, registered_name: null });
    assert.deepEqual(config["bias_constraint"], { module: "keras.constraints", class_name: "NonNeg", config: {}, registered_name: null });
    assert.equal("activity_regularizer" in config, false, "Dense writes activity_regularizer only when one is set");
  });

  it("misspelled option suggests the right one", () => {
    assert.throws(() => new Dense({ units: 2, kernelRegulariser: "l2" } as never), /Unknown option "kernelRegulariser".*Did you mean "kernelRegularizer"\?/);
  });

  it("unknown regularizer names the option", () => {
    assert.throws(() => new Conv1D({ filters: 2, kernelSize: 3, biasRegularizer: "l3" }), /Unknown regularizer "l3" for `biasRegularizer`/);
    assert.throws(() => new LSTM({ units: 2, recurrentConstraint: "max_nrm" }), /Unknown constraint "max_nrm" for `recurrentConstraint`/);
  });

  it("unknown serialized class names the config key", () => {
    const config = { ...new BatchNormalization().getConfig(), gamma_regularizer: { class_name: "Mystery", config: {} } };
    assert.throws(() => BatchNormalization.fromConfig(config), /Unknown regularizer class "Mystery" for `gamma_regularizer`/);
  });

  it("string identifiers in configs are accepted", () => {
    const config = { ...new Dense({ units: 2 }).getConfig(), kernel_regularizer: "l1l2", kernel_constraint: "unit_norm" };
    const layer = Dense.fromConfig(config);
    assert.deepEqual((layer.getConfig()["kernel_regularizer"] as { class_name: string }).class_name, "L1L2");
    assert.deepEqual((layer.getConfig()["kernel_constraint"] as { class_name: string }).class_name, "UnitNorm");
  });
});

describe("activity regularizers", () => {
  it(
    "Dense adds the penalty divided by the batch size",
    forEachBackend(() => {
      const layer = new Dense({ units: 2, kernelInitializer: "ones", activityRegularizer: regularizers.l2(0.1) });
      const x = tensor([[1, 2], [3, -1], [0.5, 0.5]]);
      const y = layer.apply(x);
      assert.equal(layer.losses.length, 1);
      const expected = (0.1 * flat(y.toArray()).reduce((s, v) => s + v * v, 0)) / 3;
      assertClose([layer.losses[0]!.item()], [expected]);
    }),
  );

  it("Embedding penalizes its output", () => {
    const layer = new Embedding({ inputDim: 4, outputDim: 2, embeddingsInitializer: "ones", activityRegularizer: "l1" });
    layer.apply(tensor([[0, 1, 2]]));
    // Three rows of ones: l1 · 6 / batch 1.
    assertClose([layer.losses[0]!.item()], [Math.fround(0.01) * 6]);
  });

  it("recurrent layers penalize every output and state", () => {
    const layer = new LSTM({ units: 2, returnState: true, activityRegularizer: "l2" });
    const outputs = layer.apply(tensor([[[1, 0], [0, 1]]])) as unknown as { item(): number }[];
    assert.equal(outputs.length, 3);
    assert.equal(layer.losses.length, 3, "the output, h and c each add a penalty");
  });

  it("MultiHeadAttention penalizes each projection", () => {
    const layer = new MultiHeadAttention({ numHeads: 2, keyDim: 3, activityRegularizer: "l2" });
    layer.apply(tensor([[[1, 0], [0, 1], [1, 1]]]));
    assert.equal(layer.losses.length, 4, "the query, key, value and output projections each add a penalty");
  });

  it("config round trip keeps the activity regularizer", () => {
    const layer = new Dense({ units: 2, activityRegularizer: regularizers.l1l2({ l1: 0.1, l2: 0.2 }) });
    const config = layer.getConfig();
    assert.deepEqual(Object.keys(config).slice(0, 4), ["name", "trainable", "dtype", "activity_regularizer"]);
    assert.deepEqual(Dense.fromConfig(config).getConfig(), config);
  });
});

function buildFitModel(): Sequential {
  return new Sequential([
    Input({ shape: [3] }),
    new Dense({ units: 4, activation: "tanh", kernelRegularizer: regularizers.l2(0.1), kernelConstraint: constraints.maxNorm({ maxValue: 1 }) }),
    new Dense({
      units: 1,
      activityRegularizer: regularizers.l2(0.05),
      biasRegularizer: regularizers.l1(0.02),
      kernelConstraint: constraints.nonNeg(),
    }),
  ]);
}

describe("training with penalties against Keras", () => {
  it(
    "fit history and final weights match",
    forEachBackend(async (backend) => {
      const fit = reference.fit;
      const model = buildFitModel();
      model.setWeights(fit.initial_weights.map((w) => tensor(w)));
      model.compile({ optimizer: new SGD({ learningRate: 0.1 }), loss: "mse" });
      const x = tensor(fit.x);
      const y = tensor(fit.y);
      const initial = (await model.evaluate(x, y, { batchSize: 10, verbose: 0 })) as number;
      assertClose([initial], [fit.initial_loss], { rtol: 1e-5, message: `initial loss on ${backend}` });
      const history = await model.fit(x, y, { epochs: 3, batchSize: 4, shuffle: false, verbose: 0 });
      assertClose(history.history["loss"]!, fit.history_loss, { rtol: 1e-5, message: `history loss on ${backend}` });
      model.getWeights().forEach((w, i) => {
        assertClose(w.toArray(), fit.final_weights[i]!, { rtol: 1e-4, atol: 1e-6, message: `weight ${i} on ${backend}` });
      });
      const final = (await model.evaluate(x, y, { batchSize: 10, verbose: 0 })) as number;
      assertClose([final], [fit.final_loss], { rtol: 1e-5, message: `final loss on ${backend}` });
    }),
  );

  it("constraints hold after every step", async () => {
    const model = buildFitModel();
    model.compile({ optimizer: new SGD({ learningRate: 0.5 }), loss: "mse" });
    const x = tensor(reference.fit.x);
    const y = tensor(reference.fit.y);
    await model.fit(x, y, { epochs: 2, batchSize: 2, shuffle: false, verbose: 0 });
    const [kernel, , outputKernel] = model.getWeights();
    const [rows, units] = kernel!.shape as [number, number];
    for (let j = 0; j < units; j++) {
      let squares = 0;
      for (let i = 0; i < rows; i++) squares += kernel!.data[i * units + j]! ** 2;
      assert.ok(Math.sqrt(squares) <= 1 + 1e-6, `column ${j} of the first kernel has norm at most 1`);
    }
    assert.ok([...outputKernel!.data].every((v) => v >= 0), "the second kernel is non-negative");
  });
});

describe("layers built in models", () => {
  it("keras file round trip keeps penalties", async () => {
    const model = buildFitModel();
    const loaded = await loadModel(await encodeModel(model), { compile: false });
    const original = model.layers as Layer[];
    (loaded.layers as Layer[]).forEach((layer, i) => assert.deepEqual(layer.getConfig(), original[i]!.getConfig()));
    const kernel = loaded.weights[0]!;
    assert.notEqual(kernel.regularizer, null, "the loaded kernel has its penalty");
    assert.notEqual(kernel.constraint, null, "the loaded kernel has its constraint");
  });

  it("Sequential config round trip keeps penalties", () => {
    const model = buildFitModel();
    const layers = model.layers as Layer[];
    for (const layer of layers) {
      const rebuilt = deserialize({ class_name: layer.className, config: layer.getConfig() });
      assert.deepEqual(rebuilt.getConfig(), layer.getConfig());
    }
  });
});
