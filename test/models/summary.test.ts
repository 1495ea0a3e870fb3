// summary() against the text Keras 3.15.1 prints (test/reference/summary.py).
import { beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Activation, Dropout, Flatten } from "../../src/layers/core.js";
import { Dense } from "../../src/layers/dense.js";
import { Input } from "../../src/layers/input.js";
import { Sequential } from "../../src/models/sequential.js";
import { clearSession } from "../../src/utils/naming.js";
import { columnWidths, formatBytes } from "../../src/models/summary.js";
import { setRandomSeed } from "../../src/random.js";

const reference = JSON.parse(readFileSync(new URL("../fixtures/reference/summary.json", import.meta.url), "utf8")) as {
  outputs: Record<string, Record<string, string>>;
};

function captureSummary(model: Sequential, lineLength: number): string {
  const lines: string[] = [];
  model.summary({ lineLength, printFn: (line) => lines.push(line) });
  return lines.join("\n") + "\n";
}

const mnistModel = (): Sequential =>
  new Sequential([Input({ shape: [784] }), new Dense({ units: 64, activation: "relu" }), new Dense({ units: 10, activation: "softmax" })]);

const models: Record<string, () => Promise<Sequential> | Sequential> = {
  mnist_before_compile: mnistModel,
  mnist_after_fit: async () => {
    const model = mnistModel();
    model.compile({ optimizer: "adam", loss: "categorical_crossentropy", metrics: ["accuracy"] });
    const x = Array.from({ length: 64 }, () => new Float32Array(784));
    const y = Array.from({ length: 64 }, (_, i) => Array.from({ length: 10 }, (_, c) => (c === i % 10 ? 1 : 0)));
    await model.fit(x, y, { epochs: 1, verbose: 0 });
    return model;
  },
  unbuilt_sequential: () => new Sequential([new Dense({ units: 4 }), new Dense({ units: 2 })]),
  input_rank_3: () => new Sequential([Input({ shape: [5, 3] }), new Dense({ units: 4 })]),
  flatten_dropout_activation: () =>
    new Sequential([
      Input({ shape: [28, 28] }),
      new Flatten(),
      new Dense({ units: 32 }),
      new Dropout({ rate: 0.2 }),
      new Activation({ activation: "relu" }),
      new Dense({ units: 10 }),
    ]),
};

describe("summary matches Keras", () => {
  beforeEach(() => {
    clearSession();
    setRandomSeed(0);
  });

  for (const [width, lineLength] of [
    ["columns_92", 88],
    ["columns_unset", 76],
  ] as const) {
    for (const name of Object.keys(models)) {
      it(`${name} at width ${lineLength}`, async () => {
        const model = await models[name]!();
        assert.equal(captureSummary(model, lineLength), reference.outputs[width]![name]);
      });
    }
  }
});

describe("summary helpers", () => {
  it("column widths fill the line", () => {
    for (const lineLength of [60, 76, 88, 120]) {
      const widths = columnWidths(lineLength);
      assert.equal(widths.reduce((a, b) => a + b, 0) + widths.length + 1, lineLength);
    }
  });

  it("byte sizes use 1024 steps", () => {
    assert.equal(formatBytes(0), "0.00 B");
    assert.equal(formatBytes(203560), "198.79 KB");
    assert.equal(formatBytes(3 * 1024 * 1024), "3.00 MB");
  });

  it("reports the main model's parameters", () => {
    const model = mnistModel();
    assert.equal(model.countParams(), 50890);
  });

  it("Dense on rank-3 input", () => {
    const model = new Sequential([Input({ shape: [5, 3] }), new Dense({ units: 4 })]);
    assert.equal(model.countParams(), 16);
    assert.deepEqual(model.layers[0]!.computeOutputShape([null, 5, 3]), [null, 5, 4]);
  });
});
