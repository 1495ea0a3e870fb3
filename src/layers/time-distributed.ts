import { ShapeError, ValueError, formatShape } from "../errors.js";
import * as ops from "../ops/index.js";
import type { Tensor } from "../tensor/tensor.js";
import { deserialize } from "./index.js";
import {
  BASE_LAYER_OPTIONS,
  type CallOptions,
  Layer,
  type LayerOptions,
  type LayerShape,
  type SavedWeightGroups,
  type SymbolicShape,
  baseOptionsFromConfig,
  isShapeList,
} from "./layer.js";

export interface TimeDistributedOptions extends LayerOptions {
  /** The layer applied to every step; its weights are shared across steps. */
  layer: Layer;
}

/**
 * Applies one layer to every step of a sequence: inputs (batch, steps, …)
 * are reshaped to (batch · steps, …), passed through `layer`, and reshaped
 * back to (batch, steps, …). The input mask passes through to the output.
 */
export class TimeDistributed extends Layer {
  readonly layer: Layer;

  constructor(options: TimeDistributedOptions) {
    super(options ?? {}, [...BASE_LAYER_OPTIONS, "layer"]);
    if (!(options?.layer instanceof Layer)) {
      throw new ValueError(
        `TimeDistributed "${this.name}" needs \`layer\`, a Layer instance such as new Dense({ units: 8 }), received ${describe(options?.layer)}.`,
      );
    }
    this.layer = this.trackLayer(options.layer);
    this.supportsMasking = true;
  }

  override get className(): string {
    return "TimeDistributed";
  }

  /** Keras 3 saves the wrapped layer in the group `layer`. */
  override savedWeightGroups(): SavedWeightGroups {
    return { ...super.savedWeightGroups(), children: [{ name: "layer", layer: this.layer }] };
  }

  /** Returns the inner layer's input shape: the input shape without the steps axis. */
  private childShape(inputShape: LayerShape): SymbolicShape {
    if (isShapeList(inputShape) || inputShape.length < 3) {
      throw new ShapeError(
        `Layer "${this.name}" (TimeDistributed) needs one input of rank 3 or more (batch, steps, …), ` +
          `received ${isShapeList(inputShape) ? "several inputs" : `shape ${formatShape(inputShape)}`}.`,
      );
    }
    return [inputShape[0]!, ...inputShape.slice(2)];
  }

  protected override checkInputRank(shape: readonly number[]): void {
    this.childShape([...shape]);
  }

  override build(inputShape: LayerShape): void {
    const child = this.childShape(inputShape);
    if (!this.layer.built) this.layer.build([null, ...child.slice(1)]);
    super.build(inputShape);
  }

  call(inputs: Tensor, options: CallOptions): Tensor {
    const [batch, steps] = inputs.shape as [number, number];
    const rest = inputs.shape.slice(2);
    const mask = options.mask ?? null;
    if (mask !== null && (mask.rank < 2 || mask.shape[0] !== batch || mask.shape[1] !== steps)) {
      throw new ShapeError(
        `Layer "${this.name}" (TimeDistributed) received a mask of shape ${formatShape(mask.shape)} for inputs of shape ${formatShape(inputs.shape)}; ` +
          `the mask must start with the batch and steps axes (${batch}, ${steps}).`,
      );
    }
    // A (batch, steps) mask marks whole steps, which the inner layer sees as separate samples, so only a
    // mask with further axes (a sequence per step) is passed on, reshaped like the input.
    const innerMask = mask !== null && mask.rank > 2 ? ops.reshape(mask, [batch * steps, ...mask.shape.slice(2)]) : null;
    const flat = ops.reshape(inputs, [batch * steps, ...rest]);
    const output = this.layer.apply(flat, { training: options.training ?? false, ...(innerMask === null ? {} : { mask: innerMask }) });
    if (Array.isArray(output)) {
      throw new ValueError(`TimeDistributed "${this.name}" needs a layer with one output, but "${this.layer.name}" returned ${output.length}.`);
    }
    return ops.reshape(output, [batch, steps, ...output.shape.slice(1)]);
  }

  override computeOutputShape(inputShape: LayerShape): SymbolicShape {
    const shape = inputShape as SymbolicShape;
    const childOutput = this.layer.computeOutputShape(this.childShape(inputShape));
    if (isShapeList(childOutput)) {
      throw new ValueError(`TimeDistributed "${this.name}" needs a layer with one output, but "${this.layer.name}" has several.`);
    }
    return [childOutput[0] ?? null, shape[1]!, ...childOutput.slice(1)];
  }

  override getConfig(): Record<string, unknown> {
    const inner: Record<string, unknown> = {
      module: "keras.layers",
      class_name: this.layer.className,
      config: this.layer.getConfig(),
      registered_name: null,
    };
    const built = this.layer.buildInputShape;
    if (built !== null) inner["build_config"] = { input_shape: isShapeList(built) ? built.map((s) => [...s]) : [...built] };
    return { ...super.getConfig(), layer: inner };
  }

  static fromConfig(config: Record<string, unknown>): TimeDistributed {
    const options = baseOptionsFromConfig(config, "TimeDistributed", ["layer"]);
    const serialized = config["layer"] as { class_name?: unknown; config?: unknown; build_config?: { input_shape?: LayerShape } } | undefined;
    if (!serialized || typeof serialized.class_name !== "string" || typeof serialized.config !== "object" || serialized.config === null) {
      throw new ValueError('TimeDistributed config needs "layer", a serialized layer with "class_name" and "config".');
    }
    const layer = deserialize({ class_name: serialized.class_name, config: serialized.config as Record<string, unknown> });
    const shape = serialized.build_config?.input_shape;
    if (shape !== undefined) layer.build(shape);
    return new TimeDistributed({ ...options, layer });
  }
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  return typeof value === "object" ? `an object (${(value as object).constructor?.name ?? "Object"})` : typeof value;
}
