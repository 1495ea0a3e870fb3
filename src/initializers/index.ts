/** Weight initializers by Keras name, serialized config or object. */

import { ValueError, formatChoices } from "../errors.js";
import { type RandomGenerator, RandomGenerator as Generator, globalRandom } from "../random.js";
import { type DType, allocate } from "../tensor/dtype.js";
import { sizeOf } from "../tensor/shape.js";
import { Tensor } from "../tensor/tensor.js";
import { checkOptionKeys } from "../utils/suggest.js";
import { didYouMean } from "../utils/suggest.js";
import { Initializer, type SerializedInitializer, computeFans } from "./initializer.js";
import { DISTRIBUTION_NAMES, distributionFromConfig } from "./distributions.js";

export { Initializer, type SerializedInitializer, computeFans } from "./initializer.js";
export {
  Constant,
  type Distribution,
  type FanMode,
  GlorotNormal,
  HeNormal,
  HeUniform,
  Identity,
  LecunNormal,
  LecunUniform,
  type NormalOptions,
  RandomNormal,
  type SeedOptions,
  TRUNCATION_CORRECTION,
  TruncatedNormal,
  VarianceScaling,
  type VarianceScalingOptions,
} from "./distributions.js";

export class Zeros extends Initializer {
  get className(): string {
    return "Zeros";
  }
  call(shape: readonly number[], dtype: DType = "float32"): Tensor {
    return new Tensor(allocate(dtype, sizeOf(shape)), shape);
  }
  getConfig(): Record<string, unknown> {
    return {};
  }
}

export class Ones extends Initializer {
  get className(): string {
    return "Ones";
  }
  call(shape: readonly number[], dtype: DType = "float32"): Tensor {
    const data = allocate(dtype, sizeOf(shape));
    data.fill(1);
    return new Tensor(data, shape);
  }
  getConfig(): Record<string, unknown> {
    return {};
  }
}

/**
 * Uniform on [−limit, limit] with limit = sqrt(6 / (fanIn + fanOut)).
 *
 * With a seed, every call returns the same values (as in Keras); without one,
 * values come from the global generator that `setRandomSeed` controls.
 */
export class GlorotUniform extends Initializer {
  readonly seed: number | null;

  constructor(options: { seed?: number | null } = {}) {
    super();
    checkOptionKeys(options, ["seed"], "GlorotUniform", (m) => new ValueError(m));
    const seed = options.seed ?? null;
    if (seed !== null && !(Number.isInteger(seed) && seed >= 0)) {
      throw new ValueError(`Invalid \`seed\` for GlorotUniform: expected a non-negative integer or null, received ${JSON.stringify(seed)}.`);
    }
    this.seed = seed;
  }

  get className(): string {
    return "GlorotUniform";
  }

  call(shape: readonly number[], dtype: DType = "float32"): Tensor {
    const [fanIn, fanOut] = computeFans(shape);
    const limit = Math.sqrt(3 / Math.max(1, (fanIn + fanOut) / 2));
    const generator: RandomGenerator = this.seed === null ? globalRandom() : new Generator(this.seed);
    const data = allocate(dtype, sizeOf(shape));
    for (let i = 0; i < data.length; i++) data[i] = (generator.uniform() * 2 - 1) * limit;
    return new Tensor(data, shape);
  }

  getConfig(): Record<string, unknown> {
    return { seed: this.seed, input_axes: null, output_axes: null };
  }
}

const names: Record<string, () => Initializer> = {
  glorot_uniform: () => new GlorotUniform(),
  GlorotUniform: () => new GlorotUniform(),
  zeros: () => new Zeros(),
  zero: () => new Zeros(),
  Zeros: () => new Zeros(),
  ones: () => new Ones(),
  one: () => new Ones(),
  Ones: () => new Ones(),
  ...DISTRIBUTION_NAMES,
};

export type InitializerIdentifier = string | Initializer;

/** Resolves an initializer name or object. */
export function get(identifier: InitializerIdentifier, argument = "initializer"): Initializer {
  if (identifier instanceof Initializer) return identifier;
  const make = typeof identifier === "string" ? names[identifier] : undefined;
  if (!make) {
    throw new ValueError(
      `Unknown initializer ${JSON.stringify(identifier)} for \`${argument}\`.${didYouMean(identifier, Object.keys(names))} Valid initializers: ${formatChoices(Object.keys(names))}.`,
    );
  }
  return make();
}

/** Rebuilds an initializer from its serialized form (or a plain name). */
export function deserialize(config: SerializedInitializer | string): Initializer {
  if (typeof config === "string") return get(config);
  if (config.class_name === "GlorotUniform") return new GlorotUniform({ seed: (config.config["seed"] as number | null) ?? null });
  const distribution = distributionFromConfig(config.class_name, config.config);
  if (distribution !== null) return distribution;
  return get(config.class_name);
}
