/**
 * Keras 3.15.1's losses as classes, by name and as functions. A loss maps
 * labels and predictions to one value per sample, then reduces them (the
 * default "sum_over_batch_size" divides the weighted sum by the number of
 * values). Identifiers are exactly those `keras.losses.get` accepts, except
 * "ctc" and "circle", which are not implemented.
 */

import { ValueError, formatChoices } from "../errors.js";
import type { Tensor } from "../tensor/tensor.js";
import { didYouMean } from "../utils/suggest.js";
import {
  BinaryCrossentropy,
  BinaryFocalCrossentropy,
  type BinaryFocalCrossentropyOptions,
  CategoricalCrossentropy,
  CategoricalFocalCrossentropy,
  type CategoricalFocalCrossentropyOptions,
  type CrossentropyOptions,
  SparseCategoricalCrossentropy,
  type SparseCategoricalCrossentropyOptions,
} from "./crossentropy.js";
import { Loss } from "./loss.js";
import {
  CategoricalHinge,
  CosineSimilarity,
  type CosineSimilarityOptions,
  Dice,
  type DiceOptions,
  Hinge,
  Huber,
  type HuberOptions,
  KLDivergence,
  LogCosh,
  MeanAbsoluteError,
  MeanAbsolutePercentageError,
  MeanSquaredError,
  MeanSquaredLogarithmicError,
  Poisson,
  SquaredHinge,
  Tversky,
  type TverskyOptions,
} from "./regression.js";

export { EPSILON, Loss, type LossOptions, type MaskedValues, type Reduction, alignRanks, reduceWeighted } from "./loss.js";
export * from "./crossentropy.js";
export * from "./regression.js";

type LossClass = new (options?: Record<string, unknown>) => Loss;

const CLASSES: Record<string, LossClass> = {
  BinaryCrossentropy,
  BinaryFocalCrossentropy,
  CategoricalCrossentropy,
  CategoricalFocalCrossentropy,
  CategoricalHinge,
  CosineSimilarity,
  Dice,
  Hinge,
  Huber,
  KLDivergence,
  LogCosh,
  MeanAbsoluteError,
  MeanAbsolutePercentageError,
  MeanSquaredError,
  MeanSquaredLogarithmicError,
  Poisson,
  SparseCategoricalCrossentropy,
  SquaredHinge,
  Tversky,
} as unknown as Record<string, LossClass>;

/** Keras's other identifiers: function names and their aliases, each naming a class. */
const ALIASES: Record<string, string> = {
  BCE: "BinaryCrossentropy",
  bce: "BinaryCrossentropy",
  binary_crossentropy: "BinaryCrossentropy",
  binary_focal_crossentropy: "BinaryFocalCrossentropy",
  categorical_crossentropy: "CategoricalCrossentropy",
  categorical_focal_crossentropy: "CategoricalFocalCrossentropy",
  categorical_hinge: "CategoricalHinge",
  cosine_similarity: "CosineSimilarity",
  dice: "Dice",
  hinge: "Hinge",
  huber: "Huber",
  KLD: "KLDivergence",
  kld: "KLDivergence",
  kl_divergence: "KLDivergence",
  log_cosh: "LogCosh",
  MAE: "MeanAbsoluteError",
  mae: "MeanAbsoluteError",
  mean_absolute_error: "MeanAbsoluteError",
  MAPE: "MeanAbsolutePercentageError",
  mape: "MeanAbsolutePercentageError",
  mean_absolute_percentage_error: "MeanAbsolutePercentageError",
  MSE: "MeanSquaredError",
  mse: "MeanSquaredError",
  mean_squared_error: "MeanSquaredError",
  MSLE: "MeanSquaredLogarithmicError",
  msle: "MeanSquaredLogarithmicError",
  mean_squared_logarithmic_error: "MeanSquaredLogarithmicError",
  poisson: "Poisson",
  sparse_categorical_crossentropy: "SparseCategoricalCrossentropy",
  squared_hinge: "SquaredHinge",
  tversky: "Tversky",
};

const IDENTIFIERS = [...Object.keys(CLASSES), ...Object.keys(ALIASES)].sort();

export interface SerializedLoss {
  module?: string;
  class_name: string;
  config: Record<string, unknown>;
  registered_name?: string | null;
}

export type LossIdentifier = string | Loss | SerializedLoss;

/** Config keys in Keras's snake_case mapped to option names. */
function optionsFromConfig(config: Record<string, unknown>): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    if (key === "dtype") continue;
    options[key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())] = value;
  }
  return options;
}

/** Rebuilds a loss from its serialized form, `{ class_name, config }`. */
export function deserialize(serialized: SerializedLoss): Loss {
  const LossType = CLASSES[serialized.class_name];
  if (!LossType) {
    throw new ValueError(
      `Unknown loss class ${JSON.stringify(serialized.class_name)}.${didYouMean(serialized.class_name, Object.keys(CLASSES))} Valid classes: ${formatChoices(Object.keys(CLASSES))}.`,
    );
  }
  return new LossType(optionsFromConfig(serialized.config ?? {}));
}

/** Returns `{ module, class_name, config, registered_name }` for a loss, as Keras saves it. */
export function serialize(loss: Loss): SerializedLoss {
  return { module: "keras.losses", class_name: loss.className, config: loss.getConfig(), registered_name: null };
}

/**
 * Resolves a loss identifier: a Keras class name (which keeps the class's
 * default name), a function name or alias (the loss is named after the
 * string, as Keras names logs after what the user passed), a serialized
 * loss, or a Loss object.
 */
export function get(identifier: LossIdentifier): Loss {
  if (identifier instanceof Loss) return identifier;
  if (typeof identifier === "object" && identifier !== null && typeof identifier.class_name === "string") return deserialize(identifier);
  if (typeof identifier === "string") {
    const ClassByName = CLASSES[identifier];
    if (ClassByName) return new ClassByName();
    const aliased = ALIASES[identifier];
    if (aliased) return new CLASSES[aliased]!({ name: identifier });
  }
  throw new ValueError(`Unknown loss ${JSON.stringify(identifier)}.${didYouMean(identifier, IDENTIFIERS)} Valid losses: ${formatChoices(IDENTIFIERS)}.`);
}

type Functional<Options> = (yTrue: Tensor, yPred: Tensor, options?: Options) => Tensor;

function functional<Options>(LossType: new (options?: Options) => Loss): Functional<Options> {
  return (yTrue, yPred, options) => new LossType(options).perSample(yTrue, yPred);
}

// Functional forms, as keras.losses.<name>(y_true, y_pred, ...): per-sample values, no reduction.
export const categoricalCrossentropy = functional<Omit<CrossentropyOptions, "name" | "reduction">>(CategoricalCrossentropy);
export const sparseCategoricalCrossentropy = functional<Omit<SparseCategoricalCrossentropyOptions, "name" | "reduction">>(
  SparseCategoricalCrossentropy,
);
export const binaryCrossentropy = functional<Omit<CrossentropyOptions, "name" | "reduction">>(BinaryCrossentropy);
export const binaryFocalCrossentropy = functional<Omit<BinaryFocalCrossentropyOptions, "name" | "reduction">>(BinaryFocalCrossentropy);
export const categoricalFocalCrossentropy = functional<Omit<CategoricalFocalCrossentropyOptions, "name" | "reduction">>(
  CategoricalFocalCrossentropy,
);
export const meanSquaredError = functional<never>(MeanSquaredError);
export const meanAbsoluteError = functional<never>(MeanAbsoluteError);
export const meanAbsolutePercentageError = functional<never>(MeanAbsolutePercentageError);
export const meanSquaredLogarithmicError = functional<never>(MeanSquaredLogarithmicError);
export const huber = functional<Omit<HuberOptions, "name" | "reduction">>(Huber);
export const logCosh = functional<never>(LogCosh);
export const klDivergence = functional<never>(KLDivergence);
export const poisson = functional<never>(Poisson);
export const hinge = functional<never>(Hinge);
export const squaredHinge = functional<never>(SquaredHinge);
export const categoricalHinge = functional<never>(CategoricalHinge);
export const cosineSimilarity = functional<Omit<CosineSimilarityOptions, "name" | "reduction">>(CosineSimilarity);
export const dice = functional<Omit<DiceOptions, "name" | "reduction">>(Dice);
export const tversky = functional<Omit<TverskyOptions, "name" | "reduction">>(Tversky);
