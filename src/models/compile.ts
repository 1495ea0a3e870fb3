/**
 * Resolves `compile`'s loss, loss weights and metrics against a model's
 * outputs: one loss, weight and metric list per output, as Keras 3 does.
 */

import { ValueError, formatChoices } from "../errors.js";
import * as losses from "../losses/index.js";
import * as metrics from "../metrics/index.js";
import { didYouMean } from "../utils/suggest.js";
import { isPlainRecord } from "./functional.js";

/** One loss for every output, one per output in order (null for none), or a record by output name. */
export type LossSpec = losses.LossIdentifier | (losses.LossIdentifier | null)[] | Record<string, losses.LossIdentifier | null>;

/** One weight per output in order, or a record by output name (missing names weigh 1). */
export type LossWeightsSpec = number[] | Record<string, number>;

/**
 * For one output, a list of metrics. For several outputs: a list with one
 * list (or null) per output, a list with one metric per output, or a record
 * by output name.
 */
export type MetricsSpec =
  | metrics.MetricIdentifier[]
  | (metrics.MetricIdentifier[] | metrics.MetricIdentifier | null)[]
  | Record<string, metrics.MetricIdentifier | metrics.MetricIdentifier[] | null>;

/** The loss, loss weight and metrics of one output. */
export interface OutputTarget {
  name: string;
  loss: losses.Loss | null;
  weight: number;
  metricIdentifiers: metrics.MetricIdentifier[];
  /** Metrics that take the sample and class weights into account. */
  weightedMetricIdentifiers: metrics.MetricIdentifier[];
}

/** True for a loss name, a Loss object or a serialized loss `{ class_name, config }`. */
function isLossIdentifier(value: unknown): value is losses.LossIdentifier {
  if (typeof value === "string" || value instanceof losses.Loss) return true;
  return isPlainRecord(value) && typeof value["class_name"] === "string";
}

/** Checks every identifier in the specs, so a misspelt name fails at compile time. */
export function validateCompileSpecs(loss: unknown, lossWeights: unknown, metricsSpec: unknown, weightedMetricsSpec?: unknown): void {
  validateMetricsSpec(metricsSpec, "metrics");
  validateMetricsSpec(weightedMetricsSpec, "weightedMetrics");
  if (loss === undefined || loss === null) {
    throw new ValueError('compile needs a `loss`, for example loss: "categorical_crossentropy" or "mse".');
  }
  const lossValues = isLossIdentifier(loss) ? [loss] : Array.isArray(loss) ? loss : isPlainRecord(loss) ? Object.values(loss) : null;
  if (lossValues === null) {
    throw new ValueError(
      `Invalid \`loss\`: expected a loss name or object, an array with one per output, or a record by output name, received ${describe(loss)}.`,
    );
  }
  lossValues.forEach((value) => {
    if (value !== null) losses.get(value as losses.LossIdentifier);
  });
  if (lossWeights !== undefined && lossWeights !== null) {
    const weights = Array.isArray(lossWeights) ? lossWeights : isPlainRecord(lossWeights) ? Object.values(lossWeights) : null;
    if (weights === null || weights.some((w) => typeof w !== "number" || !Number.isFinite(w))) {
      throw new ValueError(
        `Invalid \`lossWeights\`: expected an array of numbers (one per output) or a record of numbers by output name, received ${JSON.stringify(lossWeights)}.`,
      );
    }
  }
}

function validateMetricsSpec(metricsSpec: unknown, argument: string): void {
  if (metricsSpec === undefined || metricsSpec === null) return;
  if (!Array.isArray(metricsSpec) && !isPlainRecord(metricsSpec)) {
    throw new ValueError(
      `Invalid \`${argument}\`: expected an array such as ["accuracy"] (or, for several outputs, one array per output or a record by output name), received ${JSON.stringify(metricsSpec)}.`,
    );
  }
  const entries = Array.isArray(metricsSpec) ? metricsSpec : Object.values(metricsSpec);
  for (const entry of entries) {
    for (const identifier of Array.isArray(entry) ? entry : entry === null ? [] : [entry]) {
      metrics.validate(identifier as metrics.MetricIdentifier);
    }
  }
}

function checkRecordKeys(record: Record<string, unknown>, outputNames: readonly string[], argument: string): void {
  for (const key of Object.keys(record)) {
    if (!outputNames.includes(key)) {
      throw new ValueError(
        `Invalid \`${argument}\`: the model has no output named "${key}".${didYouMean(key, outputNames)} Outputs: ${formatChoices(outputNames)}.`,
      );
    }
  }
}

function countMismatch(argument: string, received: number, outputNames: readonly string[]): ValueError {
  return new ValueError(
    `Invalid \`${argument}\`: the model has ${outputNames.length} outputs (${formatChoices(outputNames)}), ` +
      `but the array has ${received} entries. Pass one entry per output, or a record by output name.`,
  );
}

function resolveLosses(loss: LossSpec, outputNames: readonly string[]): (losses.Loss | null)[] {
  if (isLossIdentifier(loss)) {
    const shared = losses.get(loss);
    return outputNames.map(() => shared);
  }
  if (Array.isArray(loss)) {
    if (loss.length !== outputNames.length) throw countMismatch("loss", loss.length, outputNames);
    return loss.map((l) => (l === null ? null : losses.get(l)));
  }
  checkRecordKeys(loss, outputNames, "loss");
  return outputNames.map((name) => {
    const l = loss[name];
    return l === undefined || l === null ? null : losses.get(l);
  });
}

function resolveWeights(lossWeights: LossWeightsSpec | undefined, outputNames: readonly string[]): number[] {
  if (lossWeights === undefined || lossWeights === null) return outputNames.map(() => 1);
  if (Array.isArray(lossWeights)) {
    if (lossWeights.length !== outputNames.length) throw countMismatch("lossWeights", lossWeights.length, outputNames);
    return [...lossWeights];
  }
  checkRecordKeys(lossWeights, outputNames, "lossWeights");
  return outputNames.map((name) => lossWeights[name] ?? 1);
}

function asList(entry: unknown): metrics.MetricIdentifier[] {
  if (entry === null || entry === undefined) return [];
  return Array.isArray(entry) ? [...entry] : [entry as metrics.MetricIdentifier];
}

function resolveMetrics(metricsSpec: MetricsSpec | undefined, outputNames: readonly string[], argument: string): metrics.MetricIdentifier[][] {
  if (metricsSpec === undefined || metricsSpec === null) return outputNames.map(() => []);
  if (!Array.isArray(metricsSpec)) {
    checkRecordKeys(metricsSpec, outputNames, argument);
    return outputNames.map((name) => asList(metricsSpec[name]));
  }
  const nested = metricsSpec.length > 0 && metricsSpec.every((m) => m === null || Array.isArray(m));
  if (outputNames.length === 1) {
    if (nested && metricsSpec.length === 1) return [asList(metricsSpec[0])];
    return [metricsSpec as metrics.MetricIdentifier[]];
  }
  if (metricsSpec.length === 0) return outputNames.map(() => []);
  if (metricsSpec.length !== outputNames.length) {
    throw new ValueError(
      `Invalid \`${argument}\` for a model with ${outputNames.length} outputs (${formatChoices(outputNames)}): ` +
        `received ${metricsSpec.length} entries. Pass one entry (a metric or an array of metrics) per output, or a record by output name.`,
    );
  }
  return metricsSpec.map((entry) => asList(entry));
}

/** Resolves the compile specs for a model whose outputs have `outputNames`. */
export function resolveTargets(
  outputNames: readonly string[],
  loss: LossSpec,
  lossWeights: LossWeightsSpec | undefined,
  metricsSpec: MetricsSpec | undefined,
  weightedMetricsSpec?: MetricsSpec,
): OutputTarget[] {
  const resolvedLosses = resolveLosses(loss, outputNames);
  if (resolvedLosses.every((l) => l === null)) {
    throw new ValueError(`Invalid \`loss\`: no output of the model has a loss. Outputs: ${formatChoices(outputNames)}.`);
  }
  const weights = resolveWeights(lossWeights, outputNames);
  const metricLists = resolveMetrics(metricsSpec, outputNames, "metrics");
  const weightedLists = resolveMetrics(weightedMetricsSpec, outputNames, "weightedMetrics");
  return outputNames.map((name, i) => ({
    name,
    loss: resolvedLosses[i]!,
    weight: weights[i]!,
    metricIdentifiers: metricLists[i]!,
    weightedMetricIdentifiers: weightedLists[i]!,
  }));
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return `an object (${(value as object).constructor?.name ?? "Object"})`;
  return JSON.stringify(value) ?? typeof value;
}
