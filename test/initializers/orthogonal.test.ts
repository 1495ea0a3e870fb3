import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ValueError } from "../../src/errors.js";
import { Orthogonal, RandomUniform, deserialize, get } from "../../src/initializers/index.js";
import type { Tensor } from "../../src/tensor/tensor.js";

/** Returns the [n, n] Gram matrix of the columns (byRows false) or rows (byRows true) of a [rows, cols] matrix. */
function gram(w: Tensor, byRows: boolean): number[][] {
  const cols = w.shape[w.rank - 1]!;
  const rows = w.size / cols;
  const n = byRows ? rows : cols;
  const inner = byRows ? cols : rows;
  const at = (i: number, k: number): number => (byRows ? w.data[i * cols + k]! : w.data[k * cols + i]!);
  return Array.from({ length: n }, (_, i) =>
    Array.from({ length: n }, (_, j) => {
      let sum = 0;
      for (let k = 0; k < inner; k++) sum += at(i, k) * at(j, k);
      return sum;
    }),
  );
}

function assertIdentity(matrix: number[][], scale: number, message: string): void {
  matrix.forEach((row, i) =>
    row.forEach((value, j) => {
      const expected = i === j ? scale : 0;
      assert.ok(Math.abs(value - expected) < 1e-5, `${message}: entry (${i}, ${j}) is ${value}, expected ${expected}`);
    }),
  );
}

describe("Orthogonal", () => {
  test("square matrix is orthogonal", () => {
    const w = new Orthogonal({ seed: 1 }).call([5, 5], "float32");
    assertIdentity(gram(w, false), 1, "columns");
    assertIdentity(gram(w, true), 1, "rows");
  });

  test("tall matrix has orthonormal columns", () => {
    assertIdentity(gram(new Orthogonal({ seed: 2 }).call([7, 3], "float64"), false), 1, "columns");
  });

  test("wide matrix has orthonormal rows", () => {
    assertIdentity(gram(new Orthogonal({ seed: 3 }).call([3, 8], "float64"), true), 1, "rows");
  });

  test("rank 3 flattens the leading axes", () => {
    const w = new Orthogonal({ seed: 4 }).call([2, 3, 4], "float64");
    assert.deepEqual([...w.shape], [2, 3, 4]);
    assertIdentity(gram(w, false), 1, "columns of the (6, 4) matrix");
  });

  test("gain scales the matrix", () => {
    assertIdentity(gram(new Orthogonal({ gain: 2, seed: 5 }).call([4, 4], "float64"), false), 4, "columns");
  });

  test("seeded calls repeat", () => {
    const a = new Orthogonal({ seed: 9 }).call([4, 4], "float32");
    const b = new Orthogonal({ seed: 9 }).call([4, 4], "float32");
    const c = new Orthogonal({ seed: 10 }).call([4, 4], "float32");
    assert.deepEqual([...a.data], [...b.data]);
    assert.notDeepEqual([...a.data], [...c.data]);
  });

  test("entries of a square matrix have variance 1/n", () => {
    const n = 100;
    const w = new Orthogonal({ seed: 11 }).call([n, n], "float64");
    let sum = 0;
    let squares = 0;
    for (const v of w.data) {
      sum += v;
      squares += v * v;
    }
    assert.ok(Math.abs(sum / w.size) < 0.003, `mean ${sum / w.size}`);
    // Every row has norm 1, so the mean square is exactly 1/n.
    assert.ok(Math.abs(squares / w.size - 1 / n) < 1e-9, `mean square ${squares / w.size}`);
  });

  test("sign correction leaves the diagonal unbiased", () => {
    // Haar-distributed orthogonal matrices have E[trace] = 0 with variance 1; without the
    // sign correction a QR factor's diagonal leans positive.
    const draws = 300;
    let total = 0;
    for (let seed = 0; seed < draws; seed++) {
      const w = new Orthogonal({ seed }).call([6, 6], "float64");
      for (let i = 0; i < 6; i++) total += w.data[i * 6 + i]!;
    }
    assert.ok(Math.abs(total / draws) < 0.3, `mean trace ${total / draws}`);
  });

  test("rank 1 is rejected", () => {
    assert.throws(() => new Orthogonal().call([4], "float32"), (e: unknown) => e instanceof ValueError && /rank 2 or more/.test(e.message));
  });

  test("config and lookup", () => {
    const initializer = get("orthogonal");
    assert.ok(initializer instanceof Orthogonal);
    assert.deepEqual(initializer.serialize(), {
      module: "keras.initializers",
      class_name: "Orthogonal",
      config: { seed: null, gain: 1.0 },
      registered_name: null,
    });
    const rebuilt = deserialize(new Orthogonal({ gain: 0.5, seed: 3 }).serialize());
    assert.deepEqual(rebuilt.getConfig(), { seed: 3, gain: 0.5 });
  });
});

describe("RandomUniform", () => {
  test("values lie in [minval, maxval) with the expected mean", () => {
    const w = new RandomUniform({ minval: 1, maxval: 3, seed: 1 }).call([100, 100], "float64");
    let sum = 0;
    for (const v of w.data) {
      assert.ok(v >= 1, `${v} is below minval 1`);
      assert.ok(v < 3, `${v} is not below maxval 3`);
      sum += v;
    }
    // The standard error of the mean is (2 / sqrt(12)) / 100 ≈ 0.0058.
    assert.ok(Math.abs(sum / w.size - 2) < 0.03, `mean ${sum / w.size}`);
  });

  test("names uniform and random_uniform use ±0.05", () => {
    for (const name of ["uniform", "random_uniform", "RandomUniform"]) {
      const initializer = get(name);
      assert.ok(initializer instanceof RandomUniform);
      assert.deepEqual(initializer.getConfig(), { seed: null, minval: -0.05, maxval: 0.05 });
    }
  });

  test("config round trip", () => {
    const rebuilt = deserialize(new RandomUniform({ minval: -1, maxval: 2, seed: 4 }).serialize());
    assert.deepEqual(Object.keys(rebuilt.getConfig()), ["seed", "minval", "maxval"]);
    assert.deepEqual(rebuilt.getConfig(), { seed: 4, minval: -1, maxval: 2 });
  });

  test("seeded calls repeat", () => {
    const a = new RandomUniform({ seed: 8 }).call([10], "float32");
    const b = new RandomUniform({ seed: 8 }).call([10], "float32");
    assert.deepEqual([...a.data], [...b.data]);
  });

  test("inverted range is rejected", () => {
    assert.throws(() => new RandomUniform({ minval: 1, maxval: 0 }), (e: unknown) => e instanceof ValueError && /minval <= maxval/.test(e.message));
  });
});
