/**
 * Batch sources for `fit`, `evaluate` and `predict`: arrays that are sliced
 * (and shuffled) into batches, or an iterable of batches that the caller
 * produces, such as a generator.
 */

import { ValueError, formatShape } from "../errors.js";
import { warn } from "../logger.js";
import { globalRandom } from "../random.js";
import type { FloatDType } from "../tensor/dtype.js";
import { Tensor, type TensorLike } from "../tensor/tensor.js";
import { gatherRows, sliceRows, toBatchTensor, toTensorList } from "./data.js";

/** One batch: a tensor per input, a tensor per output (none for predict) and optional per-output sample weights. */
export interface Batch {
  xs: Tensor[];
  ys: Tensor[];
  weights: (Tensor | null)[] | null;
}

/**
 * A batch as an iterable yields it: `[x, y]`, `[x, y, sampleWeight]`, or
 * `x` alone for predict. `x` and `y` take the same forms as the
 * arrays given to `fit`.
 */
export type BatchLike = unknown;

/** Batches that a (possibly asynchronous) iterable produces, one per step. */
export type BatchIterable = Iterable<BatchLike> | AsyncIterable<BatchLike>;

/** True when `value` is an iterable of batches rather than data: not an array, typed array, Tensor or plain record. */
export function isBatchIterable(value: unknown): value is BatchIterable {
  if (value === null || typeof value !== "object") return false;
  if (Array.isArray(value) || ArrayBuffer.isView(value) || value instanceof Tensor) return false;
  // Maps and sets are iterable too, but they are containers, not streams of batches.
  if (value instanceof Map || value instanceof Set) return false;
  return Symbol.asyncIterator in value || Symbol.iterator in value;
}

/** The source of one epoch's batches. */
export interface BatchSource {
  /** Batches per epoch, or null while the source does not know (an iterable without `steps`). */
  readonly steps: number | null;
  /**
   * Starts an epoch and returns a function that produces the next batch,
   * or null at the end of the epoch. Array batches may live in the active
   * workspace, so call the function inside the step's workspace.
   */
  startEpoch(): () => Promise<Batch | null> | Batch | null;
  /** True after an iterable ran out before the requested number of steps. */
  readonly exhausted: boolean;
}

export interface ArraySourceOptions {
  batchSize: number;
  /** true: a new permutation of every sample each pass; "batch": shuffle only inside each batch-sized chunk. */
  shuffle: boolean | "batch";
  /** Batches per epoch; a pass over the data may then span epochs. Default: one pass. */
  steps?: number | null;
}

/** Slices arrays into batches, shuffling every pass as `fit` requests. */
export class ArraySource implements BatchSource {
  readonly steps: number;
  readonly exhausted = false;
  private readonly samples: number;
  private readonly batchesPerPass: number;
  private order: Int32Array | null = null;
  /** Index of the next batch within the current pass. */
  private cursor: number;

  constructor(
    private readonly xs: Tensor[],
    private readonly ys: Tensor[],
    private readonly weights: (Tensor | null)[] | null,
    private readonly options: ArraySourceOptions,
  ) {
    this.samples = xs[0]!.shape[0]!;
    this.batchesPerPass = Math.ceil(this.samples / options.batchSize);
    this.steps = options.steps ?? this.batchesPerPass;
    this.cursor = this.batchesPerPass;
  }

  private newPass(): void {
    this.cursor = 0;
    if (this.options.shuffle === true) this.order = globalRandom().permutation(this.samples);
    else if (this.options.shuffle === "batch") this.order = shuffledWithinBatches(this.samples, this.options.batchSize);
    else this.order = null;
  }

  startEpoch(): () => Batch | null {
    // Without an explicit step count every epoch is one whole pass.
    if (this.options.steps === undefined || this.options.steps === null) this.cursor = this.batchesPerPass;
    let taken = 0;
    return () => {
      if (taken >= this.steps) return null;
      if (this.cursor >= this.batchesPerPass) this.newPass();
      const start = this.cursor * this.options.batchSize;
      const end = Math.min(this.samples, start + this.options.batchSize);
      this.cursor++;
      taken++;
      const rows = this.order ? this.order.subarray(start, end) : null;
      const batch = (t: Tensor): Tensor => (rows ? gatherRows(t, rows) : sliceRows(t, start, end));
      return {
        xs: this.xs.map(batch),
        ys: this.ys.map(batch),
        weights: this.weights ? this.weights.map((w) => (w ? batch(w) : null)) : null,
      };
    };
  }
}

/** Returns a permutation that keeps each batch-sized chunk of indices in place and shuffles inside it. */
function shuffledWithinBatches(samples: number, batchSize: number): Int32Array {
  const order = new Int32Array(samples);
  for (let start = 0; start < samples; start += batchSize) {
    const size = Math.min(batchSize, samples - start);
    const inner = globalRandom().permutation(size);
    for (let i = 0; i < size; i++) order[start + i] = start + inner[i]!;
  }
  return order;
}

/** Options for reading the batches of an iterable. */
export interface IterableSourceOptions {
  /** Names of the model's inputs and outputs, which record batches are keyed by. */
  inputNames: readonly string[] | null;
  outputNames: readonly string[] | null;
  dtype: FloatDType;
  /** Batches per epoch; without it every epoch reads the iterable to its end. */
  steps?: number | null;
  /** True for predict, whose batches carry inputs only. */
  inputsOnly: boolean;
  /** The method name for messages. */
  method: string;
}

/** Reads batches from an iterable, converting each one as the array entry points convert their data. */
export class IterableSource implements BatchSource {
  steps: number | null;
  exhausted = false;
  private iterator: Iterator<BatchLike> | AsyncIterator<BatchLike> | null = null;
  private counted = 0;

  constructor(
    private readonly iterable: BatchIterable,
    private readonly options: IterableSourceOptions,
  ) {
    this.steps = options.steps ?? null;
  }

  private open(): Iterator<BatchLike> | AsyncIterator<BatchLike> {
    const source = this.iterable as Partial<AsyncIterable<BatchLike> & Iterable<BatchLike>>;
    if (source[Symbol.asyncIterator]) return source[Symbol.asyncIterator]!();
    return source[Symbol.iterator]!();
  }

  startEpoch(): () => Promise<Batch | null> {
    const fixedSteps = this.options.steps ?? null;
    // With a fixed step count one iterator serves every epoch; otherwise each epoch reads the iterable afresh.
    if (fixedSteps === null || this.iterator === null) this.iterator = this.open();
    const iterator = this.iterator;
    let taken = 0;
    return async () => {
      if (fixedSteps !== null && taken >= fixedSteps) return null;
      const next = await iterator.next();
      if (next.done) {
        if (fixedSteps !== null || taken === 0) this.ranOut(taken, fixedSteps);
        else if (this.steps === null) this.steps = taken;
        return null;
      }
      taken++;
      this.counted++;
      return this.convert(next.value, this.counted - 1);
    };
  }

  private ranOut(taken: number, steps: number | null): void {
    this.exhausted = true;
    warn(
      `The batches given to ${this.options.method} ran out after ${taken} batches of an epoch` +
        (steps === null ? "" : ` (expected ${steps})`) +
        `, so it stops here. Pass an iterable that can be read again for every epoch, or set the step count to what it yields.`,
    );
  }

  private convert(value: BatchLike, index: number): Batch {
    const where = `batch ${index} of the iterable`;
    const { inputNames, outputNames, dtype, inputsOnly } = this.options;
    if (inputsOnly) return { xs: toTensorList(value, inputNames, `x (${where})`, dtype), ys: [], weights: null };
    if (!Array.isArray(value) || value.length < 2 || value.length > 3) {
      throw new ValueError(
        `Invalid ${where}: expected [x, y] or [x, y, sampleWeight], received ${describe(value)}.`,
      );
    }
    const xs = toTensorList(value[0], inputNames, `x (${where})`, dtype);
    const ys = toTensorList(value[1], outputNames, `y (${where})`, dtype);
    const weights = value.length === 3 ? ys.map(() => toBatchTensor(value[2] as TensorLike, `sampleWeight (${where})`, dtype)) : null;
    return { xs, ys, weights };
  }
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (value instanceof Tensor) return `a Tensor of shape ${formatShape(value.shape)}`;
  return typeof value;
}
