/**
 * Keras 3.15.1's variance-scaling family (glorot, he and lecun in normal and
 * uniform form), random_normal, truncated_normal, constant and identity.
 * They match Keras's distributions (mean, variance, bounds), not its random
 * streams. A seeded initializer returns the same values on every call; an
 * unseeded one draws from the generator that `setRandomSeed` controls.
 */

import { ValueError, formatChoices, formatShape } from "../errors.js";
import { RandomGenerator, globalRandom } from "../random.js";
import { type DType, allocate } from "../tensor/dtype.js";
import { normalizeAxis, sizeOf } from "../tensor/shape.js";
import { Tensor } from "../tensor/tensor.js";
import { checkOptionKeys } from "../utils/suggest.js";
import { Initializer, computeFans } from "./initializer.js";

/** Keras's stddev correction for a normal truncated at ±2σ: the stddev of the truncated unit normal. */
export const TRUNCATION_CORRECTION = 0.87962566103423978;

function checkSeed(seed: unknown, owner: string): number | null {
  if (seed === null || seed === undefined) return null;
  if (typeof seed !== "number" || !Number.isInteger(seed) || seed < 0) {
    throw new ValueError(`Invalid \`seed\` for ${owner}: expected a non-negative integer or null, received ${JSON.stringify(seed)}.`);
  }
  return seed;
}

function checkFinite(value: unknown, name: string, owner: string): number {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new ValueError(`Invalid \`${name}\` for ${owner}: expected a finite number, received ${JSON.stringify(value)}.`);
  }
  return value;
}

/** An initializer that draws from a generator: a fresh one from the seed per call, or the global one. */
abstract class RandomInitializer extends Initializer {
  readonly seed: number | null;

  constructor(seed: unknown, owner: string) {
    super();
    this.seed = checkSeed(seed, owner);
  }

  protected generator(): RandomGenerator {
    return this.seed === null ? globalRandom() : new RandomGenerator(this.seed);
  }

  protected fill(shape: readonly number[], dtype: DType, draw: (generator: RandomGenerator) => number): Tensor {
    const generator = this.generator();
    const data = allocate(dtype, sizeOf(shape));
    for (let i = 0; i < data.length; i++) data[i] = draw(generator);
    return new Tensor(data, shape);
  }
}

/** Draws a standard normal sample, redrawing until it lies within ±2. */
function truncatedStandardNormal(generator: RandomGenerator): number {
  for (;;) {
    const value = generator.normal();
    if (Math.abs(value) <= 2) return value;
  }
}

export type FanMode = "fan_in" | "fan_out" | "fan_avg";
export type Distribution = "truncated_normal" | "untruncated_normal" | "uniform";
const MODES: readonly FanMode[] = ["fan_in", "fan_out", "fan_avg"];
const DISTRIBUTIONS: readonly Distribution[] = ["truncated_normal", "untruncated_normal", "uniform"];

export interface VarianceScalingOptions {
  /** Positive scale of the variance; 1 by default. */
  scale?: number;
  mode?: FanMode;
  /** "normal" is accepted as "truncated_normal", and case is ignored, as in Keras. */
  distribution?: Distribution | "normal";
  seed?: number | null;
  /** Axes whose sizes multiply to fan-in; used only together with `outputAxes`. */
  inputAxes?: readonly number[] | null;
  outputAxes?: readonly number[] | null;
}

function checkAxes(axes: unknown, name: string): readonly number[] | null {
  if (axes === null || axes === undefined) return null;
  if (!Array.isArray(axes) || axes.some((a) => !Number.isInteger(a))) {
    throw new ValueError(`Invalid \`${name}\` for VarianceScaling: expected an array of integer axes or null, received ${JSON.stringify(axes)}.`);
  }
  return [...(axes as number[])];
}

/**
 * Samples with variance scale / n, where n is fan-in, fan-out or their mean
 * (at least 1): a normal truncated at ±2σ with σ = sqrt(scale / n) / 0.8796…,
 * an untruncated normal with σ = sqrt(scale / n), or U(±sqrt(3 · scale / n)).
 */
export class VarianceScaling extends RandomInitializer {
  readonly scale: number;
  readonly mode: FanMode;
  readonly distribution: Distribution;
  readonly inputAxes: readonly number[] | null;
  readonly outputAxes: readonly number[] | null;

  constructor(options: VarianceScalingOptions = {}) {
    const owner = new.target.name;
    checkOptionKeys(options, ["scale", "mode", "distribution", "seed", "inputAxes", "outputAxes"], owner, (m) => new ValueError(m));
    super(options.seed, owner);
    const scale = checkFinite(options.scale ?? 1, "scale", owner);
    if (scale <= 0) throw new ValueError(`Invalid \`scale\` for ${owner}: expected a positive number, received ${scale}.`);
    const mode = options.mode ?? "fan_in";
    if (!MODES.includes(mode)) throw new ValueError(`Invalid \`mode\` ${JSON.stringify(mode)} for ${owner}: expected one of ${formatChoices(MODES)}.`);
    let distribution = String(options.distribution ?? "truncated_normal").toLowerCase();
    if (distribution === "normal") distribution = "truncated_normal";
    if (!DISTRIBUTIONS.includes(distribution as Distribution)) {
      throw new ValueError(`Invalid \`distribution\` ${JSON.stringify(options.distribution)} for ${owner}: expected one of ${formatChoices(DISTRIBUTIONS)} or "normal".`);
    }
    this.scale = scale;
    this.mode = mode;
    this.distribution = distribution as Distribution;
    this.inputAxes = checkAxes(options.inputAxes, "inputAxes");
    this.outputAxes = checkAxes(options.outputAxes, "outputAxes");
  }

  get className(): string {
    return "VarianceScaling";
  }

  /** Fan-in and fan-out, from `inputAxes` and `outputAxes` when both are set. */
  fans(shape: readonly number[]): [number, number] {
    if (this.inputAxes === null || this.outputAxes === null) return computeFans(shape);
    const product = (axes: readonly number[]): number => axes.reduce((p, a) => p * shape[normalizeAxis(a, shape.length)]!, 1);
    return [product(this.inputAxes), product(this.outputAxes)];
  }

  call(shape: readonly number[], dtype: DType = "float32"): Tensor {
    const [fanIn, fanOut] = this.fans(shape);
    let n = (fanIn + fanOut) / 2;
    if (this.mode === "fan_in") n = fanIn;
    else if (this.mode === "fan_out") n = fanOut;
    const variance = this.scale / Math.max(1, n);
    if (this.distribution === "uniform") {
      const limit = Math.sqrt(3 * variance);
      return this.fill(shape, dtype, (g) => (g.uniform() * 2 - 1) * limit);
    }
    if (this.distribution === "untruncated_normal") {
      const stddev = Math.sqrt(variance);
      return this.fill(shape, dtype, (g) => g.normal() * stddev);
    }
    const stddev = Math.sqrt(variance) / TRUNCATION_CORRECTION;
    return this.fill(shape, dtype, (g) => truncatedStandardNormal(g) * stddev);
  }

  getConfig(): Record<string, unknown> {
    return {
      seed: this.seed,
      scale: this.scale,
      mode: this.mode,
      distribution: this.distribution,
      input_axes: this.inputAxes,
      output_axes: this.outputAxes,
    };
  }
}

export interface SeedOptions {
  seed?: number | null;
  inputAxes?: readonly number[] | null;
  outputAxes?: readonly number[] | null;
}

/** A named member of the variance-scaling family with a fixed scale, mode and distribution. */
abstract class FixedVarianceScaling extends VarianceScaling {
  constructor(options: SeedOptions, scale: number, mode: FanMode, distribution: Distribution) {
    checkOptionKeys(options, ["seed", "inputAxes", "outputAxes"], new.target.name, (m) => new ValueError(m));
    super({ ...options, scale, mode, distribution });
  }

  override getConfig(): Record<string, unknown> {
    return { seed: this.seed, input_axes: this.inputAxes, output_axes: this.outputAxes };
  }
}

/** Truncated normal with σ = sqrt(2 / (fanIn + fanOut)) / 0.8796…. */
export class GlorotNormal extends FixedVarianceScaling {
  constructor(options: SeedOptions = {}) {
    super(options, 1, "fan_avg", "truncated_normal");
  }
  override get className(): string {
    return "GlorotNormal";
  }
}

/** Truncated normal with σ = sqrt(2 / fanIn) / 0.8796…. */
export class HeNormal extends FixedVarianceScaling {
  constructor(options: SeedOptions = {}) {
    super(options, 2, "fan_in", "truncated_normal");
  }
  override get className(): string {
    return "HeNormal";
  }
}

/** U(±sqrt(6 / fanIn)). */
export class HeUniform extends FixedVarianceScaling {
  constructor(options: SeedOptions = {}) {
    super(options, 2, "fan_in", "uniform");
  }
  override get className(): string {
    return "HeUniform";
  }
}

/** Truncated normal with σ = sqrt(1 / fanIn) / 0.8796…. */
export class LecunNormal extends FixedVarianceScaling {
  constructor(options: SeedOptions = {}) {
    super(options, 1, "fan_in", "truncated_normal");
  }
  override get className(): string {
    return "LecunNormal";
  }
}

/** U(±sqrt(3 / fanIn)). */
export class LecunUniform extends FixedVarianceScaling {
  constructor(options: SeedOptions = {}) {
    super(options, 1, "fan_in", "uniform");
  }
  override get className(): string {
    return "LecunUniform";
  }
}

export interface NormalOptions {
  /** 0 by default. */
  mean?: number;
  /** 0.05 by default. */
  stddev?: number;
  seed?: number | null;
}

abstract class NormalInitializer extends RandomInitializer {
  readonly mean: number;
  readonly stddev: number;

  constructor(options: NormalOptions) {
    const owner = new.target.name;
    checkOptionKeys(options, ["mean", "stddev", "seed"], owner, (m) => new ValueError(m));
    super(options.seed, owner);
    this.mean = checkFinite(options.mean ?? 0, "mean", owner);
    this.stddev = checkFinite(options.stddev ?? 0.05, "stddev", owner);
  }

  getConfig(): Record<string, unknown> {
    return { seed: this.seed, mean: this.mean, stddev: this.stddev };
  }
}

/** Normal with the given mean and stddev (0 and 0.05 by default). */
export class RandomNormal extends NormalInitializer {
  constructor(options: NormalOptions = {}) {
    super(options);
  }
  get className(): string {
    return "RandomNormal";
  }
  call(shape: readonly number[], dtype: DType = "float32"): Tensor {
    return this.fill(shape, dtype, (g) => this.mean + g.normal() * this.stddev);
  }
}

/** Normal with the given mean and stddev, redrawn beyond two stddevs; the result's stddev is about 0.88 · stddev. */
export class TruncatedNormal extends NormalInitializer {
  constructor(options: NormalOptions = {}) {
    super(options);
  }
  get className(): string {
    return "TruncatedNormal";
  }
  call(shape: readonly number[], dtype: DType = "float32"): Tensor {
    return this.fill(shape, dtype, (g) => this.mean + truncatedStandardNormal(g) * this.stddev);
  }
}

/** Fills with one value (0 by default). */
export class Constant extends Initializer {
  readonly value: number;
  constructor(options: { value?: number } = {}) {
    super();
    checkOptionKeys(options, ["value"], "Constant", (m) => new ValueError(m));
    this.value = checkFinite(options.value ?? 0, "value", "Constant");
  }
  get className(): string {
    return "Constant";
  }
  call(shape: readonly number[], dtype: DType = "float32"): Tensor {
    const data = allocate(dtype, sizeOf(shape));
    data.fill(this.value);
    return new Tensor(data, shape);
  }
  getConfig(): Record<string, unknown> {
    return { value: this.value };
  }
}

/** gain · I for a two-dimensional shape (rectangular shapes get ones on the main diagonal). */
export class Identity extends Initializer {
  readonly gain: number;
  constructor(options: { gain?: number } = {}) {
    super();
    checkOptionKeys(options, ["gain"], "Identity", (m) => new ValueError(m));
    this.gain = checkFinite(options.gain ?? 1, "gain", "Identity");
  }
  get className(): string {
    return "Identity";
  }
  call(shape: readonly number[], dtype: DType = "float32"): Tensor {
    if (shape.length !== 2) {
      throw new ValueError(`The identity initializer needs a two-dimensional shape, received ${formatShape(shape)} of rank ${shape.length}.`);
    }
    const [rows, cols] = shape as [number, number];
    const data = allocate(dtype, rows * cols);
    for (let i = 0; i < Math.min(rows, cols); i++) data[i * cols + i] = this.gain;
    return new Tensor(data, shape);
  }
  getConfig(): Record<string, unknown> {
    // NOTE: Keras 3.15.1 returns an empty config for Identity, so a saved gain is lost; this keeps that format.
    return {};
  }
}

/** Keras's string identifiers (snake_case names, aliases and class names) of the initializers above. */
export const DISTRIBUTION_NAMES: Record<string, () => Initializer> = {
  variance_scaling: () => new VarianceScaling(),
  VarianceScaling: () => new VarianceScaling(),
  glorot_normal: () => new GlorotNormal(),
  GlorotNormal: () => new GlorotNormal(),
  he_normal: () => new HeNormal(),
  HeNormal: () => new HeNormal(),
  he_uniform: () => new HeUniform(),
  HeUniform: () => new HeUniform(),
  lecun_normal: () => new LecunNormal(),
  LecunNormal: () => new LecunNormal(),
  lecun_uniform: () => new LecunUniform(),
  LecunUniform: () => new LecunUniform(),
  random_normal: () => new RandomNormal(),
  normal: () => new RandomNormal(),
  RandomNormal: () => new RandomNormal(),
  truncated_normal: () => new TruncatedNormal(),
  TruncatedNormal: () => new TruncatedNormal(),
  constant: () => new Constant(),
  Constant: () => new Constant(),
  identity: () => new Identity(),
  Identity: () => new Identity(),
  IdentityInitializer: () => new Identity(),
};

/** Config keys in Keras's snake_case mapped to option names. */
function optionsFromConfig(config: Record<string, unknown>): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) options[key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())] = value;
  return options;
}

type InitializerClass = new (options: Record<string, unknown>) => Initializer;
const CLASSES: Record<string, InitializerClass> = {
  VarianceScaling,
  GlorotNormal,
  HeNormal,
  HeUniform,
  LecunNormal,
  LecunUniform,
  RandomNormal,
  TruncatedNormal,
  Constant,
  Identity,
  IdentityInitializer: Identity,
} as unknown as Record<string, InitializerClass>;

/** Rebuilds one of the initializers above from its class name and Keras config, or returns null for other classes. */
export function distributionFromConfig(className: string, config: Record<string, unknown>): Initializer | null {
  const InitializerType = CLASSES[className];
  return InitializerType ? new InitializerType(optionsFromConfig(config)) : null;
}
