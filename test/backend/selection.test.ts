// Backend selection in a fresh process: the native backend by default when it
// loads, STRATUM_BACKEND to choose, and a one-line notice on fallback.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { listBackends } from "../../src/backend/registry.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const nativeAvailable = listBackends().includes("native");

function backendIn(env: Record<string, string>): { status: number | null; stdout: string; stderr: string } {
  const script = `import("./src/backend/registry.ts").then((r) => console.log(r.getBackend().name))`;
  const result = spawnSync(process.execPath, ["--conditions=stratum-source", "--import", "tsx", "-e", script], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, STRATUM_BACKEND: "", STRATUM_NATIVE_ADDON: "", ...env },
  });
  return { status: result.status, stdout: result.stdout.trim(), stderr: result.stderr.trim() };
}

test("native is the default when built", { skip: nativeAvailable ? false : "native backend unavailable" }, () => {
  const result = backendIn({});
  assert.equal(result.stdout, "native");
  assert.equal(result.stderr, "");
});

test("STRATUM_BACKEND=js picks TypeScript", () => {
  const result = backendIn({ STRATUM_BACKEND: "js" });
  assert.equal(result.stdout, "typescript");
  assert.equal(result.stderr, "");
});

test("missing addon falls back with a notice", () => {
  const result = backendIn({ STRATUM_NATIVE_ADDON: "/nonexistent/stratum_native.node" });
  assert.equal(result.stdout, "typescript");
  const lines = result.stderr.split("\n");
  assert.equal(lines.length, 1, "one line");
  assert.match(lines[0]!, /TypeScript backend because the native one is not available.*nonexistent.*npm rebuild stratum-ml/);
});

test("unknown STRATUM_BACKEND is an error", () => {
  const result = backendIn({ STRATUM_BACKEND: "gpu" });
  assert.notEqual(result.status, 0);
  assert.match(result.stderr, /Unknown backend "gpu".*Available backends: "typescript"/);
});
