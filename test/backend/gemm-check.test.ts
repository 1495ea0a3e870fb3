// Runs the C checks of the native matrix multiply (native/test/gemm_check.c), which reach inside
// the kernels. They compare results with a double-precision reference on every instruction set
// and path. They also check for the same bits with 1 and 2 threads, with AVX2 and AVX-512, with
// the fused epilogues, and with the zeros of a left out.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));

function missingTool(): string | undefined {
  for (const tool of ["make", "gcc"]) {
    if (spawnSync(tool, ["--version"], { stdio: "ignore" }).status !== 0) return `${tool} is not installed`;
  }
  return undefined;
}

const missing = missingTool();

test("native matrix multiply C checks pass", { skip: missing ?? false, timeout: 20 * 60 * 1000 }, () => {
  const result = spawnSync("make", ["-C", "native", "check"], { cwd: root, encoding: "utf8" });
  const output = `${result.stdout}${result.stderr}`;
  assert.equal(result.status, 0, output);
  assert.match(result.stdout, /gemm_check: \d+ configurations, 0 failures: PASS/, output);
});
