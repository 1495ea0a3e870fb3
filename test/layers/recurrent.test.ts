import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ShapeError, ValueError } from "../../src/errors.js";
import { Bidirectional } from "../../src/layers/bidirectional.js";
import { Embedding } from "../../src/layers/embedding.js";
import { deserialize } from "../../src/layers/index.js";
import { type Layer, getMask } from "../../src/layers/layer.js";
import { GRU, LSTM, type RecurrentLayer, SimpleRNN } from "../../src/layers/recurrent.js";
import { GRUCell, LSTMCell, SimpleRNNCell } from "../../src/layers/rnn-cells.js";
import { RandomGenerator } from "../../src/random.js";
import { Tensor, tensor } from "../../src/tensor/tensor.js";
import { checkGradients } from "../helpers/gradcheck.js";
import { runLayerTest } from "../helpers/layer-test.js";

const cellWeights = (layer: string, cell: string, features: number, units: number, gates: number, biasShape: number[] | null) => [
  { name: "kernel", shape: [features, gates * units], path: `${layer}/${cell}/kernel` },
  { name: "recurrent_kernel", shape: [units, gates * units], path: `${layer}/${cell}/recurrent_kernel` },
  ...(biasShape ? [{ name: "bias", shape: biasShape, path: `${layer}/${cell}/bias` }] : []),
];

describe("SimpleRNN", () => {
  test("last output", () => {
    runLayerTest({
      create: () => new SimpleRNN({ units: 3, name: "rnn_a" }),
      inputShape: [2, 4, 5],
      expectedOutputShape: [null, 3],
      expectedTrainableWeights: cellWeights("rnn_a", "simple_rnn_cell", 5, 3, 1, [3]),
      expectedParams: 5 * 3 + 3 * 3 + 3,
    });
  });

  test("sequences going backwards", () => {
    runLayerTest({
      create: () => new SimpleRNN({ units: 2, returnSequences: true, goBackwards: true, activation: "relu", name: "rnn_b" }),
      inputShape: [3, 4, 2],
      expectedOutputShape: [null, 4, 2],
      expectedTrainableWeights: cellWeights("rnn_b", "simple_rnn_cell", 2, 2, 1, [2]),
      expectedParams: 4 + 4 + 2,
    });
  });
});

describe("LSTM", () => {
  test("last output", () => {
    runLayerTest({
      create: () => new LSTM({ units: 3, name: "lstm_a" }),
      inputShape: [2, 5, 4],
      expectedOutputShape: [null, 3],
      expectedTrainableWeights: cellWeights("lstm_a", "lstm_cell", 4, 3, 4, [12]),
      expectedParams: 4 * 12 + 3 * 12 + 12,
    });
  });

  test("sequences without bias", () => {
    runLayerTest({
      create: () => new LSTM({ units: 2, returnSequences: true, useBias: false, name: "lstm_b" }),
      inputShape: [2, 3, 3],
      expectedOutputShape: [null, 3, 2],
      expectedTrainableWeights: cellWeights("lstm_b", "lstm_cell", 3, 2, 4, null),
      expectedParams: 3 * 8 + 2 * 8,
    });
  });

  test("dropout and recurrent dropout", () => {
    runLayerTest({
      create: () => new LSTM({ units: 3, dropout: 0.3, recurrentDropout: 0.2, seed: 7, name: "lstm_c" }),
      inputShape: [4, 3, 2],
      expectedOutputShape: [null, 3],
      expectedTrainableWeights: cellWeights("lstm_c", "lstm_cell", 2, 3, 4, [12]),
      expectedParams: 2 * 12 + 3 * 12 + 12,
    });
  });

  test("unitForgetBias sets the forget gate bias to ones", () => {
    const layer = new LSTM({ units: 2 });
    layer.build([null, 3, 4]);
    assert.deepEqual([...layer.cell.bias!.value.data], [0, 0, 1, 1, 0, 0, 0, 0]);
    const plain = new LSTM({ units: 2, unitForgetBias: false });
    plain.build([null, 3, 4]);
    assert.deepEqual([...plain.cell.bias!.value.data], [0, 0, 0, 0, 0, 0, 0, 0]);
  });
});

describe("GRU", () => {
  test("reset after, the default", () => {
    runLayerTest({
      create: () => new GRU({ units: 3, name: "gru_a" }),
      inputShape: [2, 4, 2],
      expectedOutputShape: [null, 3],
      expectedTrainableWeights: cellWeights("gru_a", "gru_cell", 2, 3, 3, [2, 9]),
      expectedParams: 2 * 9 + 3 * 9 + 18,
    });
  });

  test("reset before, sequences, backwards", () => {
    runLayerTest({
      create: () => new GRU({ units: 2, resetAfter: false, returnSequences: true, goBackwards: true, name: "gru_b" }),
      inputShape: [2, 3, 3],
      expectedOutputShape: [null, 3, 2],
      expectedTrainableWeights: cellWeights("gru_b", "gru_cell", 3, 2, 3, [6]),
      expectedParams: 3 * 6 + 2 * 6 + 6,
    });
  });

  test("dropout with reset after", () => {
    runLayerTest({
      create: () => new GRU({ units: 2, dropout: 0.25, recurrentDropout: 0.25, name: "gru_c" }),
      inputShape: [3, 3, 2],
      expectedOutputShape: [null, 2],
      expectedTrainableWeights: cellWeights("gru_c", "gru_cell", 2, 2, 3, [2, 6]),
      expectedParams: 2 * 6 + 2 * 6 + 12,
    });
  });
});

describe("Bidirectional", () => {
  for (const mergeMode of ["concat", "sum", "mul", "ave"] as const) {
    test(`merge mode ${mergeMode}`, () => {
      const units = 2;
      runLayerTest({
        create: () => new Bidirectional({ layer: new LSTM({ units, returnSequences: true, name: "lstm" }), mergeMode, name: `bi_${mergeMode}` }),
        inputShape: [2, 3, 3],
        expectedOutputShape: [null, 3, mergeMode === "concat" ? 2 * units : units],
        expectedTrainableWeights: [
          ...cellWeights(`bi_${mergeMode}/forward_lstm`, "lstm_cell", 3, units, 4, [8]),
          ...cellWeights(`bi_${mergeMode}/backward_lstm`, "lstm_cell", 3, units, 4, [8]),
        ],
        expectedParams: 2 * (3 * 8 + 2 * 8 + 8),
      });
    });
  }

  test("explicit backward layer", () => {
    runLayerTest({
      create: () =>
        new Bidirectional({
          layer: new GRU({ units: 2, name: "gru_f" }),
          backwardLayer: new SimpleRNN({ units: 2, goBackwards: true, name: "rnn_b" }),
          name: "bi_mixed",
        }),
      inputShape: [2, 3, 2],
      expectedOutputShape: [null, 4],
      expectedTrainableWeights: [
        ...cellWeights("bi_mixed/forward_gru_f", "gru_cell", 2, 2, 3, [2, 6]),
        ...cellWeights("bi_mixed/rnn_b", "simple_rnn_cell", 2, 2, 1, [2]),
      ],
      expectedParams: 2 * 6 + 2 * 6 + 12 + 4 + 4 + 2,
    });
  });

  test("layer names and config", () => {
    const layer = new Bidirectional({ layer: new LSTM({ units: 2, name: "encoder" }) });
    assert.equal(layer.forwardLayer.name, "forward_encoder");
    assert.equal(layer.backwardLayer.name, "backward_encoder");
    assert.equal(layer.backwardLayer.goBackwards, true);
    const config = layer.getConfig();
    assert.deepEqual(Object.keys(config), ["name", "trainable", "dtype", "merge_mode", "layer", "backward_layer"]);
  });

  test("merge mode null returns both directions", () => {
    const layer = new Bidirectional({ layer: new GRU({ units: 2, returnSequences: true }), mergeMode: null });
    const outputs = layer.apply(randomTensor([2, 3, 4], 5));
    assert.ok(Array.isArray(outputs));
    assert.equal(outputs.length, 2);
    assert.deepEqual(layer.computeOutputShape([null, 3, 4]), [[null, 3, 2], [null, 3, 2]]);
    for (const output of outputs) assert.deepEqual([...output.shape], [2, 3, 2]);
  });

  test("returnState returns both directions' states", () => {
    const layer = new Bidirectional({ layer: new LSTM({ units: 3, returnState: true }) });
    const outputs = layer.apply(randomTensor([2, 4, 2], 6)) as unknown as Tensor[];
    const expected = layer.computeOutputShape([2, 4, 2]) as number[][];
    assert.equal(outputs.length, 5);
    assert.deepEqual(outputs.map((o) => [...o.shape]), expected);
    assert.deepEqual(expected, [[2, 6], [2, 3], [2, 3], [2, 3], [2, 3]]);
  });

  test("rejects layers running the same way", () => {
    assert.throws(
      () => new Bidirectional({ layer: new LSTM({ units: 2 }), backwardLayer: new LSTM({ units: 2 }) }),
      (e: unknown) => e instanceof ValueError && /opposite directions/.test(e.message),
    );
  });

  test("rejects an invalid merge mode", () => {
    assert.throws(
      () => new Bidirectional({ layer: new LSTM({ units: 2 }), mergeMode: "max" as never }),
      (e: unknown) => e instanceof ValueError && /mergeMode/.test(e.message),
    );
  });
});

function randomTensor(shape: number[], seed: number, dtype: "float32" | "float64" = "float32"): Tensor {
  const generator = new RandomGenerator(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  const values = Array.from({ length: size }, () => generator.uniform() * 2 - 1);
  return new Tensor(dtype === "float64" ? Float64Array.from(values) : Float32Array.from(values), shape);
}

describe("returnState", () => {
  const cases: [string, () => RecurrentLayer, number][] = [
    ["SimpleRNN", () => new SimpleRNN({ units: 3, returnState: true }), 1],
    ["LSTM", () => new LSTM({ units: 3, returnState: true, returnSequences: true }), 2],
    ["GRU", () => new GRU({ units: 3, returnState: true }), 1],
  ];
  for (const [name, create, states] of cases) {
    test(`${name} returns output and states`, () => {
      const layer = create();
      const outputs = layer.apply(randomTensor([2, 4, 2], 1));
      assert.ok(Array.isArray(outputs));
      assert.equal(outputs.length, 1 + states);
      const shapes = layer.computeOutputShape([2, 4, 2]) as number[][];
      assert.deepEqual(outputs.map((o) => [...o.shape]), shapes);
      const last = layer.returnSequences ? [...outputs[0]!.data.slice(3 * 3, 4 * 3), ...outputs[0]!.data.slice(7 * 3, 8 * 3)] : [...outputs[0]!.data];
      assert.deepEqual([...outputs[1]!.data], last, "the h state is the last output");
    });
  }

  test("config round trip keeps returnState", () => {
    const layer = new GRU({ units: 2, returnState: true, goBackwards: true });
    const rebuilt = deserialize({ class_name: "GRU", config: JSON.parse(JSON.stringify(layer.getConfig())) });
    assert.deepEqual(rebuilt.getConfig(), layer.getConfig());
  });
});

describe("recurrent masks", () => {
  const mask = tensor([
    [1, 1, 0],
    [1, 0, 0],
  ]);

  test("sequences keep the input mask", () => {
    const layer = new LSTM({ units: 2, returnSequences: true });
    const output = layer.apply(randomTensor([2, 3, 2], 3), { mask });
    assert.equal(getMask(output), mask);
  });

  test("last output drops the mask", () => {
    const layer = new GRU({ units: 2 });
    const output = layer.apply(randomTensor([2, 3, 2], 3), { mask });
    assert.equal(getMask(output), null);
  });

  test("masked steps repeat the previous output", () => {
    const layer = new SimpleRNN({ units: 2, returnSequences: true });
    const output = layer.apply(randomTensor([2, 3, 2], 4), { mask });
    const values = output.toArray() as number[][][];
    assert.deepEqual(values[0]![2], values[0]![1]);
    assert.deepEqual(values[1]![1], values[1]![0]);
    assert.deepEqual(values[1]![2], values[1]![0]);
  });

  test("masked last output equals the unmasked prefix", () => {
    const layer = new LSTM({ units: 2 });
    const x = randomTensor([1, 3, 2], 8);
    const masked = layer.apply(x, { mask: tensor([[1, 1, 0]]) });
    const prefix = new Tensor(x.data.slice(0, 4), [1, 2, 2]);
    assert.deepEqual([...masked.data], [...layer.apply(prefix).data]);
  });
});

describe("recurrent dropout semantics", () => {
  test("dropout acts only in training", () => {
    const layer = new LSTM({ units: 3, dropout: 0.5, recurrentDropout: 0.5, seed: 3 });
    const x = randomTensor([4, 3, 2], 9);
    const inference = [...layer.apply(x, { training: false }).data];
    assert.deepEqual([...layer.apply(x).data], inference, "no dropout outside training");
    assert.notDeepEqual([...layer.apply(x, { training: true }).data], inference, "dropout in training");
  });

  test("rates are clipped into [0, 1] as in Keras", () => {
    const layer = new GRU({ units: 2, dropout: 1.5, recurrentDropout: -1 });
    assert.equal(layer.cell.dropout, 1);
    assert.equal(layer.cell.recurrentDropout, 0);
  });
});

describe("recurrent layer gradients", () => {
  const layers: [string, () => Layer, number[]][] = [
    ["SimpleRNN", () => new SimpleRNN({ units: 2, returnSequences: true, dtype: "float64" }), [2, 3, 2]],
    ["LSTM", () => new LSTM({ units: 2, dtype: "float64" }), [2, 3, 2]],
    ["LSTM backwards", () => new LSTM({ units: 3, goBackwards: true, returnSequences: true, dtype: "float64" }), [1, 2, 2]],
    ["GRU", () => new GRU({ units: 2, returnSequences: true, dtype: "float64" }), [2, 3, 2]],
    ["GRU reset before", () => new GRU({ units: 2, resetAfter: false, dtype: "float64" }), [2, 3, 2]],
    ["Bidirectional", () => new Bidirectional({ layer: new LSTM({ units: 2, returnSequences: true, dtype: "float64" }), dtype: "float64" }), [2, 3, 2]],
  ];
  for (const [name, create, shape] of layers) {
    test(`${name} output with respect to input and weights`, () => {
      const layer = create();
      const x = randomTensor(shape, 11, "float64");
      layer.build([null, ...shape.slice(1)]);
      // Random biases, so that the bias gradients are checked away from zero.
      for (const weight of layer.weights) {
        weight.assign(randomTensor([...weight.shape], weight.value.size + 13, "float64"));
      }
      checkGradients(() => layer.apply(x) as Tensor, [x, ...layer.weights.map((w) => w.value)]);
    });
  }

  test("masked LSTM with respect to input and weights", () => {
    const layer = new LSTM({ units: 2, returnSequences: true, dtype: "float64" });
    const x = randomTensor([2, 3, 2], 12, "float64");
    layer.build([null, 3, 2]);
    const mask = new Tensor(Float64Array.from([1, 0, 1, 1, 1, 0]), [2, 3]);
    checkGradients(() => layer.apply(x, { mask }) as Tensor, [x, ...layer.weights.map((w) => w.value)]);
  });

  test("initial states receive gradients", () => {
    const layer = new LSTM({ units: 2, dtype: "float64" });
    const x = randomTensor([2, 3, 2], 14, "float64");
    const h = randomTensor([2, 2], 15, "float64");
    const c = randomTensor([2, 2], 16, "float64");
    checkGradients(() => layer.apply([x, h, c]) as Tensor, [x, h, c]);
  });
});

describe("recurrent input checks", () => {
  test("rank-2 input is rejected", () => {
    for (const layer of [new SimpleRNN({ units: 2 }), new LSTM({ units: 2 }), new GRU({ units: 2 })]) {
      assert.throws(
        () => layer.apply(tensor([[1, 2, 3]])),
        (e: unknown) => e instanceof ShapeError && /rank 3 \(batch, steps, features\)/.test(e.message),
      );
    }
  });

  test("wrong feature count is rejected", () => {
    const layer = new LSTM({ units: 2 });
    layer.apply(randomTensor([1, 3, 2], 1));
    assert.throws(() => layer.apply(randomTensor([1, 3, 4], 1)), (e: unknown) => e instanceof ShapeError && /2 features/.test(e.message));
  });

  test("other sequence lengths are accepted", () => {
    const layer = new GRU({ units: 2 });
    layer.apply(randomTensor([1, 3, 2], 1));
    assert.deepEqual([...layer.apply(randomTensor([1, 5, 2], 1)).shape], [1, 2]);
  });

  test("unknown option names the nearest one", () => {
    assert.throws(() => new LSTM({ units: 2, returnSequence: true } as never), (e: unknown) => e instanceof ValueError && /returnSequences/.test(e.message));
  });

  test("unsupported activation is rejected", () => {
    assert.throws(() => new GRU({ units: 2, activation: "softmax" }), (e: unknown) => e instanceof ValueError && /activation/.test(e.message));
  });

  test("stateful is rejected", () => {
    assert.throws(() => new LSTM({ units: 2, stateful: true }), (e: unknown) => e instanceof ValueError && /stateful/.test(e.message));
  });
});

describe("recurrent cells", () => {
  test("one step returns output and states", () => {
    for (const [cell, states] of [
      [new SimpleRNNCell({ units: 3 }), 1],
      [new LSTMCell({ units: 3 }), 2],
      [new GRUCell({ units: 3 }), 1],
    ] as const) {
      const results = cell.apply([randomTensor([2, 4], 1), ...Array.from({ length: states }, (_, k) => randomTensor([2, 3], 2 + k))]);
      assert.ok(Array.isArray(results));
      assert.equal(results.length, 1 + states);
      assert.deepEqual([...results[0]!.data], [...results[1]!.data], `${cell.className}: the output is the new h`);
    }
  });

  test("cell config round trip", () => {
    for (const cell of [new SimpleRNNCell({ units: 3 }), new LSTMCell({ units: 3, unitForgetBias: false }), new GRUCell({ units: 3, resetAfter: false })]) {
      const config = JSON.parse(JSON.stringify(cell.getConfig())) as Record<string, unknown>;
      assert.deepEqual(deserialize({ class_name: cell.className, config }).getConfig(), cell.getConfig());
    }
  });
});

describe("Embedding", () => {
  const indices = (): Tensor => tensor([[1, 2, 0, 4], [3, 0, 0, 1]]);

  test("layer test", () => {
    runLayerTest({
      create: () => new Embedding({ inputDim: 5, outputDim: 3, name: "embedding_a" }),
      inputShape: [2, 4],
      createInput: indices,
      expectedOutputShape: [null, 4, 3],
      expectedTrainableWeights: [{ name: "embeddings", shape: [5, 3] }],
      expectedParams: 15,
    });
  });

  test("layer test with maskZero", () => {
    runLayerTest({
      create: () => new Embedding({ inputDim: 5, outputDim: 2, maskZero: true, name: "embedding_b" }),
      inputShape: [2, 4],
      createInput: () => tensor([[1, 2, 0, 4], [3, 0, 0, 1]], undefined, "int32"),
      expectedOutputShape: [null, 4, 2],
      expectedTrainableWeights: [{ name: "embeddings", shape: [5, 2] }],
      expectedParams: 10,
    });
  });

  test("maskZero mask", () => {
    const layer = new Embedding({ inputDim: 5, outputDim: 2, maskZero: true });
    const output = layer.apply(indices());
    assert.deepEqual(getMask(output)?.toArray(), [[1, 1, 0, 1], [1, 0, 0, 1]]);
    const plain = new Embedding({ inputDim: 5, outputDim: 2 });
    assert.equal(getMask(plain.apply(indices())), null);
  });

  test("rows are the table's rows", () => {
    const layer = new Embedding({ inputDim: 3, outputDim: 2 });
    layer.build([null, 2]);
    layer.setWeights([tensor([[0, 1], [2, 3], [4, 5]])]);
    assert.deepEqual(layer.apply(tensor([[2, 0], [1, 1]], undefined, "int32")).toArray(), [[[4, 5], [0, 1]], [[2, 3], [2, 3]]]);
  });

  test("gradient adds into repeated rows", () => {
    const layer = new Embedding({ inputDim: 3, outputDim: 2, dtype: "float64" });
    layer.build([null, 3]);
    checkGradients(() => layer.apply(tensor([[2, 0, 2], [1, 2, 2]])), [layer.embeddings!.value]);
  });

  test("default initializer is uniform in [-0.05, 0.05)", () => {
    const layer = new Embedding({ inputDim: 200, outputDim: 10 });
    layer.build([null, 1]);
    const values = [...layer.embeddings!.value.data];
    assert.ok(values.every((v) => v >= -0.05 && v < 0.05));
    assert.deepEqual(layer.getConfig()["embeddings_initializer"], {
      module: "keras.initializers",
      class_name: "RandomUniform",
      config: { seed: null, minval: -0.05, maxval: 0.05 },
      registered_name: null,
    });
  });

  test("non-integer indices are rejected", () => {
    const layer = new Embedding({ inputDim: 5, outputDim: 2 });
    assert.throws(() => layer.apply(tensor([[1, 2.5]])), (e: unknown) => e instanceof ValueError && /integer indices/.test(e.message) && /2\.5/.test(e.message));
  });

  test("out-of-range indices are rejected", () => {
    const layer = new Embedding({ inputDim: 5, outputDim: 2 });
    for (const bad of [5, -1]) {
      assert.throws(
        () => layer.apply(tensor([[1, bad]], undefined, "int32")),
        (e: unknown) => e instanceof ValueError && e.message.includes(`index ${bad}`) && e.message.includes("[0, 5)"),
      );
    }
  });

  test("inputDim is the vocabulary size, not an input shape", () => {
    const layer = new Embedding({ inputDim: 7, outputDim: 2 });
    assert.equal(layer.batchInputShape, null);
  });
});
