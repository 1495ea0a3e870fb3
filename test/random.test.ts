import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ValueError } from "../src/errors.js";
import { RandomGenerator, globalRandom, permutation, setRandomSeed } from "../src/random.js";

function draw(generator: RandomGenerator, count: number): number[] {
  return Array.from({ length: count }, () => generator.uniform());
}

describe("random", () => {
  test("setRandomSeed repeats sequences", () => {
    setRandomSeed(42);
    const first = [...draw(globalRandom(), 5), ...permutation(10)];
    setRandomSeed(42);
    const second = [...draw(globalRandom(), 5), ...permutation(10)];
    assert.deepEqual(second, first);
  });

  test("different seeds differ", () => {
    assert.notDeepEqual(draw(new RandomGenerator(1), 5), draw(new RandomGenerator(2), 5));
  });

  test("large seeds differ from small", () => {
    // Each pair agrees in the low 32 bits, or in the low bits XOR the high bits.
    const pairs: [number, number][] = [
      [2 ** 32, 0],
      [2 ** 32, 1],
      [2 ** 32 + 1, 1],
      [2 ** 32 + 1, 0],
      [2 ** 33 + 5, 7],
      [2 ** 33, 2 ** 32],
    ];
    for (const [large, small] of pairs) {
      assert.notDeepEqual(draw(new RandomGenerator(large), 5), draw(new RandomGenerator(small), 5), `${large} and ${small}`);
    }
  });

  test("generator seed repeats sequence", () => {
    const a = new RandomGenerator(7);
    const b = new RandomGenerator(7);
    assert.deepEqual(draw(a, 20), draw(b, 20));
    assert.equal(a.normal(), b.normal());
    a.reseed(7);
    assert.deepEqual(draw(a, 3), draw(new RandomGenerator(7), 3));
  });

  test("invalid seed is rejected", () => {
    assert.throws(() => new RandomGenerator(-1), ValueError);
    assert.throws(() => new RandomGenerator(1.5), ValueError);
    assert.throws(() => setRandomSeed(Number.NaN), ValueError);
  });

  test("permutation is a permutation", () => {
    setRandomSeed(3);
    for (const n of [0, 1, 2, 17, 100]) {
      const order = permutation(n);
      assert.ok(order instanceof Int32Array);
      assert.equal(order.length, n);
      const sorted = Array.from(order).sort((x, y) => x - y);
      assert.deepEqual(sorted, Array.from({ length: n }, (_, i) => i), `n = ${n}`);
    }
  });

  test("permutation shuffles", () => {
    const order = new RandomGenerator(11).permutation(100);
    const fixedPoints = Array.from(order).filter((value, i) => value === i).length;
    // A uniform permutation of 100 has one fixed point on average.
    assert.ok(fixedPoints < 10, `${fixedPoints} of 100 elements stayed in place`);
  });

  test("uniform lies in unit interval", () => {
    const values = draw(new RandomGenerator(5), 20000);
    assert.ok(values.every((v) => v >= 0 && v < 1), "every value is in [0, 1)");
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    // The standard error of the mean of 20000 uniform draws is about 0.002.
    assert.ok(Math.abs(mean - 0.5) < 0.01, `mean ${mean}`);
    const belowTenth = values.filter((v) => v < 0.1).length / values.length;
    assert.ok(Math.abs(belowTenth - 0.1) < 0.01, `fraction below 0.1 is ${belowTenth}`);
  });

  test("integer stays in range", () => {
    const generator = new RandomGenerator(9);
    const counts = new Array<number>(3).fill(0);
    for (let i = 0; i < 3000; i++) {
      const value = generator.integer(3);
      assert.ok(Number.isInteger(value), `value ${value} is an integer`);
      assert.ok(value >= 0, `value ${value} is at least 0`);
      assert.ok(value < 3, `value ${value} is below 3`);
      counts[value]!++;
    }
    for (const count of counts) {
      assert.ok(count > 900, `counts ${counts}`);
      assert.ok(count < 1100, `counts ${counts}`);
    }
  });

  test("normal has unit variance", () => {
    const generator = new RandomGenerator(13);
    const values = Array.from({ length: 20000 }, () => generator.normal());
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length;
    assert.ok(Math.abs(mean) < 0.03, `mean ${mean}`);
    assert.ok(Math.abs(variance - 1) < 0.05, `variance ${variance}`);
  });
});
