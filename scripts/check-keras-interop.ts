/**
 * Checks Keras files both ways against a real Keras 3 (not part of CI).
 * Keras trains and saves a model, and Stratum loads it and compares the
 * predictions and one more training step. Then Stratum trains and saves a
 * model, and Keras loads it and compares predictions. Keras runs from the Python in
 * STRATUM_KERAS_PYTHON (default /tmp/ref/bin/python, a venv with
 * keras==3.15.1 and jax).
 */

import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GRU, Input, LSTM, Model, Sequential, type SymbolicTensor, layers, loadModel, optimizers, setRandomSeed, tensor, type Tensor } from "../src/index.js";

const python = process.env["STRATUM_KERAS_PYTHON"] ?? "/tmp/ref/bin/python";
const script = new URL("./keras_interop.py", import.meta.url).pathname;
const directory = mkdtempSync(join(tmpdir(), "stratum-interop-"));
const TOLERANCE = 1e-5;

function runKeras(command: string): void {
  const result = spawnSync(python, [script, command, directory], { stdio: ["ignore", "inherit", "pipe"], env: { ...process.env, KERAS_BACKEND: "jax" } });
  if (result.error) throw new Error(`Could not run ${python}: ${result.error.message}. Set STRATUM_KERAS_PYTHON to a Python with keras==3.15.1.`);
  const warnings = result.stderr.toString().split("\n").filter((line) => /warn/i.test(line));
  for (const line of warnings) console.log(`keras stderr: ${line.trim()}`);
  if (result.status !== 0) {
    process.stderr.write(result.stderr);
    throw new Error(`keras_interop.py ${command} failed with exit code ${result.status}.`);
  }
}

function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

/** Trains and saves a functional model with two inputs, a shared layer, a nested Sequential and a Bidirectional GRU. */
async function saveFunctionalModel(x: Tensor, y: Tensor): Promise<void> {
  setRandomSeed(8);
  const sequence = Input({ shape: [6, 3], name: "sequence" });
  const summary = Input({ shape: [3], name: "summary" });
  const recurrent = new layers.Bidirectional({ layer: new GRU({ units: 2 }) }).apply(sequence) as SymbolicTensor;
  const inner = new Sequential([Input({ shape: [3] }), new layers.Dense({ units: 4, activation: "relu" }), new layers.BatchNormalization()], { name: "inner" });
  const shared = new layers.Dense({ units: 4, activation: "tanh" });
  const joined = new layers.Concatenate().apply([shared.apply(recurrent) as SymbolicTensor, shared.apply(inner.apply(summary) as SymbolicTensor) as SymbolicTensor]);
  const output = new layers.Dense({ units: 3, activation: "softmax" }).apply(joined as SymbolicTensor);
  const model = new Model({ inputs: [sequence, summary], outputs: output });
  model.compile({ optimizer: new optimizers.RMSprop({ learningRate: 0.01 }), loss: "categorical_crossentropy" });
  const rows = x.toArray() as number[][][];
  const summaryInput = tensor(rows.map((steps) => steps[steps.length - 1]!));
  await model.fit([x, summaryInput], y, { batchSize: 8, epochs: 2, shuffle: false, verbose: 0 });
  await model.save(join(directory, "stratum-functional.keras"));
  const predictions = model.predict([x, summaryInput], { verbose: 0 }) as Tensor;
  writeFileSync(
    join(directory, "stratum-functional.json"),
    JSON.stringify({ inputs: [rows, summaryInput.toArray()], predictions: predictions.toArray(), iterations: model.optimizer!.iterations }),
  );
  console.log(`stratum: saved stratum-functional.keras (optimizer at iteration ${model.optimizer!.iterations})`);
}

let failed = false;
function report(label: string, difference: number): void {
  const ok = difference <= TOLERANCE;
  failed ||= !ok;
  console.log(`stratum: ${label}: max difference ${difference.toExponential(3)} ${ok ? "(ok)" : `(above ${TOLERANCE})`}`);
}

try {
  runKeras("make");
  const record = JSON.parse(readFileSync(join(directory, "keras.json"), "utf8"));
  const x = tensor(record.x);
  const y = tensor(record.y);
  const model = await loadModel(join(directory, "keras.keras"));
  console.log(`stratum: loaded keras.keras (${model.className}, ${model.layers.length} layers, optimizer ${model.optimizer?.className} at iteration ${model.optimizer?.iterations})`);
  report("predictions of the Keras-trained model", maxDifference((model.predict(x, { verbose: 0 }) as Tensor).data, record.predictions.flat()));
  const batch = (t: Tensor) => tensor((t.toArray() as number[][]).slice(0, 8));
  model.trainOnBatch(batch(x), batch(y));
  const weights = model.weights.map((w) => Array.from(w.value.data));
  const differences = weights.map((w, i) => maxDifference(w, record.weights_after_step[i]));
  report(`weights after one more training step (${weights.length} variables)`, Math.max(...differences));

  setRandomSeed(7);
  const own = new Sequential(
    [
      Input({ shape: [6, 3] }),
      new layers.Conv1D({ filters: 4, kernelSize: 3, padding: "same", activation: "relu" }),
      new LSTM({ units: 5, returnSequences: true }),
      new GRU({ units: 4 }),
      new layers.BatchNormalization(),
      new layers.Dense({ units: 3, activation: "softmax" }),
    ],
    { name: "from_stratum" },
  );
  own.compile({ optimizer: new optimizers.Adam({ learningRate: 0.01 }), loss: "categorical_crossentropy", metrics: ["accuracy"] });
  await own.fit(x, y, { batchSize: 8, epochs: 2, shuffle: false, verbose: 0 });
  await own.save(join(directory, "stratum.keras"));
  const predictions = own.predict(x, { verbose: 0 }) as Tensor;
  writeFileSync(
    join(directory, "stratum.json"),
    JSON.stringify({ inputs: [record.x], predictions: predictions.toArray(), iterations: own.optimizer!.iterations }),
  );
  console.log(`stratum: saved stratum.keras (optimizer at iteration ${own.optimizer!.iterations})`);
  await saveFunctionalModel(x, y);
  runKeras("check");
} catch (error) {
  failed = true;
  console.error(`check:keras-interop failed: ${(error as Error).message}`);
} finally {
  rmSync(directory, { recursive: true, force: true });
}
console.log(failed ? "check:keras-interop: FAILED" : "check:keras-interop: all checks passed");
process.exit(failed ? 1 : 0);
