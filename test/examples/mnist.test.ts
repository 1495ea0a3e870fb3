// Runs the main example exactly as `npm run example` does and checks the accuracy it reports.
import { it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));

it("MNIST example reaches 0.93 accuracy", () => {
  const result = spawnSync(process.execPath, ["--conditions=stratum-source", "--import", "tsx", "examples/mnist.ts"], {
    cwd: root,
    encoding: "utf8",
  });
  assert.equal(result.status, 0, `example failed:\n${result.stderr}`);
  const stdout = result.stdout;
  assert.match(stdout, /Total params: 50,890 \(198\.79 KB\)/);
  assert.match(stdout, /^Epoch 10\/10$/m);
  assert.match(stdout, /^250\/250 ━{20} /m, "progress bar with 250 steps of 32");
  const accuracy = Number(/Test accuracy: ([\d.]+)/.exec(stdout)?.[1]);
  assert.ok(accuracy >= 0.93, `test accuracy ${accuracy} is below 0.93`);
  assert.equal(result.stderr, "", "no warnings");
});
