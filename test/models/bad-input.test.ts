// Every kind of bad data on every model entry point gets an error that names
// the argument, what was expected and what was received.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ShapeError, ValueError } from "../../src/errors.js";
import { Dense } from "../../src/layers/dense.js";
import { Input } from "../../src/layers/input.js";
import { Model } from "../../src/models/model.js";
import { Sequential } from "../../src/models/sequential.js";
import * as layers from "../../src/layers/index.js";
import { tensor } from "../../src/tensor/tensor.js";

const model = new Sequential([Input({ shape: [2] }), new Dense({ units: 3, activation: "softmax", name: "probs" })]);
model.compile({ optimizer: "sgd", loss: "sparse_categorical_crossentropy" });

const x = [[1, 2], [3, 4]];
const y = [0, 1];

/** Each entry point, called on `x` and `y`; the promise rejects when the call throws. */
const ENTRY_POINTS: Record<string, (x: unknown, y: unknown) => Promise<unknown>> = {
  fit: (a, b) => model.fit(a as never, b as never, { verbose: 0 }),
  evaluate: (a, b) => model.evaluate(a as never, b as never, { verbose: 0 }),
  predict: async (a) => model.predict(a as never, { verbose: 0 }),
  trainOnBatch: async (a, b) => model.trainOnBatch(a as never, b as never),
  testOnBatch: async (a, b) => model.testOnBatch(a as never, b as never),
  predictOnBatch: async (a) => model.predictOnBatch(a as never),
};
const LABELLED = ["fit", "evaluate", "trainOnBatch", "testOnBatch"];

interface BadCase {
  x: unknown;
  y: unknown;
  error: typeof ValueError | typeof ShapeError;
  message: RegExp;
  /** Entry points the case applies to; all of them by default. */
  only?: string[];
}

const CASES: Record<string, BadCase> = {
  "ragged rows": { x: [[1, 2], [3]], y, error: ShapeError, message: /row at \[1\] has length 1, but length 2 was expected/ },
  "NaN in x": { x: [[1, NaN], [3, 4]], y, error: ValueError, message: /`x` contains NaN at sample 0.*allowNonFinite/ },
  "Infinity in y": { x, y: [0, Infinity], error: ValueError, message: /`y` contains Infinity at sample 1/, only: LABELLED },
  "label out of range": { x, y: [0, 7], error: ValueError, message: /class label 7 in `y` at sample 1: output "probs" has 3 classes/, only: LABELLED },
  "string in x": { x: [[1, "a"], [3, 4]], y, error: ValueError, message: /`x` at index \[0\]\[1\]: expected a number, received the string "a"/ },
  "undefined in x": { x: [[1, undefined], [3, 4]], y, error: ValueError, message: /`x` at index \[0\]\[1\]: expected a number, received undefined/ },
  "bigint in x": { x: [[1n, 2n]], y: [0], error: ValueError, message: /received the bigint 1n/ },
  "zero samples": { x: tensor(new Float32Array(0), [0, 2]), y: tensor(new Float32Array(0), [0]), error: ValueError, message: /`x` has no samples \(shape \(0, 2\)\)/ },
  "mismatched lengths": { x, y: [0], error: ShapeError, message: /`x` has 2 \(shape \(2, 2\)\) and `y` has 1/, only: LABELLED },
  "single sample": { x: [1, 2], y: [0], error: ShapeError, message: /expects input of shape \(None, 2\), but `x` has shape \(2,\)\. It looks like a single sample.*\(1, 2\)/ },
  "wrong feature count": { x: [[1, 2, 3]], y: [0], error: ShapeError, message: /expects input of shape \(None, 2\), but `x` has shape \(1, 3\)/ },
  "missing x": { x: null, y, error: ValueError, message: /Missing `x`/ },
  "missing y": { x, y: undefined, error: ValueError, message: /`y`/, only: LABELLED },
  "an object as x": { x: new Map(), y, error: ValueError, message: /Invalid `x`: expected a Tensor, a typed array, a number or nested arrays of numbers, received an object/ },
};

describe("bad input on every entry point", () => {
  for (const [name, testCase] of Object.entries(CASES)) {
    for (const [entry, call] of Object.entries(ENTRY_POINTS)) {
      if (testCase.only && !testCase.only.includes(entry)) continue;
      it(`${entry}: ${name}`, async () => {
        await assert.rejects(call(testCase.x, testCase.y), (error: Error) => {
          assert.ok(error instanceof testCase.error, `${testCase.error.name} expected, received ${error.constructor.name}: ${error.message}`);
          assert.match(error.message, testCase.message);
          return true;
        });
      });
    }
  }
});

describe("options of the entry points", () => {
  const cases: [string, () => Promise<unknown>, RegExp][] = [
    ["negative batch size", () => model.fit(x, y, { batchSize: -1, verbose: 0 }), /`batchSize` for fit: expected a positive integer, received -1/],
    ["fractional batch size", () => model.evaluate(x, y, { batchSize: 1.5, verbose: 0 }), /`batchSize` for evaluate: expected a positive integer, received 1\.5/],
    ["zero epochs", () => model.fit(x, y, { epochs: 0, verbose: 0 }), /`epochs` for fit: expected a positive integer, received 0/],
    ["fractional epochs", () => model.fit(x, y, { epochs: 2.5, verbose: 0 }), /received 2\.5/],
    ["misspelt option", () => model.fit(x, y, { batchsize: 2 } as never), /batchsize.*Did you mean "batchSize"/],
    ["bad verbose", async () => model.predict(x, { verbose: 3 as never }), /`verbose` for predict: expected 0, 1, 2 or "auto", received 3/],
  ];
  for (const [name, call, message] of cases) {
    it(name, async () => {
      await assert.rejects(call(), message);
    });
  }
});

describe("data of other typed arrays", () => {
  it("converts Uint8Array pixels to float32", () => {
    const pixels = new Uint8Array([0, 255, 128, 64]);
    const out = model.predict(tensor(pixels, [2, 2]), { verbose: 0 });
    assert.deepEqual([...out.shape], [2, 3]);
    const rows = model.predict([new Uint8Array([0, 255]), new Uint8Array([128, 64])], { verbose: 0 });
    assert.deepEqual([...rows.data], [...out.data], "rows given as Uint8Arrays give the same result");
  });
});

describe("several inputs", () => {
  it("name the input whose samples differ", async () => {
    const a = Input({ shape: [1], name: "a" });
    const b = Input({ shape: [1], name: "b" });
    const two = new Model({ inputs: [a, b], outputs: [new Dense({ units: 1 }).apply(a), new Dense({ units: 1 }).apply(b)] });
    two.compile({ optimizer: "sgd", loss: "mse" });
    await assert.rejects(two.fit([[[1], [2]], [[1]]], [[[1], [2]], [[1], [2]]], { verbose: 0 }), /`x\[0\]` has 2 .* but `x\[1\]` has 1/);
  });
});

describe("shape errors suggest a fix", () => {
  it("points to a reshape or Flatten when only the layout differs", () => {
    assert.throws(() => model.predict([[[1, 2]], [[3, 4]]], { verbose: 0 }), /reshape the data to \(2, 2\), or start the model with an Input of shape \(1, 2\) followed by Flatten/);
  });

  it("points to a channel axis that a convolution misses", () => {
    assert.throws(
      () => new Sequential([Input({ shape: [28, 28] }), new layers.Conv2D({ filters: 2, kernelSize: 3 })]),
      /add that axis: Input\(\{ shape: \[28, 28, 1\] \}\)/,
    );
  });

  it("points to an Input that includes the batch axis", () => {
    const extra = new Sequential([Input({ shape: [null, 2] }), new Dense({ units: 1 })]);
    assert.throws(() => extra.predict([[1, 2]], { verbose: 0 }), /leave it out: Input\(\{ shape: \[2\] \}\)/);
  });
});
