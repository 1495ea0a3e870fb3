import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { NotBuiltError, ValueError } from "../../src/errors.js";
import { Dense } from "../../src/layers/dense.js";
import { Input } from "../../src/layers/input.js";
import { Variable } from "../../src/layers/variable.js";
import { Sequential } from "../../src/models/sequential.js";
import {
  Adadelta,
  Adafactor,
  Adagrad,
  Adam,
  Adamax,
  AdamW,
  Ftrl,
  Lamb,
  Lion,
  Nadam,
  type Optimizer,
  type OptimizerOptions,
  RMSprop,
  SGD,
  deserialize,
  get,
  schedules,
  serialize,
} from "../../src/optimizers/index.js";
import { type Tensor, tensor, zeros } from "../../src/tensor/tensor.js";
import { errorMessage } from "../helpers/capture.js";
import { assertClose } from "../helpers/close.js";

function variable(path: string, value: Tensor): Variable {
  return new Variable({ name: path.split("/").pop()!, path, value, trainable: true });
}

describe("optimizers.get by name", () => {
  test("resolves every Keras name", () => {
    const expected: [string, string][] = [
      ["adadelta", "Adadelta"],
      ["adafactor", "Adafactor"],
      ["adagrad", "Adagrad"],
      ["adam", "Adam"],
      ["adamax", "Adamax"],
      ["adamw", "AdamW"],
      ["ftrl", "Ftrl"],
      ["lion", "Lion"],
      ["nadam", "Nadam"],
      ["RMSprop", "RMSprop"],
      ["rmsprop", "RMSprop"],
      ["sgd", "SGD"],
    ];
    for (const [name, className] of expected) assert.equal(get(name).className, className, name);
  });

  test("lamb is not resolvable by name", () => {
    // Keras 3.15.1 raises "Could not interpret optimizer identifier: lamb".
    assert.throws(() => get("lamb"), ValueError);
    assert.ok(deserialize({ class_name: "Lamb", config: {} }) instanceof Lamb);
  });

  test("resolves serialized configs", () => {
    const optimizer = get({ class_name: "Nadam", config: { learning_rate: 0.01, beta_1: 0.8 } });
    assert.ok(optimizer instanceof Nadam);
    assert.equal(optimizer.beta1, 0.8);
    assert.equal(optimizer.learningRate, Math.fround(0.01));
  });

  test("config typos suggest keys", () => {
    const message = errorMessage(() => deserialize({ class_name: "RMSprop", config: { rhoo: 0.9 } }));
    assert.ok(message.includes('Did you mean "rho"?'), message);
  });

  test("default names follow Keras", () => {
    assert.match(new RMSprop().name, /^rm_sprop(_\d+)?$/);
    assert.match(new AdamW().name, /^adam_w(_\d+)?$/);
    assert.match(new Adafactor().name, /^adafactor(_\d+)?$/);
  });
});

describe("common option checks", () => {
  const create = (options: OptimizerOptions) => new SGD(options);

  test("one clipping option at most", () => {
    for (const options of [
      { clipnorm: 1, clipvalue: 1 },
      { clipnorm: 1, globalClipnorm: 1 },
      { clipvalue: 1, globalClipnorm: 1 },
    ]) {
      const message = errorMessage(() => create(options));
      assert.match(message, /at most one of `clipnorm`, `clipvalue` and `globalClipnorm`/, JSON.stringify(options));
    }
  });

  test("accumulation steps at least 2", () => {
    for (const steps of [1, 0, 2.5, -3]) {
      assert.throws(() => create({ gradientAccumulationSteps: steps }), /`gradientAccumulationSteps`/, String(steps));
    }
    assert.equal(create({ gradientAccumulationSteps: 2 }).gradientAccumulationSteps, 2);
  });

  test("EMA momentum in [0, 1]", () => {
    assert.throws(() => create({ useEma: true, emaMomentum: 1.5 }), /`emaMomentum`/);
    assert.throws(() => create({ useEma: true, emaOverwriteFrequency: 0 }), /`emaOverwriteFrequency`/);
    // Without useEma, Keras does not look at either option.
    assert.equal(create({ emaMomentum: 1.5 }).emaMomentum, 1.5);
  });

  test("AdamW needs a numeric weight decay", () => {
    assert.throws(() => new AdamW({ weightDecay: null as unknown as number }), /`weightDecay` for AdamW/);
    assert.equal(new AdamW().weightDecay, 0.004);
  });

  test("optimizer-specific ranges", () => {
    assert.throws(() => new Lion({ beta1: 0 }), /`beta1` for Lion/);
    assert.throws(() => new Lion({ beta1: 1.5 }), /`beta1` for Lion/);
    assert.throws(() => new Ftrl({ learningRatePower: 0.5 }), /`learningRatePower`/);
    assert.throws(() => new Ftrl({ l1RegularizationStrength: -1 }), /`l1RegularizationStrength`/);
    assert.throws(() => new RMSprop({ centered: "yes" as unknown as boolean }), /`centered`/);
  });

  test("unknown options suggest names", () => {
    const cases: [() => unknown, string][] = [
      [() => new RMSprop({ centred: true } as unknown as OptimizerOptions), "centered"],
      [() => new Adagrad({ initialAccumulator: 0.1 } as unknown as OptimizerOptions), "initialAccumulatorValue"],
      [() => new Adafactor({ epsilon_1: 1e-30 } as unknown as OptimizerOptions), "epsilon1"],
      [() => new SGD({ clipNorm: 1 } as unknown as OptimizerOptions), "clipnorm"],
    ];
    for (const [make, suggestion] of cases) {
      const message = errorMessage(make);
      assert.ok(message.includes(`Did you mean "${suggestion}"?`), message);
    }
  });
});

describe("learning rate", () => {
  test("schedule follows the call count", () => {
    const schedule = new schedules.ExponentialDecay({ initialLearningRate: 0.1, decaySteps: 1, decayRate: 0.5 });
    const optimizer = new SGD({ learningRate: schedule });
    const w = variable("w", tensor([0]));
    assert.equal(optimizer.learningRate, Math.fround(0.1));
    optimizer.applyGradients([tensor([1])], [w]);
    assert.equal(optimizer.learningRate, Math.fround(0.05));
    assertClose(w.value.data, [-0.1]);
  });

  test("function of the step", () => {
    const optimizer = new SGD({ learningRate: (step: number) => 0.1 / (step + 1) });
    const w = variable("w", tensor([0]));
    optimizer.applyGradients([tensor([1])], [w]);
    optimizer.applyGradients([tensor([1])], [w]);
    assertClose(w.value.data, [-(0.1 + 0.05)]);
    assert.deepEqual(
      optimizer.variables.map((v) => v.name),
      ["iteration"],
    );
  });

  test("cannot be set with a schedule", () => {
    const optimizer = new Adam({ learningRate: new schedules.CosineDecay({ initialLearningRate: 0.1, decaySteps: 10 }) });
    assert.throws(() => {
      optimizer.learningRate = 0.5;
    }, /cannot be set/);
    const fixed = new Adam();
    fixed.learningRate = 0.5;
    assert.equal(fixed.learningRate, 0.5);
    assert.equal(fixed.variables[1]!.value.item(), 0.5);
  });

  test("schedule argument checks", () => {
    assert.throws(() => new schedules.ExponentialDecay({ initialLearningRate: 0.1, decaySteps: 0, decayRate: 0.5 }), /`decaySteps`/);
    assert.throws(() => new schedules.PiecewiseConstantDecay({ boundaries: [1, 2], values: [0.1, 0.2] }), /one more value/);
    assert.throws(() => new schedules.CosineDecayRestarts({ initialLearningRate: 0.1, firstDecaySteps: -1 }), /`firstDecaySteps`/);
    assert.throws(() => schedules.deserialize({ class_name: "CosineDecy", config: {} }), /Did you mean "CosineDecay"\?/);
  });

  test("function config uses Keras's form", () => {
    function halving(step: number): number {
      return 0.1 / 2 ** step;
    }
    const config = new SGD({ learningRate: halving }).getConfig();
    assert.deepEqual(config["learning_rate"], { module: "builtins", class_name: "function", config: "halving", registered_name: "function" });
    assert.throws(() => deserialize(serialize(new SGD({ learningRate: halving })) as { class_name: string }), /Cannot restore the learning rate/);
  });
});

describe("per-step behaviour", () => {
  test("clipping leaves caller gradients alone", () => {
    const w = variable("w", tensor([0, 0]));
    const gradient = tensor([3, 4]);
    new SGD({ learningRate: 1, clipnorm: 1 }).applyGradients([gradient], [w]);
    assert.deepEqual([...gradient.data], [3, 4]);
    assertClose(w.value.data, [-0.6, -0.8]);
  });

  test("weight decay exclusions", () => {
    const kernel = variable("dense/kernel", tensor([1]));
    const bias = variable("dense/bias", tensor([1]));
    const other = variable("other/kernel", tensor([1]));
    const optimizer = new SGD({ learningRate: 0.1, weightDecay: 0.5 });
    optimizer.excludeFromWeightDecay([other], ["bias"]);
    optimizer.applyGradients([zeros([1]), zeros([1]), zeros([1])], [kernel, bias, other]);
    assertClose(kernel.value.data, [0.95]);
    assert.deepEqual([...bias.value.data], [1]);
    assert.deepEqual([...other.value.data], [1]);
    assert.throws(() => optimizer.excludeFromWeightDecay([kernel]), /before/);
  });

  test("constraints run after the update", () => {
    const w = variable("w", tensor([0.5, -0.5]));
    const nonNegative = (value: Tensor) => tensor([...value.data].map((x) => Math.max(0, x)));
    Object.assign(w, { constraint: nonNegative });
    new SGD({ learningRate: 1 }).applyGradients([tensor([1, 1])], [w]);
    assertClose(w.value.data, [0, 0]);
  });

  test("empty gradient list is a no-op", () => {
    const optimizer = new RMSprop();
    optimizer.applyGradients([], []);
    assert.equal(optimizer.iterations, 0);
    assert.equal(optimizer.built, false);
  });

  test("accumulation counts updates", () => {
    const w = variable("w", tensor([0]));
    const optimizer = new SGD({ learningRate: 1, gradientAccumulationSteps: 2 });
    optimizer.applyGradients([tensor([1])], [w]);
    assert.deepEqual([...w.value.data], [0], "no update on the first call");
    assert.equal(optimizer.iterations, 0);
    optimizer.applyGradients([tensor([3])], [w]);
    assertClose(w.value.data, [-2], { message: "mean of the two gradients" });
    assert.equal(optimizer.iterations, 1);
    assert.equal(optimizer.variables[0]!.value.item(), 2, "the saved iteration counts calls");
  });

  test("float64 variables match float32", () => {
    const makers: (() => Optimizer)[] = [
      () => new RMSprop({ learningRate: 0.01, centered: true, momentum: 0.5 }),
      () => new Adagrad({ learningRate: 0.1 }),
      () => new Adadelta({ learningRate: 1 }),
      () => new Adamax({ learningRate: 0.01 }),
      () => new Nadam({ learningRate: 0.01 }),
      () => new Lion({ learningRate: 0.01 }),
      () => new Lamb({ learningRate: 0.01 }),
      () => new Ftrl({ learningRate: 0.1, l1RegularizationStrength: 0.001 }),
      () => new Adafactor({ learningRate: 0.01 }),
      () => new AdamW({ learningRate: 0.01, useEma: true, clipnorm: 1 }),
    ];
    const start = [
      [0.5, -1, 2],
      [1.5, 0.25, -0.75],
    ];
    const gradients = [
      [
        [0.1, -0.4, 0.3],
        [-0.2, 0.6, 0.05],
      ],
      [
        [-0.3, 0.2, 0.1],
        [0.4, -0.1, 0.2],
      ],
    ];
    for (const make of makers) {
      const single = variable("w", tensor(start, undefined, "float32"));
      const double = variable("w", tensor(start, undefined, "float64"));
      const singleOptimizer = make();
      const doubleOptimizer = make();
      for (const g of gradients) {
        singleOptimizer.applyGradients([tensor(g, undefined, "float32")], [single]);
        doubleOptimizer.applyGradients([tensor(g, undefined, "float64")], [double]);
      }
      assert.ok(double.value.data instanceof Float64Array);
      assertClose(single.value.data, double.value.data, { rtol: 1e-5, atol: 1e-6, message: singleOptimizer.className });
    }
  });
});

describe("state loading", () => {
  test("setVariables checks shapes", () => {
    const w = variable("w", zeros([2, 3]));
    const optimizer = new Adam();
    assert.throws(() => optimizer.setVariables([]), NotBuiltError);
    optimizer.build([w]);
    const state = optimizer.variables.map((v) => v.value);
    assert.throws(() => optimizer.setVariables(state.slice(1)), /has 4 state variables, but 3 values/);
    const wrong = [...state];
    wrong[2] = zeros([3, 2]);
    const message = errorMessage(() => optimizer.setVariables(wrong));
    assert.match(message, /"w_momentum"/);
    assert.match(message, /\(2, 3\)/);
  });

  test("setVariables loads values", () => {
    const w = variable("w", zeros([2]));
    const optimizer = new SGD({ learningRate: 0.1, momentum: 0.9 });
    optimizer.build([w]);
    optimizer.setVariables([tensor(7, [], "int32"), tensor(0.25, []), tensor([1, 2])]);
    assert.equal(optimizer.iterations, 7);
    assert.equal(optimizer.learningRate, 0.25);
    assert.deepEqual([...optimizer.variables[2]!.value.data], [1, 2]);
  });
});

describe("compile", () => {
  test("defaults to RMSprop", () => {
    const model = new Sequential([Input({ shape: [2] }), new Dense({ units: 1 })]);
    model.compile({ loss: "mse" });
    assert.ok(model.optimizer instanceof RMSprop);
    assert.equal(model.optimizer.learningRate, Math.fround(0.001));
  });
});
