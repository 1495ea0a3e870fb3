import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ShapeError, ValueError } from "../../src/errors.js";
import { Tensor, cast, tensor } from "../../src/tensor/tensor.js";

describe("tensor()", () => {
  test("nested arrays infer the shape", () => {
    const t = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    assert.deepEqual(t.shape, [2, 3]);
    assert.equal(t.rank, 2);
    assert.equal(t.size, 6);
    assert.deepEqual(Array.from(t.data), [1, 2, 3, 4, 5, 6]);
  });

  test("rank-3 arrays flatten row-major", () => {
    const t = tensor([
      [[1, 2], [3, 4]],
      [[5, 6], [7, 8]],
      [[9, 10], [11, 12]],
    ]);
    assert.deepEqual(t.shape, [3, 2, 2]);
    assert.deepEqual(Array.from(t.data), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  });

  test("plain number becomes a scalar", () => {
    const t = tensor(2.5);
    assert.deepEqual(t.shape, []);
    assert.equal(t.rank, 0);
    assert.equal(t.size, 1);
    assert.equal(t.item(), 2.5);
    assert.equal(t.toArray(), 2.5);
  });

  test("plain numbers default to float32", () => {
    const t = tensor([0.1, 2]);
    assert.equal(t.dtype, "float32");
    assert.ok(t.data instanceof Float32Array);
    // 0.1 is stored rounded to float32, not as the float64 literal.
    assert.equal(t.data[0], Math.fround(0.1));
    assert.notEqual(t.data[0], 0.1);
  });

  test("dtype argument selects storage", () => {
    const f64 = tensor([0.1, 2], undefined, "float64");
    assert.equal(f64.dtype, "float64");
    assert.ok(f64.data instanceof Float64Array);
    assert.equal(f64.data[0], 0.1);

    const i32 = tensor([[1, 2], [3, -4]], undefined, "int32");
    assert.equal(i32.dtype, "int32");
    assert.ok(i32.data instanceof Int32Array);
    assert.deepEqual(i32.toArray(), [[1, 2], [3, -4]]);
  });

  test("typed arrays keep their dtype", () => {
    const f64 = tensor(new Float64Array([1, 2, 3]));
    assert.equal(f64.dtype, "float64");
    assert.deepEqual(f64.shape, [3]);

    const i32 = tensor(new Int32Array([4, 5]));
    assert.equal(i32.dtype, "int32");
    assert.deepEqual(Array.from(i32.data), [4, 5]);

    const f32 = tensor(new Float32Array([7]));
    assert.equal(f32.dtype, "float32");
  });

  test("typed array with shape argument", () => {
    const t = tensor(new Float32Array([1, 2, 3, 4, 5, 6]), [3, 2]);
    assert.deepEqual(t.shape, [3, 2]);
    assert.deepEqual(t.toArray(), [[1, 2], [3, 4], [5, 6]]);
  });

  test("typed array converted by dtype", () => {
    const t = tensor(new Float64Array([1.75, -2.5]), undefined, "int32");
    assert.equal(t.dtype, "int32");
    // Float to int conversion truncates toward zero.
    assert.deepEqual(Array.from(t.data), [1, -2]);

    const widened = tensor(new Int32Array([3, -1]), [2], "float64");
    assert.equal(widened.dtype, "float64");
    assert.deepEqual(Array.from(widened.data), [3, -1]);
  });

  test("nested typed array rows", () => {
    const t = tensor([new Float32Array([1, 2]), new Float32Array([3, 4])]);
    assert.deepEqual(t.shape, [2, 2]);
    assert.deepEqual(Array.from(t.data), [1, 2, 3, 4]);
  });

  test("shape argument reshapes nested arrays", () => {
    const t = tensor([[1, 2, 3], [4, 5, 6]], [3, 2]);
    assert.deepEqual(t.shape, [3, 2]);
    assert.deepEqual(t.toArray(), [[1, 2], [3, 4], [5, 6]]);
  });

  test("empty arrays give zero sizes", () => {
    assert.deepEqual(tensor([]).shape, [0]);
    assert.deepEqual(tensor([[]]).shape, [1, 0]);
    assert.deepEqual(tensor([[]]).toArray(), [[]]);
  });

  test("frozen shapes are shared", () => {
    const shape = [2, 3];
    const t = new Tensor(new Float32Array(6), shape);
    shape[0] = 6;
    assert.deepEqual([...t.shape], [2, 3], "changing the caller's array leaves the tensor alone");
    assert.ok(Object.isFrozen(t.shape));
    const u = new Tensor(new Float32Array(6), t.shape);
    assert.equal(u.shape, t.shape, "a frozen shape is shared");
    assert.throws(() => new Tensor(new Float32Array(6), Object.freeze([2, -3])), /non-negative integer/);
  });

  test("toArray nests by shape", () => {
    const t = new Tensor(new Float64Array([1, 2, 3, 4, 5, 6]), [1, 3, 2]);
    assert.deepEqual(t.toArray(), [[[1, 2], [3, 4], [5, 6]]]);
  });

  test("data holds row-major values", () => {
    const t = tensor([[1, 2], [3, 4]], undefined, "float64");
    assert.ok(t.data instanceof Float64Array);
    assert.deepEqual(Array.from(t.data), [1, 2, 3, 4]);
  });

  test("item on one element", () => {
    assert.equal(tensor([[7]]).item(), 7);
    assert.equal(tensor([3], undefined, "int32").item(), 3);
  });

  test("item rejects several elements", () => {
    assert.throws(
      () => tensor([1, 2]).item(),
      (error: Error) => {
        assert.ok(error instanceof ShapeError);
        assert.match(error.message, /\(2,\)/);
        return true;
      },
    );
  });

  test("cast truncates toward zero", () => {
    const t = cast(tensor([1.9, -1.9, 0.5], undefined, "float64"), "int32");
    assert.deepEqual(Array.from(t.data), [1, -1, 0]);
  });
});

describe("tensor() errors", () => {
  test("ragged row names index and lengths", () => {
    assert.throws(
      () => tensor([[1, 2, 3], [4, 5, 6], [7, 8]]),
      (error: Error) => {
        assert.ok(error instanceof ShapeError);
        assert.match(error.message, /\[2\]/, "names the row index");
        assert.match(error.message, /has length 2/, "names the row's length");
        assert.match(error.message, /length 3 was expected/, "names the expected length");
        return true;
      },
    );
  });

  test("ragged row longer than first", () => {
    assert.throws(
      () => tensor([[1], [2, 3]]),
      (error: Error) => {
        assert.ok(error instanceof ShapeError);
        assert.match(error.message, /\[1\]/);
        assert.match(error.message, /has length 2/);
        assert.match(error.message, /length 1 was expected/);
        return true;
      },
    );
  });

  test("ragged inner row names path", () => {
    assert.throws(
      () => tensor([[[1, 2], [3, 4]], [[5, 6], [7]]]),
      (error: Error) => {
        assert.ok(error instanceof ShapeError);
        assert.match(error.message, /\[1\]\[1\]/);
        assert.match(error.message, /has length 1/);
        assert.match(error.message, /length 2 was expected/);
        return true;
      },
    );
  });

  test("number where row expected", () => {
    assert.throws(
      () => tensor([[1, 2], 3] as never),
      (error: Error) => {
        assert.ok(error instanceof ShapeError);
        assert.match(error.message, /\[1\]/);
        return true;
      },
    );
  });

  test("string element names index", () => {
    assert.throws(
      () => tensor([[1, 2], [3, "4"]] as never),
      (error: Error) => {
        assert.ok(error instanceof ValueError);
        assert.match(error.message, /\[1\]\[1\]/);
        assert.match(error.message, /"4"/);
        return true;
      },
    );
  });

  test("undefined element names index", () => {
    assert.throws(
      () => tensor([1, undefined, 3] as never),
      (error: Error) => {
        assert.ok(error instanceof ValueError);
        assert.match(error.message, /\[1\]/);
        assert.match(error.message, /undefined/);
        return true;
      },
    );
  });

  test("shape mismatch names both shapes", () => {
    assert.throws(
      () => tensor([[1, 2, 3], [4, 5, 6]], [4, 2]),
      (error: Error) => {
        assert.ok(error instanceof ShapeError);
        assert.match(error.message, /\(2, 3\)/, "names the values' shape");
        assert.match(error.message, /\(4, 2\)/, "names the requested shape");
        return true;
      },
    );
  });

  test("typed array shape mismatch", () => {
    assert.throws(
      () => tensor(new Float32Array(6), [4]),
      (error: Error) => {
        assert.ok(error instanceof ShapeError);
        assert.match(error.message, /\(6,\)/, "names the values' shape");
        assert.match(error.message, /\(4,\)/, "names the requested shape");
        return true;
      },
    );
  });

  test("invalid dimensions are rejected", () => {
    for (const shape of [[-1, -2], [0.5, 4]]) {
      assert.throws(
        () => tensor([1, 2], shape),
        (error: Error) => {
          assert.ok(error instanceof ShapeError);
          assert.match(error.message, /non-negative integer/);
          return true;
        },
        `shape (${shape})`,
      );
    }
    assert.throws(() => new Tensor(new Float32Array(2), [-2, -1]), ShapeError);
  });

  test("unknown dtype is rejected", () => {
    assert.throws(() => tensor([1], undefined, "float16" as never), /float16/);
  });

  test("non-array input is rejected", () => {
    assert.throws(() => tensor("1, 2" as never), ValueError);
    assert.throws(() => tensor(null as never), ValueError);
  });
});
