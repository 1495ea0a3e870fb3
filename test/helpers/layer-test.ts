import assert from "node:assert/strict";
import { valueAndGradients } from "../../src/autodiff/tape.js";
import { deserialize } from "../../src/layers/index.js";
import type { Layer, SymbolicShape } from "../../src/layers/layer.js";
import { mean, square } from "../../src/ops/index.js";
import { SGD } from "../../src/optimizers/index.js";
import { RandomGenerator, setRandomSeed } from "../../src/random.js";
import { Tensor } from "../../src/tensor/tensor.js";

/** A weight the layer should create: its name and shape. */
export interface ExpectedWeight {
  name: string;
  shape: number[];
  /** The weight's full path, when it is not `<layer name>/<name>` (weights of nested cells or layers). */
  path?: string;
}

export interface LayerTestCase {
  /** Creates the layer under test, unbuilt. */
  create: () => Layer;
  /** Shape of the test input, batch axis included, such as [2, 3]. */
  inputShape: number[];
  /** Output shape with the batch axis as null, such as [null, 4]. */
  expectedOutputShape: SymbolicShape;
  /** Trainable weights in creation order, or none when omitted. */
  expectedTrainableWeights?: ExpectedWeight[];
  /** Non-trainable weights in creation order, or none when omitted. */
  expectedNonTrainableWeights?: ExpectedWeight[];
  /** Scalar count that `countParams` must return. */
  expectedParams: number;
  /** Seed of the random test input. */
  seed?: number;
  /**
   * True when a training-mode call updates the non-trainable weights (the
   * moving statistics of BatchNormalization), so the training step checks
   * that they changed instead of that they stayed.
   */
  trainingUpdatesNonTrainable?: boolean;
  /** Creates the test input, for layers that need other values than uniform ones in [-1, 1) (such as indices). */
  createInput?: () => Tensor;
}

export interface LayerTestResult {
  layer: Layer;
  input: Tensor;
  /** Output of the first call, made in inference mode. */
  output: Tensor;
}

function randomInput(shape: readonly number[], seed: number): Tensor {
  const generator = new RandomGenerator(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(size);
  for (let i = 0; i < size; i++) data[i] = generator.uniform() * 2 - 1;
  return new Tensor(data, shape);
}

function checkWeights(label: string, actual: Layer["weights"], expected: ExpectedWeight[], layerName: string): void {
  assert.deepEqual(
    actual.map((w) => w.name),
    expected.map((w) => w.name),
    `${label} weight names in creation order`,
  );
  actual.forEach((weight, i) => {
    const want = expected[i]!;
    assert.deepEqual([...weight.shape], want.shape, `shape of ${label} weight "${want.name}"`);
    assert.equal(weight.path, want.path ?? `${layerName}/${want.name}`, `path of ${label} weight "${want.name}"`);
  });
}

/**
 * Runs the checks every layer must pass, in the spirit of Keras's layer test
 * harness:
 * - The output shape of a real call matches `computeOutputShape` and the
 *   expected shape.
 * - The trainable and non-trainable weights have the expected names, shapes
 *   and order, and `countParams` matches.
 * - `getConfig` survives JSON and `fromConfig` unchanged (same keys in the same
 *   order), and the rebuilt layer, given the same weights, computes the same
 *   inference output.
 * - One training step (loss = mean of the squared training-mode output,
 *   gradients from the tape, SGD with learning rate 0.01) changes every
 *   trainable weight, leaves non-trainable ones alone and lowers the
 *   inference-mode loss.
 */
export function runLayerTest(testCase: LayerTestCase): LayerTestResult {
  // Unseeded weights would make the checks below depend on the run.
  setRandomSeed(testCase.seed ?? 1);
  const layer = testCase.create();
  const input = testCase.createInput ? testCase.createInput() : randomInput(testCase.inputShape, testCase.seed ?? 1);
  const symbolicInput: SymbolicShape = [null, ...testCase.inputShape.slice(1)];

  assert.deepEqual(
    layer.computeOutputShape(symbolicInput),
    testCase.expectedOutputShape,
    "computeOutputShape for a symbolic batch",
  );
  const output = layer.apply(input, { training: false });
  assert.ok(layer.built, "layer is built after its first call");
  assert.deepEqual([...output.shape], layer.computeOutputShape([...testCase.inputShape]), "output shape of a real call");

  const trainable = testCase.expectedTrainableWeights ?? [];
  const nonTrainable = testCase.expectedNonTrainableWeights ?? [];
  checkWeights("trainable", layer.trainableWeights, trainable, layer.name);
  checkWeights("non-trainable", layer.nonTrainableWeights, nonTrainable, layer.name);
  assert.deepEqual(
    layer.weights.map((w) => w.name),
    [...trainable, ...nonTrainable].map((w) => w.name),
    "weights lists trainable weights first",
  );
  assert.equal(layer.countParams(), testCase.expectedParams, "countParams");

  checkConfigRoundTrip(layer, input, output);
  checkTrainingStep(layer, input, testCase.trainingUpdatesNonTrainable ?? false);
  return { layer, input, output };
}

function checkConfigRoundTrip(layer: Layer, input: Tensor, output: Tensor): void {
  const config = layer.getConfig();
  const stored = JSON.parse(JSON.stringify(config)) as Record<string, unknown>;
  const rebuilt = deserialize({ class_name: layer.className, config: stored });
  assert.equal(rebuilt.className, layer.className, "class of the rebuilt layer");
  const rebuiltConfig = rebuilt.getConfig();
  assert.deepEqual(Object.keys(rebuiltConfig), Object.keys(config), "config keys after fromConfig");
  assert.deepEqual(rebuiltConfig, config, "config after fromConfig");

  rebuilt.build([null, ...input.shape.slice(1)]);
  rebuilt.setWeights(layer.getWeights());
  const rebuiltOutput = rebuilt.apply(input, { training: false });
  assert.deepEqual([...rebuiltOutput.data], [...output.data], "inference output of the rebuilt layer");
}

function inferenceLoss(layer: Layer, input: Tensor): number {
  return mean(square(layer.apply(input, { training: false }))).item();
}

function checkTrainingStep(layer: Layer, input: Tensor, updatesNonTrainable: boolean): void {
  const variables = layer.trainableWeights;
  const frozen = layer.nonTrainableWeights;
  const before = variables.map((v) => [...v.value.data]);
  const frozenBefore = frozen.map((v) => [...v.value.data]);
  const lossBefore = inferenceLoss(layer, input);

  const { value, gradients } = valueAndGradients(
    () => mean(square(layer.apply(input, { training: true }))),
    variables.map((v) => v.value),
  );
  assert.ok(Number.isFinite(value.item()), "training loss is finite");
  assert.equal(gradients.length, variables.length, "one gradient per trainable weight");
  new SGD({ learningRate: 0.01 }).applyGradients(gradients, variables);

  variables.forEach((variable, i) => {
    const changed = [...variable.value.data].some((x, j) => x !== before[i]![j]);
    assert.ok(changed, `training step changes trainable weight "${variable.name}"`);
  });
  frozen.forEach((variable, i) => {
    if (updatesNonTrainable) {
      const changed = [...variable.value.data].some((x, j) => x !== frozenBefore[i]![j]);
      assert.ok(changed, `training step updates non-trainable weight "${variable.name}"`);
    } else {
      assert.deepEqual([...variable.value.data], frozenBefore[i], `training step leaves "${variable.name}" alone`);
    }
  });
  if (variables.length > 0) {
    const lossAfter = inferenceLoss(layer, input);
    assert.ok(lossAfter < lossBefore, `loss falls after one step: ${lossBefore} before, ${lossAfter} after`);
  }
}
