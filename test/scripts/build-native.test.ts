// The install step must never fail the install when the native build fails.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const script = fileURLToPath(new URL("../../scripts/build-native.mjs", import.meta.url));

function runWithGyp(gypSource: string, env: Record<string, string> = {}): { status: number | null; stdout: string } {
  const folder = mkdtempSync(join(tmpdir(), "stratum-gyp-"));
  const fakeGyp = join(folder, "node-gyp.js");
  writeFileSync(fakeGyp, gypSource);
  const result = spawnSync(process.execPath, [script], {
    encoding: "utf8",
    env: { ...process.env, npm_config_node_gyp: fakeGyp, ...env },
  });
  return { status: result.status, stdout: result.stdout };
}

test("failed build exits 0 with one line", () => {
  const result = runWithGyp(`console.error("native/src/addon.c:1: error: simulated compiler failure"); process.exit(1);`);
  assert.equal(result.status, 0);
  const lines = result.stdout.trim().split("\n");
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /could not be built \(native\/src\/addon\.c:1: error: simulated compiler failure\)/);
  assert.match(lines[0]!, /TypeScript backend will be used/);
  assert.match(lines[0]!, /npm rebuild stratum-ml/);
});

test("STRATUM_SKIP_NATIVE skips the build", () => {
  const result = runWithGyp(`process.exit(1);`, { STRATUM_SKIP_NATIVE: "1" });
  assert.equal(result.status, 0);
  assert.match(result.stdout, /STRATUM_SKIP_NATIVE=1/);
});
