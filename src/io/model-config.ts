/**
 * Model configs from files: safety checks (nothing in a file may ask for
 * code), Keras 2 forms rewritten into Keras 3 ones, and the model rebuilt
 * with unknown keys (from newer Keras versions) dropped with one warning.
 */

import { ValueError } from "../errors.js";
import { deserialize, isRegisteredLayer } from "../layers/index.js";
import type { Layer } from "../layers/layer.js";
import { warn } from "../logger.js";
import { Model } from "../models/model.js";
import { isPlainRecord } from "../models/functional.js";
import { withAllocationLimit } from "../tensor/dtype.js";
import { ignoringUnknownConfigKeys } from "../utils/suggest.js";

type Json = Record<string, unknown>;

/** Class names of whole models; Keras 2 wrote functional models as "Model". */
const MODEL_CLASSES = ["Sequential", "Functional", "Model"];

/** Modules that Keras's own classes are serialized under (Keras 3 public names, their `src` paths, tf.keras). */
function isKerasModule(module: unknown): boolean {
  if (module === undefined || module === null) return true;
  return typeof module === "string" && (module === "keras" || module.startsWith("keras.") || module.startsWith("tensorflow.keras") || module.startsWith("tf_keras"));
}

function layerLabel(entry: Json): string {
  const config = isPlainRecord(entry["config"]) ? entry["config"] : {};
  let name = "(unnamed)";
  if (typeof config["name"] === "string") name = config["name"];
  else if (typeof entry["name"] === "string") name = entry["name"];
  return `layer "${name}" (${String(entry["class_name"])})`;
}

/** Keras class names that older Keras 3 versions wrote for classes Stratum registers under their current name. */
const CLASS_ALIASES: Record<string, string> = { OrthogonalInitializer: "Orthogonal" };

/** Returns `value` with every aliased `class_name` below it renamed. */
function renameAliases(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(renameAliases);
  if (!isPlainRecord(value)) return value;
  const result: Json = {};
  for (const [key, item] of Object.entries(value)) {
    result[key] = key === "class_name" && typeof item === "string" && item in CLASS_ALIASES ? CLASS_ALIASES[item] : renameAliases(item);
  }
  return result;
}

/** True when any value under `value` is a `__lambda__` entry (Python bytecode). */
function findLambda(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(findLambda);
  if (!isPlainRecord(value)) return false;
  if (value["class_name"] === "__lambda__") return true;
  return Object.values(value).some(findLambda);
}

/**
 * Checks one serialized layer and, for models, every layer inside: no
 * Lambda layers or `__lambda__` entries, and classes from modules outside
 * Keras only when a class of that name was registered with `registerLayer`.
 * Returns the entry with its class name resolved.
 */
function checkLayerEntry(entry: Json): Json {
  const className = entry["class_name"];
  if (typeof className !== "string") {
    throw new ValueError(`Invalid model config: a layer entry has no "class_name": ${JSON.stringify(entry).slice(0, 200)}.`);
  }
  const label = layerLabel(entry);
  if (className === "Lambda" || className === "TFOpLambda" || className === "SlicingOpLambda") {
    throw new ValueError(
      `Rejected ${label}: a ${className} layer stores Python code, and Stratum never runs code from a file. ` +
        "Replace it with a built-in layer, or write the layer in TypeScript and register it with registerLayer.",
    );
  }
  if (findLambda(entry["config"])) {
    throw new ValueError(
      `Rejected ${label}: its config contains a Python function (a "__lambda__" entry), and Stratum never runs code from a file.`,
    );
  }
  let resolved = className;
  const registeredName = entry["registered_name"];
  if (!isKerasModule(entry["module"])) {
    const candidates = [typeof registeredName === "string" ? registeredName : null, className].filter((n): n is string => n !== null);
    const found = candidates.find(isRegisteredLayer);
    if (!found) {
      throw new ValueError(
        `Rejected ${label}: it comes from module "${String(entry["module"])}", which is not part of Keras, and Stratum never imports code named by a file. ` +
          `Write the layer in TypeScript and register it with registerLayer(${JSON.stringify(candidates[0])}, fromConfig).`,
      );
    }
    resolved = found;
  }
  const config = entry["config"];
  if (MODEL_CLASSES.includes(resolved)) {
    return normalizeModelEntry({ ...entry, class_name: resolved });
  }
  if (isPlainRecord(config)) {
    // Wrappers hold other layers in their config (Bidirectional's `layer`, TimeDistributed's `layer`).
    const nested: Json = { ...config };
    for (const [key, value] of Object.entries(config)) {
      if (isPlainRecord(value) && typeof value["class_name"] === "string" && isPlainRecord(value["config"]) && key.endsWith("layer")) {
        nested[key] = checkLayerEntry(value);
      }
    }
    return { ...entry, class_name: resolved, config: nested };
  }
  return { ...entry, class_name: resolved };
}

/**
 * Rewrites a serialized model into the Keras 3 form Stratum reads: Keras
 * 2.2's bare list of layers becomes `{ layers }`, a first layer's
 * `batch_input_shape` becomes an InputLayer, and "Model" becomes
 * "Functional". Every layer inside is checked by `checkLayerEntry`.
 */
export function normalizeModelEntry(entry: Json): Json {
  const className = entry["class_name"] === "Model" ? "Functional" : entry["class_name"];
  let config: unknown = entry["config"];
  if (Array.isArray(config)) config = { name: "sequential", layers: config };
  if (!isPlainRecord(config) || !Array.isArray(config["layers"])) {
    throw new ValueError(`Invalid model config: ${String(className)} needs a "layers" list, received ${JSON.stringify(config)?.slice(0, 200)}.`);
  }
  const layers = (config["layers"] as unknown[]).map((layer) => {
    if (!isPlainRecord(layer)) throw new ValueError(`Invalid model config: a layer entry is ${JSON.stringify(layer)?.slice(0, 100)}, not an object.`);
    return checkLayerEntry(layer);
  });
  if (className === "Sequential") {
    const first = layers[0];
    const firstConfig = first && isPlainRecord(first["config"]) ? first["config"] : null;
    if (first && first["class_name"] !== "InputLayer" && firstConfig && Array.isArray(firstConfig["batch_input_shape"])) {
      const name = typeof firstConfig["name"] === "string" ? `${firstConfig["name"]}_input` : undefined;
      layers.unshift({
        class_name: "InputLayer",
        config: { batch_shape: firstConfig["batch_input_shape"], dtype: typeof firstConfig["dtype"] === "string" ? firstConfig["dtype"] : "float32", name },
      });
    }
  }
  for (const layer of layers) {
    const layerConfig = layer["config"];
    // Keras 2 put the input shape on the first layer; the InputLayer carries it now.
    if (layer["class_name"] !== "InputLayer" && isPlainRecord(layerConfig) && "batch_input_shape" in layerConfig) {
      const { batch_input_shape: _dropped, ...rest } = layerConfig;
      layer["config"] = rest;
    }
  }
  return { ...entry, class_name: className, config: { ...config, layers } };
}

/**
 * Bytes of weights a config may declare per byte of the file's weights:
 * Keras stores weights uncompressed, so float32 weights take as many bytes
 * in the model as in the file. The factor leaves room for float16 weights
 * held as float32 and for the Orthogonal initializer's float64 copy, and the
 * 1 MiB for the buffers a model allocates while it builds.
 */
const WEIGHT_BYTES_PER_FILE_BYTE = 4;
const BUILD_SLACK_BYTES = 1024 * 1024;

/**
 * Rebuilds a model (without weights) from its serialized entry
 * `{ class_name, config }`. Config keys that no Stratum class accepts are
 * dropped, with one warning that lists them. `weightsFileBytes`, the size
 * of the file that contains the weights, bounds the memory the model may
 * allocate while it builds, so a config that declares absurd shapes is
 * rejected before it takes the memory.
 */
export function modelFromConfig(entry: unknown, what: string, weightsFileBytes: number): Model {
  if (!isPlainRecord(entry) || typeof entry["class_name"] !== "string") {
    throw new ValueError(`Invalid model config in ${what}: expected an object with "class_name" and "config".`);
  }
  if (!MODEL_CLASSES.includes(entry["class_name"])) {
    throw new ValueError(
      `Cannot load ${what}: its top-level object is a "${entry["class_name"]}", not a Sequential or functional model. ` +
        "Subclassed models need their class registered with registerLayer before they can be loaded.",
    );
  }
  const normalized = normalizeModelEntry(renameAliases(entry) as Json);
  const dropped: string[] = [];
  const layer: Layer = ignoringUnknownConfigKeys(
    (key, owner) => {
      const item = `${owner.replace(/ config$/, "")}.${key}`;
      if (!dropped.includes(item)) dropped.push(item);
    },
    () => {
      const limitBytes = weightsFileBytes * WEIGHT_BYTES_PER_FILE_BYTE + BUILD_SLACK_BYTES;
      const exceeded = (requestedBytes: number) =>
        new ValueError(
          `Rejected ${what}: its config declares weights that need more than ${limitBytes} bytes (one buffer alone needs ${requestedBytes}), ` +
            `more than a weights file of ${weightsFileBytes} bytes can fill. The file is probably corrupted or crafted.`,
        );
      return withAllocationLimit(limitBytes, exceeded, () => deserialize(normalized as { class_name: string; config: Json }));
    },
  );
  if (dropped.length > 0) {
    warn(`${what} has config keys that this version of Stratum does not know, so they were ignored: ${dropped.join(", ")}.`);
  }
  if (!(layer instanceof Model)) throw new ValueError(`Cannot load ${what}: its config did not rebuild a model.`);
  return layer;
}
