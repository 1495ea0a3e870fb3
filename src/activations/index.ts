/** Keras activations by name: relu, sigmoid, softmax (last axis), tanh and linear. */

import { ValueError, formatChoices } from "../errors.js";
import type { FusedActivation } from "../backend/backend.js";
import * as ops from "../ops/index.js";
import type { Tensor } from "../tensor/tensor.js";
import { didYouMean } from "../utils/suggest.js";

export interface ActivationFunction {
  (x: Tensor): Tensor;
  /** The Keras identifier this function serializes to. */
  readonly activationName: string;
  /** Set when the dense kernels can apply this activation in their epilogue. */
  readonly fused?: FusedActivation;
}

function define(name: string, fn: (x: Tensor) => Tensor, fused?: FusedActivation): ActivationFunction {
  return Object.assign((x: Tensor) => fn(x), { activationName: name, fused });
}

export const linear = define("linear", (x) => x, "linear");
export const relu = define("relu", ops.relu, "relu");
export const sigmoid = define("sigmoid", ops.sigmoid, "sigmoid");
export const tanh = define("tanh", ops.tanh, "tanh");
export const softmax = define("softmax", ops.softmax);

const registry = new Map<string, ActivationFunction>([
  ["linear", linear],
  ["relu", relu],
  ["sigmoid", sigmoid],
  ["tanh", tanh],
  ["softmax", softmax],
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

/** Returns the Keras identifier of an activation, as it appears in `getConfig()`. */
export function serialize(fn: ActivationFunction): string {
  return fn.activationName;
}
