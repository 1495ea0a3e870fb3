import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Workspace, allocateScratch } from "../../src/backend/workspace.js";

describe("Workspace", () => {
  test("reuses buffers across runs", () => {
    const workspace = new Workspace();
    const first = workspace.run(() => [allocateScratch("float32", 4), allocateScratch("float64", 2)]);
    first[0]![1] = 5;
    const second = workspace.run(() => [allocateScratch("float32", 4), allocateScratch("float64", 2)]);
    assert.equal(second[0], first[0]);
    assert.equal(second[1], first[1]);
    assert.deepEqual(Array.from(second[0]!), [0, 0, 0, 0], "reused buffers are zero-filled");
    assert.equal(workspace.byteLength, 4 * 4 + 2 * 8);
  });

  test("replaces a slot on size change", () => {
    const workspace = new Workspace();
    const first = workspace.run(() => allocateScratch("float32", 4));
    const second = workspace.run(() => allocateScratch("float32", 3));
    const third = workspace.run(() => allocateScratch("float64", 3));
    assert.notEqual(second, first);
    assert.equal(second.length, 3);
    assert.ok(third instanceof Float64Array);
  });

  test("allocates fresh buffers outside a run", () => {
    const workspace = new Workspace();
    const inside = workspace.run(() => allocateScratch("float32", 2));
    const outside = allocateScratch("float32", 2);
    assert.notEqual(outside, inside);
    assert.equal(workspace.byteLength, 8);
  });

  test("nested runs restore the outer one", () => {
    const outer = new Workspace();
    const inner = new Workspace();
    outer.run(() => {
      allocateScratch("float32", 1);
      inner.run(() => allocateScratch("float32", 10));
      allocateScratch("float32", 1);
    });
    assert.equal(outer.byteLength, 8);
    assert.equal(inner.byteLength, 40);
  });
});

describe("Workspace without zero fill", () => {
  test("keeps old contents when asked", () => {
    const workspace = new Workspace();
    const first = workspace.run(() => allocateScratch("float32", 3, false));
    first.set([1, 2, 3]);
    const second = workspace.run(() => allocateScratch("float32", 3, false));
    assert.equal(second, first);
    assert.deepEqual(Array.from(second), [1, 2, 3]);
  });
});
