/**
 * Keras 3.15.1's activations, by name and as functions. Functions with
 * parameters take them as a second, optional options argument
 * (`elu(x, { alpha: 0.5 })`); by name, every activation uses its defaults.
 */

import { ValueError, formatChoices } from "../errors.js";
import type { ActivationOp, FusedActivation } from "../backend/backend.js";
import * as ops from "../ops/index.js";
import type { Tensor } from "../tensor/tensor.js";
import { checkOptionKeys, didYouMean } from "../utils/suggest.js";

export interface ActivationFunction {
  (x: Tensor): Tensor;
  /** The Keras identifier this function serializes to. */
  readonly activationName: string;
  /** Set when the dense kernels can apply this activation in their epilogue. */
  readonly fused?: FusedActivation;
}

/** An activation that also accepts an options object, as Keras's keyword arguments. */
export type ParameterizedActivation<Options> = ActivationFunction & ((x: Tensor, options?: Options) => Tensor);

function define(name: string, fn: (x: Tensor) => Tensor, fused?: FusedActivation): ActivationFunction {
  return Object.assign((x: Tensor) => fn(x), { activationName: name, fused });
}

function defineWithOptions<Options extends object>(
  name: string,
  keys: readonly (keyof Options & string)[],
  fn: (x: Tensor, options: Options) => Tensor,
): ParameterizedActivation<Options> {
  const call = (x: Tensor, options?: Options): Tensor => {
    const given = options ?? ({} as Options);
    checkOptionKeys(given as Record<string, unknown>, keys, name, (m) => new ValueError(m));
    return fn(x, given);
  };
  return Object.assign(call, { activationName: name, fused: undefined });
}

function elementwise(name: string, op: ActivationOp): ActivationFunction {
  return define(name, (x) => ops.activation(op, x));
}

function requireNumber(value: unknown, name: string, activation: string): number {
  if (typeof value !== "number" || Number.isNaN(value)) {
    throw new ValueError(`Invalid \`${name}\` for ${activation}: expected a number, received ${JSON.stringify(value)}.`);
  }
  return value;
}

function requireAxis(value: unknown, activation: string): number {
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new ValueError(`Invalid \`axis\` for ${activation}: expected an integer, received ${JSON.stringify(value)}.`);
  }
  return value;
}

export const linear = define("linear", (x) => x, "linear");
export const sigmoid = define("sigmoid", ops.sigmoid, "sigmoid");
export const tanh = define("tanh", ops.tanh, "tanh");

export interface ReluOptions {
  /** Slope below the threshold; 0 by default. */
  negativeSlope?: number;
  /** Upper bound of the output, or null (the default) for none. */
  maxValue?: number | null;
  /** Inputs at or below it give 0 (before the negative slope applies); 0 by default. */
  threshold?: number;
}

/** max(x, 0), or with options Keras's full form: thresholded, capped, with a negative slope. */
export const relu: ParameterizedActivation<ReluOptions> = Object.assign(
  (x: Tensor, options: ReluOptions = {}): Tensor => {
    checkOptionKeys(options as Record<string, unknown>, ["negativeSlope", "maxValue", "threshold"], "relu", (m) => new ValueError(m));
    const slope = requireNumber(options.negativeSlope ?? 0, "negativeSlope", "relu");
    const maxValue = options.maxValue ?? null;
    const threshold = requireNumber(options.threshold ?? 0, "threshold", "relu");
    if (maxValue !== null && (requireNumber(maxValue, "maxValue", "relu") < 0)) {
      throw new ValueError(`Invalid \`maxValue\` for relu: expected a number of 0 or more or null, received ${maxValue}.`);
    }
    if (slope === 0 && maxValue === null && threshold === 0) return ops.relu(x);
    return ops.activation("relu_full", x, [slope, maxValue ?? Infinity, threshold]);
  },
  { activationName: "relu", fused: "relu" as FusedActivation },
);

export const leakyRelu = defineWithOptions<{ negativeSlope?: number }>("leaky_relu", ["negativeSlope"], (x, o) =>
  ops.activation("leaky_relu", x, [requireNumber(o.negativeSlope ?? 0.2, "negativeSlope", "leaky_relu")]),
);
export const relu6 = elementwise("relu6", "relu6");
export const elu = defineWithOptions<{ alpha?: number }>("elu", ["alpha"], (x, o) =>
  ops.activation("elu", x, [requireNumber(o.alpha ?? 1, "alpha", "elu")]),
);
/** 1.0507009873554805 · elu(x, 1.6732632423543772). */
export const selu = elementwise("selu", "selu");
export const celu = defineWithOptions<{ alpha?: number }>("celu", ["alpha"], (x, o) => {
  const alpha = requireNumber(o.alpha ?? 1, "alpha", "celu");
  if (alpha === 0) throw new ValueError("Invalid `alpha` for celu: it divides the input, so it must not be 0.");
  return ops.activation("celu", x, [alpha]);
});
export const softplus = elementwise("softplus", "softplus");
export const softsign = elementwise("softsign", "softsign");
/** x · σ(x); `swish` is the same function. */
export const silu = elementwise("silu", "silu");
export const swish = silu;
/** Computes the exact x · Φ(x) by default, as `keras.activations.gelu` does, or the tanh approximation with `approximate: true`. */
export const gelu = defineWithOptions<{ approximate?: boolean }>("gelu", ["approximate"], (x, o) => {
  if (o.approximate !== undefined && typeof o.approximate !== "boolean") {
    throw new ValueError(`Invalid \`approximate\` for gelu: expected a boolean, received ${JSON.stringify(o.approximate)}.`);
  }
  return ops.activation(o.approximate ? "gelu_tanh" : "gelu", x);
});
export const exponential = elementwise("exponential", "exponential");
/** relu6(x + 3) / 6, as Keras 3 defines it (Keras 2 used 0.2 · x + 0.5). */
export const hardSigmoid = elementwise("hard_sigmoid", "hard_sigmoid");
/** x · hard_sigmoid(x); `hardSwish` is the same function. */
export const hardSilu = elementwise("hard_silu", "hard_silu");
export const hardSwish = hardSilu;
export const hardTanh = elementwise("hard_tanh", "hard_tanh");
export const hardShrink = defineWithOptions<{ threshold?: number }>("hard_shrink", ["threshold"], (x, o) =>
  ops.activation("hard_shrink", x, [requireNumber(o.threshold ?? 0.5, "threshold", "hard_shrink")]),
);
export const softShrink = defineWithOptions<{ threshold?: number }>("soft_shrink", ["threshold"], (x, o) =>
  ops.activation("soft_shrink", x, [requireNumber(o.threshold ?? 0.5, "threshold", "soft_shrink")]),
);
export const tanhShrink = elementwise("tanh_shrink", "tanh_shrink");
export const sparsePlus = elementwise("sparse_plus", "sparse_plus");
export const sparseSigmoid = elementwise("sparse_sigmoid", "sparse_sigmoid");
export const squareplus = defineWithOptions<{ b?: number }>("squareplus", ["b"], (x, o) => {
  const b = requireNumber(o.b ?? 4, "b", "squareplus");
  if (b < 0) throw new ValueError(`Invalid \`b\` for squareplus: expected a number of 0 or more, received ${b}.`);
  return ops.activation("squareplus", x, [b]);
});
export const mish = elementwise("mish", "mish");
export const logSigmoid = elementwise("log_sigmoid", "log_sigmoid");

export interface ThresholdOptions {
  threshold: number;
  defaultValue: number;
}

/** x where x > threshold, else defaultValue. Both options are required, as in Keras. */
export const threshold: ParameterizedActivation<ThresholdOptions> = defineWithOptions<ThresholdOptions>(
  "threshold",
  ["threshold", "defaultValue"],
  (x, o) => {
    if (o.threshold === undefined || o.defaultValue === undefined) {
      throw new ValueError("threshold needs both `threshold` and `defaultValue`: call it as threshold(x, { threshold, defaultValue }).");
    }
    return ops.activation("threshold", x, [requireNumber(o.threshold, "threshold", "threshold"), requireNumber(o.defaultValue, "defaultValue", "threshold")]);
  },
);

/** Softmax along `axis` (the last one by default), stable for large inputs. */
export const softmax = defineWithOptions<{ axis?: number }>("softmax", ["axis"], (x, o) =>
  o.axis === undefined ? ops.softmax(x) : ops.softmaxAlong(x, requireAxis(o.axis, "softmax")),
);
export const logSoftmax = defineWithOptions<{ axis?: number }>("log_softmax", ["axis"], (x, o) =>
  ops.logSoftmax(x, requireAxis(o.axis ?? -1, "log_softmax")),
);
export const sparsemax = defineWithOptions<{ axis?: number }>("sparsemax", ["axis"], (x, o) =>
  ops.sparsemax(x, requireAxis(o.axis ?? -1, "sparsemax")),
);
/** Splits `axis` (of even size) into halves a and b and returns a · σ(b). */
export const glu = defineWithOptions<{ axis?: number }>("glu", ["axis"], (x, o) => ops.glu(x, requireAxis(o.axis ?? -1, "glu")));

/** Every identifier Keras 3.15.1 accepts, aliases included. */
const registry = new Map<string, ActivationFunction>([
  ["celu", celu],
  ["elu", elu],
  ["exponential", exponential],
  ["gelu", gelu],
  ["glu", glu],
  ["hard_shrink", hardShrink],
  ["hard_sigmoid", hardSigmoid],
  ["hard_silu", hardSilu],
  ["hard_swish", hardSilu],
  ["hard_tanh", hardTanh],
  ["leaky_relu", leakyRelu],
  ["linear", linear],
  ["log_sigmoid", logSigmoid],
  ["log_softmax", logSoftmax],
  ["mish", mish],
  ["relu", relu],
  ["relu6", relu6],
  ["selu", selu],
  ["sigmoid", sigmoid],
  ["silu", silu],
  ["soft_shrink", softShrink],
  ["softmax", softmax],
  ["softplus", softplus],
  ["softsign", softsign],
  ["sparse_plus", sparsePlus],
  ["sparse_sigmoid", sparseSigmoid],
  ["sparsemax", sparsemax],
  ["squareplus", squareplus],
  ["swish", silu],
  ["tanh", tanh],
  ["tanh_shrink", tanhShrink],
  ["threshold", threshold],
]);

export type ActivationIdentifier = string | ActivationFunction | null | undefined;

/** Resolves an activation name or function; null and undefined mean linear, as in Keras. */
export function get(identifier: ActivationIdentifier, argument = "activation"): ActivationFunction {
  if (identifier === null || identifier === undefined) return linear;
  if (typeof identifier === "function") return identifier;
  if (typeof identifier !== "string") {
    throw new ValueError(`Invalid \`${argument}\`: expected an activation name or function, received ${typeof identifier}.`);
  }
  const found = registry.get(identifier);
  if (!found) {
    throw new ValueError(
      `Unknown activation "${identifier}" for \`${argument}\`.${didYouMean(identifier, [...registry.keys()])} Valid activations: ${formatChoices([...registry.keys()])}.`,
    );
  }
  return found;
}

/** Returns the Keras identifier of an activation, as it appears in `getConfig()` (aliases give the canonical name). */
export function serialize(fn: ActivationFunction): string {
  return fn.activationName;
}

/** Resolves a serialized activation name; the inverse of `serialize`. */
export function deserialize(name: string): ActivationFunction {
  return get(name);
}
