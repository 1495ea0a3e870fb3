/**
 * The training configuration in files: Keras 3's `compile_config` and the
 * legacy HDF5 `training_config`, to and from `model.compile` arguments.
 */

import { ValueError } from "../errors.js";
import * as losses from "../losses/index.js";
import * as metrics from "../metrics/index.js";
import type { CompileOptions, Model } from "../models/model.js";
import type { LossSpec, LossWeightsSpec, MetricsSpec } from "../models/compile.js";
import { isPlainRecord } from "../models/functional.js";
import * as optimizers from "../optimizers/index.js";
import { ignoringUnknownConfigKeys } from "../utils/suggest.js";

type Json = Record<string, unknown>;

function unsupported(detail: string): ValueError {
  return new ValueError(detail);
}

/** Keras 2 optimizer keys that Keras 3 renamed or dropped. */
function keras3OptimizerConfig(config: Json): Json {
  const result: Json = {};
  for (const [key, value] of Object.entries(config)) {
    if (key === "lr") result["learning_rate"] = value;
    else if (key === "decay") {
      if (value !== 0 && value !== null) throw unsupported(`the Keras 2 learning-rate decay ${JSON.stringify(value)} is not supported`);
    } else if (key !== "is_legacy_optimizer" && key !== "jit_compile") {
      // tf.keras 2.11+ markers: Stratum has only one optimizer kind and no XLA compilation.
      result[key] = value;
    }
  }
  return result;
}

function optimizerFromConfig(value: unknown, dropped: string[]): optimizers.Optimizer {
  if (typeof value === "string") return optimizers.get(value);
  if (!isPlainRecord(value) || typeof value["class_name"] !== "string" || !isPlainRecord(value["config"])) {
    throw unsupported(`the optimizer entry ${JSON.stringify(value)?.slice(0, 100)} is not a Keras optimizer config`);
  }
  // tf.keras 2.11 to 2.15 wrote their new optimizers under registered names such as "Custom>Adam".
  const className = value["class_name"].replace(/^Custom>/, "");
  const serialized = { class_name: className, config: keras3OptimizerConfig(value["config"]) };
  // A first pass finds the keys that this version does not know, then the optimizer is built without them.
  const unknown: string[] = [];
  try {
    ignoringUnknownConfigKeys(
      (key) => unknown.push(key),
      () => optimizers.deserialize(serialized),
    );
  } catch (error) {
    if (unknown.length === 0) throw error;
  }
  for (const key of unknown) {
    dropped.push(`${className}.${key}`);
    delete serialized.config[key];
  }
  return optimizers.deserialize(serialized);
}

/**
 * Resolves a saved loss: a name, Keras's `{"class_name": "function"}` form
 * of a built-in loss function, or a serialized loss class. Keras 2's
 * reduction "auto" meant what Keras 3 calls "sum_over_batch_size".
 */
function lossFromConfig(value: unknown): losses.LossIdentifier {
  if (typeof value === "string") {
    losses.get(value);
    return value;
  }
  if (isPlainRecord(value) && value["class_name"] === "function" && typeof value["config"] === "string") return lossFromConfig(value["config"]);
  if (!isPlainRecord(value) || typeof value["class_name"] !== "string") {
    throw unsupported(`the loss entry ${JSON.stringify(value)?.slice(0, 100)} is not a Keras loss`);
  }
  const config = { ...(isPlainRecord(value["config"]) ? value["config"] : {}) };
  if (config["reduction"] === "auto") config["reduction"] = "sum_over_batch_size";
  const serialized: losses.SerializedLoss = { module: "keras.losses", class_name: value["class_name"], config, registered_name: null };
  losses.get(serialized);
  return serialized;
}

/**
 * Resolves a saved metric: a name, a serialized metric class, or Keras 2's
 * `MeanMetricWrapper` around a metric function, which becomes that function's name.
 */
function metricFromConfig(value: unknown): metrics.MetricIdentifier {
  if (typeof value === "string") {
    metrics.validate(value);
    return value;
  }
  if (isPlainRecord(value) && typeof value["class_name"] === "string" && isPlainRecord(value["config"])) {
    const config = value["config"];
    if (value["class_name"] === "MeanMetricWrapper") return metricFromConfig(config["fn"] ?? config["name"]);
    const serialized: metrics.MetricConfig = { class_name: value["class_name"], config };
    metrics.deserialize(serialized);
    return serialized;
  }
  throw unsupported(`the metric entry ${JSON.stringify(value)?.slice(0, 100)} is not supported`);
}

/** Reads `metrics` or `weighted_metrics`: a list, one list (or null) per output, or a record by output name. */
function metricsFromConfig(value: unknown): MetricsSpec | undefined {
  if (value === null || value === undefined) return undefined;
  const entry = (item: unknown) => (item === null ? null : Array.isArray(item) ? item.map(metricFromConfig) : metricFromConfig(item));
  if (isPlainRecord(value) && !("class_name" in value)) {
    return Object.fromEntries(Object.entries(value).map(([name, item]) => [name, entry(item)])) as MetricsSpec;
  }
  if (!Array.isArray(value)) return [metricFromConfig(value)];
  // Keras 2 wrote one list per output, so a single-output model has a list of one list.
  const flat = value.length === 1 && Array.isArray(value[0]) ? (value[0] as unknown[]) : value;
  if (flat.some((item) => item === null || Array.isArray(item))) return flat.map(entry) as MetricsSpec;
  return flat.map(metricFromConfig);
}

/**
 * Turns a Keras 3 `compile_config` or a legacy `training_config` into
 * `compile` options. Returns null for a config without a loss (an
 * uncompiled model) and throws a ValueError naming the part Stratum cannot rebuild.
 * Optimizer config keys that Stratum does not know are added to `dropped`.
 */
export function compileOptionsFromConfig(config: unknown, dropped: string[] = []): CompileOptions | null {
  if (!isPlainRecord(config) || Object.keys(config).length === 0) return null;
  const loss = config["loss"];
  if (loss === undefined || loss === null) return null;
  // Keras's compile defaults to RMSprop, and its compile config then has no optimizer entry.
  const optimizerEntry = config["optimizer"] ?? config["optimizer_config"] ?? "rmsprop";
  let lossSpec: LossSpec;
  if (Array.isArray(loss)) lossSpec = loss.map((l) => (l === null ? null : lossFromConfig(l)));
  else if (isPlainRecord(loss) && !("class_name" in loss)) {
    lossSpec = Object.fromEntries(Object.entries(loss).map(([k, l]) => [k, l === null ? null : lossFromConfig(l)]));
  } else lossSpec = lossFromConfig(loss);
  const lossWeights = config["loss_weights"];
  const options: CompileOptions = { optimizer: optimizerFromConfig(optimizerEntry, dropped), loss: lossSpec };
  if (Array.isArray(lossWeights) || isPlainRecord(lossWeights)) options.lossWeights = lossWeights as LossWeightsSpec;
  const metricsSpec = metricsFromConfig(config["metrics"]);
  if (metricsSpec !== undefined) options.metrics = metricsSpec;
  const weightedSpec = metricsFromConfig(config["weighted_metrics"]);
  if (weightedSpec !== undefined) options.weightedMetrics = weightedSpec;
  return options;
}

/** The compile arguments of a model. */
interface CompiledArguments {
  optimizer: optimizers.Optimizer;
  loss: LossSpec;
  lossWeights?: LossWeightsSpec | undefined;
  metrics?: MetricsSpec | undefined;
  weightedMetrics?: MetricsSpec | undefined;
}

/** Reads the arguments `model` was compiled with, or null. */
function compiledArguments(model: Model): CompiledArguments | null {
  return model.compileArguments;
}

function serializeLoss(loss: losses.LossIdentifier | null): unknown {
  if (loss === null || typeof loss === "string") return loss;
  if (loss instanceof losses.Loss) return losses.serialize(loss);
  return { module: "keras.losses", ...loss, registered_name: loss.registered_name ?? null };
}

function serializeMetric(metric: metrics.MetricIdentifier | metrics.MetricIdentifier[] | null): unknown {
  if (metric === null || typeof metric === "string") return metric;
  if (Array.isArray(metric)) return metric.map(serializeMetric);
  const serialized = metric instanceof metrics.Metric ? metrics.serialize(metric) : metric;
  return { module: "keras.metrics", class_name: serialized.class_name, config: serialized.config, registered_name: null };
}

/** Returns the model's Keras 3 `compile_config`: `{}` when it is not compiled. */
export function compileConfigOf(model: Model): Record<string, unknown> {
  const compiled = compiledArguments(model);
  if (!compiled) return {};
  const { optimizer, loss, lossWeights } = compiled;
  let serializedLoss: unknown;
  if (typeof loss === "string" || loss instanceof losses.Loss || "class_name" in loss) serializedLoss = serializeLoss(loss as losses.LossIdentifier);
  else if (Array.isArray(loss)) serializedLoss = loss.map(serializeLoss);
  else serializedLoss = Object.fromEntries(Object.entries(loss as Record<string, losses.LossIdentifier | null>).map(([k, l]) => [k, serializeLoss(l)]));
  const serializeMetrics = (metricsSpec: MetricsSpec | undefined): unknown => {
    if (Array.isArray(metricsSpec)) return metricsSpec.map((m) => serializeMetric(m as metrics.MetricIdentifier));
    if (isPlainRecord(metricsSpec)) {
      return Object.fromEntries(Object.entries(metricsSpec).map(([k, m]) => [k, serializeMetric(m as metrics.MetricIdentifier)]));
    }
    return null;
  };
  const serializedMetrics = serializeMetrics(compiled.metrics);
  return {
    optimizer: { module: "keras.optimizers", class_name: optimizer.className, config: optimizer.getConfig(), registered_name: null },
    loss: serializedLoss,
    loss_weights: lossWeights ?? null,
    metrics: serializedMetrics,
    weighted_metrics: serializeMetrics(compiled.weightedMetrics),
    run_eagerly: false,
    steps_per_execution: 1,
    // Keras 3.15.1 on JAX saves its default jit_compile="auto" resolved to true (observed).
    jit_compile: true,
  };
}
