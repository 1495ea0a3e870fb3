// Imports the built package by its own name, as a dependent project would.
import { it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

it("package imports by name", () => {
  // A plain Node process, without the source condition, resolves "stratum-ml" to dist/.
  const script = `
    import * as stratum from "stratum-ml";
    const names = ["Sequential", "Model", "Input", "Dense", "Dropout", "Flatten", "Activation", "tensor", "setRandomSeed",
      "setBackend", "layers", "activations", "initializers", "optimizers", "losses", "metrics", "callbacks"];
    const missing = names.filter((name) => !(name in stratum));
    const model = new stratum.Sequential([stratum.Input({ shape: [2] }), new stratum.Dense({ units: 1 })]);
    console.log(JSON.stringify({ missing, resolved: import.meta.resolve("stratum-ml"), params: model.countParams() }));
  `;
  const result = spawnSync(process.execPath, ["--input-type=module", "-e", script], { cwd: root, encoding: "utf8" });
  assert.equal(result.status, 0, result.stderr);
  const report = JSON.parse(result.stdout) as { missing: string[]; resolved: string; params: number };
  assert.deepEqual(report.missing, []);
  assert.match(report.resolved, /\/dist\/index\.js$/);
  assert.equal(report.params, 3);
});
