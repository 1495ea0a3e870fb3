import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ValueError } from "../../src/errors.js";
import { Variable } from "../../src/layers/variable.js";
import { Adam, type AdamOptions, SGD, type SGDOptions, get } from "../../src/optimizers/index.js";
import { type Tensor, tensor, zeros } from "../../src/tensor/tensor.js";
import { forEachBackend } from "../helpers/backends.js";
import { assertClose } from "../helpers/close.js";
import { errorMessage } from "../helpers/capture.js";

function variable(path: string, value: Tensor): Variable {
  return new Variable({ name: path.split("/").pop()!, path, value, trainable: true });
}

const BASE_CONFIG_KEYS = [
  "name",
  "learning_rate",
  "weight_decay",
  "clipnorm",
  "global_clipnorm",
  "clipvalue",
  "use_ema",
  "ema_momentum",
  "ema_overwrite_frequency",
  "loss_scale_factor",
  "gradient_accumulation_steps",
];

describe("optimizer configs", () => {
  test("Adam defaults", () => {
    const config = new Adam({ name: "opt" }).getConfig();
    assert.deepEqual(Object.keys(config), [...BASE_CONFIG_KEYS, "beta_1", "beta_2", "epsilon", "amsgrad"]);
    assert.deepEqual(config, {
      name: "opt",
      learning_rate: 0.0010000000474974513,
      weight_decay: null,
      clipnorm: null,
      global_clipnorm: null,
      clipvalue: null,
      use_ema: false,
      ema_momentum: 0.99,
      ema_overwrite_frequency: null,
      loss_scale_factor: null,
      gradient_accumulation_steps: null,
      beta_1: 0.9,
      beta_2: 0.999,
      epsilon: 1e-7,
      amsgrad: false,
    });
  });

  test("SGD defaults", () => {
    const config = new SGD().getConfig();
    assert.deepEqual(Object.keys(config), [...BASE_CONFIG_KEYS, "momentum", "nesterov"]);
    assert.equal(config["learning_rate"], 0.009999999776482582);
    assert.equal(config["momentum"], 0);
    assert.equal(config["nesterov"], false);
    assert.equal(config["use_ema"], false);
  });

  test("learning rate stored as float32", () => {
    assert.equal(new SGD({ learningRate: 0.1 }).getConfig()["learning_rate"], 0.10000000149011612);
    assert.equal(new Adam({ learningRate: 0.05 }).getConfig()["learning_rate"], 0.05000000074505806);
    assert.equal(new Adam({ learningRate: 0.05 }).learningRate, 0.05000000074505806);
  });

  test("custom Adam values", () => {
    const config = new Adam({ beta1: 0.8, beta2: 0.95, epsilon: 1e-3, amsgrad: true }).getConfig();
    assert.equal(config["beta_1"], 0.8);
    assert.equal(config["beta_2"], 0.95);
    assert.equal(config["epsilon"], 1e-3);
    assert.equal(config["amsgrad"], true);
  });

  test("default names are snake_case", () => {
    assert.match(new Adam().name, /^adam(_\d+)?$/);
    assert.match(new SGD().name, /^sgd(_\d+)?$/);
  });
});

describe("optimizers.get", () => {
  test("resolves names in any case", () => {
    assert.ok(get("adam") instanceof Adam);
    assert.ok(get("Adam") instanceof Adam);
    assert.ok(get("sgd") instanceof SGD);
    assert.ok(get("SGD") instanceof SGD);
    const instance = new SGD({ learningRate: 0.5 });
    assert.equal(get(instance), instance);
  });

  test("unknown name lists valid ones", () => {
    const message = errorMessage(() => get("rmsprob"));
    assert.match(message, /"rmsprob"/);
    assert.ok(message.includes('Did you mean "rmsprop"?'), message);
    assert.ok(message.includes('"adam"'), message);
    assert.ok(message.includes('"sgd"'), message);
  });
});

describe("optimizer argument checks", () => {
  test("invalid momentum is an error", () => {
    for (const momentum of [-0.1, 1.5, Number.NaN, "0.9"]) {
      assert.throws(
        () => new SGD({ momentum } as unknown as SGDOptions),
        (error: unknown) => error instanceof ValueError && /`momentum`/.test(error.message),
        `momentum = ${String(momentum)}`,
      );
    }
  });

  test("invalid learning rate is an error", () => {
    for (const learningRate of [-0.1, Number.NaN, Number.POSITIVE_INFINITY, "0.01"]) {
      for (const create of [(o: object) => new SGD(o as SGDOptions), (o: object) => new Adam(o as AdamOptions)]) {
        assert.throws(
          () => create({ learningRate }),
          (error: unknown) => error instanceof ValueError && /`learningRate`/.test(error.message),
          `learningRate = ${String(learningRate)}`,
        );
      }
    }
  });

  test("option typos suggest names", () => {
    const cases: [() => unknown, string][] = [
      [() => new Adam({ learningrate: 0.1 } as unknown as AdamOptions), "learningRate"],
      [() => new Adam({ beta_1: 0.9 } as unknown as AdamOptions), "beta1"],
      [() => new Adam({ epsilom: 1e-7 } as unknown as AdamOptions), "epsilon"],
      [() => new SGD({ momentun: 0.9 } as unknown as SGDOptions), "momentum"],
      [() => new SGD({ nesterow: true } as unknown as SGDOptions), "nesterov"],
    ];
    for (const [create, suggestion] of cases) {
      const message = errorMessage(create);
      assert.ok(message.includes(`Did you mean "${suggestion}"?`), message);
    }
  });
});

describe("optimizer state", () => {
  test("Adam slots interleave per variable", () => {
    const kernel = variable("dense/kernel", zeros([3, 4]));
    const bias = variable("dense/bias", zeros([4]));
    const optimizer = new Adam();
    optimizer.applyGradients([zeros([3, 4]), zeros([4])], [kernel, bias]);
    assert.deepEqual(
      optimizer.variables.map((v) => v.name),
      ["iteration", "learning_rate", "dense_kernel_momentum", "dense_kernel_velocity", "dense_bias_momentum", "dense_bias_velocity"],
    );
    assert.deepEqual([...optimizer.variables[2]!.value.shape], [3, 4]);
    assert.deepEqual([...optimizer.variables[5]!.value.shape], [4]);
  });

  test("amsgrad slots follow the pairs", () => {
    const a = variable("a", zeros([2]));
    const b = variable("b", zeros([1]));
    const optimizer = new Adam({ amsgrad: true });
    optimizer.applyGradients([zeros([2]), zeros([1])], [a, b]);
    assert.deepEqual(
      optimizer.variables.map((v) => v.name),
      ["iteration", "learning_rate", "a_momentum", "a_velocity", "b_momentum", "b_velocity", "a_velocity_hat", "b_velocity_hat"],
    );
  });

  test("SGD momentum slot only", () => {
    const w = variable("w", zeros([2]));
    const plain = new SGD();
    plain.applyGradients([zeros([2])], [w]);
    assert.deepEqual(
      plain.variables.map((v) => v.name),
      ["iteration", "learning_rate"],
    );
    const withMomentum = new SGD({ momentum: 0.5 });
    withMomentum.applyGradients([zeros([2])], [w]);
    assert.deepEqual(
      withMomentum.variables.map((v) => v.name),
      ["iteration", "learning_rate", "w_momentum"],
    );
  });

  test("counts state scalars", () => {
    // Dense 3→4→2 trained with Adam: iteration, learning_rate and two slots for each of
    // the 26 weights' scalars (12 + 4 + 8 + 2), so 2 + 2 × 26 = 54.
    const shapes = [[3, 4], [4], [4, 2], [2]];
    const variables = shapes.map((shape, i) => variable(`layer${i}/w`, zeros(shape)));
    const optimizer = new Adam();
    optimizer.applyGradients(
      shapes.map((shape) => zeros(shape)),
      variables,
    );
    assert.equal(optimizer.variables.length, 10);
    assert.equal(optimizer.countParams(), 54);
  });

  test("iterations count steps", () => {
    const w = variable("w", zeros([1]));
    const optimizer = new SGD();
    for (let i = 0; i < 3; i++) optimizer.applyGradients([tensor([1])], [w]);
    assert.equal(optimizer.iterations, 3);
    assert.equal(optimizer.variables[0]!.value.item(), 3);
  });

  test(
    "amsgrad keeps largest velocity",
    forEachBackend((backend) => {
      // Gradients 1 then 0 on a scalar with lr 0.1, β1 0.9 and β2 0.5. Step 1: m = 0.1,
      // v = 0.5. Step 2: m = 0.09, v = 0.25, and amsgrad keeps v̂ = 0.5.
      const lr = Math.fround(0.1);
      const alpha1 = (lr * Math.sqrt(1 - 0.5)) / (1 - 0.9);
      const w1 = 1 - (alpha1 * 0.1) / (Math.sqrt(0.5) + 1e-7);
      const alpha2 = (lr * Math.sqrt(1 - 0.5 ** 2)) / (1 - 0.9 ** 2);
      const w2 = w1 - (alpha2 * 0.09) / (Math.sqrt(0.5) + 1e-7);
      const w2WithoutAmsgrad = w1 - (alpha2 * 0.09) / (Math.sqrt(0.25) + 1e-7);
      assert.ok(Math.abs(w2 - w2WithoutAmsgrad) > 1e-2, "the case separates the two rules");

      const w = variable("w", tensor([1]));
      const optimizer = new Adam({ learningRate: 0.1, beta2: 0.5, amsgrad: true });
      optimizer.applyGradients([tensor([1])], [w]);
      assertClose(w.value.data, [w1], { message: `${backend}, step 1` });
      optimizer.applyGradients([tensor([0])], [w]);
      assertClose(w.value.data, [w2], { message: `${backend}, step 2` });
    }),
  );

  test("applyGradients checks its arguments", () => {
    const a = variable("a", zeros([2]));
    const b = variable("b", zeros([3]));
    const optimizer = new SGD();
    assert.throws(() => optimizer.applyGradients([zeros([2])], [a, b]), /1 gradients for 2 variables/);
    assert.throws(() => optimizer.applyGradients([zeros([3])], [a]), /"a"/);
    optimizer.applyGradients([zeros([2])], [a]);
    assert.throws(() => optimizer.applyGradients([zeros([3])], [b]), /"b" was not part/);
  });
});
