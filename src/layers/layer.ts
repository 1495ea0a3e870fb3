import { NotBuiltError, ShapeError, ValueError, formatShape } from "../errors.js";
import { warnOnce } from "../logger.js";
import type { Initializer } from "../initializers/index.js";
import type { FloatDType } from "../tensor/dtype.js";
import { Tensor } from "../tensor/tensor.js";
import { toSnakeCase, uniqueName } from "../utils/naming.js";
import { checkOptionKeys } from "../utils/suggest.js";
import { userCallSite } from "../utils/callsite.js";
import { checkPositiveInteger } from "../utils/validate.js";
import { Node, SymbolicTensor, isSymbolic } from "./symbolic.js";
import { Variable } from "./variable.js";

/** A layer's variables and named sub-layers, as Keras 3 weight files group them. */
export interface SavedWeightGroups {
  variables: Variable[];
  children: { name: string; layer: Layer }[];
}

/** A shape with the batch axis (and possibly others) unknown. */
export type SymbolicShape = (number | null)[];

/** The shape a layer is built for or returns: one shape, or one per input or output. */
export type LayerShape = SymbolicShape | SymbolicShape[];

/** True when `shape` lists several shapes rather than being one. */
export function isShapeList(shape: LayerShape): shape is SymbolicShape[] {
  return shape.length > 0 && Array.isArray(shape[0]);
}

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
  /**
   * Mask of the (first) input, shape [batch, steps]: 1 keeps a step, 0 masks
   * it. `apply` fills it from the input when the caller does not pass one.
   */
  mask?: Tensor | null;
  /** Masks of every input, for layers called on an array of tensors. */
  masks?: (Tensor | null)[];
}

/** Number of `addLoss` calls so far, so a model can skip collecting layer losses when none were added. */
let lossesAddedCount = 0;

/** Returns how many losses layers have added with `addLoss` since the program started. */
export function addedLossCount(): number {
  return lossesAddedCount;
}

/** Masks travel with the tensors they belong to, as Keras attaches them to its tensors. */
const tensorMasks = new WeakMap<Tensor, Tensor>();

/** Returns the mask attached to `tensor`, or null. */
export function getMask(tensor: Tensor): Tensor | null {
  return tensorMasks.get(tensor) ?? null;
}

/** Returns true when a mask is attached to `tensor`. */
function hasMask(tensor: Tensor): boolean {
  return tensorMasks.has(tensor);
}

/** Attaches `mask` to `tensor` (or removes the attached one when `mask` is null). */
export function setMask(tensor: Tensor, mask: Tensor | null): void {
  if (mask === null) tensorMasks.delete(tensor);
  else tensorMasks.set(tensor, mask);
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
  /** The input shape passed to `build`, batch axis included (one shape per input for multi-input layers). */
  buildInputShape: LayerShape | null = null;
  /** `inputShape`/`inputDim` from the constructor, with the batch axis prepended. */
  readonly batchInputShape: SymbolicShape | null;
  /**
   * True when the layer passes the mask of its input on to its output
   * unchanged. Layers that make or consume masks override `computeMask`.
   */
  supportsMasking = false;
  /**
   * True when Keras calls the layer with its tensors as separate positional
   * arguments (MultiHeadAttention's query and value) rather than as one list,
   * which changes how a functional config writes the layer's nodes.
   */
  readonly takesPositionalInputs: boolean = false;
  /** Every call of this layer on symbolic tensors, in order. */
  readonly inboundNodes: Node[] = [];
  private readonly ownWeights: Variable[] = [];
  private readonly sublayers: Layer[] = [];

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

  /**
   * Creates the layer's weights for inputs of `inputShape` (batch axis
   * included; one shape per input for a layer called on an array).
   */
  build(inputShape: LayerShape): void {
    this.buildInputShape = isShapeList(inputShape) ? inputShape.map((s) => [...s]) : [...inputShape];
    this.built = true;
  }

  /**
   * Computes the layer's output: a tensor, or an array of tensors for layers
   * with several outputs. Layers called on an array receive an array.
   */
  abstract call(inputs: Tensor | Tensor[], options: CallOptions): Tensor | Tensor[];

  /** Returns the output shape for inputs of `inputShape`, without computing anything. */
  computeOutputShape(inputShape: LayerShape): LayerShape {
    return isShapeList(inputShape) ? inputShape.map((s) => [...s]) : [...inputShape];
  }

  /**
   * Returns the mask of the output (or one per output), given the inputs and
   * their mask (one per input for a layer called on an array). By default a
   * layer that supports masking passes the first mask through and any other
   * layer drops it.
   */
  computeMask(_inputs: Tensor | Tensor[], mask: Tensor | null | (Tensor | null)[]): Tensor | null | (Tensor | null)[] {
    if (!this.supportsMasking) return null;
    return Array.isArray(mask) ? (mask[0] ?? null) : mask;
  }

  /**
   * Calls the layer. On tensors it builds the layer on first use, checks the
   * input shape, carries masks from the inputs to the outputs and returns the
   * result of `call`. On symbolic tensors (from `Input` or other layers'
   * symbolic calls) it builds the layer, records the call in a functional
   * graph and returns symbolic outputs.
   */
  apply(inputs: Tensor, options?: CallOptions): Tensor;
  apply(inputs: SymbolicTensor, options?: CallOptions): SymbolicTensor;
  apply(inputs: Tensor | Tensor[], options?: CallOptions): Tensor | Tensor[];
  apply(inputs: SymbolicTensor | SymbolicTensor[], options?: CallOptions): SymbolicTensor | SymbolicTensor[];
  apply(
    inputs: Tensor | Tensor[] | SymbolicTensor | SymbolicTensor[],
    options: CallOptions = {},
  ): Tensor | Tensor[] | SymbolicTensor | SymbolicTensor[] {
    if (isSymbolic(inputs)) return this.applySymbolic(inputs, options);
    const isList = Array.isArray(inputs);
    const list = isList ? inputs : [inputs];
    // An index loop rather than forEach, because this runs for every layer of every batch.
    for (let i = 0; i < list.length; i++) {
      const input = list[i];
      if (!(input instanceof Tensor)) {
        const where = isList ? ` (element ${i} of the input array)` : "";
        throw new ValueError(
          `Layer "${this.name}" must be called on a Tensor, an array of Tensors or symbolic tensors from Input, received ${describeValue(input)}${where}.`,
        );
      }
    }
    const tensors = list as Tensor[];
    if (!isList) this.checkInputRank(tensors[0]!.shape);
    if (!this.built) {
      const shapes = tensors.map((t) => [null, ...t.shape.slice(1)]);
      this.build(isList ? shapes : shapes[0]!);
    }
    if (!isList) this.checkInputShape(tensors[0]!.shape);

    let callOptions = options;
    if (options.mask === undefined && tensors.some(hasMask)) {
      const masks = tensors.map(getMask);
      callOptions = { ...options, mask: masks[0] ?? null, ...(isList ? { masks } : {}) };
    }
    const outputs = this.call(isList ? tensors : tensors[0]!, callOptions);
    const inputMask = callOptions.mask ?? null;
    const outputMask = this.computeMask(isList ? tensors : tensors[0]!, isList ? (callOptions.masks ?? [inputMask]) : inputMask);
    if (inputMask !== null && outputMask === null && !this.supportsMasking && this.computeMask === Layer.prototype.computeMask) {
      warnOnce(
        `mask-dropped:${this.name}`,
        `Layer "${this.name}" (${this.className}) received a masked input but does not support masking, so later layers see no mask.`,
      );
    }
    if (Array.isArray(outputs)) {
      outputs.forEach((output, i) => setMask(output, Array.isArray(outputMask) ? (outputMask[i] ?? null) : outputMask));
    } else {
      setMask(outputs, Array.isArray(outputMask) ? (outputMask[0] ?? null) : outputMask);
    }
    return outputs;
  }

  /** Records a call on symbolic tensors and returns symbolic outputs with the shapes `computeOutputShape` gives. */
  private applySymbolic(inputs: SymbolicTensor | SymbolicTensor[], options: CallOptions): SymbolicTensor | SymbolicTensor[] {
    const callOptions: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(options)) {
      if (key === "mask" || key === "masks" || value === undefined) continue;
      if (value instanceof Tensor || value instanceof SymbolicTensor) {
        throw new ValueError(
          `Layer "${this.name}" was called on symbolic tensors with a tensor in the \`${key}\` option. ` +
            `In a functional model, pass tensors as layer inputs instead (for example as an extra element of the input array).`,
        );
      }
      callOptions[key] = value;
    }
    const isList = Array.isArray(inputs);
    const list = isList ? inputs : [inputs];
    const shapes = list.map((t) => [...t.shape]);
    const inputShape: LayerShape = isList ? shapes : shapes[0]!;
    if (!this.built) this.build(inputShape);
    if (!isList) this.checkSymbolicShape(shapes[0]!);
    const outputShape = this.computeOutputShape(inputShape);
    const outputsAreList = isShapeList(outputShape);
    const nodeIndex = this.inboundNodes.length;
    const outputShapes = outputsAreList ? outputShape : [outputShape];
    const outputs = outputShapes.map((shape, i) => new SymbolicTensor(shape, this.dtype, this, nodeIndex, i));
    this.inboundNodes.push(new Node(this, list, isList, outputs, outputsAreList, callOptions));
    return outputsAreList ? outputs : outputs[0]!;
  }

  /** Throws a ShapeError when symbolic inputs of `shape` cannot fit the shape the layer was built for. */
  private checkSymbolicShape(shape: SymbolicShape): void {
    const expected = this.buildInputShape;
    if (!expected || isShapeList(expected)) return;
    const mismatch =
      expected.length !== shape.length ||
      expected.some((d, i) => i > 0 && d !== null && shape[i] !== null && d !== shape[i]);
    if (mismatch) {
      throw new ShapeError(
        `Layer "${this.name}" (${this.className}) was built for inputs of shape ${formatShape(expected)}, ` +
          `but is called on a symbolic tensor of shape ${formatShape(shape)}. A shared layer needs inputs of one shape.`,
      );
    }
  }

  /**
   * Throws a ShapeError when a real input's rank does not suit the layer.
   * It runs before the first build, which receives only the batch-free shape.
   */
  protected checkInputRank(_shape: readonly number[]): void {}

  /** Throws a ShapeError when `shape` does not fit the shape the layer was built for. */
  protected checkInputShape(shape: readonly number[]): void {
    const expected = this.buildInputShape;
    if (!expected || isShapeList(expected)) return;
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

  /**
   * Registers a layer that this one owns and calls (an RNN's cell, a
   * wrapper's inner layer), so its weights count as this layer's. Returns it.
   */
  protected trackLayer<T extends Layer>(layer: T): T {
    if (!this.sublayers.includes(layer)) this.sublayers.push(layer);
    return layer;
  }

  /** The layers registered with `trackLayer`, in registration order. */
  get trackedLayers(): Layer[] {
    return [...this.sublayers];
  }

  /**
   * Describes how Keras 3 weight files store this layer: `variables` go to
   * `<path>/vars/0`, `<path>/vars/1`, … and each child to `<path>/<name>`.
   * By default these are the layer's own weights (trainable, then
   * non-trainable, in creation order) and its tracked layers, named by
   * snake_case class name with a counter. Layers whose Keras attribute names
   * differ (an RNN's `cell`, Bidirectional's `forward_layer`) override this.
   */
  savedWeightGroups(): SavedWeightGroups {
    const counts = new Map<string, number>();
    const children = this.sublayers.map((layer) => {
      const base = toSnakeCase(layer.className);
      const count = counts.get(base) ?? 0;
      counts.set(base, count + 1);
      return { name: count === 0 ? base : `${base}_${count}`, layer };
    });
    return {
      variables: [...this.ownWeights.filter((w) => w.trainable), ...this.ownWeights.filter((w) => !w.trainable)],
      children,
    };
  }

  /**
   * Own trainable weights, then own non-trainable ones, each in creation
   * order, then the weights of tracked layers, as Keras 3 orders them.
   */
  get weights(): Variable[] {
    return [
      ...this.ownWeights.filter((w) => w.trainable),
      ...this.ownWeights.filter((w) => !w.trainable),
      ...this.sublayers.flatMap((l) => l.weights),
    ];
  }

  /** The trainable weights of `weights`; none when the layer is frozen. */
  get trainableWeights(): Variable[] {
    if (!this.trainable) return [];
    return [...this.ownWeights.filter((w) => w.trainable), ...this.sublayers.flatMap((l) => l.trainableWeights)];
  }

  /** The weights of `weights` that training leaves alone; all of them when the layer is frozen. */
  get nonTrainableWeights(): Variable[] {
    if (!this.trainable) return this.weights;
    return [...this.ownWeights.filter((w) => !w.trainable), ...this.sublayers.flatMap((l) => l.nonTrainableWeights)];
  }

  private readonly addedLosses: Tensor[] = [];

  /**
   * Adds a scalar loss computed during `call` (an activity penalty, for
   * example). A model adds the `losses` of its layers to the training loss
   * and clears them before each step with `clearLosses`.
   */
  addLoss(loss: Tensor): void {
    this.addedLosses.push(loss);
    lossesAddedCount++;
  }

  /** The losses added by this layer and its tracked layers since they were last cleared. */
  get losses(): Tensor[] {
    return [...this.addedLosses, ...this.sublayers.flatMap((l) => l.losses)];
  }

  /** Forgets the losses added by this layer and its tracked layers. */
  clearLosses(): void {
    this.addedLosses.length = 0;
    for (const layer of this.sublayers) layer.clearLosses();
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

  /**
   * Returns Keras's `build_config` for a built layer: `{ input_shape }`, or
   * null while the layer is unbuilt or has no build step of its own. Layers
   * that Keras builds from several named shapes override it.
   */
  getBuildConfig(): Record<string, unknown> | null {
    const shape = this.buildInputShape;
    // Keras records build shapes only for layers with a build step of their own (not Dropout or Flatten).
    if (shape === null || this.build === Layer.prototype.build) return null;
    return { input_shape: isShapeList(shape) ? shape.map((s) => [...s]) : [...shape] };
  }

  /**
   * Builds the layer from Keras's `build_config` (`{ input_shape }`, or a
   * `shapes_dict` of named shapes), checking that every shape is a list of
   * non-negative integers or nulls first.
   */
  buildFromConfig(buildConfig: unknown): void {
    if (buildConfig === null || typeof buildConfig !== "object" || Array.isArray(buildConfig)) {
      throw new ValueError(`Invalid build_config for layer "${this.name}": expected a record such as { input_shape: [null, 3] }.`);
    }
    const record = buildConfig as Record<string, unknown>;
    const named = record["shapes_dict"];
    const shape =
      named !== null && typeof named === "object" && !Array.isArray(named) ? Object.values(named as Record<string, unknown>) : record["input_shape"];
    this.build(checkedLayerShape(shape, `build_config of layer "${this.name}"`));
  }

  /** Returns the layer's configuration with Keras's snake_case keys. */
  getConfig(): Record<string, unknown> {
    return { name: this.name, trainable: this.trainable, dtype: serializeDTypePolicy(this.dtype) };
  }
}

/** Checks that `value` is a shape (or a list of shapes) of non-negative integers and nulls, and returns it. */
export function checkedLayerShape(value: unknown, argument: string): LayerShape {
  const isDimension = (d: unknown) => d === null || (typeof d === "number" && Number.isInteger(d) && d >= 0 && d <= Number.MAX_SAFE_INTEGER);
  const isShape = (s: unknown): s is SymbolicShape => Array.isArray(s) && s.length <= 32 && s.every(isDimension);
  if (isShape(value)) return [...value];
  if (Array.isArray(value) && value.length > 0 && value.length <= 64 && value.every(isShape)) return value.map((s) => [...s]);
  throw new ValueError(
    `Invalid shape in ${argument}: expected a list of non-negative integers or nulls (at most 32 axes), or a list of such lists, ` +
      `received ${describeShallow(value)}.`,
  );
}

/** Describes a value without walking into it, so a deeply nested value cannot overflow the stack. */
function describeShallow(value: unknown): string {
  if (Array.isArray(value)) return `an array of length ${value.length}${value.some(Array.isArray) ? " with nested arrays" : ""}`;
  if (value === null || typeof value !== "object") return String(value);
  return `an object (${(value as object).constructor?.name ?? "Object"})`;
}

function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (typeof value === "object") return `an object (${(value as object).constructor?.name ?? "Object"})`;
  return typeof value;
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
