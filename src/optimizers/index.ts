import { ValueError, formatChoices } from "../errors.js";
import { checkOptionKeys, didYouMean } from "../utils/suggest.js";
import { Adadelta } from "./adadelta.js";
import { Adafactor } from "./adafactor.js";
import { Adagrad } from "./adagrad.js";
import { Adam } from "./adam.js";
import { Adamax } from "./adamax.js";
import { AdamW } from "./adamw.js";
import { Ftrl } from "./ftrl.js";
import { Lamb } from "./lamb.js";
import { Lion } from "./lion.js";
import { Nadam } from "./nadam.js";
import { BASE_CONFIG_OPTIONS, Optimizer } from "./optimizer.js";
import { RMSprop } from "./rmsprop.js";
import * as schedules from "./schedules.js";
import { SGD } from "./sgd.js";

export { Adadelta, type AdadeltaOptions } from "./adadelta.js";
export { Adafactor, type AdafactorOptions } from "./adafactor.js";
export { Adagrad, type AdagradOptions } from "./adagrad.js";
export { Adam, type AdamOptions } from "./adam.js";
export { Adamax, type AdamaxOptions } from "./adamax.js";
export { AdamW, type AdamWOptions } from "./adamw.js";
export { Ftrl, type FtrlOptions } from "./ftrl.js";
export { Lamb, type LambOptions } from "./lamb.js";
export { Lion, type LionOptions } from "./lion.js";
export { Nadam, type NadamOptions } from "./nadam.js";
export { Optimizer, type LearningRate, type OptimizerOptions, type OptimizerVariable, type VariableConstraint } from "./optimizer.js";
export { RMSprop, type RMSpropOptions } from "./rmsprop.js";
export { SGD, type SGDOptions } from "./sgd.js";
export { schedules };
export { LearningRateSchedule } from "./schedules.js";

type OptimizerClass = (new (options?: Record<string, unknown>) => Optimizer) & { configOptions: Record<string, string> };

/**
 * Optimizers by lowercased Keras class name, the keys Keras 3.15.1 resolves
 * strings with. Lamb is left out because Keras does not resolve "lamb";
 * Keras's Muon, LossScaleOptimizer and ScheduleFreeAdamW are not implemented.
 */
const OPTIMIZER_CLASSES: Record<string, OptimizerClass> = {
  adadelta: Adadelta as unknown as OptimizerClass,
  adafactor: Adafactor as unknown as OptimizerClass,
  adagrad: Adagrad as unknown as OptimizerClass,
  adam: Adam as unknown as OptimizerClass,
  adamax: Adamax as unknown as OptimizerClass,
  adamw: AdamW as unknown as OptimizerClass,
  ftrl: Ftrl as unknown as OptimizerClass,
  lion: Lion as unknown as OptimizerClass,
  nadam: Nadam as unknown as OptimizerClass,
  rmsprop: RMSprop as unknown as OptimizerClass,
  sgd: SGD as unknown as OptimizerClass,
};

// Classes that `deserialize` accepts by exact class name although strings do not resolve them.
const CONFIG_ONLY_CLASSES: Record<string, OptimizerClass> = { Lamb: Lamb as unknown as OptimizerClass };

export type OptimizerIdentifier = string | Optimizer | { class_name: string; config?: Record<string, unknown> };

function classFor(className: string, allowConfigOnly: boolean): OptimizerClass {
  const found = OPTIMIZER_CLASSES[className.toLowerCase()] ?? (allowConfigOnly ? CONFIG_ONLY_CLASSES[className] : undefined);
  if (!found) {
    const names = Object.keys(OPTIMIZER_CLASSES);
    throw new ValueError(`Unknown optimizer ${JSON.stringify(className)}.${didYouMean(className, names)} Valid optimizers: ${formatChoices(names)}.`);
  }
  return found;
}

/**
 * Resolves an optimizer by Keras name (case-insensitive, so "RMSprop" and
 * "rmsprop" both work) with default options, by serialized config, or
 * returns an optimizer object unchanged.
 */
export function get(identifier: OptimizerIdentifier): Optimizer {
  if (identifier instanceof Optimizer) return identifier;
  if (typeof identifier === "string") return new (classFor(identifier, false))();
  if (identifier !== null && typeof identifier === "object" && typeof identifier.class_name === "string") return deserialize(identifier);
  throw new ValueError(`Cannot interpret ${JSON.stringify(identifier)} as an optimizer: pass a name such as "adam", an Optimizer, or a serialized config.`);
}

/** Wraps an optimizer's config in Keras's serialization envelope. */
export function serialize(optimizer: Optimizer): Record<string, unknown> {
  return { module: "keras.optimizers", class_name: optimizer.className, config: optimizer.getConfig(), registered_name: null };
}

/**
 * Rebuilds an optimizer (without state) from `serialize`'s output or a
 * Keras `.keras` compile config. A serialized schedule as `learning_rate`
 * is rebuilt too; a plain function cannot be, and is an error.
 */
export function deserialize(serialized: { class_name: string; config?: Record<string, unknown> }): Optimizer {
  const cls = classFor(serialized.class_name, true);
  const keys: Record<string, string> = { ...BASE_CONFIG_OPTIONS, ...cls.configOptions };
  const config = serialized.config ?? {};
  checkOptionKeys(config, Object.keys(keys), `${serialized.class_name} config`, (m) => new ValueError(m));
  const options: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    if (value === null) continue;
    if (key === "learning_rate" && typeof value === "object") {
      const nested = value as { class_name?: unknown; module?: unknown };
      if (nested.module !== "keras.optimizers.schedules") {
        throw new ValueError(
          `Cannot restore the learning rate ${JSON.stringify(value)} of optimizer "${String(config["name"])}": only numbers and built-in schedules can be deserialized.`,
        );
      }
      options[keys[key]!] = schedules.deserialize(nested);
    } else {
      options[keys[key]!] = value;
    }
  }
  return new cls(options);
}
