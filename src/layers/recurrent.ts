import { ShapeError, ValueError, formatShape } from "../errors.js";
import * as ops from "../ops/index.js";
import type { Tensor } from "../tensor/tensor.js";
import * as regularizers from "../regularizers/index.js";
import { activityBaseConfig, activityOptionFromConfig, addActivityPenalty } from "./weight-penalties.js";
import {
  BASE_LAYER_OPTIONS,
  type CallOptions,
  Layer,
  type LayerShape,
  type SavedWeightGroups,
  type SymbolicShape,
  baseOptionsFromConfig,
  isShapeList,
} from "./layer.js";
import {
  CELL_OPTIONS,
  CELL_PENALTY_KEYS,
  GATED_CELL_OPTIONS,
  GRUCell,
  type GRUCellOptions,
  LSTMCell,
  type LSTMCellOptions,
  type RecurrentCell,
  type RecurrentCellOptions,
  SimpleRNNCell,
  cellOptionsFromConfig,
} from "./rnn-cells.js";

/** Options of the recurrent layer itself, besides those of its cell. */
export interface RecurrentLayerOptions {
  /** Return the output of every step, [batch, steps, units], instead of the last one. */
  returnSequences?: boolean;
  /** Return [output, ...finalStates] instead of the output alone. */
  returnState?: boolean;
  /** Process the sequence from last step to first; a returned sequence is then in reversed order. */
  goBackwards?: boolean;
  /** Keras's stateful mode; only false is supported. */
  stateful?: boolean;
  /** Accepted for Keras compatibility; the loop is always the same fused op, so it changes nothing. */
  unroll?: boolean;
  /** Masked steps output zeros instead of repeating the previous output. */
  zeroOutputForMask?: boolean;
  /** Penalty on each output (and returned state), divided by the batch size. */
  activityRegularizer?: regularizers.RegularizerIdentifier;
}

const LAYER_OPTIONS = ["returnSequences", "returnState", "goBackwards", "stateful", "unroll", "zeroOutputForMask", "activityRegularizer"] as const;
const LAYER_CONFIG_KEYS = [
  "return_sequences",
  "return_state",
  "go_backwards",
  "stateful",
  "unroll",
  "zero_output_for_mask",
  "activity_regularizer",
  ...CELL_PENALTY_KEYS,
];

function splitOptions<T extends object>(options: T, layerKeys: readonly string[]): [Record<string, unknown>, Record<string, unknown>] {
  const cell: Record<string, unknown> = {};
  const layer: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    if (layerKeys.includes(key)) layer[key] = value;
    else cell[key] = value;
  }
  return [layer, cell];
}

/**
 * A recurrent layer: runs its cell over the steps of [batch, steps, features]
 * inputs. The input projection of all steps is one matmul, and the loop is
 * one fused op (`recurrentScan`) with backpropagation through time.
 *
 * Call it on a tensor, or on [sequences, ...initialStates] to start from
 * given states. With a mask [batch, steps], a masked step keeps the previous
 * states and repeats the previous output (zeros with `zeroOutputForMask`).
 */
export abstract class RecurrentLayer<Cell extends RecurrentCell = RecurrentCell> extends Layer {
  readonly cell: Cell;
  readonly returnSequences: boolean;
  readonly returnState: boolean;
  readonly goBackwards: boolean;
  readonly stateful: boolean;
  readonly unroll: boolean;
  zeroOutputForMask: boolean;
  readonly activityRegularizer: regularizers.Regularizer | null;

  protected constructor(options: RecurrentLayerOptions & { name?: string }, allowed: readonly string[], makeCell: (cellOptions: Record<string, unknown>) => Cell) {
    if (options === undefined || options === null || typeof options !== "object") {
      throw new ValueError(`${new.target.name} needs an options object such as { units: 32 }.`);
    }
    super(options, [...BASE_LAYER_OPTIONS, ...LAYER_OPTIONS, ...allowed]);
    const [, cellOptions] = splitOptions(options, [...BASE_LAYER_OPTIONS, ...LAYER_OPTIONS]);
    this.cell = this.trackLayer(makeCell({ ...cellOptions, dtype: this.dtype }));
    this.supportsMasking = true;
    this.returnSequences = options.returnSequences ?? false;
    this.returnState = options.returnState ?? false;
    this.goBackwards = options.goBackwards ?? false;
    this.stateful = options.stateful ?? false;
    if (this.stateful) {
      throw new ValueError(`Layer "${this.name}" (${this.className}): \`stateful: true\` is not supported yet. Pass the states with returnState and initial states instead.`);
    }
    this.unroll = options.unroll ?? false;
    this.zeroOutputForMask = options.zeroOutputForMask ?? false;
    this.activityRegularizer = regularizers.get(options.activityRegularizer, "activityRegularizer");
  }

  get units(): number {
    return this.cell.units;
  }

  /** Keras 3 saves the cell's weights in the group `cell`. */
  override savedWeightGroups(): SavedWeightGroups {
    return { ...super.savedWeightGroups(), children: [{ name: "cell", layer: this.cell }] };
  }

  override build(inputShape: LayerShape): void {
    const shape = isShapeList(inputShape) ? inputShape[0]! : inputShape;
    this.checkSequenceShape(shape);
    this.cell.build([shape[0] ?? null, shape[2] ?? null]);
    for (const weight of this.cell.weights) weight.path = `${this.name}/${this.cell.name}/${weight.name}`;
    super.build(inputShape);
  }

  private checkSequenceShape(shape: readonly (number | null)[]): void {
    if (shape.length !== 3) {
      throw new ShapeError(
        `Layer "${this.name}" (${this.className}) needs inputs of rank 3 (batch, steps, features), received shape ${formatShape(shape)}. ` +
          `Reshape a (batch, features) input to (batch, 1, features) for one step.`,
      );
    }
  }

  protected override checkInputRank(shape: readonly number[]): void {
    this.checkSequenceShape(shape);
  }

  protected override checkInputShape(shape: readonly number[]): void {
    this.checkSequenceShape(shape);
    const features = this.cell.kernel!.shape[0]!;
    if (shape[2] !== features) {
      throw new ShapeError(
        `Layer "${this.name}" (${this.className}) expects inputs with ${features} features, such as shape ${formatShape([null, shape[1]!, features])}, ` +
          `received ${formatShape(shape)}. Check the data's shape or the model's input shape.`,
      );
    }
  }

  call(inputs: Tensor | Tensor[], options: CallOptions): Tensor | Tensor[] {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    const sequences = list[0]!;
    if (Array.isArray(inputs)) this.checkInputShape(sequences.shape);
    const [batch, steps, features] = sequences.shape as [number, number, number];
    if (steps === 0) {
      throw new ShapeError(`Layer "${this.name}" (${this.className}) needs at least one step, received shape ${formatShape(sequences.shape)}.`);
    }

    const states = list.length > 1 ? list.slice(1) : this.cell.initialStates(batch);
    if (states.length !== this.cell.stateCount) {
      throw new ValueError(
        `Layer "${this.name}" (${this.className}) needs ${this.cell.stateCount} initial state(s) of shape (batch, ${this.units}), received ${states.length}.`,
      );
    }

    const mask = options.mask ?? null;
    if (mask && (mask.size !== batch * steps || mask.shape[0] !== batch)) {
      throw new ShapeError(
        `Layer "${this.name}" (${this.className}) needs a mask of shape ${formatShape([batch, steps])}, received ${formatShape(mask.shape)}.`,
      );
    }

    const dropoutMasks = this.cell.dropoutMasks(batch, features, options.training ?? false);
    const packed = this.cell.scan(sequences, states, dropoutMasks, {
      goBackwards: this.goBackwards,
      zeroOutputForMask: this.zeroOutputForMask,
      mask,
    });

    const units = this.units;
    const output = this.returnSequences
      ? ops.sliceSteps(packed, 0, steps)
      : ops.reshape(ops.sliceSteps(packed, steps - 1, 1), [batch, units]);
    if (!this.returnState) {
      addActivityPenalty(this, this.activityRegularizer, output);
      return output;
    }

    const finalStates: Tensor[] = [];
    for (let k = 0; k < this.cell.stateCount; k++) finalStates.push(ops.reshape(ops.sliceSteps(packed, steps + k, 1), [batch, units]));
    // Keras penalizes every output of the layer, the returned states included.
    addActivityPenalty(this, this.activityRegularizer, [output, ...finalStates]);
    return [output, ...finalStates];
  }

  /** With `returnSequences` the output keeps the input's mask; otherwise there is none. */
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
    const batch = shape[0] ?? null;
    const output: SymbolicShape = this.returnSequences ? [batch, shape[1] ?? null, this.units] : [batch, this.units];
    if (!this.returnState) return output;
    return [output, ...Array.from({ length: this.cell.stateCount }, () => [batch, this.units])];
  }

  override getConfig(): Record<string, unknown> {
    const { name: _name, trainable: _trainable, dtype: _dtype, ...cellConfig } = this.cell.getConfig();
    if (this.className === "SimpleRNN") delete cellConfig["seed"];
    const dropout = { dropout: cellConfig["dropout"], recurrent_dropout: cellConfig["recurrent_dropout"] };
    delete cellConfig["dropout"];
    delete cellConfig["recurrent_dropout"];

    const tail: Record<string, unknown> = {};
    for (const key of ["reset_after", "seed"]) {
      if (key in cellConfig) {
        tail[key] = cellConfig[key];
        delete cellConfig[key];
      }
    }

    // Keras's layer configs put activity_regularizer between the bias regularizer and the constraints,
    // and LSTM's unit_forget_bias after the initializers (the cell writes it before them).
    const ordered: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(cellConfig)) {
      if (key === "unit_forget_bias") continue;
      if (key === "kernel_constraint") ordered["activity_regularizer"] = regularizers.serialize(this.activityRegularizer);
      ordered[key] = value;
      if (key === "bias_initializer" && "unit_forget_bias" in cellConfig) ordered["unit_forget_bias"] = cellConfig["unit_forget_bias"];
    }

    return {
      ...super.getConfig(),
      ...activityBaseConfig(this.activityRegularizer),
      return_sequences: this.returnSequences,
      return_state: this.returnState,
      go_backwards: this.goBackwards,
      stateful: this.stateful,
      unroll: this.unroll,
      zero_output_for_mask: this.zeroOutputForMask,
      ...ordered,
      ...dropout,
      ...tail,
    };
  }
}

/** Reads the layer-level options of a recurrent layer's Keras config. */
function layerOptionsFromConfig(config: Record<string, unknown>): RecurrentLayerOptions {
  const options: RecurrentLayerOptions = {};
  if (config["return_sequences"] !== undefined) options.returnSequences = config["return_sequences"] as boolean;
  if (config["return_state"] !== undefined) options.returnState = config["return_state"] as boolean;
  if (config["go_backwards"] !== undefined) options.goBackwards = config["go_backwards"] as boolean;
  if (config["stateful"] !== undefined) options.stateful = config["stateful"] as boolean;
  if (config["unroll"] !== undefined) options.unroll = config["unroll"] as boolean;
  if (config["zero_output_for_mask"] !== undefined) options.zeroOutputForMask = config["zero_output_for_mask"] as boolean;
  return { ...options, ...activityOptionFromConfig(config) };
}

const BASE_CELL_CONFIG_KEYS = [
  "units",
  "activation",
  "use_bias",
  "kernel_initializer",
  "recurrent_initializer",
  "bias_initializer",
  "dropout",
  "recurrent_dropout",
];

export type SimpleRNNOptions = RecurrentCellOptions & RecurrentLayerOptions;

/** Fully connected RNN: h_t = activation(x_t · kernel + h_{t−1} · recurrent_kernel + bias). */
export class SimpleRNN extends RecurrentLayer<SimpleRNNCell> {
  constructor(options: SimpleRNNOptions) {
    super(options, CELL_OPTIONS, (cell) => new SimpleRNNCell({ ...(cell as unknown as RecurrentCellOptions), name: "simple_rnn_cell" }));
  }

  override get className(): string {
    return "SimpleRNN";
  }

  static fromConfig(config: Record<string, unknown>): SimpleRNN {
    const base = baseOptionsFromConfig(config, "SimpleRNN", [...LAYER_CONFIG_KEYS, ...BASE_CELL_CONFIG_KEYS, "seed"]);
    return new SimpleRNN({ ...base, ...layerOptionsFromConfig(config), ...cellOptionsFromConfig(config) });
  }
}

export type LSTMOptions = LSTMCellOptions & RecurrentLayerOptions;

/** Long short-term memory layer (Hochreiter and Schmidhuber, 1997), with Keras's gate order i, f, c, o. */
export class LSTM extends RecurrentLayer<LSTMCell> {
  constructor(options: LSTMOptions) {
    super(options, [...GATED_CELL_OPTIONS, "unitForgetBias"], (cell) => new LSTMCell({ ...(cell as unknown as LSTMCellOptions), name: "lstm_cell" }));
  }

  override get className(): string {
    return "LSTM";
  }

  static fromConfig(config: Record<string, unknown>): LSTM {
    const keys = [...LAYER_CONFIG_KEYS, ...BASE_CELL_CONFIG_KEYS, "recurrent_activation", "unit_forget_bias", "seed"];
    const base = baseOptionsFromConfig(config, "LSTM", keys);
    return new LSTM({
      ...base,
      ...layerOptionsFromConfig(config),
      ...cellOptionsFromConfig(config),
      unitForgetBias: (config["unit_forget_bias"] as boolean | undefined) ?? true,
    });
  }
}

export type GRUOptions = GRUCellOptions & RecurrentLayerOptions;

/** Gated recurrent unit layer (Cho et al., 2014), with Keras's gate order z, r, h. */
export class GRU extends RecurrentLayer<GRUCell> {
  constructor(options: GRUOptions) {
    super(options, [...GATED_CELL_OPTIONS, "resetAfter"], (cell) => new GRUCell({ ...(cell as unknown as GRUCellOptions), name: "gru_cell" }));
  }

  override get className(): string {
    return "GRU";
  }

  static fromConfig(config: Record<string, unknown>): GRU {
    const keys = [...LAYER_CONFIG_KEYS, ...BASE_CELL_CONFIG_KEYS, "recurrent_activation", "reset_after", "seed"];
    const base = baseOptionsFromConfig(config, "GRU", keys);
    return new GRU({
      ...base,
      ...layerOptionsFromConfig(config),
      ...cellOptionsFromConfig(config),
      resetAfter: (config["reset_after"] as boolean | undefined) ?? true,
    });
  }
}
