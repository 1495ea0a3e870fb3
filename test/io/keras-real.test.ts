import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import * as activations from "../../src/activations/index.js";
import { loadModel } from "../../src/io/saving.js";
import { ValueError } from "../../src/errors.js";
import { Dense } from "../../src/layers/dense.js";
import { setLogLevel } from "../../src/logger.js";
import { Tensor, tensor } from "../../src/tensor/tensor.js";

/**
 * Model files saved by Keras users (Keras 2.2 to 3.14), each next to an
 * `*.io.json` with an input and the output computed without Keras. Every
 * file found is tested; a new file needs no new code.
 */
const directory = new URL("../fixtures/keras-real/", import.meta.url).pathname;

interface IoCase {
  input: unknown;
  input_dtype: string;
  output: unknown;
  /** The last layer's pre-activation, or null when that layer is linear. */
  logits?: unknown;
  suggested_tolerance: { atol: number; rtol: number };
}

function flatten(value: unknown): number[] {
  return Array.isArray(value) ? value.flatMap(flatten) : [value as number];
}

function modelFile(base: string): string {
  const file = readdirSync(directory).find((name) => name.startsWith(`${base}.`) && !name.endsWith(".json"));
  assert.ok(file, `a model file next to ${base}.io.json`);
  return join(directory, file);
}

const cases = readdirSync(directory).filter((name) => name.endsWith(".io.json")).sort();

test("fixture directory has cases", () => {
  assert.ok(cases.length > 0, `no *.io.json in ${directory}`);
});

for (const caseFile of cases) {
  const base = caseFile.slice(0, -".io.json".length);
  test(`real Keras file ${base}`, async (t) => {
    const io = JSON.parse(readFileSync(join(directory, caseFile), "utf8")) as IoCase;
    setLogLevel("error");
    let model;
    try {
      model = await loadModel(modelFile(base), { compile: false });
    } catch (error) {
      // A config option that Stratum has not implemented yet is reported as a skip with the reason; every other failure fails.
      if (error instanceof ValueError && /does not support yet/.test(error.message)) {
        t.skip(error.message);
        return;
      }
      throw error;
    } finally {
      setLogLevel("info");
    }
    const input = tensor(io.input as number[][]);
    let got: Tensor;
    let want: number[];
    const last = model.layers[model.layers.length - 1];
    if (io.logits !== undefined && io.logits !== null) {
      // A saturated sigmoid or softmax hides differences, so compare the last layer's pre-activation.
      assert.ok(last instanceof Dense, `${base}: logits are recorded, so the last layer is expected to be Dense`);
      const activation = last.activation;
      (last as { activation: unknown }).activation = activations.linear;
      try {
        got = model.predict(input, { verbose: 0 }) as Tensor;
      } finally {
        (last as { activation: unknown }).activation = activation;
      }
      want = flatten(io.logits);
    } else {
      got = model.predict(input, { verbose: 0 }) as Tensor;
      want = flatten(io.output);
    }
    const values = Array.from(got.data as Float32Array);
    assert.equal(values.length, want.length, `${base}: output size`);
    const { atol, rtol } = io.suggested_tolerance;
    values.forEach((value, i) => {
      const limit = atol + rtol * Math.abs(want[i]!);
      assert.ok(Math.abs(value - want[i]!) <= limit, `${base}: output ${i} is ${value}, expected ${want[i]} within ${limit}`);
    });
  });
}
