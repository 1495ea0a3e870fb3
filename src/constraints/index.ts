/**
 * Weight constraints: projections that optimizers apply to a weight after
 * each update. They are built from differentiable ops, so they also work
 * inside a gradient tape.
 */

import { ValueError, formatChoices } from "../errors.js";
import * as ops from "../ops/index.js";
import type { Tensor } from "../tensor/tensor.js";
import { checkOptionKeys, didYouMean } from "../utils/suggest.js";

/** A constraint in Keras's serialized form, as `getConfig` of a layer writes it. */
export interface SerializedConstraint {
  module: "keras.constraints";
  class_name: string;
  config: Record<string, unknown>;
  registered_name: string | null;
}

/** Keras's `backend.epsilon()`, added to the norms before dividing by them. */
const EPSILON = 1e-7;

/** An axis or axes along which the norm constraints take their norms; negative axes count from the end. */
export type NormAxis = number | number[];

/**
 * Base class of the constraints. `call` returns the projected value of a
 * weight; the base class returns it unchanged, as Keras's `Constraint` does.
 */
export class Constraint {
  call(w: Tensor): Tensor {
    return w;
  }

  getConfig(): Record<string, unknown> {
    return {};
  }

  /** The Keras class name used in serialized configs. */
  get className(): string {
    return "Constraint";
  }

  serialize(): SerializedConstraint {
    return { module: "keras.constraints", class_name: this.className, config: this.getConfig(), registered_name: null };
  }
}

function checkNumber(value: unknown, argument: string, className: string): number {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new ValueError(`Invalid \`${argument}\` for ${className}: expected a finite number, received ${JSON.stringify(value)}.`);
  }
  return value;
}

function checkAxis(value: unknown, className: string): NormAxis {
  const valid = Number.isInteger(value) || (Array.isArray(value) && value.length > 0 && value.every((a) => Number.isInteger(a)));
  if (!valid) {
    throw new ValueError(`Invalid \`axis\` for ${className}: expected an integer or a non-empty array of integers, received ${JSON.stringify(value)}.`);
  }
  return Array.isArray(value) ? [...(value as number[])] : (value as number);
}

function copyAxis(axis: NormAxis): NormAxis {
  return Array.isArray(axis) ? [...axis] : axis;
}

/** Returns sqrt(Σw²) over `axis`, keeping the reduced axes so it broadcasts against `w`. */
function norms(w: Tensor, axis: NormAxis): Tensor {
  return ops.sqrt(ops.sum(ops.square(w), axis, true));
}

/** Returns w · desired / (epsilon + norms). */
function rescale(w: Tensor, desired: Tensor, current: Tensor): Tensor {
  return ops.mul(w, ops.div(desired, ops.affine(current, 1, EPSILON)));
}

/**
 * Rescales each slice along `axis` whose L2 norm exceeds `maxValue` down to
 * that norm. For a Dense kernel (inputs, units), axis 0 constrains the
 * incoming weights of each unit. Defaults: maxValue 2, axis 0.
 */
export class MaxNorm extends Constraint {
  readonly maxValue: number;
  readonly axis: NormAxis;

  constructor(options: { maxValue?: number; axis?: NormAxis } = {}) {
    super();
    checkOptionKeys(options, ["maxValue", "axis"], "MaxNorm", (m) => new ValueError(m));
    this.maxValue = checkNumber(options.maxValue ?? 2, "maxValue", "MaxNorm");
    this.axis = checkAxis(options.axis ?? 0, "MaxNorm");
  }

  override get className(): string {
    return "MaxNorm";
  }

  override call(w: Tensor): Tensor {
    const current = norms(w, this.axis);
    return rescale(w, ops.clip(current, 0, this.maxValue), current);
  }

  override getConfig(): Record<string, unknown> {
    return { max_value: this.maxValue, axis: copyAxis(this.axis) };
  }
}

/** Sets negative weights to zero. */
export class NonNeg extends Constraint {
  constructor(options: Record<string, never> = {}) {
    super();
    checkOptionKeys(options, [], "NonNeg", (m) => new ValueError(m));
  }

  override get className(): string {
    return "NonNeg";
  }

  override call(w: Tensor): Tensor {
    return ops.relu(w);
  }
}

/** Divides each slice along `axis` by its L2 norm (plus epsilon). Default axis 0. */
export class UnitNorm extends Constraint {
  readonly axis: NormAxis;

  constructor(options: { axis?: NormAxis } = {}) {
    super();
    checkOptionKeys(options, ["axis"], "UnitNorm", (m) => new ValueError(m));
    this.axis = checkAxis(options.axis ?? 0, "UnitNorm");
  }

  override get className(): string {
    return "UnitNorm";
  }

  override call(w: Tensor): Tensor {
    return ops.div(w, ops.affine(norms(w, this.axis), 1, EPSILON));
  }

  override getConfig(): Record<string, unknown> {
    return { axis: copyAxis(this.axis) };
  }
}

/**
 * Rescales each slice along `axis` towards a norm in [minValue, maxValue].
 * The new norm is rate · clip(norm, minValue, maxValue) + (1 − rate) · norm.
 * Rate 1 enforces the bounds at once, and a smaller rate moves towards them
 * step by step. Defaults: minValue 0, maxValue 1, rate 1, axis 0.
 */
export class MinMaxNorm extends Constraint {
  readonly minValue: number;
  readonly maxValue: number;
  readonly rate: number;
  readonly axis: NormAxis;

  constructor(options: { minValue?: number; maxValue?: number; rate?: number; axis?: NormAxis } = {}) {
    super();
    checkOptionKeys(options, ["minValue", "maxValue", "rate", "axis"], "MinMaxNorm", (m) => new ValueError(m));
    this.minValue = checkNumber(options.minValue ?? 0, "minValue", "MinMaxNorm");
    this.maxValue = checkNumber(options.maxValue ?? 1, "maxValue", "MinMaxNorm");
    this.rate = checkNumber(options.rate ?? 1, "rate", "MinMaxNorm");
    this.axis = checkAxis(options.axis ?? 0, "MinMaxNorm");
  }

  override get className(): string {
    return "MinMaxNorm";
  }

  override call(w: Tensor): Tensor {
    const current = norms(w, this.axis);
    const desired = ops.add(ops.affine(ops.clip(current, this.minValue, this.maxValue), this.rate), ops.affine(current, 1 - this.rate));
    return rescale(w, desired, current);
  }

  override getConfig(): Record<string, unknown> {
    return { min_value: this.minValue, max_value: this.maxValue, rate: this.rate, axis: copyAxis(this.axis) };
  }
}

/**
 * A constraint given as a plain function. It works in training, but a layer
 * that uses one has no serializable config.
 */
class FunctionConstraint extends Constraint {
  constructor(private readonly fn: (w: Tensor) => Tensor) {
    super();
  }

  override get className(): string {
    return this.fn.name || "function";
  }

  override call(w: Tensor): Tensor {
    return this.fn(w);
  }

  override getConfig(): Record<string, unknown> {
    throw new ValueError(
      `The constraint function ${this.fn.name ? `"${this.fn.name}" ` : ""}cannot be serialized. ` +
        `Subclass Constraint with a getConfig method and add it with registerConstraint to save a layer that uses it.`,
    );
  }
}

type ConstraintFactory = (config: Record<string, unknown>) => Constraint;

/** Reads a Keras config's snake_case keys into constructor options, rejecting unknown keys. */
function optionsFromConfig(config: Record<string, unknown>, keys: Record<string, string>, className: string): Record<string, unknown> {
  checkOptionKeys(config, Object.keys(keys), `${className} config`, (m) => new ValueError(m));
  const options: Record<string, unknown> = {};
  for (const [key, option] of Object.entries(keys)) if (config[key] !== undefined) options[option] = config[key];
  return options;
}

/** Factories by Keras class name (or registered name), each building from a config object. */
const factories = new Map<string, ConstraintFactory>([
  ["Constraint", (config) => (checkOptionKeys(config, [], "Constraint config", (m) => new ValueError(m)), new Constraint())],
  ["MaxNorm", (config) => new MaxNorm(optionsFromConfig(config, { max_value: "maxValue", axis: "axis" }, "MaxNorm"))],
  ["NonNeg", (config) => new NonNeg(optionsFromConfig(config, {}, "NonNeg") as Record<string, never>)],
  ["UnitNorm", (config) => new UnitNorm(optionsFromConfig(config, { axis: "axis" }, "UnitNorm"))],
  [
    "MinMaxNorm",
    (config) => new MinMaxNorm(optionsFromConfig(config, { min_value: "minValue", max_value: "maxValue", rate: "rate", axis: "axis" }, "MinMaxNorm")),
  ],
]);

/** Keras's string identifiers: the snake_case class names. */
const identifiers = new Map<string, string>([
  ["constraint", "Constraint"],
  ["max_norm", "MaxNorm"],
  ["non_neg", "NonNeg"],
  ["unit_norm", "UnitNorm"],
  ["min_max_norm", "MinMaxNorm"],
]);

/**
 * Registers a constraint class for `deserialize` (and so for loading layer
 * configs that use it) under the class name its `serialize` writes.
 */
export function registerConstraint(className: string, fromConfig: ConstraintFactory): void {
  factories.set(className, fromConfig);
}

export type ConstraintIdentifier = string | SerializedConstraint | Constraint | ((w: Tensor) => Tensor) | null | undefined;

/** Returns the string identifiers to suggest: Keras's snake_case names, then registered custom class names. */
function knownNames(): string[] {
  const builtIn = new Set(identifiers.values());
  return [...identifiers.keys(), ...[...factories.keys()].filter((name) => !builtIn.has(name))];
}

function fromName(name: string, argument: string): Constraint {
  const factory = factories.get(identifiers.get(name) ?? name);
  if (!factory) {
    throw new ValueError(
      `Unknown constraint ${JSON.stringify(name)} for \`${argument}\`.${didYouMean(name, knownNames())} ` +
        `Valid constraints: ${formatChoices(knownNames())}.`,
    );
  }
  return factory({});
}

/**
 * Rebuilds a constraint from its serialized form or string identifier;
 * null gives null. The older form without `module` is accepted too.
 */
export function deserialize(config: SerializedConstraint | { class_name: string; config?: Record<string, unknown> } | string | null, argument = "constraint"): Constraint | null {
  if (config === null || config === undefined) return null;
  if (typeof config === "string") return fromName(config, argument);
  if (typeof config !== "object" || typeof config.class_name !== "string") {
    throw new ValueError(
      `Invalid serialized constraint for \`${argument}\`: expected an object with "class_name" and "config", received ${JSON.stringify(config)}.`,
    );
  }
  const registered = (config as { registered_name?: unknown }).registered_name;
  const name = typeof registered === "string" && factories.has(registered) ? registered : config.class_name;
  const factory = factories.get(name);
  if (!factory) {
    throw new ValueError(
      `Unknown constraint class ${JSON.stringify(config.class_name)} for \`${argument}\`.${didYouMean(config.class_name, [...factories.keys()])} ` +
        `Register a custom constraint with registerConstraint before loading it.`,
    );
  }
  return factory({ ...(config.config ?? {}) });
}

/** Returns the serialized form of `constraint` that layer configs contain, or null for none. */
export function serialize(constraint: Constraint | null): SerializedConstraint | null {
  return constraint === null ? null : constraint.serialize();
}

/**
 * Resolves a constraint from a string identifier ("max_norm"), a serialized
 * config, an instance or a function from a weight to its projected value.
 * Null and undefined mean no constraint. `argument` names the option in errors.
 */
export function get(identifier: ConstraintIdentifier, argument = "constraint"): Constraint | null {
  if (identifier === null || identifier === undefined) return null;
  if (identifier instanceof Constraint) return identifier;
  if (typeof identifier === "function") return new FunctionConstraint(identifier);
  if (typeof identifier === "string" || typeof identifier === "object") return deserialize(identifier, argument);
  throw new ValueError(
    `Invalid \`${argument}\`: expected a constraint name such as "max_norm", a Constraint, a function or a serialized config, received ${typeof identifier}.`,
  );
}

/** Shorthand for `new MaxNorm({ maxValue, axis })`. */
export function maxNorm(options: { maxValue?: number; axis?: NormAxis } = {}): MaxNorm {
  return new MaxNorm(options);
}

/** Shorthand for `new NonNeg()`. */
export function nonNeg(): NonNeg {
  return new NonNeg();
}

/** Shorthand for `new UnitNorm({ axis })`. */
export function unitNorm(options: { axis?: NormAxis } = {}): UnitNorm {
  return new UnitNorm(options);
}

/** Shorthand for `new MinMaxNorm({ minValue, maxValue, rate, axis })`. */
export function minMaxNorm(options: { minValue?: number; maxValue?: number; rate?: number; axis?: NormAxis } = {}): MinMaxNorm {
  return new MinMaxNorm(options);
}
