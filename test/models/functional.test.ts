// Functional and subclassed models against Keras 3.15.1.
// The reference values come from test/reference/functional.py.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Dense } from "../../src/layers/dense.js";
import { Input } from "../../src/layers/input.js";
import type { CallOptions, Layer } from "../../src/layers/layer.js";
import { MultiHeadAttention } from "../../src/layers/multi-head-attention.js";
import { Model } from "../../src/models/model.js";
import { SGD } from "../../src/optimizers/sgd.js";
import { Tensor, tensor } from "../../src/tensor/tensor.js";
import { assertClose } from "../helpers/close.js";
import { forEachBackend } from "../helpers/backends.js";

type Nested = number | Nested[];

interface ReferenceCase {
  initial_weights: Nested[];
  config?: Record<string, unknown>;
  summary?: Record<string, string>;
  history: Record<string, number[]>;
  evaluate_list: number[] | number;
  evaluate_dict: Record<string, number>;
  predict: Nested | Nested[] | Record<string, Nested>;
  final_weights: Nested[];
  data: Record<string, unknown>;
}

const reference = JSON.parse(
  readFileSync(new URL("../fixtures/reference/functional.json", import.meta.url), "utf8"),
) as {
  cases: Record<string, ReferenceCase>;
  call_options: { config: Record<string, unknown>; initial_weights: Nested[]; x: Nested; predict: Nested };
};

const FIT = { batchSize: 4, epochs: 2, shuffle: false, verbose: 0 as const };

function setInitialWeights(model: Model, weights: Nested[]): void {
  assert.equal(model.weights.length, weights.length, "weight count matches Keras");
  model.weights.forEach((w, i) => w.assign(tensor(weights[i] as number[])));
}

function flatten(value: Nested): number[] {
  return Array.isArray(value) ? value.flatMap(flatten) : [value];
}

function assertHistory(actual: Record<string, number[]>, expected: Record<string, number[]>): void {
  assert.deepEqual(Object.keys(actual), Object.keys(expected), "history keys in Keras's order");
  for (const [key, values] of Object.entries(expected)) assertClose(actual[key]!, values, { rtol: 1e-5, atol: 1e-6, message: key });
}

function assertWeights(model: Model, expected: Nested[]): void {
  model.weights.forEach((w, i) => assertClose([...w.value.data], flatten(expected[i]!), { rtol: 1e-5, atol: 1e-6, message: w.path }));
}

function captureSummary(model: Model, lineLength: number): string {
  const lines: string[] = [];
  model.summary({ lineLength, printFn: (line) => lines.push(line) });
  return lines.join("\n") + "\n";
}

function twoBranchModel(): Model {
  const a = Input({ shape: [3], name: "a" });
  const b = Input({ shape: [2], name: "b" });
  const shared = new Dense({ units: 4, activation: "relu", name: "s" });
  const h = shared.apply(shared.apply(new Dense({ units: 4, activation: "tanh", name: "pa" }).apply(a)));
  const out1 = new Dense({ units: 1, activation: "sigmoid", name: "out1" }).apply(h);
  const out2 = new Dense({ units: 3, activation: "softmax", name: "out2" }).apply(new Dense({ units: 3, name: "pb" }).apply(b));
  return new Model({ inputs: [a, b], outputs: [out1, out2], name: "two_branch" });
}

function dictModel(): Model {
  const features = Input({ shape: [4], name: "features" });
  const h = new Dense({ units: 3, activation: "relu", name: "h" }).apply(features);
  const score = new Dense({ units: 1, name: "score" }).apply(h);
  const label = new Dense({ units: 2, activation: "softmax", name: "label" }).apply(h);
  return new Model({ inputs: { features }, outputs: { score, label }, name: "dict_io" });
}

class TwoDense extends Model {
  hidden = new Dense({ units: 5, activation: "relu" });
  out = new Dense({ units: 1 });

  override call(inputs: Tensor): Tensor {
    return this.out.apply(this.hidden.apply(inputs));
  }
}

describe("functional model against Keras", () => {
  it(
    "two inputs, two outputs and a shared layer",
    forEachBackend(async () => {
      const ref = reference.cases["two_branch"]!;
      const model = twoBranchModel();
      assert.deepEqual(
        model.layers.map((l) => l.name),
        ["a", "pa", "s", "b", "pb", "out1", "out2"],
        "layers in Keras's graph order",
      );
      for (const width of ["76", "108"]) assert.equal(captureSummary(model, Number(width)), ref.summary![width], `summary at ${width}`);
      assert.deepEqual(JSON.parse(JSON.stringify(model.getConfig())), ref.config, "getConfig matches Keras");
      setInitialWeights(model, ref.initial_weights);
      model.compile({
        optimizer: new SGD({ learningRate: 0.1 }),
        loss: ["binary_crossentropy", "categorical_crossentropy"],
        lossWeights: [1.0, 0.5],
        metrics: [["accuracy"], ["accuracy", "categorical_accuracy"]],
      });
      const x = (ref.data["x"] as number[][][]).map((v) => tensor(v));
      const y = (ref.data["y"] as number[][][]).map((v) => tensor(v));
      const history = await model.fit(x, y, FIT);
      assertHistory(history.history, ref.history);
      assertClose((await model.evaluate(x, y, { batchSize: 4, verbose: 0 })) as number[], ref.evaluate_list as number[], { rtol: 1e-5 });
      const asDict = (await model.evaluate(x, y, { batchSize: 4, verbose: 0, returnDict: true })) as Record<string, number>;
      assert.deepEqual(Object.keys(asDict), Object.keys(ref.evaluate_dict), "evaluate record keys");
      const predictions = model.predict(x, { verbose: 0 }) as Tensor[];
      assert.equal(predictions.length, 2, "one prediction per output");
      predictions.forEach((p, i) => assertClose([...p.data], flatten((ref.predict as Nested[])[i]!), { rtol: 1e-5, atol: 1e-6 }));
      assertWeights(model, ref.final_weights);
    }),
  );

  it(
    "inputs, outputs, losses and data as records",
    forEachBackend(async () => {
      const ref = reference.cases["dict_io"]!;
      const model = dictModel();
      assert.deepEqual(model.layers.map((l) => l.name), ["features", "h", "label", "score"], "records flatten in sorted key order");
      for (const width of ["76", "108"]) assert.equal(captureSummary(model, Number(width)), ref.summary![width], `summary at ${width}`);
      assert.deepEqual(JSON.parse(JSON.stringify(model.getConfig())), ref.config, "getConfig matches Keras");
      setInitialWeights(model, ref.initial_weights);
      model.compile({
        optimizer: new SGD({ learningRate: 0.1 }),
        loss: { score: "mse", label: "categorical_crossentropy" },
        metrics: { label: ["accuracy"] },
      });
      const x = { features: tensor(ref.data["x"] as number[][]) };
      const y = { score: tensor(ref.data["y_score"] as number[][]), label: tensor(ref.data["y_label"] as number[][]) };
      const history = await model.fit(x, y, FIT);
      assertHistory(history.history, ref.history);
      assertClose((await model.evaluate(x, y, { batchSize: 4, verbose: 0 })) as number[], ref.evaluate_list as number[], { rtol: 1e-5 });
      const predictions = model.predict(x, { verbose: 0 }) as Record<string, Tensor>;
      assert.deepEqual(Object.keys(predictions).sort(), ["label", "score"], "predict returns a record by output name");
      for (const [key, value] of Object.entries(ref.predict as Record<string, Nested>)) {
        assertClose([...predictions[key]!.data], flatten(value), { rtol: 1e-5, atol: 1e-6, message: key });
      }
      assertWeights(model, ref.final_weights);
    }),
  );
});

describe("subclassed model against Keras", () => {
  it(
    "finds its layers and trains",
    forEachBackend(async () => {
      const ref = reference.cases["subclassed"]!;
      const model = new TwoDense();
      model.build([null, 3]);
      assert.deepEqual(model.layers, [model.hidden, model.out] as Layer[], "layers from fields, in field order");
      setInitialWeights(model, ref.initial_weights);
      model.compile({ optimizer: new SGD({ learningRate: 0.1 }), loss: "mse" });
      const x = tensor(ref.data["x"] as number[][]);
      const y = tensor(ref.data["y"] as number[][]);
      const history = await model.fit(x, y, FIT);
      assertHistory(history.history, ref.history);
      assertClose([(await model.evaluate(x, y, { batchSize: 4, verbose: 0 })) as number], [ref.evaluate_list as number], { rtol: 1e-5 });
      assertClose([...(model.predict(x, { verbose: 0 }) as Tensor).data], flatten(ref.predict as Nested), { rtol: 1e-5, atol: 1e-6 });
      assertWeights(model, ref.final_weights);
    }),
  );
});

describe("call options in a functional graph", () => {
  it(
    "are recorded, written as Keras kwargs and replayed",
    forEachBackend(() => {
      const ref = reference.call_options;
      const query = Input({ shape: [4, 6], name: "query" });
      const attention = new MultiHeadAttention({ numHeads: 2, keyDim: 3, name: "mha" }).apply(query, { useCausalMask: true } as CallOptions);
      const model = new Model({ inputs: query, outputs: new Dense({ units: 2, name: "head" }).apply(attention), name: "call_options" });
      assert.deepEqual(JSON.parse(JSON.stringify(model.getConfig())), ref.config, "getConfig matches Keras");
      setInitialWeights(model, ref.initial_weights);
      const x = tensor(ref.x as number[][][]);
      assertClose([...(model.predict(x, { verbose: 0 }) as Tensor).data], flatten(ref.predict), { message: "causal predictions" });
      const rebuilt = Model.fromConfig(JSON.parse(JSON.stringify(ref.config)) as Record<string, unknown>);
      rebuilt.setWeights(model.getWeights());
      assertClose([...(rebuilt.predict(x, { verbose: 0 }) as Tensor).data], flatten(ref.predict), { message: "rebuilt from Keras's config" });
    }),
  );
});
