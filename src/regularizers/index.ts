/**
 * Weight regularizers: functions from a weight tensor to a scalar penalty
 * that training adds to the loss. Each penalty is built from differentiable
 * ops, so the gradient tape differentiates it like the rest of the loss.
 */

import { ShapeError, ValueError, formatChoices, formatShape } from "../errors.js";
import * as ops from "../ops/index.js";
import { l2Normalize } from "../ops/l2-normalize.js";
import { type FloatDType, allocate } from "../tensor/dtype.js";
import { Tensor } from "../tensor/tensor.js";
import { checkOptionKeys, didYouMean } from "../utils/suggest.js";

/** A regularizer in Keras's serialized form, as `getConfig` of a layer writes it. */
export interface SerializedRegularizer {
  module: "keras.regularizers";
  class_name: string;
  config: Record<string, unknown>;
  registered_name: string | null;
}

/** Keras's `backend.epsilon()`, the floor of the norms that OrthogonalRegularizer divides by. */
const EPSILON = 1e-7;

/**
 * Base class of the regularizers. `call` returns a scalar tensor in the
 * dtype of its input; `getConfig` returns what `fromConfig` needs.
 */
export abstract class Regularizer {
  abstract call(x: Tensor): Tensor;
  abstract getConfig(): Record<string, unknown>;
  /** The Keras class name used in serialized configs. */
  abstract get className(): string;

  serialize(): SerializedRegularizer {
    return { module: "keras.regularizers", class_name: this.className, config: this.getConfig(), registered_name: null };
  }
}

/** Returns `value` when it is a finite number of at least 0, as Keras requires of penalty factors. */
function checkFactor(value: unknown, argument: string, className: string): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new ValueError(`Invalid \`${argument}\` for ${className}: expected a finite number of at least 0, received ${JSON.stringify(value)}.`);
  }
  return value;
}

function floatDTypeOf(x: Tensor, className: string): FloatDType {
  if (x.dtype !== "float32" && x.dtype !== "float64") {
    throw new ValueError(`${className} needs a float32 or float64 tensor, received dtype ${x.dtype}.`);
  }
  return x.dtype;
}

function zeroScalar(dtype: FloatDType): Tensor {
  return new Tensor(allocate(dtype, 1), []);
}

/** The L1 penalty l1 · Σ|x|. */
export class L1 extends Regularizer {
  /**
   * The factor, rounded to float32 as Keras 3.15.1 stores it, so the config
   * of `new L1({ l1: 0.1 })` contains 0.10000000149011612, as Keras writes.
   */
  readonly l1: number;

  constructor(options: { l1?: number | null } = {}) {
    super();
    checkOptionKeys(options, ["l1"], "L1", (m) => new ValueError(m));
    this.l1 = Math.fround(checkFactor(options.l1 ?? 0.01, "l1", "L1"));
  }

  get className(): string {
    return "L1";
  }

  call(x: Tensor): Tensor {
    floatDTypeOf(x, "L1");
    return ops.affine(ops.sum(ops.abs(x)), this.l1);
  }

  getConfig(): Record<string, unknown> {
    return { l1: this.l1 };
  }
}

/** The L2 penalty l2 · Σx², without a factor of one half. */
export class L2 extends Regularizer {
  readonly l2: number;

  constructor(options: { l2?: number | null } = {}) {
    super();
    checkOptionKeys(options, ["l2"], "L2", (m) => new ValueError(m));
    this.l2 = checkFactor(options.l2 ?? 0.01, "l2", "L2");
  }

  get className(): string {
    return "L2";
  }

  call(x: Tensor): Tensor {
    floatDTypeOf(x, "L2");
    return ops.affine(ops.sum(ops.square(x)), this.l2);
  }

  getConfig(): Record<string, unknown> {
    return { l2: this.l2 };
  }
}

/**
 * The sum of the L1 and L2 penalties, l1 · Σ|x| + l2 · Σx². Both factors
 * default to 0 (unlike `L1` and `L2`), so the identifier "l1l2" alone gives
 * a zero penalty, as in Keras 3.15.1.
 */
export class L1L2 extends Regularizer {
  readonly l1: number;
  readonly l2: number;

  constructor(options: { l1?: number | null; l2?: number | null } = {}) {
    super();
    checkOptionKeys(options, ["l1", "l2"], "L1L2", (m) => new ValueError(m));
    this.l1 = checkFactor(options.l1 ?? 0, "l1", "L1L2");
    this.l2 = checkFactor(options.l2 ?? 0, "l2", "L1L2");
  }

  get className(): string {
    return "L1L2";
  }

  call(x: Tensor): Tensor {
    const dtype = floatDTypeOf(x, "L1L2");
    let penalty: Tensor | null = null;
    if (this.l1 !== 0) penalty = ops.affine(ops.sum(ops.abs(x)), this.l1);
    if (this.l2 !== 0) {
      const l2 = ops.affine(ops.sum(ops.square(x)), this.l2);
      penalty = penalty === null ? l2 : ops.add(penalty, l2);
    }
    return penalty ?? zeroScalar(dtype);
  }

  getConfig(): Record<string, unknown> {
    return { l1: this.l1, l2: this.l2 };
  }
}

export type OrthogonalMode = "rows" | "columns";

/**
 * Pushes the rows (or columns) of a rank-2 weight towards orthogonality.
 * The vectors are L2-normalized, and the penalty is
 * factor · 0.5 · Σ|dot products of distinct pairs| / (n · (n − 1) / 2),
 * where the sum runs over both orders of each pair, as Keras computes it.
 */
export class OrthogonalRegularizer extends Regularizer {
  /** The factor, rounded to float32 as Keras 3.15.1 stores it. */
  readonly factor: number;
  readonly mode: OrthogonalMode;

  constructor(options: { factor?: number; mode?: OrthogonalMode } = {}) {
    super();
    checkOptionKeys(options, ["factor", "mode"], "OrthogonalRegularizer", (m) => new ValueError(m));
    this.factor = Math.fround(checkFactor(options.factor ?? 0.01, "factor", "OrthogonalRegularizer"));
    const mode = options.mode ?? "rows";
    if (mode !== "rows" && mode !== "columns") {
      throw new ValueError(`Invalid \`mode\` for OrthogonalRegularizer: expected "rows" or "columns", received ${JSON.stringify(mode)}.`);
    }
    this.mode = mode;
  }

  get className(): string {
    return "OrthogonalRegularizer";
  }

  /**
   * Returns the penalty. With a single row (or column) there are no pairs,
   * and the result is NaN (0 / 0), as in Keras.
   */
  call(x: Tensor): Tensor {
    const dtype = floatDTypeOf(x, "OrthogonalRegularizer");
    if (x.rank !== 2) {
      throw new ShapeError(`OrthogonalRegularizer needs a rank-2 weight, received shape ${formatShape(x.shape)}.`);
    }
    const rows = this.mode === "rows";
    const normalized = l2Normalize(x, [rows ? 1 : 0], EPSILON);
    const transposed = ops.transpose(normalized, [1, 0]);
    const product = rows ? ops.matmul(normalized, transposed) : ops.matmul(transposed, normalized);
    const size = x.shape[rows ? 0 : 1]!;
    const offDiagonal = allocate(dtype, size * size).fill(1);
    for (let i = 0; i < size; i++) offDiagonal[i * size + i] = 0;
    const masked = ops.mul(product, new Tensor(offDiagonal, [size, size]));
    const pairs = (size * (size - 1)) / 2;
    return ops.affine(ops.sum(ops.abs(masked)), (this.factor * 0.5) / pairs);
  }

  getConfig(): Record<string, unknown> {
    return { factor: this.factor, mode: this.mode };
  }
}

/**
 * A regularizer given as a plain function. It works in training, but a
 * layer that uses one has no serializable config.
 */
class FunctionRegularizer extends Regularizer {
  constructor(private readonly fn: (x: Tensor) => Tensor) {
    super();
  }

  get className(): string {
    return this.fn.name || "function";
  }

  call(x: Tensor): Tensor {
    return this.fn(x);
  }

  getConfig(): Record<string, unknown> {
    throw new ValueError(
      `The regularizer function ${this.fn.name ? `"${this.fn.name}" ` : ""}cannot be serialized. ` +
        `Subclass Regularizer with a getConfig method and add it with registerRegularizer to save a layer that uses it.`,
    );
  }
}

type RegularizerFactory = (config: Record<string, unknown>) => Regularizer;

/** Factories by Keras class name (or registered name), each building from a config object. */
const factories = new Map<string, RegularizerFactory>([
  ["L1", (config) => new L1(config as { l1?: number })],
  ["L2", (config) => new L2(config as { l2?: number })],
  ["L1L2", (config) => new L1L2(config as { l1?: number; l2?: number })],
  ["OrthogonalRegularizer", (config) => new OrthogonalRegularizer(config as { factor?: number; mode?: OrthogonalMode })],
]);

/** Keras's string identifiers: the snake_case class names ("l1l2", not "l1_l2"). */
const identifiers = new Map<string, string>([
  ["l1", "L1"],
  ["l2", "L2"],
  ["l1l2", "L1L2"],
  ["orthogonal_regularizer", "OrthogonalRegularizer"],
]);

/**
 * Registers a regularizer class for `deserialize` (and so for loading layer
 * configs that use it) under the class name its `serialize` writes.
 */
export function registerRegularizer(className: string, fromConfig: RegularizerFactory): void {
  factories.set(className, fromConfig);
}

export type RegularizerIdentifier = string | SerializedRegularizer | Regularizer | ((x: Tensor) => Tensor) | null | undefined;

/** Returns the string identifiers to suggest: Keras's snake_case names, then registered custom class names. */
function knownNames(): string[] {
  const builtIn = new Set(identifiers.values());
  return [...identifiers.keys(), ...[...factories.keys()].filter((name) => !builtIn.has(name))];
}

function fromName(name: string, argument: string): Regularizer {
  const factory = factories.get(identifiers.get(name) ?? name);
  if (!factory) {
    throw new ValueError(
      `Unknown regularizer ${JSON.stringify(name)} for \`${argument}\`.${didYouMean(name, knownNames())} ` +
        `Valid regularizers: ${formatChoices(knownNames())}.`,
    );
  }
  return factory({});
}

/**
 * Rebuilds a regularizer from its serialized form or string identifier;
 * null gives null. The older form without `module` is accepted too.
 */
export function deserialize(config: SerializedRegularizer | { class_name: string; config?: Record<string, unknown> } | string | null, argument = "regularizer"): Regularizer | null {
  if (config === null || config === undefined) return null;
  if (typeof config === "string") return fromName(config, argument);
  if (typeof config !== "object" || typeof config.class_name !== "string") {
    throw new ValueError(
      `Invalid serialized regularizer for \`${argument}\`: expected an object with "class_name" and "config", received ${JSON.stringify(config)}.`,
    );
  }
  const registered = (config as { registered_name?: unknown }).registered_name;
  const name = typeof registered === "string" && factories.has(registered) ? registered : config.class_name;
  const factory = factories.get(name);
  if (!factory) {
    throw new ValueError(
      `Unknown regularizer class ${JSON.stringify(config.class_name)} for \`${argument}\`.${didYouMean(config.class_name, [...factories.keys()])} ` +
        `Register a custom regularizer with registerRegularizer before loading it.`,
    );
  }
  return factory({ ...(config.config ?? {}) });
}

/** Returns the serialized form of `regularizer` that layer configs contain, or null for none. */
export function serialize(regularizer: Regularizer | null): SerializedRegularizer | null {
  return regularizer === null ? null : regularizer.serialize();
}

/**
 * Resolves a regularizer from a string identifier ("l2"), a serialized
 * config, an instance or a function from a weight to a scalar penalty.
 * Null and undefined mean no regularizer. `argument` names the option in errors.
 */
export function get(identifier: RegularizerIdentifier, argument = "regularizer"): Regularizer | null {
  if (identifier === null || identifier === undefined) return null;
  if (identifier instanceof Regularizer) return identifier;
  if (typeof identifier === "function") return new FunctionRegularizer(identifier);
  if (typeof identifier === "string" || typeof identifier === "object") return deserialize(identifier, argument);
  throw new ValueError(
    `Invalid \`${argument}\`: expected a regularizer name such as "l2", a Regularizer, a function or a serialized config, received ${typeof identifier}.`,
  );
}

/** Shorthand for `new L1({ l1 })`. */
export function l1(factor = 0.01): L1 {
  return new L1({ l1: factor });
}

/** Shorthand for `new L2({ l2 })`. */
export function l2(factor = 0.01): L2 {
  return new L2({ l2: factor });
}

/** Shorthand for `new L1L2({ l1, l2 })`. */
export function l1l2(options: { l1?: number; l2?: number } = {}): L1L2 {
  return new L1L2(options);
}
