import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ShapeError, ValueError } from "../../src/errors.js";
import { Dense } from "../../src/layers/index.js";
import { valueAndGradients } from "../../src/autodiff/tape.js";
import * as ops from "../../src/ops/index.js";
import { Tensor, tensor } from "../../src/tensor/tensor.js";
import { forEachBackend } from "../helpers/backends.js";
import { assertClose } from "../helpers/close.js";
import { runLayerTest } from "../helpers/layer-test.js";
import { errorMessage } from "../helpers/capture.js";

// Kernel (3, 2) and bias (2,) used by the forward-value tests.
const KERNEL = [
  [1, 2],
  [3, 4],
  [5, 6],
];
const BIAS = [0.5, -1];
// X · KERNEL + BIAS, worked by hand: row 0 is [1−5, 2−6] + BIAS, row 1 is [2+3, 4+4] + BIAS.
const X = [
  [1, 0, -1],
  [2, 1, 0],
];
const LINEAR_OUTPUT = [
  [-3.5, -5],
  [5.5, 7],
];

function denseWithWeights(activation?: string, useBias = true): Dense {
  const layer = new Dense({ units: 2, activation, useBias });
  layer.build([null, 3]);
  layer.setWeights(useBias ? [tensor(KERNEL), tensor(BIAS)] : [tensor(KERNEL)]);
  return layer;
}

describe("Dense", () => {
  test("passes the layer test", () => {
    runLayerTest({
      create: () => new Dense({ units: 4, activation: "relu" }),
      inputShape: [2, 3],
      expectedOutputShape: [null, 4],
      expectedTrainableWeights: [
        { name: "kernel", shape: [3, 4] },
        { name: "bias", shape: [4] },
      ],
      expectedParams: 16,
    });
  });

  test("layer test without bias", () => {
    runLayerTest({
      create: () => new Dense({ units: 2, useBias: false }),
      inputShape: [3, 5],
      expectedOutputShape: [null, 2],
      expectedTrainableWeights: [{ name: "kernel", shape: [5, 2] }],
      expectedParams: 10,
    });
  });

  test("creates kernel then bias", () => {
    const layer = new Dense({ units: 4 });
    layer.build([null, 3]);
    assert.deepEqual(
      layer.weights.map((w) => w.name),
      ["kernel", "bias"],
    );
    assert.deepEqual([...layer.weights[0]!.shape], [3, 4]);
    assert.deepEqual([...layer.weights[1]!.shape], [4]);
    assert.deepEqual([...layer.weights[1]!.value.data], [0, 0, 0, 0], "bias starts at zeros");
  });

  test("useBias false gives one weight", () => {
    const layer = new Dense({ units: 4, useBias: false });
    layer.build([null, 3]);
    assert.equal(layer.weights.length, 1);
    assert.equal(layer.weights[0]!.name, "kernel");
    assert.equal(layer.bias, null);
    assert.equal(layer.countParams(), 12);
  });

  test("default activation serializes as linear", () => {
    const layer = new Dense({ units: 2 });
    assert.equal(layer.getConfig()["activation"], "linear");
    assert.equal(new Dense({ units: 2, activation: null }).getConfig()["activation"], "linear");
  });

  test(
    "forward values match hand computation",
    forEachBackend((backend) => {
      assertClose(denseWithWeights().apply(tensor(X)).toArray(), LINEAR_OUTPUT, { message: `${backend} linear` });
      assertClose(
        denseWithWeights("relu").apply(tensor(X)).toArray(),
        [
          [0, 0],
          [5.5, 7],
        ],
        { message: `${backend} relu` },
      );
      assertClose(
        denseWithWeights(undefined, false).apply(tensor(X)).toArray(),
        [
          [-4, -4],
          [5, 8],
        ],
        { message: `${backend} without bias` },
      );
      // Both rows of LINEAR_OUTPUT differ by 1.5 between their units: softmax gives
      // [1, e^−1.5] / (1 + e^−1.5) in row 0 and the reverse in row 1.
      const high = 1 / (1 + Math.exp(-1.5));
      assertClose(
        denseWithWeights("softmax").apply(tensor(X)).toArray(),
        [
          [high, 1 - high],
          [1 - high, high],
        ],
        { message: `${backend} softmax` },
      );
      const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));
      assertClose(
        denseWithWeights("sigmoid").apply(tensor(X)).toArray(),
        LINEAR_OUTPUT.map((row) => row.map(sigmoid)),
        { message: `${backend} sigmoid` },
      );
    }),
  );

  test(
    "softmax values match under a tape",
    forEachBackend((backend) => {
      // Without a tape the softmax runs inside the dense kernel; under one it stays a separate op.
      const layer = denseWithWeights("softmax");
      const x = tensor(X);
      const kernel = layer.kernel!.value;
      const inference = layer.apply(x);
      const { value } = valueAndGradients(() => ops.sum(layer.apply(x)), [kernel]);
      let recorded: Tensor | null = null;
      valueAndGradients(() => {
        recorded = layer.apply(x);
        return ops.sum(recorded);
      }, [kernel]);
      assert.deepEqual([...recorded!.data], [...inference.data], `${backend}: the same values, bit for bit`);
      assertClose(value.item(), 2, { message: `${backend}: each row sums to 1` });
    }),
  );

  test(
    "softmax crossentropy gradient under a tape",
    forEachBackend((backend) => {
      // p = softmax(LINEAR_OUTPUT) is [high, 1 − high] in row 0 and the reverse in row 1. With labels [1, 0] and
      // [0, 1], the gradient of the summed crossentropy at the logits is p − y = d · [[−1, 1], [1, −1]], d = 1 − high,
      // and at the kernel Xᵀ (p − y), which is [d, −d] in each row. The loss is −2 log(high).
      const high = 1 / (1 + Math.exp(-1.5));
      const d = 1 - high;
      const layer = denseWithWeights("softmax");
      const labels = tensor([
        [1, 0],
        [0, 1],
      ]);
      const { value, gradients } = valueAndGradients(
        () => ops.sum(ops.categoricalCrossentropy(labels, layer.apply(tensor(X)), 1e-7)),
        [layer.kernel!.value],
      );
      assertClose(value.item(), -2 * Math.log(high), { message: `${backend} loss` });
      assertClose(gradients[0]!.toArray(), [[d, -d], [d, -d], [d, -d]], { message: `${backend} kernel gradient` });
    }),
  );

  test(
    "rank-3 input contracts last axis",
    forEachBackend((backend) => {
      const layer = new Dense({ units: 4 });
      assert.deepEqual(layer.computeOutputShape([null, 5, 3]), [null, 5, 4]);
      // Kernel row i is all (i + 1) and bias[j] = j, so input [a, b, c] gives a + 2b + 3c + j in unit j.
      layer.build([null, 5, 3]);
      assert.equal(layer.countParams(), 16);
      assert.deepEqual([...layer.kernel!.shape], [3, 4]);
      layer.setWeights([
        tensor([
          [1, 1, 1, 1],
          [2, 2, 2, 2],
          [3, 3, 3, 3],
        ]),
        tensor([0, 1, 2, 3]),
      ]);
      // Sample b, step t is [t, b, 1], so unit j outputs t + 2b + 3 + j.
      const input = new Float32Array(2 * 5 * 3);
      const expected: number[] = [];
      for (let b = 0; b < 2; b++) {
        for (let t = 0; t < 5; t++) {
          input.set([t, b, 1], (b * 5 + t) * 3);
          for (let j = 0; j < 4; j++) expected.push(t + 2 * b + 3 + j);
        }
      }
      const output = layer.apply(new Tensor(input, [2, 5, 3]));
      assert.deepEqual([...output.shape], [2, 5, 4]);
      assertClose(output.data, expected, { message: backend });
    }),
  );

  test("rank-3 input passes the layer test", () => {
    runLayerTest({
      create: () => new Dense({ units: 4 }),
      inputShape: [2, 5, 3],
      expectedOutputShape: [null, 5, 4],
      expectedTrainableWeights: [
        { name: "kernel", shape: [3, 4] },
        { name: "bias", shape: [4] },
      ],
      expectedParams: 16,
    });
  });

  test("rank-1 input is an error", () => {
    const layer = new Dense({ units: 2 });
    assert.throws(() => layer.apply(tensor([1, 2, 3])), ShapeError);
    assert.match(errorMessage(() => layer.apply(tensor([1, 2, 3]))), /rank 2 or more.*\(3,\)/);
    assert.throws(() => new Dense({ units: 2 }).build([null]), ShapeError);
  });

  test("wrong input width after build", () => {
    const layer = new Dense({ units: 2 });
    layer.apply(tensor([[1, 2, 3]]));
    assert.throws(() => layer.apply(tensor([[1, 2]])), ShapeError);
    const message = errorMessage(() => layer.apply(tensor([[1, 2]])));
    assert.match(message, /\(None, 3\)/, "names the expected shape");
    assert.match(message, /\(1, 2\)/, "names the received shape");
  });

  test("wrong width in rank-3 input", () => {
    const layer = new Dense({ units: 2 });
    layer.build([null, 4, 3]);
    const message = errorMessage(() => layer.apply(new Tensor(new Float32Array(16), [2, 4, 2])));
    assert.match(message, /\(None, 4, 3\)/, "names the expected shape");
    assert.match(message, /\(2, 4, 2\)/, "names the received shape");
  });

  test("units must be positive integer", () => {
    for (const units of [0, -3, 2.5, Number.NaN, "4", undefined]) {
      assert.throws(
        () => new Dense({ units } as unknown as { units: number }),
        (error: unknown) => error instanceof ValueError && /`units`/.test(error.message),
        `units = ${String(units)}`,
      );
    }
  });

  test("missing options object is an error", () => {
    assert.throws(() => new Dense(undefined as unknown as { units: number }), ValueError);
  });

  test("unknown options suggest nearest name", () => {
    const unit = errorMessage(() => new Dense({ unit: 3 } as unknown as { units: number }));
    assert.match(unit, /"unit"/);
    assert.match(unit, /Did you mean "units"\?/);
    const activaton = errorMessage(() => new Dense({ units: 3, activaton: "relu" } as unknown as { units: number }));
    assert.match(activaton, /"activaton"/);
    assert.match(activaton, /Did you mean "activation"\?/);
    assert.throws(() => new Dense({ units: 3, use_bias: false } as unknown as { units: number }), /useBias/);
  });

  test("unknown activation lists valid ones", () => {
    const message = errorMessage(() => new Dense({ units: 2, activation: "relux" }));
    assert.match(message, /"relux"/);
    for (const name of ["linear", "relu", "sigmoid", "tanh", "softmax"]) {
      assert.ok(message.includes(`"${name}"`), `lists "${name}"`);
    }
  });

  test("getConfig keys in Keras order", () => {
    const config = new Dense({ units: 3, name: "probe" }).getConfig();
    assert.deepEqual(Object.keys(config), [
      "name",
      "trainable",
      "dtype",
      "units",
      "activation",
      "use_bias",
      "kernel_initializer",
      "bias_initializer",
      "kernel_regularizer",
      "bias_regularizer",
      "kernel_constraint",
      "bias_constraint",
      "quantization_config",
    ]);
    assert.equal(config["name"], "probe");
    assert.equal(config["trainable"], true);
    assert.equal(config["units"], 3);
    assert.equal(config["use_bias"], true);
    assert.deepEqual(config["dtype"], {
      module: "keras",
      class_name: "DTypePolicy",
      config: { name: "float32" },
      registered_name: null,
    });
    assert.deepEqual(config["kernel_initializer"], {
      module: "keras.initializers",
      class_name: "GlorotUniform",
      config: { seed: null, input_axes: null, output_axes: null },
      registered_name: null,
    });
    assert.deepEqual(config["bias_initializer"], {
      module: "keras.initializers",
      class_name: "Zeros",
      config: {},
      registered_name: null,
    });
    for (const key of ["kernel_regularizer", "bias_regularizer", "kernel_constraint", "bias_constraint", "quantization_config"]) {
      assert.equal(config[key], null, key);
    }
  });

  test("fromConfig reads plain dtype string", () => {
    const layer = Dense.fromConfig({ name: "old_style", trainable: false, dtype: "float64", units: 2, activation: "tanh" });
    assert.equal(layer.dtype, "float64");
    assert.equal(layer.trainable, false);
    assert.equal(layer.getConfig()["activation"], "tanh");
  });
});

describe("Dense fromConfig checks", () => {
  test("rejects unknown config keys", () => {
    const config = { ...new Dense({ units: 2 }).getConfig(), unitz: 3 };
    assert.match(errorMessage(() => Dense.fromConfig(config)), /Unknown option "unitz" for Dense config\. Did you mean "units"\?/);
  });

  test("reads a serialized regularizer", () => {
    const config = { ...new Dense({ units: 2 }).getConfig(), kernel_regularizer: { class_name: "L2", config: { l2: 0.5 } } };
    const restored = Dense.fromConfig(config).getConfig()["kernel_regularizer"];
    assert.deepEqual(restored, { module: "keras.regularizers", class_name: "L2", config: { l2: 0.5 }, registered_name: null });
  });

  test("rejects an unknown regularizer class", () => {
    const config = { ...new Dense({ units: 2 }).getConfig(), kernel_regularizer: { class_name: "L3", config: {} } };
    assert.match(errorMessage(() => Dense.fromConfig(config)), /Unknown regularizer class "L3" for `kernel_regularizer`/);
  });
});
