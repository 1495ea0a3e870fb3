import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ShapeError } from "../../src/errors.js";
import { broadcastShapes, normalizeAxis, sizeOf, stridesOf } from "../../src/tensor/shape.js";

describe("broadcastShapes", () => {
  const cases: [number[], number[], number[]][] = [
    [[2, 3], [2, 3], [2, 3]],
    [[2, 3], [3], [2, 3]],
    [[3], [2, 3], [2, 3]],
    [[2, 3], [2, 1], [2, 3]],
    [[2, 1], [1, 3], [2, 3]],
    [[4, 1, 3], [5, 1], [4, 5, 3]],
    [[], [2, 2], [2, 2]],
    [[1], [], [1]],
    [[0, 3], [1, 3], [0, 3]],
    [[2, 1, 1], [1], [2, 1, 1]],
  ];
  for (const [a, b, expected] of cases) {
    test(`broadcast (${a}) with (${b})`, () => {
      assert.deepEqual(broadcastShapes(a, b), expected);
    });
  }

  test("incompatible shapes name both", () => {
    assert.throws(
      () => broadcastShapes([2, 3], [4]),
      (error: Error) => {
        assert.ok(error instanceof ShapeError);
        assert.match(error.message, /\(2, 3\)/);
        assert.match(error.message, /\(4,\)/);
        assert.match(error.message, /sizes 3 and 4/);
        return true;
      },
    );
  });

  test("mismatch in leading axis", () => {
    assert.throws(() => broadcastShapes([2, 1, 3], [4, 5, 3]), ShapeError);
  });
});

describe("shape helpers", () => {
  test("sizeOf multiplies dimensions", () => {
    assert.equal(sizeOf([2, 3, 4]), 24);
    assert.equal(sizeOf([]), 1);
    assert.equal(sizeOf([5, 0]), 0);
  });

  test("stridesOf is row-major", () => {
    assert.deepEqual(stridesOf([2, 3, 4]), [12, 4, 1]);
    assert.deepEqual(stridesOf([]), []);
  });

  test("normalizeAxis wraps negatives", () => {
    assert.equal(normalizeAxis(-1, 3), 2);
    assert.equal(normalizeAxis(0, 3), 0);
    assert.throws(() => normalizeAxis(3, 3), ShapeError);
    assert.throws(() => normalizeAxis(-4, 3), ShapeError);
    assert.throws(() => normalizeAxis(0.5, 3), ShapeError);
  });
});
