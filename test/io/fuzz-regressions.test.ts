import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { setLogLevel } from "../../src/logger.js";
import { type TargetName, TARGETS, classify, runTarget } from "../../scripts/fuzz/targets.js";

/**
 * Inputs that `npm run fuzz` found to end in something other than a load
 * or a StratumError. Each `*.json` names the entry point, the input file
 * and, for loadWeights, the model file the weights are loaded into. Every
 * case found is run; a new one needs no new code. A case whose `todo`
 * field is set needs a fix outside the loaders and is reported as a todo.
 */
const directory = new URL("../fixtures/fuzz/", import.meta.url).pathname;

interface FuzzCase {
  target: TargetName;
  input: string;
  model?: string;
  found: string;
  todo?: string;
}

const cases = existsSync(directory) ? readdirSync(directory).filter((name) => name.endsWith(".json")).sort() : [];

for (const name of cases) {
  const record = JSON.parse(readFileSync(join(directory, name), "utf8")) as FuzzCase;
  test(`fuzz case ${name.slice(0, -".json".length)}`, { todo: record.todo, timeout: 120_000 }, async () => {
    assert.ok(TARGETS.includes(record.target), `unknown target ${record.target}`);
    const input = new Uint8Array(readFileSync(join(directory, record.input)));
    const base = record.model === undefined ? undefined : new Uint8Array(readFileSync(join(directory, record.model)));
    setLogLevel("silent");
    let outcome;
    try {
      await runTarget(record.target, input, { base, hdf5TimeoutMs: 30_000 });
      outcome = { kind: "loaded" } as const;
    } catch (error) {
      outcome = classify(error);
    } finally {
      setLogLevel("info");
    }
    assert.notEqual(outcome.kind, "finding", `first found as ${record.found}; now ${JSON.stringify(outcome)}`);
  });
}
