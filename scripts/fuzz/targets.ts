/**
 * The loader entry points the fuzzer drives, shared by `npm run fuzz` and
 * the regression test over `test/fixtures/fuzz/`. Each target takes the
 * bytes of one input and either loads it or throws; `classify` tells a
 * clean rejection (a StratumError) from a finding.
 */

import { strFromU8, unzipSync, zipSync } from "fflate";
import { StratumError } from "../../src/errors.js";
import { loadModel, loadWeights } from "../../src/io/saving.js";
import { deserialize } from "../../src/layers/index.js";
import type { LayerShape } from "../../src/layers/layer.js";
import { Model } from "../../src/models/model.js";

export const TARGETS = ["loadModel", "loadWeights", "config.json", "Model.fromConfig", "deserialize"] as const;
export type TargetName = (typeof TARGETS)[number];

export interface TargetOptions {
  /** Bytes of the model file that gives `loadWeights` its model and `config.json` its other members. */
  base?: Uint8Array;
  /** Milliseconds the HDF5 library may spend on one file. */
  hdf5TimeoutMs: number;
}

/** Rebuilds the `.keras` archive `base` with its config.json replaced by `config`. */
export function withConfig(base: Uint8Array, config: Uint8Array): Uint8Array {
  const members: Record<string, Uint8Array> = unzipSync(base);
  members["config.json"] = config;
  return zipSync(members, { level: 0 });
}

/** Thrown when a config-object input is not JSON; it says nothing about the library, so it is no finding. */
export class UnparsableInput extends Error {}

function parseConfig(bytes: Uint8Array): Record<string, unknown> {
  try {
    return JSON.parse(strFromU8(bytes)) as Record<string, unknown>;
  } catch (error) {
    throw new UnparsableInput(`the input is not JSON: ${(error as Error).message}`);
  }
}

function inputShapeOf(entry: Record<string, unknown>): LayerShape | null {
  const buildConfig = entry["build_config"];
  if (buildConfig === null || typeof buildConfig !== "object") return null;
  const shape = (buildConfig as Record<string, unknown>)["input_shape"];
  return Array.isArray(shape) ? (shape as LayerShape) : null;
}

/** Runs `target` on `input`; resolves when the input loads, rejects with whatever the library throws. */
export async function runTarget(target: TargetName, input: Uint8Array, options: TargetOptions): Promise<void> {
  const timeoutMs = options.hdf5TimeoutMs;
  switch (target) {
    case "loadModel":
      await loadModel(input, { timeoutMs });
      return;
    case "loadWeights": {
      if (!options.base) throw new Error("loadWeights needs a base model file");
      const model = await loadModel(options.base, { timeoutMs });
      await loadWeights(model, input, { timeoutMs });
      return;
    }
    case "config.json": {
      if (!options.base) throw new Error("config.json needs a base .keras file");
      await loadModel(withConfig(options.base, input), { timeoutMs });
      return;
    }
    case "Model.fromConfig": {
      const entry = parseConfig(input);
      const config = entry["config"] as Record<string, unknown>;
      if (entry["class_name"] === "Functional" || entry["class_name"] === "Model") Model.fromConfig(config);
      else deserialize(entry as { class_name: string; config: Record<string, unknown> });
      return;
    }
    case "deserialize": {
      const entry = parseConfig(input);
      const layer = deserialize(entry as { class_name: string; config: Record<string, unknown> });
      const shape = inputShapeOf(entry);
      if (shape !== null) layer.build(shape);
      return;
    }
  }
}

export type Outcome =
  | { kind: "loaded" }
  | { kind: "rejected"; errorName: string; message: string }
  | { kind: "finding"; errorName: string; message: string; stack: string };

/** Sorts what a target threw: a StratumError (ValueError, ShapeError, …) is a clean rejection, anything else a finding. */
export function classify(error: unknown): Outcome {
  if (error instanceof StratumError || error instanceof UnparsableInput) {
    return { kind: "rejected", errorName: error.name, message: error.message };
  }
  const asError = error instanceof Error ? error : new Error(String(error));
  return { kind: "finding", errorName: asError.name, message: asError.message, stack: asError.stack ?? "" };
}
