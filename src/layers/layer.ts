import { NotBuiltError, ShapeError, ValueError, formatShape } from "../errors.js";
import { warnOnce } from "../logger.js";
import type { Initializer } from "../initializers/index.js";
import type { FloatDType } from "../tensor/dtype.js";
import { Tensor } from "../tensor/tensor.js";
import { toSnakeCase, uniqueName } from "../utils/naming.js";
import { checkOptionKeys } from "../utils/suggest.js";
import { userCallSite } from "../utils/callsite.js";
import { checkPositiveInteger } from "../utils/validate.js";
import { Variable } from "./variable.js";

/** A shape with the batch axis (and possibly others) unknown. */
export type SymbolicShape = (number | null)[];

export interface LayerOptions {
  name?: string;
  trainable?: boolean;
  dtype?: FloatDType;
  /** Shape of one sample, without the batch axis. Prefer starting a Sequential model with `Input`. */
  inputShape?: SymbolicShape;
  /** Shorthand for `inputShape: [inputDim]`. */
  inputDim?: number;
}

export const BASE_LAYER_OPTIONS = ["name", "trainable", "dtype", "inputShape", "inputDim"] as const;

export interface CallOptions {
  /** True during `fit`; dropout and similar layers act only then. */
  training?: boolean;
}

export interface SerializedDTypePolicy {
  module: "keras";
  class_name: "DTypePolicy";
  config: { name: string };
  registered_name: null;
}

export function serializeDTypePolicy(dtype: string): SerializedDTypePolicy {
  return { module: "keras", class_name: "DTypePolicy", config: { name: dtype }, registered_name: null };
}

/**
 * The Keras layer contract: the constructor stores the configuration,
 * `build(inputShape)` creates the weights once the input shape is known,
 * `call` computes, `computeOutputShape` predicts the output shape, and
 * `getConfig` returns what `fromConfig` needs to rebuild the layer.
 */
export abstract class Layer {
  readonly name: string;
  trainable: boolean;
  readonly dtype: FloatDType;
  built = false;
  /** The input shape passed to `build`, batch axis included. */
  buildInputShape: SymbolicShape | null = null;
  /** `inputShape`/`inputDim` from the constructor, with the batch axis prepended. */
  readonly batchInputShape: SymbolicShape | null;
  private readonly ownWeights: Variable[] = [];

  constructor(options: LayerOptions, allowedOptions: readonly string[]) {
    checkOptionKeys(options, allowedOptions, this.className, (m) => new ValueError(m));
    this.name = options.name ?? uniqueName(toSnakeCase(this.className));
    this.trainable = options.trainable ?? true;
    this.dtype = options.dtype ?? "float32";
    if (this.dtype !== "float32" && this.dtype !== "float64") {
      throw new ValueError(`Invalid \`dtype\` for layer "${this.name}": expected "float32" or "float64", received ${JSON.stringify(this.dtype)}.`);
    }
    if (options.inputDim !== undefined && options.inputShape !== undefined) {
      throw new ValueError(
        `Layer "${this.name}" was given both \`inputDim\` and \`inputShape\`. Pass at most one: inputDim: n means inputShape: [n].`,
      );
    }
    let inputShape: SymbolicShape | null = null;
    if (options.inputDim !== undefined) {
      checkPositiveInteger(options.inputDim, "inputDim", `"${this.name}"`);
      inputShape = [options.inputDim];
    } else if (options.inputShape !== undefined) {
      if (!Array.isArray(options.inputShape)) {
        throw new ValueError(`Invalid \`inputShape\` for layer "${this.name}": expected an array such as [784], received ${JSON.stringify(options.inputShape)}.`);
      }
      inputShape = [...options.inputShape];
    }
    if (inputShape !== null) {
      warnOnce(
        `input-shape-argument@${userCallSite()}`,
        `Layer "${this.name}" was given \`${options.inputDim !== undefined ? "inputDim" : "inputShape"}\`. ` +
          `This still works, but the recommended way to declare a model's input is to start it with an Input: ` +
          `new Sequential([Input({ shape: [${inputShape.join(", ")}] }), ...]).`,
      );
    }
    this.batchInputShape = inputShape === null ? null : [null, ...inputShape];
  }

  /** The Keras class name, used in summaries and serialized configs. */
  get className(): string {
    return this.constructor.name;
  }

  /** Creates the layer's weights for inputs of `inputShape` (batch axis included). */
  build(inputShape: SymbolicShape): void {
    this.buildInputShape = [...inputShape];
    this.built = true;
  }

  /** Computes the layer's output. */
  abstract call(inputs: Tensor, options: CallOptions): Tensor;

  /** Returns the output shape for inputs of `inputShape`, without computing anything. */
  computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    return [...inputShape];
  }

  /** Checks the input, builds on first use, then calls the layer. */
  apply(inputs: Tensor, options: CallOptions = {}): Tensor {
    if (!(inputs instanceof Tensor)) {
      throw new ValueError(`Layer "${this.name}" must be called on a Tensor, received ${typeof inputs}.`);
    }
    if (!this.built) this.build([null, ...inputs.shape.slice(1)]);
    this.checkInputShape(inputs.shape);
    return this.call(inputs, options);
  }

  /** Throws a ShapeError when `shape` does not fit the shape the layer was built for. */
  protected checkInputShape(shape: readonly number[]): void {
    const expected = this.buildInputShape;
    if (!expected) return;
    const mismatch =
      expected.length !== shape.length || expected.some((d, i) => i > 0 && d !== null && d !== shape[i]);
    if (mismatch) {
      throw new ShapeError(
        `Layer "${this.name}" (${this.className}) expects inputs of shape ${formatShape(expected)}, ` +
          `received ${formatShape(shape)}. Check the data's shape or the model's input shape.`,
      );
    }
  }

  /** Creates a weight; call it from `build`. Weights are listed in creation order. */
  addWeight(options: { name: string; shape: readonly number[]; initializer: Initializer; trainable?: boolean }): Variable {
    const variable = new Variable({
      name: options.name,
      path: `${this.name}/${options.name}`,
      value: options.initializer.call(options.shape, this.dtype),
      trainable: options.trainable ?? true,
    });
    this.ownWeights.push(variable);
    return variable;
  }

  /** Trainable weights, then non-trainable ones, each in creation order. */
  get weights(): Variable[] {
    return [...this.trainableWeights, ...this.nonTrainableWeights];
  }

  get trainableWeights(): Variable[] {
    return this.trainable ? this.ownWeights.filter((w) => w.trainable) : [];
  }

  get nonTrainableWeights(): Variable[] {
    return this.trainable ? this.ownWeights.filter((w) => !w.trainable) : [...this.ownWeights];
  }

  countParams(): number {
    if (!this.built) {
      throw new NotBuiltError(
        `Layer "${this.name}" has no weights yet, so its parameters cannot be counted. Build it first (call it on data, or give the model an Input).`,
      );
    }
    return this.weights.reduce((total, w) => total + w.value.size, 0);
  }

  /** Copies of the weight values, in the order of `weights`. */
  getWeights(): Tensor[] {
    return this.weights.map((w) => w.read());
  }

  /** Sets every weight from `values`, in the order of `weights`. */
  setWeights(values: readonly Tensor[]): void {
    const weights = this.weights;
    if (values.length !== weights.length) {
      throw new ValueError(
        `Layer "${this.name}" has ${weights.length} weights, but setWeights received ${values.length} arrays.`,
      );
    }
    weights.forEach((w, i) => w.assign(values[i]!));
  }

  /** Returns the layer's configuration with Keras's snake_case keys. */
  getConfig(): Record<string, unknown> {
    return { name: this.name, trainable: this.trainable, dtype: serializeDTypePolicy(this.dtype) };
  }
}

/**
 * Checks a Keras config's keys and reads the base-layer options from it.
 * `keys` are the layer's own config keys. `unsupportedKeys` are keys that
 * Stratum accepts only as null (for example regularizers it does not have yet).
 * Unknown keys are an error with the nearest valid name.
 */
export function baseOptionsFromConfig(
  config: Record<string, unknown>,
  className: string,
  keys: readonly string[],
  unsupportedKeys: readonly string[] = [],
): LayerOptions {
  checkOptionKeys(config, ["name", "trainable", "dtype", ...keys, ...unsupportedKeys], `${className} config`, (m) => new ValueError(m));
  for (const key of unsupportedKeys) {
    if (config[key] !== null && config[key] !== undefined) {
      throw new ValueError(
        `${className} config sets "${key}" to ${JSON.stringify(config[key])}, which Stratum does not support yet. Remove it or set it to null.`,
      );
    }
  }
  const options: LayerOptions = {};
  if (typeof config["name"] === "string") options.name = config["name"];
  if (typeof config["trainable"] === "boolean") options.trainable = config["trainable"];
  const dtype = config["dtype"];
  const dtypeName =
    typeof dtype === "string" ? dtype : (dtype as { config?: { name?: string } } | undefined)?.config?.name;
  if (dtypeName === "float32" || dtypeName === "float64") options.dtype = dtypeName;
  return options;
}
