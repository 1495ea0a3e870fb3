import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ValueError } from "../../src/errors.js";
import { Dense, Dropout, Flatten, Input } from "../../src/layers/index.js";
import { captureLog } from "../helpers/capture.js";

/** Runs `body` with log lines captured, restoring the previous sink afterwards. */
// Each test constructs its layers on its own source lines, because the
// warning is shown once per call site for the whole process.
describe("inputDim and inputShape warning", () => {
  test("inputDim warns at construction", () => {
    const lines = captureLog(() => {
      new Dense({ units: 2, inputDim: 3 });
    });
    assert.equal(lines.length, 1, lines.join("\n"));
    assert.match(lines[0]!, /^stratum warn: /);
    assert.match(lines[0]!, /`inputDim`/);
  });

  test("warning advises starting with Input", () => {
    const lines = captureLog(() => {
      new Dense({ units: 2, inputShape: [4, 5] });
    });
    assert.equal(lines.length, 1, lines.join("\n"));
    assert.match(lines[0]!, /`inputShape`/);
    assert.match(lines[0]!, /start it with an Input/);
    assert.ok(lines[0]!.includes("Input({ shape: [4, 5] })"), lines[0]);
  });

  test("other layer types warn too", () => {
    const lines = captureLog(() => {
      new Dropout({ rate: 0.5, inputShape: [4] });
      new Flatten({ inputShape: [2, 2] });
    });
    assert.equal(lines.length, 2, lines.join("\n"));
  });

  test("one call site warns once", () => {
    const lines = captureLog(() => {
      for (let i = 0; i < 3; i++) new Dense({ units: 2, inputDim: 3 });
    });
    assert.equal(lines.length, 1, lines.join("\n"));
  });

  test("two call sites each warn", () => {
    const makeA = (): Dense => new Dense({ units: 2, inputDim: 3 });
    const makeB = (): Dense => new Dense({ units: 2, inputDim: 3 });
    const lines = captureLog(() => {
      makeA();
      makeB();
      makeA();
      makeB();
    });
    assert.equal(lines.length, 2, lines.join("\n"));
  });

  test("Input gives no warning", () => {
    const lines = captureLog(() => {
      Input({ shape: [3] });
      Input({ shape: [3], batchSize: 4 });
      new Dense({ units: 2 });
      new Dropout({ rate: 0.1 });
    });
    assert.deepEqual(lines, []);
  });

  test("batch shape is kept", () => {
    let layer: Dense | null = null;
    captureLog(() => {
      layer = new Dense({ units: 2, inputDim: 6 });
    });
    assert.deepEqual((layer as unknown as Dense).batchInputShape, [null, 6]);
  });

  test("both arguments are an error", () => {
    captureLog(() => {
      assert.throws(
        () => new Dense({ units: 2, inputDim: 3, inputShape: [3] }),
        (error: unknown) => error instanceof ValueError && /inputDim/.test(error.message) && /inputShape/.test(error.message),
      );
    });
  });

  test("invalid inputDim is an error", () => {
    captureLog(() => {
      assert.throws(() => new Dense({ units: 2, inputDim: 0 }), /`inputDim`/);
      assert.throws(() => new Dense({ units: 2, inputShape: 3 as unknown as number[] }), /`inputShape`/);
    });
  });
});
