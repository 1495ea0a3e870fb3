import { ValueError } from "../errors.js";
import { deserialize, registerLayer } from "../layers/index.js";
import { InputLayer, SymbolicTensor } from "../layers/input.js";
import { type CallOptions, Layer, type LayerShape, type SymbolicShape, serializeDTypePolicy } from "../layers/layer.js";
import type { Tensor } from "../tensor/tensor.js";
import type { ModelData } from "./data.js";
import { checkOptionKeys } from "../utils/suggest.js";
import { Model, type PredictOptions, checkShapeFits } from "./model.js";

export interface SequentialOptions {
  name?: string;
  trainable?: boolean;
}

/**
 * A plain stack of layers, each feeding the next.
 *
 * When the first element is an `Input` (or a layer given `inputShape`), every
 * `add` builds the new layer at once, so weights and `summary()` shapes exist
 * right away. Otherwise building waits for `build(shape)` or the first data.
 */
export class Sequential extends Model {
  private inputLayer: InputLayer | null = null;
  private readonly stack: Layer[] = [];

  constructor(layers: (Layer | SymbolicTensor)[] = [], options: SequentialOptions = {}) {
    if (!Array.isArray(layers)) {
      throw new ValueError(
        "Sequential takes an array of layers as its first argument, for example new Sequential([Input({ shape: [784] }), new Dense({ units: 10 })]).",
      );
    }
    checkOptionKeys(options, ["name", "trainable"], "Sequential", (m) => new ValueError(m));
    super({ name: options.name, trainable: options.trainable });
    for (const layer of layers) this.add(layer);
  }

  override get className(): string {
    return "Sequential";
  }

  override get layers(): Layer[] {
    return [...this.stack];
  }

  override get inputShape(): SymbolicShape | null {
    return this.inputLayer ? [...this.inputLayer.batchShape] : null;
  }

  /** Appends a layer (or an `Input`, which must come first). */
  add(layer: Layer | SymbolicTensor): void {
    if (layer instanceof SymbolicTensor) {
      if (!(layer.sourceLayer instanceof InputLayer)) {
        throw new ValueError("Sequential accepts symbolic tensors made by Input() only.");
      }
      layer = layer.sourceLayer;
    }
    if (!(layer instanceof Layer)) {
      throw new ValueError(`Sequential.add needs a Layer or an Input, received ${describe(layer)}.`);
    }
    if (layer instanceof InputLayer) {
      if (this.inputLayer || this.stack.length > 0) {
        throw new ValueError(
          `An Input can only be the first element of a Sequential model; "${this.name}" already has ${this.inputLayer ? "an Input" : "layers"}.`,
        );
      }
      this.inputLayer = layer;
      return;
    }
    if (this.stack.some((l) => l.name === layer.name) || this.inputLayer?.name === layer.name) {
      throw new ValueError(
        `Layer names must be unique in a model: "${this.name}" already has a layer named "${layer.name}". Pass a different \`name\`.`,
      );
    }
    if (!this.inputLayer && this.stack.length === 0 && layer.batchInputShape) {
      this.inputLayer = new InputLayer({ batchShape: layer.batchInputShape });
    }
    this.stack.push(layer);
    if (this.inputLayer) this.buildLayers(this.inputLayer.batchShape);
  }

  /** Removes and returns the last layer. */
  pop(): Layer {
    const layer = this.stack.pop();
    if (!layer) throw new ValueError(`Cannot pop from model "${this.name}": it has no layers.`);
    return layer;
  }

  /** Builds every layer for inputs of `inputShape` (batch axis included). */
  override build(inputShape: SymbolicShape): void {
    if (!Array.isArray(inputShape) || inputShape.length < 1) {
      throw new ValueError(`Invalid input shape for build: expected an array such as [null, 784], received ${JSON.stringify(inputShape)}.`);
    }
    if (!this.inputLayer) this.inputLayer = new InputLayer({ batchShape: [...inputShape] });
    this.buildLayers(this.inputLayer.batchShape);
  }

  private buildLayers(inputShape: SymbolicShape): void {
    let shape: LayerShape = inputShape;
    for (const layer of this.stack) {
      if (!layer.built) layer.build(shape);
      shape = layer.computeOutputShape(shape);
    }
    this.buildInputShape = [...inputShape];
    this.built = true;
  }

  protected override buildForData(shapes: readonly (readonly number[])[]): void {
    const shape = shapes[0]!;
    if (!this.inputLayer) this.build([null, ...shape.slice(1)]);
    else if (!this.built || this.stack.some((l) => !l.built)) this.buildLayers(this.inputLayer.batchShape);
  }

  protected override checkDataShape(shape: readonly number[], argument: string): void {
    // The input layer's own shape: the `inputShape` getter copies it.
    const expected = this.inputLayer?.batchShape;
    if (expected) checkShapeFits(expected, shape, `Model "${this.name}"`, argument);
  }

  override get inputNames(): string[] {
    return [this.inputLayer?.name ?? "input"];
  }

  override get outputNames(): string[] | null {
    const last = this.stack[this.stack.length - 1];
    return last ? [last.name] : null;
  }

  /** Runs the layers in order on a batch. */
  override call(inputs: Tensor, options: CallOptions = {}): Tensor {
    let x = inputs;
    for (const layer of this.stack) x = layer.apply(x, options);
    return x;
  }

  override computeOutputShape(inputShape: LayerShape): LayerShape {
    let shape = inputShape;
    for (const layer of this.stack) shape = layer.computeOutputShape(shape);
    return shape;
  }

  /** Returns the model's output for `x`, computed in batches with training off. */
  override predict(x: ModelData, options: PredictOptions = {}): Tensor {
    return super.predict(x, options) as Tensor;
  }

  /** Returns the model's output for one batch, with no batching and no progress bar. */
  override predictOnBatch(x: ModelData, options: { allowNonFinite?: boolean } = {}): Tensor {
    return super.predictOnBatch(x, options) as Tensor;
  }

  override getConfig(): Record<string, unknown> {
    const layers = [...(this.inputLayer ? [this.inputLayer] : []), ...this.stack].map((layer) => ({
      module: "keras.layers",
      class_name: layer.className,
      config: layer.getConfig(),
      registered_name: null,
      ...(!(layer instanceof InputLayer) && layer.getBuildConfig() !== null ? { build_config: layer.getBuildConfig() } : {}),
    }));
    return {
      name: this.name,
      trainable: this.trainable,
      dtype: serializeDTypePolicy(this.dtype),
      layers,
      ...(this.inputLayer ? { build_input_shape: this.inputLayer.batchShape } : {}),
    };
  }
}

/** Rebuilds a Sequential model (without weights) from the output of `getConfig()`. */
export function sequentialFromConfig(config: Record<string, unknown>): Sequential {
  const entries = config["layers"];
  if (!Array.isArray(entries)) {
    throw new ValueError(`Invalid Sequential config: expected a "layers" array, received ${JSON.stringify(entries)}.`);
  }
  const model = new Sequential([], { name: config["name"] as string | undefined });
  for (const entry of entries as { class_name: string; config: Record<string, unknown> }[]) model.add(deserialize(entry));
  const buildShape = config["build_input_shape"];
  if (!model.built && Array.isArray(buildShape)) model.build(buildShape as SymbolicShape);
  return model;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "object") return `an object (${(value as object).constructor?.name ?? "Object"})`;
  return typeof value;
}

registerLayer("Sequential", (config) => sequentialFromConfig(config));
