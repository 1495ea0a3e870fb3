/** Checks of the serialized form `{ class_name, config }` before `deserialize` looks a class up. */

import { ValueError } from "../errors.js";
import { checkConfigDepth } from "../utils/config-depth.js";

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `${typeof value} ${JSON.stringify(value)?.slice(0, 100)}`;
}

/** Throws a ValueError unless `serialized` is an object with a string `class_name` and an object `config`, nested within the config depth bound. */
export function checkSerializedLayer(serialized: unknown): void {
  if (serialized === null || typeof serialized !== "object" || Array.isArray(serialized)) {
    throw new ValueError(`Cannot rebuild a layer from ${describe(serialized)}: expected { class_name, config }.`);
  }
  const { class_name: className, config } = serialized as Record<string, unknown>;
  if (typeof className !== "string") {
    throw new ValueError(`Cannot rebuild a layer whose "class_name" is ${describe(className)}: expected the Keras class name, such as "Dense".`);
  }
  if (config === null || typeof config !== "object" || Array.isArray(config)) {
    throw new ValueError(`Cannot rebuild layer class "${className}": its "config" is ${describe(config)}, expected an object of options.`);
  }
  checkConfigDepth(config, `the config of layer class "${className}"`);
}
