import { ShapeError, ValueError, formatShape } from "../errors.js";
import * as ops from "../ops/index.js";
import type { Tensor } from "../tensor/tensor.js";
import { checkPositiveInteger } from "../utils/validate.js";
import {
  BASE_LAYER_OPTIONS,
  type CallOptions,
  Layer,
  type LayerOptions,
  type SymbolicShape,
  baseOptionsFromConfig,
} from "./layer.js";

export interface ReshapeOptions extends LayerOptions {
  /** Shape of each output sample, without the batch axis; one entry may be -1 and is then inferred. */
  targetShape: number[];
}

/**
 * Resolves `target` (which may contain one -1) for a sample of shape `sample`.
 * An unknown sample axis leaves the -1 unknown (null), as Keras does.
 */
function resolveTargetShape(sample: SymbolicShape, target: readonly number[], layer: string): SymbolicShape {
  if (sample.some((d) => d === null)) return target.map((d) => (d === -1 ? null : d));
  const size = (sample as number[]).reduce((a, b) => a * b, 1);
  const unknown = target.indexOf(-1);
  const known = target.reduce((a, d) => (d === -1 ? a : a * d), 1);
  const fail = (): never => {
    throw new ShapeError(
      `Layer "${layer}" (Reshape) cannot reshape samples of shape ${formatShape(sample)} (${size} elements) ` +
        `to ${formatShape(target)}: the number of elements must stay the same.`,
    );
  };
  if (unknown < 0) {
    if (known !== size) fail();
    return [...target];
  }
  if (known === 0 || size % known !== 0) fail();
  const resolved = [...target];
  resolved[unknown] = size / known;
  return resolved;
}

/** Reshapes each sample to `targetShape`; the batch axis is kept. */
export class Reshape extends Layer {
  readonly targetShape: number[];

  constructor(options: ReshapeOptions) {
    super(options ?? {}, [...BASE_LAYER_OPTIONS, "targetShape"]);
    const target = options?.targetShape;
    if (!Array.isArray(target) || target.some((d) => !Number.isInteger(d) || d < -1)) {
      throw new ValueError(
        `Invalid \`targetShape\` for layer "${this.name}": expected an array of non-negative integers with at most one -1, received ${JSON.stringify(target)}.`,
      );
    }
    if (target.filter((d) => d === -1).length > 1) {
      throw new ValueError(
        `Invalid \`targetShape\` for layer "${this.name}": at most one entry may be -1 (inferred), received [${target.join(", ")}].`,
      );
    }
    this.targetShape = [...target];
  }

  override get className(): string {
    return "Reshape";
  }

  protected override checkInputShape(_shape: readonly number[]): void {}

  call(inputs: Tensor, _options: CallOptions): Tensor {
    if (inputs.rank < 1) throw new ShapeError(`Layer "${this.name}" (Reshape) needs a batch axis, received a scalar.`);
    const resolved = resolveTargetShape(inputs.shape.slice(1), this.targetShape, this.name) as number[];
    return ops.reshape(inputs, [inputs.shape[0]!, ...resolved]);
  }

  override computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    return [inputShape[0] ?? null, ...resolveTargetShape(inputShape.slice(1), this.targetShape, this.name)];
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), target_shape: [...this.targetShape] };
  }

  static fromConfig(config: Record<string, unknown>): Reshape {
    const options = baseOptionsFromConfig(config, "Reshape", ["target_shape"]);
    return new Reshape({ ...options, targetShape: config["target_shape"] as number[] });
  }
}

export interface PermuteOptions extends LayerOptions {
  /** New order of the sample axes, 1-based (the batch axis 0 stays first): [2, 1] swaps the two axes of a rank-3 input. */
  dims: number[];
}

/** Reorders the axes of each sample, as `transpose` with the batch axis fixed. */
export class Permute extends Layer {
  readonly dims: number[];

  constructor(options: PermuteOptions) {
    super(options ?? {}, [...BASE_LAYER_OPTIONS, "dims"]);
    const dims = options?.dims;
    const valid =
      Array.isArray(dims) &&
      dims.every((d) => Number.isInteger(d)) &&
      [...dims].sort((a, b) => a - b).every((d, i) => d === i + 1);
    if (!valid) {
      throw new ValueError(
        `Invalid \`dims\` for layer "${this.name}": expected each of the sample axes 1 to n exactly once, such as [2, 1], received ${JSON.stringify(dims)}.`,
      );
    }
    this.dims = [...dims];
  }

  override get className(): string {
    return "Permute";
  }

  private checkRank(shape: readonly (number | null)[]): void {
    if (shape.length !== this.dims.length + 1) {
      throw new ShapeError(
        `Layer "${this.name}" (Permute) with dims [${this.dims.join(", ")}] needs inputs of rank ${this.dims.length + 1}, received shape ${formatShape(shape)}.`,
      );
    }
  }

  protected override checkInputRank(shape: readonly number[]): void {
    this.checkRank(shape);
  }

  override build(inputShape: SymbolicShape): void {
    this.checkRank(inputShape);
    super.build(inputShape);
  }

  call(inputs: Tensor, _options: CallOptions): Tensor {
    return ops.transpose(inputs, [0, ...this.dims]);
  }

  override computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    this.checkRank(inputShape);
    return [inputShape[0]!, ...this.dims.map((d) => inputShape[d]!)];
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), dims: [...this.dims] };
  }

  static fromConfig(config: Record<string, unknown>): Permute {
    const options = baseOptionsFromConfig(config, "Permute", ["dims"]);
    return new Permute({ ...options, dims: config["dims"] as number[] });
  }
}

export interface RepeatVectorOptions extends LayerOptions {
  /** Number of repetitions. */
  n: number;
}

/** Repeats each sample vector `n` times: (batch, features) becomes (batch, n, features). */
export class RepeatVector extends Layer {
  readonly n: number;

  constructor(options: RepeatVectorOptions) {
    super(options ?? {}, [...BASE_LAYER_OPTIONS, "n"]);
    this.n = checkPositiveInteger(options?.n, "n", `"${this.name}"`);
  }

  override get className(): string {
    return "RepeatVector";
  }

  private checkRank(shape: readonly (number | null)[]): void {
    if (shape.length !== 2) {
      throw new ShapeError(`Layer "${this.name}" (RepeatVector) needs inputs of rank 2 (batch, features), received shape ${formatShape(shape)}.`);
    }
  }

  protected override checkInputRank(shape: readonly number[]): void {
    this.checkRank(shape);
  }

  override build(inputShape: SymbolicShape): void {
    this.checkRank(inputShape);
    super.build(inputShape);
  }

  call(inputs: Tensor, _options: CallOptions): Tensor {
    const [batch, features] = inputs.shape as [number, number];
    return ops.broadcastTo(ops.reshape(inputs, [batch, 1, features]), [batch, this.n, features]);
  }

  override computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    this.checkRank(inputShape);
    return [inputShape[0]!, this.n, inputShape[1]!];
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), n: this.n };
  }

  static fromConfig(config: Record<string, unknown>): RepeatVector {
    const options = baseOptionsFromConfig(config, "RepeatVector", ["n"]);
    return new RepeatVector({ ...options, n: config["n"] as number });
  }
}
