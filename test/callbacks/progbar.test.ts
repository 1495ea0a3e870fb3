import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Progbar, formatTimePerStep, formatValue, setOutput, type TextOutput } from "../../src/callbacks/progbar.js";
import { Dense } from "../../src/layers/dense.js";
import { Input } from "../../src/layers/input.js";
import { Sequential } from "../../src/models/sequential.js";
import { tensor } from "../../src/tensor/tensor.js";

class CapturedOutput implements TextOutput {
  text = "";
  constructor(readonly isTTY: boolean) {}
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}

let restore: TextOutput | null = null;
function capture(isTTY: boolean): CapturedOutput {
  const output = new CapturedOutput(isTTY);
  restore = setOutput(output);
  return output;
}
afterEach(() => {
  if (restore) setOutput(restore);
  restore = null;
});

const stripColor = (text: string): string => text.replace(/\x1b\[[0-9;]*m/g, "");

async function fitSmallModel(verbose: 1 | 2, epochs = 2): Promise<void> {
  const model = new Sequential([Input({ shape: [1] }), new Dense({ units: 1, activation: "sigmoid" })]);
  model.setWeights([tensor([[1]]), tensor([0])]);
  model.compile({ optimizer: "sgd", loss: "binary_crossentropy", metrics: ["accuracy"] });
  const x = Array.from({ length: 10 }, (_, i) => [i - 5]);
  const y = Array.from({ length: 10 }, (_, i) => [i >= 5 ? 1 : 0]);
  await model.fit(x, y, { epochs, batchSize: 4, verbose, validationSplit: 0.2 });
}

describe("value formats", () => {
  it("four decimals or exponent form", () => {
    assert.equal(formatValue(0.41251, 1), "0.4125");
    assert.equal(formatValue(2.5709, 1), "2.5709");
    assert.equal(formatValue(0, 1), "0.0000e+00");
    assert.equal(formatValue(0.00012345, 1), "1.2345e-04");
    assert.equal(formatValue(-0.5, 1), "-0.5000");
  });

  it("verbose 2 compares without abs", () => {
    assert.equal(formatValue(-0.5, 2), "-5.0000e-01");
  });

  it("time per step units", () => {
    assert.equal(formatTimePerStep(0.463), "463ms/step");
    assert.equal(formatTimePerStep(2), "2s/step");
    assert.equal(formatTimePerStep(0), "0s/step");
    assert.equal(formatTimePerStep(0.000956), "956us/step");
  });
});

describe("progress bar output", () => {
  it("prints final lines only off a terminal", async () => {
    const output = capture(false);
    await fitSmallModel(1);
    assert.ok(!output.text.includes("\r"), "no carriage returns");
    assert.ok(!output.text.includes("\x1b["), "no colour codes");
    const lines = output.text.trimEnd().split("\n");
    assert.equal(lines.length, 4);
    assert.equal(lines[0], "Epoch 1/2");
    assert.match(
      lines[1]!,
      /^2\/2 ━{20} \d+s \d+(us|ms|s)\/step - accuracy: \d\.\d{4} - loss: \d\.\d{4} - val_accuracy: \d\.\d{4}(e[+-]\d\d)? - val_loss: \d\.\d{4}$/,
    );
    assert.equal(lines[2], "Epoch 2/2");
  });

  it("redraws in place on a terminal", async () => {
    const output = capture(true);
    await fitSmallModel(1, 1);
    assert.ok(output.text.includes("\r"));
    assert.ok(output.text.includes("\x1b[32m"), "done part in green");
    assert.ok(!output.text.includes("Epoch 1/1"), "no epoch line for a single epoch");
    const finalLine = stripColor(output.text.split("\r").at(-1)!);
    assert.match(finalLine, /^2\/2 ━{20} \d+s .*- val_loss: \d\.\d{4}\s*\n$/);
  });

  it("verbose 2 prints one line per epoch", async () => {
    const output = capture(false);
    await fitSmallModel(2);
    const lines = output.text.trimEnd().split("\n");
    assert.equal(lines.length, 4);
    assert.match(lines[1]!, /^2\/2 - \d+s - \d+(us|ms|s)\/step - accuracy: \S+ - loss: \S+ - val_accuracy: \S+ - val_loss: \S+$/);
  });

  it("verbose 0 prints nothing", async () => {
    const output = capture(false);
    const model = new Sequential([Input({ shape: [1] }), new Dense({ units: 1 })]);
    model.compile({ optimizer: "sgd", loss: "mse" });
    await model.fit([[1]], [[1]], { verbose: 0 });
    await model.evaluate([[1]], [[1]], { verbose: 0 });
    model.predict([[1]], { verbose: 0 });
    assert.equal(output.text, "");
  });

  it("evaluate and predict show their own bars", async () => {
    const output = capture(false);
    const model = new Sequential([Input({ shape: [1] }), new Dense({ units: 1 })]);
    model.setWeights([tensor([[0]]), tensor([0])]);
    model.compile({ optimizer: "sgd", loss: "mse" });
    // Squared errors 1 and 4 give a loss of 2.5000.
    await model.evaluate([[1], [2]], [[1], [2]], { batchSize: 1 });
    model.predict([[1], [2], [3]], { batchSize: 2 });
    const lines = output.text.trimEnd().split("\n");
    assert.match(lines[0]!, /^2\/2 ━{20} \d+s \S+\/step - loss: 2\.5000$/);
    assert.match(lines[1]!, /^2\/2 ━{20} \d+s \S+\/step$/);
  });

  it("pads the count to the target width", () => {
    const output = new CapturedOutput(false);
    const bar = new Progbar(250, { output });
    bar.update(250, { loss: 0.5 });
    assert.match(output.text, /^250\/250 ━{20} /);
    const partial = new CapturedOutput(true);
    const bar2 = new Progbar(250, { output: partial });
    bar2.update(7, {}, false);
    assert.match(stripColor(partial.text), /^\r  7\/250 ━━━━━━━━━━━━━━━━━━━━ /);
  });
});
