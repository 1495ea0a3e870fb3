import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { valueAndGradients } from "../../src/autodiff/tape.js";
import { ShapeError, ValueError } from "../../src/errors.js";
import {
  AdditiveAttention,
  Attention,
  type Layer,
  MultiHeadAttention,
  type MultiHeadAttentionCallOptions,
  type SymbolicShape,
  deserialize,
  getMask,
  setMask,
} from "../../src/layers/index.js";
import * as ops from "../../src/ops/index.js";
import { SGD } from "../../src/optimizers/index.js";
import { RandomGenerator } from "../../src/random.js";
import { Tensor, tensor } from "../../src/tensor/tensor.js";
import { forEachBackend } from "../helpers/backends.js";
import { assertClose } from "../helpers/close.js";
import { checkGradients } from "../helpers/gradcheck.js";
import { errorMessage } from "../helpers/capture.js";

function randomTensor(shape: number[], seed: number, dtype: "float32" | "float64" = "float32"): Tensor {
  const generator = new RandomGenerator(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  const data = dtype === "float32" ? new Float32Array(size) : new Float64Array(size);
  for (let i = 0; i < size; i++) data[i] = generator.uniform() * 2 - 1;
  return new Tensor(data, shape);
}

interface AttentionCase {
  create: () => Layer;
  /** One shape for self-attention, or the shapes of [query, value] or [query, value, key], batch axis included. */
  inputShapes: number[][];
  expectedOutputShape: SymbolicShape;
  /** Weight paths below the layer's name, with shapes, in order. */
  expectedWeights: [string, number[]][];
  options?: MultiHeadAttentionCallOptions;
}

/**
 * Runs the checks of the shared layer test on a layer that takes several
 * inputs or keeps weights in sublayers. It checks the output shape, weight
 * paths and shapes, the config round trip with the same output, and one
 * training step that changes every weight and lowers the loss.
 */
function runAttentionLayerTest(testCase: AttentionCase): void {
  const layer = testCase.create();
  const inputs = testCase.inputShapes.map((shape, i) => randomTensor(shape, i + 1));
  const single = inputs.length === 1;
  const call = (target: Layer, training: boolean): Tensor => {
    const result = target.apply(single ? inputs[0]! : inputs, { ...testCase.options, training });
    return Array.isArray(result) ? result[0]! : result;
  };
  const symbolic = testCase.inputShapes.map((shape) => [null, ...shape.slice(1)]);
  assert.deepEqual(layer.computeOutputShape(single ? symbolic[0]! : symbolic), testCase.expectedOutputShape, "computeOutputShape");
  const output = call(layer, false);
  assert.deepEqual([null, ...output.shape.slice(1)], testCase.expectedOutputShape, "output shape of a real call");
  assert.deepEqual(
    layer.weights.map((w) => [w.path.slice(layer.name.length + 1), [...w.shape]]),
    testCase.expectedWeights,
    "weight paths and shapes",
  );
  assert.equal(layer.countParams(), testCase.expectedWeights.reduce((total, [, shape]) => total + shape.reduce((a, b) => a * b, 1), 0), "countParams");

  const config = JSON.parse(JSON.stringify(layer.getConfig())) as Record<string, unknown>;
  const rebuilt = deserialize({ class_name: layer.className, config });
  assert.deepEqual(Object.keys(rebuilt.getConfig()), Object.keys(config), "config keys after fromConfig");
  rebuilt.build(single ? symbolic[0]! : symbolic);
  assert.deepEqual(rebuilt.getConfig(), config, "config after fromConfig and build");
  rebuilt.setWeights(layer.getWeights());
  assert.deepEqual([...call(rebuilt, false).data], [...output.data], "inference output of the rebuilt layer");

  const variables = layer.trainableWeights;
  const before = variables.map((v) => [...v.value.data]);
  const loss = () => ops.mean(ops.square(call(layer, false))).item();
  const lossBefore = loss();
  const { gradients } = valueAndGradients(() => ops.mean(ops.square(call(layer, true))), variables.map((v) => v.value));
  new SGD({ learningRate: 0.01 }).applyGradients(gradients, variables);
  variables.forEach((variable, i) => {
    assert.ok([...variable.value.data].some((x, j) => x !== before[i]![j]), `training step changes "${variable.path}"`);
  });
  if (variables.length > 0) assert.ok(loss() < lossBefore, "loss falls after one step");
}

describe("MultiHeadAttention", () => {
  const projections = (query: number, value: number, key: number, heads: number, keyDim: number, valueDim: number, out: number[]): [string, number[]][] => [
    ["query/kernel", [query, heads, keyDim]],
    ["query/bias", [heads, keyDim]],
    ["key/kernel", [key, heads, keyDim]],
    ["key/bias", [heads, keyDim]],
    ["value/kernel", [value, heads, valueDim]],
    ["value/bias", [heads, valueDim]],
    ["attention_output/kernel", [heads, valueDim, ...out]],
    ["attention_output/bias", out],
  ];

  test("passes the layer test: self-attention", () => {
    runAttentionLayerTest({
      create: () => new MultiHeadAttention({ numHeads: 2, keyDim: 3 }),
      inputShapes: [[2, 4, 5]],
      expectedOutputShape: [null, 4, 5],
      expectedWeights: projections(5, 5, 5, 2, 3, 3, [5]),
    });
  });

  test("passes the layer test: query, value and key", () => {
    runAttentionLayerTest({
      create: () => new MultiHeadAttention({ numHeads: 3, keyDim: 2, valueDim: 4, outputShape: [2, 3] }),
      inputShapes: [
        [2, 3, 5],
        [2, 4, 6],
        [2, 4, 7],
      ],
      expectedOutputShape: [null, 3, 2, 3],
      expectedWeights: projections(5, 6, 7, 3, 2, 4, [2, 3]),
    });
  });

  test("passes the layer test: causal, dropout, gate", () => {
    const weights = projections(4, 4, 4, 2, 2, 2, [4]);
    weights.splice(4, 0, ["gate/kernel", [4, 2, 2]], ["gate/bias", [2, 2]]);
    runAttentionLayerTest({
      create: () => new MultiHeadAttention({ numHeads: 2, keyDim: 2, dropout: 0.2, useGate: true, seed: 5 }),
      inputShapes: [[2, 5, 4]],
      expectedOutputShape: [null, 5, 4],
      expectedWeights: weights,
      options: { useCausalMask: true },
    });
  });

  test("passes the layer test: two attention axes without bias", () => {
    runAttentionLayerTest({
      create: () => new MultiHeadAttention({ numHeads: 2, keyDim: 2, useBias: false, attentionAxes: [1, 2] }),
      inputShapes: [[2, 3, 2, 4]],
      expectedOutputShape: [null, 3, 2, 4],
      expectedWeights: [
        ["query/kernel", [4, 2, 2]],
        ["key/kernel", [4, 2, 2]],
        ["value/kernel", [4, 2, 2]],
        ["attention_output/kernel", [2, 2, 4]],
      ],
    });
  });

  test(
    "causal mask hides later steps",
    forEachBackend(() => {
      const layer = new MultiHeadAttention({ numHeads: 2, keyDim: 3 });
      const x = randomTensor([1, 5, 4], 7);
      const changed = new Tensor(Float32Array.from(x.data), x.shape);
      for (let i = 12; i < 20; i++) changed.data[i] = 3; // Steps 3 and 4.
      const y = layer.apply(x, { useCausalMask: true } as MultiHeadAttentionCallOptions) as Tensor;
      const yChanged = layer.apply(changed, { useCausalMask: true } as MultiHeadAttentionCallOptions) as Tensor;
      assert.deepEqual([...yChanged.data.slice(0, 12)], [...y.data.slice(0, 12)], "steps 0 to 2 ignore steps 3 and 4");
      assert.notDeepEqual([...yChanged.data.slice(12)], [...y.data.slice(12)], "steps 3 and 4 change");
    }),
  );

  test("value mask equals an attention mask", () => {
    const layer = new MultiHeadAttention({ numHeads: 2, keyDim: 2 });
    const query = randomTensor([2, 3, 4], 8);
    const value = randomTensor([2, 4, 4], 9);
    const valueMask = tensor([
      [1, 1, 0, 1],
      [0, 1, 1, 1],
    ]);
    setMask(value, valueMask);
    const masked = layer.apply([query, value]) as Tensor;
    setMask(value, null);
    const attentionMask = tensor([0, 1].map((b) => [0, 1, 2].map(() => [...valueMask.data.slice(b * 4, b * 4 + 4)])));
    const explicit = layer.apply([query, value], { attentionMask } as MultiHeadAttentionCallOptions) as Tensor;
    assertClose(masked.data, explicit.data, { rtol: 1e-6, atol: 1e-7, message: "outputs" });
  });

  test("output keeps the query mask", () => {
    const layer = new MultiHeadAttention({ numHeads: 1, keyDim: 2 });
    const x = randomTensor([1, 3, 2], 10);
    const mask = tensor([[1, 1, 0]]);
    setMask(x, mask);
    const y = layer.apply(x) as Tensor;
    assert.equal(getMask(y), mask);
  });

  test("returns scores with the heads axis", () => {
    const layer = new MultiHeadAttention({ numHeads: 3, keyDim: 2 });
    const [output, scores] = layer.apply([randomTensor([2, 4, 3], 11), randomTensor([2, 5, 3], 12)], {
      returnAttentionScores: true,
    } as MultiHeadAttentionCallOptions) as Tensor[];
    assert.deepEqual([...output!.shape], [2, 4, 3]);
    assert.deepEqual([...scores!.shape], [2, 3, 4, 5]);
    for (let row = 0; row < 2 * 3 * 4; row++) {
      const total = [...scores!.data.slice(row * 5, row * 5 + 5)].reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(total - 1) < 1e-5, `row ${row} of the scores sums to 1`);
    }
  });

  test("gradient of a masked causal call in float64", () => {
    const layer = new MultiHeadAttention({ numHeads: 2, keyDim: 2, dtype: "float64" });
    const query = randomTensor([2, 3, 3], 13, "float64");
    const value = randomTensor([2, 3, 3], 14, "float64");
    const mask = new Tensor(Float64Array.from([1, 1, 0, 1, 0, 1]), [2, 3]);
    layer.build([[null, 3, 3], [null, 3, 3]]);
    const weights = layer.trainableWeights.map((w) => w.value);
    checkGradients(
      (q, v) => layer.apply([q!, v!], { masks: [null, mask], useCausalMask: true } as MultiHeadAttentionCallOptions) as Tensor,
      [query, value, ...weights],
    );
  });

  test("rejects invalid options", () => {
    assert.throws(() => new MultiHeadAttention({ numHeads: 0, keyDim: 2 }), ValueError);
    assert.match(errorMessage(() => new MultiHeadAttention({ numHeads: 2, keyDim: 2.5 })), /keyDim/);
    assert.match(errorMessage(() => new MultiHeadAttention({ numHeads: 2, keyDim: 2, dropout: 1 })), /dropout/);
    assert.match(errorMessage(() => new MultiHeadAttention({ numHeads: 2, keyDim: 2, numHead: 3 } as never)), /numHeads/);
  });

  test("rejects bad inputs", () => {
    const layer = new MultiHeadAttention({ numHeads: 2, keyDim: 2 });
    assert.throws(() => layer.apply([randomTensor([1, 2, 3], 1)]), /array of length 1/);
    const fresh = new MultiHeadAttention({ numHeads: 2, keyDim: 2 });
    assert.throws(() => fresh.apply([randomTensor([1, 2, 3], 1), randomTensor([1, 4, 3], 2), randomTensor([1, 5, 3], 3)]), ShapeError);
    const other = new MultiHeadAttention({ numHeads: 2, keyDim: 2 });
    assert.match(
      errorMessage(() => other.apply(randomTensor([1, 3, 2], 1), { attentionMask: tensor([[[1, 1]]]) } as MultiHeadAttentionCallOptions)),
      /attentionMask that broadcasts/,
    );
  });
});

describe("Attention", () => {
  test("passes the layer test: dot with scale", () => {
    runAttentionLayerTest({
      create: () => new Attention({ useScale: true }),
      inputShapes: [
        [2, 3, 4],
        [2, 5, 4],
      ],
      expectedOutputShape: [null, 3, 4],
      expectedWeights: [["scale", []]],
    });
  });

  test("passes the layer test: concat, causal", () => {
    runAttentionLayerTest({
      create: () => new Attention({ scoreMode: "concat", dropout: 0.1, seed: 3 }),
      inputShapes: [
        [2, 4, 3],
        [2, 4, 2],
        [2, 4, 3],
      ],
      expectedOutputShape: [null, 4, 2],
      expectedWeights: [["concat_score_weight", []]],
      options: { useCausalMask: true },
    });
  });

  test("query mask zeroes masked steps and passes on", () => {
    const layer = new Attention();
    const query = randomTensor([1, 3, 2], 4);
    const value = randomTensor([1, 4, 2], 5);
    const mask = tensor([[1, 0, 1]]);
    setMask(query, mask);
    const y = layer.apply([query, value]) as Tensor;
    assert.deepEqual([...y.data.slice(2, 4)], [0, 0]);
    assert.equal(getMask(y), mask);
  });

  test("rejects one input and a bad score mode", () => {
    assert.match(errorMessage(() => new Attention().apply(randomTensor([1, 2, 2], 1))), /\[query, value\]/);
    assert.match(errorMessage(() => new Attention({ scoreMode: "add" as never })), /scoreMode/);
    assert.match(errorMessage(() => new AdditiveAttention({ scoreMode: "dot" } as never)), /scoreMode/);
  });
});

describe("AdditiveAttention", () => {
  test("passes the layer test", () => {
    runAttentionLayerTest({
      create: () => new AdditiveAttention(),
      inputShapes: [
        [2, 3, 4],
        [2, 5, 4],
      ],
      expectedOutputShape: [null, 3, 4],
      expectedWeights: [["scale", [4]]],
    });
  });

  test("passes the layer test without scale", () => {
    runAttentionLayerTest({
      create: () => new AdditiveAttention({ useScale: false }),
      inputShapes: [
        [2, 3, 4],
        [2, 5, 2],
        [2, 5, 4],
      ],
      expectedOutputShape: [null, 3, 2],
      expectedWeights: [],
    });
  });
});
