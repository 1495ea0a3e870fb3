/**
 * Stateful metrics: each accumulates over batches with `updateState` and
 * reports with `result`; `resetState` starts over (fit does so every epoch).
 * This module also resolves metric identifiers (strings and configs) the
 * way Keras 3.15.1's `compile` does.
 */

import { ValueError, formatChoices } from "../errors.js";
import { didYouMean } from "../utils/suggest.js";
import {
  Accuracy,
  BinaryAccuracy,
  CategoricalAccuracy,
  SparseCategoricalAccuracy,
  SparseTopKCategoricalAccuracy,
  TopKCategoricalAccuracy,
  resolveAccuracy,
} from "./accuracy.js";
import { AUC } from "./auc.js";
import {
  FalseNegatives,
  FalsePositives,
  Precision,
  PrecisionAtRecall,
  Recall,
  RecallAtPrecision,
  SensitivityAtSpecificity,
  SpecificityAtSensitivity,
  TrueNegatives,
  TruePositives,
} from "./confusion.js";
import { F1Score, FBetaScore } from "./f-score.js";
import { BinaryIoU, IoU, MeanIoU, OneHotIoU, OneHotMeanIoU } from "./iou.js";
import { type MetricInput, type MetricValue, Metric } from "./metric.js";
import {
  BinaryCrossentropy,
  CategoricalCrossentropy,
  CategoricalHinge,
  Hinge,
  KLDivergence,
  Poisson,
  SparseCategoricalCrossentropy,
  SquaredHinge,
} from "./probabilistic.js";
import { Mean, Sum } from "./reduction.js";
import {
  CosineSimilarity,
  LogCoshError,
  MeanAbsoluteError,
  MeanAbsolutePercentageError,
  MeanSquaredError,
  MeanSquaredLogarithmicError,
  R2Score,
  RootMeanSquaredError,
} from "./regression.js";

export * from "./accuracy.js";
export * from "./auc.js";
export * from "./confusion.js";
export * from "./f-score.js";
export * from "./iou.js";
export { EPSILON, Metric, type BaseMetricOptions, type MetricDirection, type MetricInput, type MetricValue } from "./metric.js";
export * from "./probabilistic.js";
export * from "./reduction.js";
export * from "./regression.js";

/** Builds a metric from camelCase constructor options. */
type MetricFactory = (options: Record<string, unknown>) => Metric<MetricValue>;

function factory<Options>(make: new (options: Options) => Metric<MetricValue>): MetricFactory {
  return (options) => new make(options as Options);
}

/** Every metric class by its Keras class name. */
const METRIC_CLASSES: Record<string, MetricFactory> = {
  Mean: factory(Mean),
  Sum: factory(Sum),
  MeanSquaredError: factory(MeanSquaredError),
  RootMeanSquaredError: factory(RootMeanSquaredError),
  MeanAbsoluteError: factory(MeanAbsoluteError),
  MeanAbsolutePercentageError: factory(MeanAbsolutePercentageError),
  MeanSquaredLogarithmicError: factory(MeanSquaredLogarithmicError),
  CosineSimilarity: factory(CosineSimilarity),
  LogCoshError: factory(LogCoshError),
  R2Score: factory(R2Score),
  AUC: factory(AUC),
  FalseNegatives: factory(FalseNegatives),
  FalsePositives: factory(FalsePositives),
  Precision: factory(Precision),
  PrecisionAtRecall: factory(PrecisionAtRecall),
  Recall: factory(Recall),
  RecallAtPrecision: factory(RecallAtPrecision),
  SensitivityAtSpecificity: factory(SensitivityAtSpecificity),
  SpecificityAtSensitivity: factory(SpecificityAtSensitivity),
  TrueNegatives: factory(TrueNegatives),
  TruePositives: factory(TruePositives),
  Hinge: factory(Hinge),
  SquaredHinge: factory(SquaredHinge),
  CategoricalHinge: factory(CategoricalHinge),
  KLDivergence: factory(KLDivergence),
  Poisson: factory(Poisson),
  BinaryCrossentropy: factory(BinaryCrossentropy),
  CategoricalCrossentropy: factory(CategoricalCrossentropy),
  SparseCategoricalCrossentropy: factory(SparseCategoricalCrossentropy),
  Accuracy: factory(Accuracy),
  BinaryAccuracy: factory(BinaryAccuracy),
  CategoricalAccuracy: factory(CategoricalAccuracy),
  SparseCategoricalAccuracy: factory(SparseCategoricalAccuracy),
  TopKCategoricalAccuracy: factory(TopKCategoricalAccuracy),
  SparseTopKCategoricalAccuracy: factory(SparseTopKCategoricalAccuracy),
  F1Score: factory(F1Score),
  FBetaScore: factory(FBetaScore),
  IoU: factory(IoU),
  BinaryIoU: factory(BinaryIoU),
  MeanIoU: factory(MeanIoU),
  OneHotIoU: factory(OneHotIoU),
  OneHotMeanIoU: factory(OneHotMeanIoU),
};

/** Converts a class name to snake_case as Keras's `to_snake_case` does ("MeanIoU" to "mean_io_u", "AUC" to "auc"). */
function toSnakeCase(name: string): string {
  const spaced = name.replace(/(.)([A-Z][a-z]+)/g, "$1_$2");
  return spaced.replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase();
}

/**
 * String identifiers as Keras's `metrics.get` resolves them: each class name,
 * its snake_case form, and the abbreviations Keras adds.
 */
const METRIC_NAMES: Record<string, string> = (() => {
  const names: Record<string, string> = {};
  for (const className of Object.keys(METRIC_CLASSES)) {
    names[className] = className;
    names[toSnakeCase(className)] = className;
  }
  const abbreviations: Record<string, string> = {
    bce: "BinaryCrossentropy",
    mse: "MeanSquaredError",
    mae: "MeanAbsoluteError",
    mape: "MeanAbsolutePercentageError",
    msle: "MeanSquaredLogarithmicError",
  };
  for (const [short, className] of Object.entries(abbreviations)) {
    names[short] = className;
    names[short.toUpperCase()] = className;
  }
  return names;
})();

/** Classes without defaults for some option, which a string alone cannot build. */
const NEEDS_OPTIONS: Record<string, string> = {
  IoU: "numClasses and targetClassIds",
  MeanIoU: "numClasses",
  OneHotIoU: "numClasses and targetClassIds",
  OneHotMeanIoU: "numClasses",
  PrecisionAtRecall: "recall",
  RecallAtPrecision: "precision",
  SensitivityAtSpecificity: "specificity",
  SpecificityAtSensitivity: "sensitivity",
};

export const ACCURACY_ALIASES = ["accuracy", "acc"];

/** A metric's serialized form, as Keras writes it. */
export interface MetricConfig {
  class_name: string;
  config: Record<string, unknown>;
}

export type MetricIdentifier = string | Metric<MetricValue> | MetricConfig;

function isMetricConfig(identifier: unknown): identifier is MetricConfig {
  return typeof identifier === "object" && identifier !== null && "class_name" in identifier;
}

function unknownMetric(identifier: unknown): ValueError {
  // Class names and upper-case abbreviations resolve too; the message lists the snake_case forms only.
  const valid = [...ACCURACY_ALIASES, ...Object.keys(METRIC_NAMES).filter((n) => n === n.toLowerCase() && !NEEDS_OPTIONS[METRIC_NAMES[n]!])];
  return new ValueError(
    `Unknown metric ${JSON.stringify(identifier)}.${didYouMean(identifier, valid)} Valid metrics: ${formatChoices(valid)}.`,
  );
}

/** Checks a metric identifier; "accuracy" and "acc" are resolved later, from the data's shapes. */
export function validate(identifier: MetricIdentifier): void {
  if (identifier instanceof Metric) return;
  if (isMetricConfig(identifier)) {
    if (!(identifier.class_name in METRIC_CLASSES)) throw unknownMetric(identifier.class_name);
    return;
  }
  if (typeof identifier !== "string") throw unknownMetric(identifier);
  if (ACCURACY_ALIASES.includes(identifier.toLowerCase())) return;
  const className = METRIC_NAMES[identifier];
  if (className === undefined) throw unknownMetric(identifier);
  if (NEEDS_OPTIONS[className]) {
    throw new ValueError(
      `The metric ${JSON.stringify(identifier)} needs the option(s) ${NEEDS_OPTIONS[className]}, so it cannot be named by a string: pass an instance such as new metrics.${className}({ ... }).`,
    );
  }
}

/**
 * Resolves a metric identifier into a metric object, given the first
 * batch's labels and predictions. A string builds a fresh metric that keeps
 * the string as its name, as Keras's `compile` does ("mae" logs as "mae").
 * NOTE: metrics whose result is a list (several thresholds, F1Score without
 * `average`) return arrays, which the model's number-valued logs do not declare.
 */
export function get(identifier: MetricIdentifier, yTrue: MetricInput, yPred: MetricInput): Metric {
  validate(identifier);
  if (identifier instanceof Metric) return identifier as Metric;
  if (isMetricConfig(identifier)) return deserialize(identifier) as Metric;
  if (ACCURACY_ALIASES.includes(identifier.toLowerCase())) return resolveAccuracy(identifier, yTrue, yPred);
  return METRIC_CLASSES[METRIC_NAMES[identifier]!]!({ name: identifier }) as Metric;
}

function toCamelCase(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());
}

/** Builds a metric from its Keras config (snake_case keys); unknown keys throw with the nearest valid name. */
export function fromConfig(className: string, config: Record<string, unknown>): Metric<MetricValue> {
  const make = METRIC_CLASSES[className];
  if (!make) throw unknownMetric(className);
  const options: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) options[toCamelCase(key)] = value;
  return make(options);
}

/** Builds a metric from `{ class_name, config }`, the form `serialize` writes. */
export function deserialize(serialized: MetricConfig): Metric<MetricValue> {
  return fromConfig(serialized.class_name, serialized.config ?? {});
}

/** Returns `{ class_name, config }` for a metric. */
export function serialize(metric: Metric<MetricValue>): MetricConfig {
  return { class_name: metric.className, config: metric.getConfig() };
}

/** Every Keras class name that `fromConfig` accepts. */
export const METRIC_CLASS_NAMES: readonly string[] = Object.keys(METRIC_CLASSES);

/** Every string identifier that resolves to a metric class, with the class it names. */
export const METRIC_STRING_NAMES: Readonly<Record<string, string>> = METRIC_NAMES;

