import { ValueError, formatChoices } from "../errors.js";
import { Adam } from "./adam.js";
import { Optimizer } from "./optimizer.js";
import { SGD } from "./sgd.js";
import { didYouMean } from "../utils/suggest.js";

export { Adam, type AdamOptions } from "./adam.js";
export { Optimizer, type OptimizerOptions } from "./optimizer.js";
export { SGD, type SGDOptions } from "./sgd.js";

const optimizerNames: Record<string, () => Optimizer> = {
  adam: () => new Adam(),
  sgd: () => new SGD(),
};

export type OptimizerIdentifier = string | Optimizer;

/** Resolves an optimizer by Keras name (case-insensitive, so "Adam" and "adam" both work) or object. */
export function get(identifier: OptimizerIdentifier): Optimizer {
  if (identifier instanceof Optimizer) return identifier;
  const make = typeof identifier === "string" ? optimizerNames[identifier.toLowerCase()] : undefined;
  if (!make) {
    throw new ValueError(`Unknown optimizer ${JSON.stringify(identifier)}.${didYouMean(identifier, Object.keys(optimizerNames))} Valid optimizers: ${formatChoices(Object.keys(optimizerNames))}.`);
  }
  return make();
}
