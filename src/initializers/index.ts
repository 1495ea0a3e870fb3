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

function checkSeed(seed: number | null, className: string): number | null {
  if (seed !== null && !(Number.isInteger(seed) && seed >= 0)) {
    throw new ValueError(`Invalid \`seed\` for ${className}: expected a non-negative integer or null, received ${JSON.stringify(seed)}.`);
  }
  return seed;
}

/**
 * Uniform on [minval, maxval). Keras's "uniform" and "random_uniform" name
 * this initializer with the defaults −0.05 and 0.05.
 */
export class RandomUniform extends Initializer {
  readonly minval: number;
  readonly maxval: number;
  readonly seed: number | null;

  constructor(options: { minval?: number; maxval?: number; seed?: number | null } = {}) {
    super();
    checkOptionKeys(options, ["minval", "maxval", "seed"], "RandomUniform", (m) => new ValueError(m));
    this.minval = options.minval ?? -0.05;
    this.maxval = options.maxval ?? 0.05;
    if (!Number.isFinite(this.minval) || !Number.isFinite(this.maxval) || this.minval > this.maxval) {
      throw new ValueError(
        `Invalid range for RandomUniform: expected finite numbers with minval <= maxval, received minval ${this.minval} and maxval ${this.maxval}.`,
      );
    }
    this.seed = checkSeed(options.seed ?? null, "RandomUniform");
  }

  get className(): string {
    return "RandomUniform";
  }

  call(shape: readonly number[], dtype: DType = "float32"): Tensor {
    const generator: RandomGenerator = this.seed === null ? globalRandom() : new Generator(this.seed);
    const data = allocate(dtype, sizeOf(shape));
    const width = this.maxval - this.minval;
    for (let i = 0; i < data.length; i++) data[i] = this.minval + generator.uniform() * width;
    return new Tensor(data, shape);
  }

  getConfig(): Record<string, unknown> {
    return { seed: this.seed, minval: this.minval, maxval: this.maxval };
  }
}

/**
 * A (semi-)orthogonal matrix times `gain`, computed as Keras does. The shape
 * is flattened to (product of leading axes, last axis), and a standard normal
 * matrix of the taller orientation is drawn. Its QR decomposition gives Q,
 * with each column's sign chosen so that R has a positive diagonal, and Q is
 * transposed back when the matrix is wide. The rows or the columns, whichever
 * are fewer, are orthonormal.
 */
export class Orthogonal extends Initializer {
  readonly gain: number;
  readonly seed: number | null;

  constructor(options: { gain?: number; seed?: number | null } = {}) {
    super();
    checkOptionKeys(options, ["gain", "seed"], "Orthogonal", (m) => new ValueError(m));
    this.gain = options.gain ?? 1.0;
    if (!Number.isFinite(this.gain)) {
      throw new ValueError(`Invalid \`gain\` for Orthogonal: expected a finite number, received ${JSON.stringify(options.gain)}.`);
    }
    this.seed = checkSeed(options.seed ?? null, "Orthogonal");
  }

  get className(): string {
    return "Orthogonal";
  }

  call(shape: readonly number[], dtype: DType = "float32"): Tensor {
    if (shape.length < 2) {
      throw new ValueError(
        `Orthogonal initializer needs a shape of rank 2 or more, received [${shape.join(", ")}]. Use it for kernels such as a recurrent kernel.`,
      );
    }
    const rows = sizeOf(shape.slice(0, -1));
    const cols = shape[shape.length - 1]!;
    const tall = Math.max(rows, cols);
    const narrow = Math.min(rows, cols);
    const generator: RandomGenerator = this.seed === null ? globalRandom() : new Generator(this.seed);
    // Allocated first, so that a shape too large to hold fails before the orthonormalization, whose cost grows with tall * narrow^2.
    const data = allocate(dtype, rows * cols);
    // Column-major [tall, narrow] normal matrix, orthonormalized column by column.
    const q = new Float64Array(tall * narrow);
    for (let i = 0; i < tall; i++) {
      for (let j = 0; j < narrow; j++) q[j * tall + i] = generator.normal();
    }
    orthonormalizeColumns(q, tall, narrow);
    for (let i = 0; i < tall; i++) {
      for (let j = 0; j < narrow; j++) {
        const value = this.gain * q[j * tall + i]!;
        // A wide matrix is the transpose of the tall one.
        if (rows >= cols) data[i * cols + j] = value;
        else data[j * cols + i] = value;
      }
    }
    return new Tensor(data, shape);
  }

  getConfig(): Record<string, unknown> {
    return { seed: this.seed, gain: this.gain };
  }
}

/**
 * Replaces the columns of a column-major [rows, cols] matrix (rows >= cols)
 * with Q of its thin QR decomposition. Modified Gram-Schmidt with a second
 * pass gives R a positive diagonal, which is the sign convention Keras applies.
 */
function orthonormalizeColumns(q: Float64Array, rows: number, cols: number): void {
  for (let j = 0; j < cols; j++) {
    const column = q.subarray(j * rows, (j + 1) * rows);
    for (let pass = 0; pass < 2; pass++) {
      for (let k = 0; k < j; k++) {
        const previous = q.subarray(k * rows, (k + 1) * rows);
        let dot = 0;
        for (let i = 0; i < rows; i++) dot += previous[i]! * column[i]!;
        for (let i = 0; i < rows; i++) column[i]! -= dot * previous[i]!;
      }
    }
    let norm = 0;
    for (let i = 0; i < rows; i++) norm += column[i]! * column[i]!;
    norm = Math.sqrt(norm);
    for (let i = 0; i < rows; i++) column[i] = norm === 0 ? 0 : column[i]! / norm;
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
  orthogonal: () => new Orthogonal(),
  Orthogonal: () => new Orthogonal(),
  random_uniform: () => new RandomUniform(),
  uniform: () => new RandomUniform(),
  RandomUniform: () => new RandomUniform(),
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
  const options: unknown = config === null || typeof config !== "object" ? undefined : config.config;
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw new ValueError(
      `Invalid serialized initializer ${JSON.stringify(config)?.slice(0, 200)}: expected a name such as "glorot_uniform" or { class_name, config } with an object config.`,
    );
  }
  if (config.class_name === "GlorotUniform") return new GlorotUniform({ seed: (config.config["seed"] as number | null) ?? null });
  const distribution = distributionFromConfig(config.class_name, config.config);
  if (distribution !== null) return distribution;
  if (config.class_name === "Orthogonal") {
    const { seed = null, gain = 1.0 } = config.config as { seed?: number | null; gain?: number };
    return new Orthogonal({ seed, gain });
  }
  if (config.class_name === "RandomUniform") {
    const { seed = null, minval = -0.05, maxval = 0.05 } = config.config as { seed?: number | null; minval?: number; maxval?: number };
    return new RandomUniform({ seed, minval, maxval });
  }
  return get(config.class_name);
}
