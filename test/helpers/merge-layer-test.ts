import assert from "node:assert/strict";
import { valueAndGradients } from "../../src/autodiff/tape.js";
import { deserialize } from "../../src/layers/index.js";
import type { Layer, SymbolicShape } from "../../src/layers/layer.js";
import { mean, square } from "../../src/ops/index.js";
import { RandomGenerator } from "../../src/random.js";
import { Tensor } from "../../src/tensor/tensor.js";

export interface MergeLayerTestCase {
  /** Creates the layer under test, unbuilt. */
  create: () => Layer;
  /** Shapes of the test inputs, batch axis included. */
  inputShapes: number[][];
  /** Output shape with the batch axis as null. */
  expectedOutputShape: SymbolicShape;
  seed?: number;
}

export interface MergeLayerTestResult {
  layer: Layer;
  inputs: Tensor[];
  output: Tensor;
}

function randomInput(shape: readonly number[], generator: RandomGenerator): Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(size);
  for (let i = 0; i < size; i++) data[i] = generator.uniform() * 2 - 1;
  return new Tensor(data, shape);
}

/**
 * Runs the checks of `runLayerTest` for weightless layers called on an
 * array of tensors: output shapes (symbolic and real), no weights, a config that
 * survives JSON and `fromConfig` with the same output, and a gradient that
 * reaches every input.
 */
export function runMergeLayerTest(testCase: MergeLayerTestCase): MergeLayerTestResult {
  const layer = testCase.create();
  const generator = new RandomGenerator(testCase.seed ?? 1);
  const inputs = testCase.inputShapes.map((shape) => randomInput(shape, generator));
  const symbolic = testCase.inputShapes.map((shape) => [null, ...shape.slice(1)]);

  assert.deepEqual(layer.computeOutputShape(symbolic), testCase.expectedOutputShape, "computeOutputShape for a symbolic batch");
  const output = layer.apply(inputs, { training: false }) as Tensor;
  assert.ok(layer.built, "layer is built after its first call");
  assert.deepEqual([...output.shape], layer.computeOutputShape(testCase.inputShapes), "output shape of a real call");
  assert.equal(layer.weights.length, 0, "no weights");
  assert.equal(layer.countParams(), 0, "countParams");

  const config = layer.getConfig();
  const stored = JSON.parse(JSON.stringify(config)) as Record<string, unknown>;
  const rebuilt = deserialize({ class_name: layer.className, config: stored });
  assert.deepEqual(Object.keys(rebuilt.getConfig()), Object.keys(config), "config keys after fromConfig");
  assert.deepEqual(rebuilt.getConfig(), config, "config after fromConfig");
  const rebuiltOutput = rebuilt.apply(inputs, { training: false }) as Tensor;
  assert.deepEqual([...rebuiltOutput.data], [...output.data], "output of the rebuilt layer");

  const { gradients } = valueAndGradients(() => mean(square(layer.apply(inputs, { training: true }) as Tensor)), inputs);
  gradients.forEach((gradient, i) => {
    assert.deepEqual([...gradient.shape], [...inputs[i]!.shape], `gradient ${i} has the input's shape`);
    assert.ok([...gradient.data].some((g) => g !== 0), `gradient reaches input ${i}`);
  });
  return { layer, inputs, output };
}
