// A process killed during fit with BackupAndRestore loses at most the epoch
// it was in: the next run resumes after the last backup and ends with the
// weights of a run that was never interrupted.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const script = new URL("../helpers/crash-train.ts", import.meta.url).pathname;

function train(folder: string, killAt?: number): { status: number | null; signal: string | null; result: { epochs: number[]; weights: number[][] } | null } {
  const args = ["--conditions=stratum-source", "--import", "tsx", script, folder, ...(killAt === undefined ? [] : [String(killAt)])];
  const child = spawnSync(process.execPath, args, { encoding: "utf8" });
  const line = child.stdout.trim().split("\n").pop() ?? "";
  return { status: child.status, signal: child.signal, result: line.startsWith("{") ? JSON.parse(line) : null };
}

describe("training killed mid-fit", () => {
  it("resumes after the last backup with the same result", () => {
    const root = mkdtempSync(join(tmpdir(), "stratum-crash-"));
    const uninterrupted = train(join(root, "clean"));
    assert.equal(uninterrupted.status, 0, "the uninterrupted run succeeds");

    const folder = join(root, "backup");
    const killed = train(folder, 2);
    assert.equal(killed.signal, "SIGKILL", "the first run dies from SIGKILL");
    assert.ok(existsSync(join(folder, "latest.weights.h5")), "a backup survives the kill");

    const resumed = train(folder);
    assert.equal(resumed.status, 0, "the second run succeeds");
    assert.deepEqual(resumed.result!.epochs, [3, 4, 5], "it runs only the epochs after the backup of epoch 2");
    assert.deepEqual(resumed.result!.weights, uninterrupted.result!.weights, "final weights equal an uninterrupted run's");
    assert.ok(!existsSync(folder), "the backup is removed after a finished run");
  });
});
