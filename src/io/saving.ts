/**
 * `loadModel`, `model.save`, `model.saveWeights` and `model.loadWeights`:
 * Keras 3 `.keras` files both ways, legacy HDF5 full models read, and
 * Keras 3 `.weights.h5` files both ways. A file's format is decided by its
 * first bytes, because tf.keras 2.8 to 2.11 wrote HDF5 into `.keras` files.
 */

import { ValueError } from "../errors.js";
import { warn } from "../logger.js";
import { checkConfigDepth } from "../utils/config-depth.js";
import { Model } from "../models/model.js";
import { Sequential } from "../models/sequential.js";
import { compileConfigOf, compileOptionsFromConfig } from "./compile-config.js";
import { detectFormat } from "./format.js";
import { DEFAULT_HDF5_LIMITS, type H5Group, childGroup, readHdf5, splitBackslashLinks, writeHdf5 } from "./hdf5.js";
import { modelFromConfig } from "./model-config.js";
import { pythonJsonDumps } from "./python-json.js";
import { loadLegacyWeights, loadModelWeightsTree, loadOptimizerState, modelWeightsTree } from "./weights.js";
import { readZip, writeZip } from "./zip.js";

/** The Keras version whose `.keras` layout `save` writes, recorded in `metadata.json` as Keras records its own. */
export const KERAS_FORMAT_VERSION = "3.15.1";

export interface LoadModelOptions {
  /** Restore the optimizer, loss and metrics saved with the model (default true). */
  compile?: boolean;
  /** Milliseconds the HDF5 library may spend parsing the file before it is stopped (default 60000). */
  timeoutMs?: number;
}

const ZIP_MEMBERS = ["metadata.json", "config.json", "model.weights.h5", "model.weights.npz"];

async function readSource(source: string | Uint8Array, method: string): Promise<{ bytes: Uint8Array; what: string }> {
  if (source instanceof Uint8Array) return { bytes: source, what: "the model bytes" };
  if (typeof source !== "string") {
    throw new ValueError(`${method} needs a file path or a Uint8Array of the file's bytes, received ${source === null ? "null" : typeof source}.`);
  }
  const { readFile } = await import("node:fs/promises");
  return { bytes: new Uint8Array(await readFile(source)), what: `"${source}"` };
}

function parseJson(bytes: Uint8Array, member: string, what: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (error) {
    throw new ValueError(`Cannot load ${what}: its ${member} is not valid JSON (${(error as Error).message}).`);
  }
  checkConfigDepth(value, `the ${member} of ${what}`);
  return value;
}

function restoreCompile(model: Model, config: unknown, what: string): boolean {
  let options;
  const dropped: string[] = [];
  try {
    options = compileOptionsFromConfig(config, dropped);
  } catch (error) {
    warn(
      `${what} was loaded without its training configuration, because ${(error as Error).message.replace(/\.$/, "")}. ` +
        "Call model.compile(...) before training, or pass { compile: false } to skip this warning.",
    );
    return false;
  }
  if (options === null) return false;
  if (dropped.length > 0) warn(`${what} has optimizer config keys that this version of Stratum does not know, so they were ignored: ${dropped.join(", ")}.`);
  model.compile(options);
  return true;
}

async function loadKerasZip(bytes: Uint8Array, what: string, options: LoadModelOptions): Promise<Model> {
  const { members, names } = readZip(bytes, ZIP_MEMBERS, what);
  const configBytes = members.get("config.json");
  if (!configBytes) {
    throw new ValueError(`Cannot load ${what}: the zip archive has no config.json, so it is not a Keras model file (members: ${names.slice(0, 10).join(", ") || "none"}).`);
  }
  const metadata = members.has("metadata.json") ? parseJson(members.get("metadata.json")!, "metadata.json", what) : {};
  const kerasVersion = (metadata as { keras_version?: unknown }).keras_version;
  const config = parseJson(configBytes, "config.json", what) as Record<string, unknown>;
  const weightsBytes = members.get("model.weights.h5");
  if (!weightsBytes) {
    const detail = members.has("model.weights.npz") ? "model.weights.npz (the NumPy weights format), which Stratum does not read yet" : "no model.weights.h5";
    throw new ValueError(`Cannot load ${what}: the archive has ${detail}.`);
  }
  const model = modelFromConfig(config, what, weightsBytes.length);
  const tree = splitBackslashLinks(await readHdf5(weightsBytes, `${what} (model.weights.h5)`, limitsFor(options)));
  loadModelWeightsTree(model, tree);
  if (options.compile !== false && restoreCompile(model, config["compile_config"], what)) {
    // tf.keras 2.x stored its optimizer's variables in another order, so only Keras 3 state is restored.
    if (typeof kerasVersion === "string" && kerasVersion.startsWith("3.")) restoreOptimizer(model, tree, what);
  }
  return model;
}

function restoreOptimizer(model: Model, tree: H5Group, what: string): void {
  const reason = loadOptimizerState(model.optimizer!, model.trainableWeights, tree);
  if (reason !== null) warn(`${what}: the optimizer state was not restored, because ${reason}. Training starts with a fresh optimizer state.`);
}

function limitsFor(options: { timeoutMs?: number }) {
  return options.timeoutMs === undefined ? DEFAULT_HDF5_LIMITS : { ...DEFAULT_HDF5_LIMITS, timeoutMs: options.timeoutMs };
}

function stringAttribute(group: H5Group, name: string): string | null {
  const value = group.attrs[name];
  if (typeof value === "string") return value;
  if (Array.isArray(value) && value.length === 1 && typeof value[0] === "string") return value[0];
  return null;
}

async function loadLegacyHdf5(bytes: Uint8Array, what: string, options: LoadModelOptions): Promise<Model> {
  const tree = await readHdf5(bytes, what, limitsFor(options));
  const modelConfig = stringAttribute(tree, "model_config");
  if (modelConfig === null) {
    if (childGroup(tree, "layers") || childGroup(tree, "vars") || "layer_names" in tree.attrs) {
      throw new ValueError(`Cannot load ${what} as a model: it contains only weights. Build the model in code and call model.loadWeights(...).`);
    }
    throw new ValueError(`Cannot load ${what}: the HDF5 file has no "model_config" attribute, so it is not a Keras model file.`);
  }
  const config = parseJson(new TextEncoder().encode(modelConfig), "model_config attribute", what);
  const model = modelFromConfig(config, what, bytes.length);
  const weights = childGroup(tree, "model_weights");
  if (!weights) throw new ValueError(`Cannot load ${what}: the HDF5 file has no "model_weights" group.`);
  loadLegacyWeights(model, weights, what);
  const trainingConfig = stringAttribute(tree, "training_config");
  if (options.compile !== false && trainingConfig !== null) {
    restoreCompile(model, parseJson(new TextEncoder().encode(trainingConfig), "training_config attribute", what), what);
  }
  return model;
}

/**
 * Loads a model saved by Keras or Stratum: a `.keras` archive (Keras 3, or
 * tf.keras 2.13 and later) or a legacy HDF5 file, from a path or from the
 * file's bytes. With `compile` (the default) the optimizer, loss, metrics
 * and optimizer state are restored when the file has them.
 */
export async function loadModel(source: string | Uint8Array, options: LoadModelOptions = {}): Promise<Model> {
  if (options === null || typeof options !== "object") throw new ValueError("loadModel options must be an object such as { compile: false }.");
  const { bytes, what } = await readSource(source, "loadModel");
  const format = detectFormat(bytes, what);
  return format === "zip" ? loadKerasZip(bytes, what, options) : loadLegacyHdf5(bytes, what, options);
}

function savedEnvelope(model: Model): Record<string, unknown> {
  if (!model.built) {
    throw new ValueError(`Model "${model.name}" is not built, so it has no weights to save. Call it on data, or give it an Input, first.`);
  }
  const functional = model.graph !== null;
  if (!functional && !(model instanceof Sequential)) {
    throw new ValueError(
      `Model "${model.name}" is a subclassed model (${model.className}), whose architecture is code, not config. Save its weights with model.saveWeights("x.weights.h5") instead.`,
    );
  }
  const inputShape = model instanceof Sequential ? model.inputShape : null;
  return {
    module: functional ? "keras.src.models.functional" : "keras",
    class_name: functional ? "Functional" : "Sequential",
    config: model.getConfig(),
    registered_name: functional ? "Functional" : null,
    build_config: { input_shape: inputShape },
    compile_config: compileConfigOf(model),
  };
}

function kerasDate(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}@${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** Returns the bytes of a Keras 3 `.keras` archive of `model`, as `save` writes them. */
export async function encodeModel(model: Model): Promise<Uint8Array> {
  const envelope = savedEnvelope(model);
  const now = new Date();
  const weights = await writeHdf5(modelWeightsTree(model), `the weights of model "${model.name}"`);
  const encoder = new TextEncoder();
  // Python's zipfile gives members written from strings the date 1980-01-01, and files their modification time.
  const epoch = new Date(1980, 0, 1);
  return writeZip([
    { name: "metadata.json", data: encoder.encode(pythonJsonDumps({ keras_version: KERAS_FORMAT_VERSION, date_saved: kerasDate(now) })), date: epoch },
    { name: "config.json", data: encoder.encode(pythonJsonDumps(envelope)), date: epoch },
    { name: "model.weights.h5", data: weights, date: now },
  ]);
}

/** Writes `bytes` to a temporary file next to `path`, then renames it, so a failed write leaves the old file whole. */
async function writeAtomically(path: string, bytes: Uint8Array): Promise<void> {
  const { rename, rm, writeFile } = await import("node:fs/promises");
  const temporary = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  try {
    await writeFile(temporary, bytes);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

function checkPath(path: unknown, suffix: string, method: string): asserts path is string {
  if (typeof path !== "string" || !path.endsWith(suffix)) {
    throw new ValueError(`${method} needs a path ending in "${suffix}", received ${JSON.stringify(path)}.`);
  }
}

/** Saves `model` as a Keras 3 `.keras` file that Keras 3 and Stratum load. */
export async function saveModel(model: Model, path: string): Promise<void> {
  checkPath(path, ".keras", "save");
  await writeAtomically(path, await encodeModel(model));
}

/** Saves the weights of `model` (and its optimizer's state) as a Keras 3 `.weights.h5` file. */
export async function saveWeights(model: Model, path: string): Promise<void> {
  checkPath(path, ".weights.h5", "saveWeights");
  if (!model.built) throw new ValueError(`Model "${model.name}" is not built, so it has no weights to save.`);
  await writeAtomically(path, await writeHdf5(modelWeightsTree(model), `the weights of model "${model.name}"`));
}

/**
 * Loads weights into `model` from a Keras 3 `.weights.h5` file or a legacy
 * HDF5 weights or model file, and the optimizer's state when the model is
 * compiled and the file contains it.
 */
export async function loadWeights(model: Model, source: string | Uint8Array, options: { timeoutMs?: number } = {}): Promise<void> {
  const { bytes, what } = await readSource(source, "loadWeights");
  if (detectFormat(bytes, what) !== "hdf5") {
    throw new ValueError(`Cannot load weights from ${what}: it is a zip archive (a .keras model file). Use loadModel for it.`);
  }
  if (!model.built) throw new ValueError(`Model "${model.name}" is not built; build it (give it an Input, or call it on data) before loading weights.`);
  const tree = splitBackslashLinks(await readHdf5(bytes, what, limitsFor(options)));
  const legacy = childGroup(tree, "model_weights") ?? ("layer_names" in tree.attrs || "layer_names0" in tree.attrs ? tree : null);
  if (legacy) {
    loadLegacyWeights(model, legacy, what);
    return;
  }
  loadModelWeightsTree(model, tree);
  if (model.optimizer) restoreOptimizer(model, tree, what);
}

