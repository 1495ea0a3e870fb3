import { ValueError } from "../errors.js";
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
import { RecurrentLayer } from "./recurrent.js";

export type MergeMode = "concat" | "sum" | "mul" | "ave" | null;

export interface BidirectionalOptions extends LayerOptions {
  /** The recurrent layer to run forwards; a copy of it named `forward_<name>` is used. */
  layer: RecurrentLayer;
  /** How to combine the two directions; null returns both outputs. Default "concat". */
  mergeMode?: MergeMode;
  /** The layer to run backwards; by default a copy of `layer` with `goBackwards` flipped, named `backward_<name>`. */
  backwardLayer?: RecurrentLayer;
}

const MERGE_MODES: readonly MergeMode[] = ["concat", "sum", "mul", "ave", null];

interface SerializedLayer {
  module: "keras.layers";
  class_name: string;
  config: Record<string, unknown>;
  registered_name: null;
}

function serializeLayer(layer: Layer): SerializedLayer {
  return { module: "keras.layers", class_name: layer.className, config: layer.getConfig(), registered_name: null };
}

function removePrefix(name: string, prefix: string): string {
  return name.startsWith(prefix) ? name.slice(prefix.length) : name;
}

/** Rebuilds `layer` from its config with some keys replaced, so the copy shares no weights or state. */
function copyLayer(layer: RecurrentLayer, changes: Record<string, unknown>): RecurrentLayer {
  const config = { ...layer.getConfig(), ...changes };
  return deserialize({ class_name: layer.className, config }) as RecurrentLayer;
}

/**
 * Runs a recurrent layer forwards and a second one backwards over the same
 * sequence and merges their outputs. When sequences are returned, the
 * backward output is reversed back into time order before merging, and both
 * layers output zeros at masked steps (as Keras forces `zeroOutputForMask`).
 */
export class Bidirectional extends Layer {
  readonly forwardLayer: RecurrentLayer;
  readonly backwardLayer: RecurrentLayer;
  readonly mergeMode: MergeMode;
  readonly returnSequences: boolean;
  readonly returnState: boolean;

  constructor(options: BidirectionalOptions) {
    if (options === undefined || options === null || typeof options !== "object") {
      throw new ValueError("Bidirectional needs an options object such as { layer: new LSTM({ units: 32, returnSequences: true }) }.");
    }
    super(options, [...BASE_LAYER_OPTIONS, "layer", "mergeMode", "backwardLayer"]);
    if (!(options.layer instanceof RecurrentLayer)) {
      throw new ValueError(`Bidirectional needs \`layer\` to be a recurrent layer (SimpleRNN, LSTM or GRU), received ${describe(options.layer)}.`);
    }
    if (options.backwardLayer !== undefined && !(options.backwardLayer instanceof RecurrentLayer)) {
      throw new ValueError(`Bidirectional needs \`backwardLayer\` to be a recurrent layer, received ${describe(options.backwardLayer)}.`);
    }
    const mergeMode = options.mergeMode === undefined ? "concat" : options.mergeMode;
    if (!MERGE_MODES.includes(mergeMode)) {
      throw new ValueError(`Invalid \`mergeMode\` ${JSON.stringify(mergeMode)} for Bidirectional: expected "concat", "sum", "mul", "ave" or null.`);
    }
    this.mergeMode = mergeMode;

    const layer = options.layer;
    this.forwardLayer = copyLayer(layer, { name: `forward_${removePrefix(layer.name, "forward_")}` });
    this.backwardLayer =
      options.backwardLayer ??
      copyLayer(layer, { name: `backward_${removePrefix(layer.name, "backward_")}`, go_backwards: !layer.goBackwards });
    this.forwardLayer.zeroOutputForMask = this.forwardLayer.returnSequences;
    this.backwardLayer.zeroOutputForMask = this.backwardLayer.returnSequences;

    if (this.forwardLayer.goBackwards === this.backwardLayer.goBackwards) {
      throw new ValueError(
        `Bidirectional needs layers that run in opposite directions, but both have goBackwards ${this.forwardLayer.goBackwards}.`,
      );
    }
    for (const key of ["returnSequences", "returnState"] as const) {
      if (this.forwardLayer[key] !== this.backwardLayer[key]) {
        throw new ValueError(
          `Bidirectional needs the forward and backward layers to agree on \`${key}\`, received ${this.forwardLayer[key]} and ${this.backwardLayer[key]}.`,
        );
      }
    }

    this.returnSequences = this.forwardLayer.returnSequences;
    this.returnState = this.forwardLayer.returnState;
    this.supportsMasking = true;
    this.trackLayer(this.forwardLayer);
    this.trackLayer(this.backwardLayer);
  }

  override get className(): string {
    return "Bidirectional";
  }

  /** Keras 3 saves the two layers in the groups `forward_layer` and `backward_layer`. */
  override savedWeightGroups(): SavedWeightGroups {
    return {
      ...super.savedWeightGroups(),
      children: [
        { name: "forward_layer", layer: this.forwardLayer },
        { name: "backward_layer", layer: this.backwardLayer },
      ],
    };
  }

  override build(inputShape: LayerShape): void {
    const shape = isShapeList(inputShape) ? inputShape[0]! : inputShape;
    this.forwardLayer.build(shape);
    this.backwardLayer.build(shape);
    for (const weight of [...this.forwardLayer.weights, ...this.backwardLayer.weights]) {
      weight.path = `${this.name}/${weight.path}`;
    }
    super.build(inputShape);
  }

  protected override checkInputRank(shape: readonly number[]): void {
    (this.forwardLayer as unknown as { checkInputRank(s: readonly number[]): void }).checkInputRank(shape);
  }

  protected override checkInputShape(shape: readonly number[]): void {
    (this.forwardLayer as unknown as { checkInputShape(s: readonly number[]): void }).checkInputShape(shape);
  }

  call(inputs: Tensor | Tensor[], options: CallOptions): Tensor | Tensor[] {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    const sequences = list[0]!;
    const initialStates = list.slice(1);
    const half = initialStates.length / 2;
    if (!Number.isInteger(half)) {
      throw new ValueError(`Bidirectional needs an even number of initial states (forward ones, then backward ones), received ${initialStates.length}.`);
    }

    const callOptions: CallOptions = { training: options.training ?? false, mask: options.mask ?? null };
    const forwardInputs = half > 0 ? [sequences, ...initialStates.slice(0, half)] : sequences;
    const backwardInputs = half > 0 ? [sequences, ...initialStates.slice(half)] : sequences;
    const forwardResult = this.forwardLayer.call(forwardInputs, callOptions);
    const backwardResult = this.backwardLayer.call(backwardInputs, callOptions);

    const y = Array.isArray(forwardResult) ? forwardResult[0]! : forwardResult;
    let yReversed = Array.isArray(backwardResult) ? backwardResult[0]! : backwardResult;
    const states = this.returnState
      ? [...(forwardResult as Tensor[]).slice(1), ...(backwardResult as Tensor[]).slice(1)]
      : [];
    if (this.returnSequences) yReversed = ops.reverseSteps(yReversed);

    let outputs: Tensor[];
    switch (this.mergeMode) {
      case "concat":
        outputs = [ops.concatenate([y, yReversed], -1)];
        break;
      case "sum":
        outputs = [ops.add(y, yReversed)];
        break;
      case "ave":
        outputs = [ops.affine(ops.add(y, yReversed), 0.5)];
        break;
      case "mul":
        outputs = [ops.mul(y, yReversed)];
        break;
      case null:
        outputs = [y, yReversed];
        break;
    }

    if (outputs.length === 1 && states.length === 0) return outputs[0]!;
    return [...outputs, ...states];
  }

  /** With `returnSequences` the outputs keep the input's mask; otherwise there is none. */
  /** Keeps the input's mask on the sequence output (with `returnSequences`); returned states carry none. */
  override computeMask(inputs: Tensor | Tensor[], mask: Tensor | null | (Tensor | null)[]): Tensor | null | (Tensor | null)[] {
    const inputMask = Array.isArray(mask) ? (mask[0] ?? null) : mask;
    const outputMask = this.returnSequences ? inputMask : null;
    if (!this.returnState) return outputMask;
    return [outputMask, ...this.computeStateMasks(inputs)];
  }

  private computeStateMasks(_inputs: Tensor | Tensor[]): null[] {
    const shapes = this.computeOutputShape(this.buildInputShape ?? [null, null, null]);
    return (shapes as SymbolicShape[]).slice(1).map(() => null);
  }

  override computeOutputShape(inputShape: LayerShape): LayerShape {
    const shape = isShapeList(inputShape) ? inputShape[0]! : inputShape;
    const forward = this.forwardLayer.computeOutputShape(shape);
    let output = (this.returnState ? (forward as SymbolicShape[])[0]! : forward) as SymbolicShape;
    const states = this.returnState ? (forward as SymbolicShape[]).slice(1) : [];
    const outputs: SymbolicShape[] = [];
    if (this.mergeMode === "concat") {
      const last = output[output.length - 1];
      output = [...output.slice(0, -1), last === null || last === undefined ? null : last * 2];
      outputs.push(output);
    } else if (this.mergeMode === null) {
      outputs.push([...output], [...output]);
    } else {
      outputs.push(output);
    }
    if (outputs.length === 1 && states.length === 0) return outputs[0]!;
    return [...outputs, ...states, ...states.map((s) => [...s])];
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      merge_mode: this.mergeMode,
      layer: serializeLayer(this.forwardLayer),
      backward_layer: serializeLayer(this.backwardLayer),
    };
  }

  static fromConfig(config: Record<string, unknown>): Bidirectional {
    const base = baseOptionsFromConfig(config, "Bidirectional", ["merge_mode", "layer", "backward_layer"]);
    const layer = deserialize(config["layer"] as SerializedLayer) as RecurrentLayer;
    const backward = config["backward_layer"] as SerializedLayer | null | undefined;
    const options: BidirectionalOptions = {
      ...base,
      layer,
      mergeMode: config["merge_mode"] === undefined ? "concat" : (config["merge_mode"] as MergeMode),
    };
    if (backward) options.backwardLayer = deserialize(backward) as RecurrentLayer;
    return new Bidirectional(options);
  }
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "object") return `an object (${(value as object).constructor?.name ?? "Object"})`;
  return typeof value;
}
