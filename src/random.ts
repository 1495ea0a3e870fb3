/**
 * Seeded pseudo-random numbers behind initializers, dropout and shuffling.
 *
 * The generator is xoshiro128** (Blackman and Vigna), whose 128-bit state is
 * filled from a 32-bit seed with splitmix32. It is fast in plain JavaScript
 * because every step stays in 32-bit integer arithmetic.
 */

import { ValueError } from "./errors.js";

function splitmix32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export class RandomGenerator {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private spareNormal: number | null = null;

  constructor(seed: number) {
    this.reseed(seed);
  }

  reseed(seed: number): void {
    if (!Number.isInteger(seed) || seed < 0) {
      throw new ValueError(
        `Invalid random seed: expected a non-negative integer, received ${typeof seed === "string" ? JSON.stringify(seed) : String(seed)}.`,
      );
    }
    const next = splitmix32(seed >>> 0);
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    const high = Math.floor(seed / 2 ** 32);
    if (high !== 0) {
      // A seed of 2^32 or more XORs a second stream, drawn from its high bits, into all four state words.
      // Folding the high bits into the 32-bit splitmix seed instead would give 2^32 the sequence of 1.
      const nextHigh = splitmix32(high);
      this.s0 = (this.s0 ^ nextHigh()) >>> 0;
      this.s1 = (this.s1 ^ nextHigh()) >>> 0;
      this.s2 = (this.s2 ^ nextHigh()) >>> 0;
      this.s3 = (this.s3 ^ nextHigh()) >>> 0;
    }
    this.spareNormal = null;
  }

  /** Returns the next 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 = (this.s2 ^ this.s0) >>> 0;
    this.s3 = (this.s3 ^ this.s1) >>> 0;
    this.s1 = (this.s1 ^ this.s2) >>> 0;
    this.s0 = (this.s0 ^ this.s3) >>> 0;
    this.s2 = (this.s2 ^ t) >>> 0;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Returns a float in [0, 1) with 32 random bits. */
  uniform(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Returns a standard normal sample (Box–Muller, using both outputs). */
  normal(): number {
    if (this.spareNormal !== null) {
      const value = this.spareNormal;
      this.spareNormal = null;
      return value;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const radius = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = radius * Math.sin(2 * Math.PI * v);
    return radius * Math.cos(2 * Math.PI * v);
  }

  /** Returns an integer in [0, n), without modulo bias. */
  integer(n: number): number {
    const limit = 4294967296 - (4294967296 % n);
    let x = this.nextUint32();
    while (x >= limit) x = this.nextUint32();
    return x % n;
  }

  /** Returns a random permutation of 0..n-1 (Fisher–Yates). */
  permutation(n: number): Int32Array {
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.integer(i + 1);
      const swap = order[i]!;
      order[i] = order[j]!;
      order[j] = swap;
    }
    return order;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

function entropySeed(): number {
  return Math.floor(Math.random() * 4294967296);
}

let globalGenerator = new RandomGenerator(entropySeed());

/**
 * Seeds the global generator, so that a run (weight initialization, dropout
 * masks and shuffling) repeats exactly.
 */
export function setRandomSeed(seed: number): void {
  globalGenerator = new RandomGenerator(seed);
}

/** Returns the global generator that unseeded randomness draws from. */
export function globalRandom(): RandomGenerator {
  return globalGenerator;
}

/** Returns a random permutation of 0..n-1 drawn from the global generator. */
export function permutation(n: number): Int32Array {
  return globalGenerator.permutation(n);
}
