import { ShapeError, ValueError, formatShape } from "../errors.js";
import * as activations from "../activations/index.js";
import type { FusedActivation } from "../backend/backend.js";
import * as initializers from "../initializers/index.js";
import * as ops from "../ops/index.js";
import { type RecurrentCellKind, gateCount, recurrentScan, stateCount } from "../ops/recurrent.js";
import { RandomGenerator, globalRandom } from "../random.js";
import { allocateFloat } from "../tensor/dtype.js";
import { Tensor, zeros } from "../tensor/tensor.js";
import { checkPositiveInteger } from "../utils/validate.js";
import {
  BASE_LAYER_OPTIONS,
  type CallOptions,
  Layer,
  type LayerOptions,
  type LayerShape,
  type SymbolicShape,
  baseOptionsFromConfig,
  isShapeList,
} from "./layer.js";
import type { Variable } from "./variable.js";
import type { RegularizerIdentifier } from "../regularizers/index.js";
import type { ConstraintIdentifier } from "../constraints/index.js";
import { WeightPenalties, penaltyConfigKeys, penaltyOptionNames, penaltyOptionsFromConfig } from "./weight-penalties.js";

/** Options shared by SimpleRNNCell, LSTMCell and GRUCell (and their layers). */
export interface RecurrentCellOptions extends LayerOptions {
  /** Size of the output and of each state. */
  units: number;
  /** Activation of the output (and of the LSTM cell state); default tanh. */
  activation?: activations.ActivationIdentifier;
  useBias?: boolean;
  kernelInitializer?: initializers.InitializerIdentifier;
  recurrentInitializer?: initializers.InitializerIdentifier;
  biasInitializer?: initializers.InitializerIdentifier;
  /** Fraction of the inputs dropped in training, with one mask per sequence. */
  dropout?: number;
  /** Fraction of the previous output dropped in training before the recurrent matmul. */
  recurrentDropout?: number;
  /** Seed of the dropout masks; without it they come from the global generator. */
  seed?: number | null;
  /** Penalty on the input kernel, such as "l2", added to the training loss. */
  kernelRegularizer?: RegularizerIdentifier;
  /** Penalty on the recurrent kernel. */
  recurrentRegularizer?: RegularizerIdentifier;
  biasRegularizer?: RegularizerIdentifier;
  /** Projection applied to the input kernel after each optimizer update, such as "max_norm". */
  kernelConstraint?: ConstraintIdentifier;
  recurrentConstraint?: ConstraintIdentifier;
  biasConstraint?: ConstraintIdentifier;
}

export interface GatedCellOptions extends RecurrentCellOptions {
  /** Activation of the gates; default sigmoid. */
  recurrentActivation?: activations.ActivationIdentifier;
}

export interface LSTMCellOptions extends GatedCellOptions {
  /** Initialize the forget gate's bias to ones (Keras's default, true). */
  unitForgetBias?: boolean;
}

export interface GRUCellOptions extends GatedCellOptions {
  /** Apply the reset gate after the recurrent matmul, with a separate recurrent bias (default true). */
  resetAfter?: boolean;
}

/** The cell weights that take a regularizer and a constraint; "recurrent" is the recurrent kernel. */
const CELL_WEIGHTS = ["kernel", "recurrent", "bias"];

export const CELL_OPTIONS = [
  "units",
  "activation",
  "useBias",
  "kernelInitializer",
  "recurrentInitializer",
  "biasInitializer",
  "dropout",
  "recurrentDropout",
  "seed",
  ...penaltyOptionNames(CELL_WEIGHTS),
];
export const GATED_CELL_OPTIONS = [...CELL_OPTIONS, "recurrentActivation"] as const;

/** Keras's config keys for the regularizers and constraints of the cell weights. */
export const CELL_PENALTY_KEYS = penaltyConfigKeys(CELL_WEIGHTS);

/** Dropout masks of one call: for the inputs, and for the previous output of each gate. */
export interface CellDropoutMasks {
  /** One [batch, features] mask, or one per gate when Keras uses separate gate masks. */
  inputs: Tensor[] | null;
  recurrent: Float32Array[] | Float64Array[] | null;
}

function fusedActivation(fn: activations.ActivationFunction, argument: string, owner: string): FusedActivation {
  if (!fn.fused) {
    throw new ValueError(
      `Invalid \`${argument}\` for ${owner}: recurrent layers support "linear", "relu", "sigmoid" and "tanh", received "${fn.activationName}".`,
    );
  }
  return fn.fused;
}

function checkRate(value: unknown, argument: string, owner: string): number {
  if (value === undefined) return 0;
  if (typeof value !== "number" || Number.isNaN(value)) {
    throw new ValueError(`Invalid \`${argument}\` for ${owner}: expected a number in [0, 1], received ${JSON.stringify(value)}.`);
  }
  // Keras clips the rate into [0, 1].
  return Math.min(1, Math.max(0, value));
}

/**
 * The weights and step computation shared by the three Keras recurrent
 * cells. Gates are laid out side by side in the kernel's columns, in Keras's
 * order: LSTM i, f, c, o and GRU z, r, h.
 */
export abstract class RecurrentCell extends Layer {
  abstract readonly kind: RecurrentCellKind;
  readonly units: number;
  readonly activation: activations.ActivationFunction;
  readonly recurrentActivation: activations.ActivationFunction;
  readonly useBias: boolean;
  readonly kernelInitializer: initializers.Initializer;
  readonly recurrentInitializer: initializers.Initializer;
  readonly biasInitializer: initializers.Initializer;
  readonly dropout: number;
  readonly recurrentDropout: number;
  readonly seed: number | null;
  readonly penalties: WeightPenalties;
  kernel: Variable | null = null;
  recurrentKernel: Variable | null = null;
  bias: Variable | null = null;
  private readonly generator: RandomGenerator | null;

  constructor(options: GatedCellOptions, allowed: readonly string[]) {
    super(options, allowed);
    const owner = `"${this.name}"`;
    this.units = checkPositiveInteger(options.units, "units", owner);
    this.activation = activations.get(options.activation === undefined ? "tanh" : options.activation);
    fusedActivation(this.activation, "activation", owner);
    this.recurrentActivation = activations.get(options.recurrentActivation ?? "sigmoid", "recurrentActivation");
    fusedActivation(this.recurrentActivation, "recurrentActivation", owner);
    this.useBias = options.useBias ?? true;
    this.kernelInitializer = initializers.get(options.kernelInitializer ?? "glorot_uniform", "kernelInitializer");
    this.recurrentInitializer = initializers.get(options.recurrentInitializer ?? "orthogonal", "recurrentInitializer");
    this.biasInitializer = initializers.get(options.biasInitializer ?? "zeros", "biasInitializer");
    this.dropout = checkRate(options.dropout, "dropout", owner);
    this.recurrentDropout = checkRate(options.recurrentDropout, "recurrentDropout", owner);
    const seed = options.seed ?? null;
    if (seed !== null && !(Number.isInteger(seed) && seed >= 0)) {
      throw new ValueError(`Invalid \`seed\` for ${owner}: expected a non-negative integer or null, received ${JSON.stringify(seed)}.`);
    }
    this.seed = seed;
    this.generator = seed === null ? null : new RandomGenerator(seed);
    this.penalties = new WeightPenalties(CELL_WEIGHTS, options);
  }

  get gates(): number {
    return gateCount(this.kind);
  }

  /** Number of state tensors, each [batch, units]: h, and c for LSTM. */
  get stateCount(): number {
    return stateCount(this.kind);
  }

  get fusedActivation(): FusedActivation {
    return this.activation.fused!;
  }

  get fusedRecurrentActivation(): FusedActivation {
    return this.recurrentActivation.fused!;
  }

  /** True for a GRU whose bias has a second row for the recurrent matmul. */
  get hasRecurrentBias(): boolean {
    return false;
  }

  /** Shape of the bias weight. */
  protected biasShape(): number[] {
    return [this.gates * this.units];
  }

  /** Creates the bias's initial value. */
  protected initialBias(): initializers.Initializer {
    return this.biasInitializer;
  }

  override build(inputShape: LayerShape): void {
    const shape = isShapeList(inputShape) ? inputShape[0]! : inputShape;
    const features = shape[shape.length - 1];
    if (shape.length < 2 || features === null || features === undefined) {
      throw new ShapeError(
        `Layer "${this.name}" (${this.className}) needs step inputs of shape (batch, features) with known features, received ${formatShape(shape)}.`,
      );
    }
    const width = this.gates * this.units;
    const penalties = this.penalties;
    this.kernel = penalties.attach("kernel", this.addWeight({ name: "kernel", shape: [features, width], initializer: this.kernelInitializer }));
    this.recurrentKernel = penalties.attach(
      "recurrent",
      this.addWeight({ name: "recurrent_kernel", shape: [this.units, width], initializer: this.recurrentInitializer }),
    );
    if (this.useBias) {
      this.bias = penalties.attach("bias", this.addWeight({ name: "bias", shape: this.biasShape(), initializer: this.initialBias() }));
    }
    super.build(inputShape);
  }

  /** Returns the bias added to the input projection, [gates · units], or null without bias. */
  inputBias(): Tensor | null {
    if (!this.bias) return null;
    if (!this.hasRecurrentBias) return this.bias.value;
    return ops.sliceLastAxis(ops.reshape(this.bias.value, [-1]), 0, this.gates * this.units);
  }

  /** Returns the GRU's recurrent bias (the second bias row), or null. */
  recurrentBias(): Tensor | null {
    if (!this.bias || !this.hasRecurrentBias) return null;
    const width = this.gates * this.units;
    return ops.sliceLastAxis(ops.reshape(this.bias.value, [-1]), width, width);
  }

  /**
   * Draws the dropout masks for one call, shared by every step as in Keras.
   * With recurrent dropout, LSTM and GRU use one mask per gate (Keras's
   * implementation 1); otherwise one input mask serves all gates.
   */
  dropoutMasks(batch: number, features: number, training: boolean): CellDropoutMasks {
    const applyInputs = training && this.dropout > 0 && this.dropout < 1;
    const applyRecurrent = training && this.recurrentDropout > 0 && this.recurrentDropout < 1;
    const perGate = this.kind !== "simple_rnn" && this.recurrentDropout !== 0;
    const count = perGate ? this.gates : 1;
    const generator = this.generator ?? globalRandom();
    const draw = (size: number, rate: number): Float32Array | Float64Array => {
      const mask = allocateFloat(this.dtype, size);
      const scale = 1 / (1 - rate);
      for (let i = 0; i < size; i++) mask[i] = generator.uniform() < 1 - rate ? scale : 0;
      return mask;
    };
    const inputs = applyInputs
      ? Array.from({ length: count }, () => new Tensor(draw(batch * features, this.dropout), [batch, 1, features]))
      : null;
    let recurrent: Float32Array[] | Float64Array[] | null = null;
    if (applyRecurrent) {
      const masks = Array.from({ length: count }, () => draw(batch * this.units, this.recurrentDropout));
      // SimpleRNN has one gate; gated cells get one mask per gate.
      recurrent = masks as Float32Array[] | Float64Array[];
    }
    return { inputs, recurrent };
  }

  /** inputs · kernel + input bias for every step at once: [batch, steps, gates · units]. */
  projectInputs(sequences: Tensor, masks: Tensor[] | null): Tensor {
    const kernel = this.kernel!.value;
    const bias = this.inputBias();
    if (masks === null) return ops.dense(sequences, kernel, bias, "linear");
    if (masks.length === 1) return ops.dense(ops.mul(sequences, masks[0]!), kernel, bias, "linear");
    const units = this.units;
    const parts = masks.map((mask, g) =>
      ops.dense(
        ops.mul(sequences, mask),
        ops.sliceLastAxis(kernel, g * units, units),
        bias ? ops.sliceLastAxis(bias, g * units, units) : null,
        "linear",
      ),
    );
    return ops.concatenate(parts, -1);
  }

  /** Zero initial states for a batch. */
  initialStates(batch: number): Tensor[] {
    return Array.from({ length: this.stateCount }, () => zeros([batch, this.units], this.dtype));
  }

  /**
   * Computes one step, as Keras's `cell(inputs, states)` does. `inputs` is
   * [stepInput, ...states] and the result is [output, ...newStates].
   */
  call(inputs: Tensor | Tensor[], options: CallOptions): Tensor[] {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    const step = list[0]!;
    if (step.rank !== 2) {
      throw new ShapeError(`Layer "${this.name}" (${this.className}) needs a step input of shape (batch, features), received ${formatShape(step.shape)}.`);
    }
    const batch = step.shape[0]!;
    const states = list.length > 1 ? list.slice(1) : this.initialStates(batch);
    if (states.length !== this.stateCount) {
      throw new ValueError(`Layer "${this.name}" (${this.className}) needs ${this.stateCount} states, received ${states.length}.`);
    }
    const masks = this.dropoutMasks(batch, step.shape[1]!, options.training ?? false);
    const sequence = ops.reshape(step, [batch, 1, step.shape[1]!]);
    const packed = this.scan(sequence, states, masks, { goBackwards: false, zeroOutputForMask: false, mask: null });
    // Step 0 of `packed` is the output, and the final states follow it.
    const results: Tensor[] = [];
    for (let k = 0; k <= this.stateCount; k++) results.push(ops.reshape(ops.sliceSteps(packed, k, 1), [batch, this.units]));
    return results;
  }

  /** Runs the cell over [batch, steps, features] and returns the packed outputs of `recurrentScan`. */
  scan(
    sequences: Tensor,
    states: readonly Tensor[],
    masks: CellDropoutMasks,
    options: { goBackwards: boolean; zeroOutputForMask: boolean; mask: Tensor | null },
  ): Tensor {
    const projected = this.projectInputs(sequences, masks.inputs);
    return recurrentScan(projected, this.recurrentKernel!.value, this.recurrentBias(), states, {
      kind: this.kind,
      units: this.units,
      activation: this.fusedActivation,
      recurrentActivation: this.fusedRecurrentActivation,
      resetAfter: this.hasRecurrentBias,
      goBackwards: options.goBackwards,
      zeroOutputForMask: options.zeroOutputForMask,
      mask: options.mask ? (options.mask.data as Float32Array) : null,
      recurrentMasks: masks.recurrent,
    });
  }

  override computeOutputShape(inputShape: LayerShape): LayerShape {
    const shape = isShapeList(inputShape) ? inputShape[0]! : inputShape;
    const out: SymbolicShape = [shape[0] ?? null, this.units];
    return Array.from({ length: this.stateCount + 1 }, () => [...out]);
  }

  /** The config keys from `units` on, in Keras's order for this cell. */
  abstract cellConfig(): Record<string, unknown>;

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), ...this.cellConfig() };
  }

  protected initializerConfig(): Record<string, unknown> {
    return {
      kernel_initializer: this.kernelInitializer.serialize(),
      recurrent_initializer: this.recurrentInitializer.serialize(),
      bias_initializer: this.biasInitializer.serialize(),
    };
  }

  /** The serialized regularizers, then constraints, of the kernel, the recurrent kernel and the bias. */
  protected penaltyConfig(): Record<string, unknown> {
    return { ...this.penalties.regularizerConfig(), ...this.penalties.constraintConfig() };
  }
}

/** Reads the options every cell shares from a Keras config. */
export function cellOptionsFromConfig(config: Record<string, unknown>): GatedCellOptions {
  const options: GatedCellOptions = {
    units: config["units"] as number,
    activation: (config["activation"] as string | null | undefined) ?? "linear",
    useBias: (config["use_bias"] as boolean | undefined) ?? true,
    kernelInitializer: initializers.deserialize((config["kernel_initializer"] ?? "glorot_uniform") as string),
    recurrentInitializer: initializers.deserialize((config["recurrent_initializer"] ?? "orthogonal") as string),
    biasInitializer: initializers.deserialize((config["bias_initializer"] ?? "zeros") as string),
    dropout: (config["dropout"] as number | undefined) ?? 0,
    recurrentDropout: (config["recurrent_dropout"] as number | undefined) ?? 0,
  };
  if (config["activation"] === undefined) options.activation = "tanh";
  if (config["recurrent_activation"] !== undefined) options.recurrentActivation = (config["recurrent_activation"] as string | null) ?? "linear";
  if (config["seed"] !== undefined) options.seed = config["seed"] as number | null;
  return { ...options, ...penaltyOptionsFromConfig(config, CELL_WEIGHTS) };
}

const CELL_CONFIG_KEYS = [
  "units",
  "activation",
  "use_bias",
  "kernel_initializer",
  "recurrent_initializer",
  "bias_initializer",
  "dropout",
  "recurrent_dropout",
  "seed",
  ...CELL_PENALTY_KEYS,
];

/** The cell of SimpleRNN: h = activation(x · kernel + h_prev · recurrent_kernel + bias). */
export class SimpleRNNCell extends RecurrentCell {
  readonly kind = "simple_rnn";

  constructor(options: RecurrentCellOptions) {
    if (options === undefined || options === null || typeof options !== "object") {
      throw new ValueError("SimpleRNNCell needs an options object such as { units: 32 }.");
    }
    super(options, [...BASE_LAYER_OPTIONS, ...CELL_OPTIONS]);
  }

  override get className(): string {
    return "SimpleRNNCell";
  }

  cellConfig(): Record<string, unknown> {
    return {
      units: this.units,
      activation: activations.serialize(this.activation),
      use_bias: this.useBias,
      ...this.initializerConfig(),
      ...this.penaltyConfig(),
      dropout: this.dropout,
      recurrent_dropout: this.recurrentDropout,
      seed: this.seed,
    };
  }

  static fromConfig(config: Record<string, unknown>): SimpleRNNCell {
    const base = baseOptionsFromConfig(config, "SimpleRNNCell", CELL_CONFIG_KEYS);
    return new SimpleRNNCell({ ...base, ...cellOptionsFromConfig(config) });
  }
}

/**
 * The LSTM cell: gates i, f, c, o from x · kernel + h_prev · recurrent_kernel
 * + bias, then c = f ⊙ c_prev + i ⊙ activation(c gate) and
 * h = o ⊙ activation(c).
 */
export class LSTMCell extends RecurrentCell {
  readonly kind = "lstm";
  readonly unitForgetBias: boolean;

  constructor(options: LSTMCellOptions) {
    if (options === undefined || options === null || typeof options !== "object") {
      throw new ValueError("LSTMCell needs an options object such as { units: 32 }.");
    }
    super(options, [...BASE_LAYER_OPTIONS, ...GATED_CELL_OPTIONS, "unitForgetBias"]);
    this.unitForgetBias = options.unitForgetBias ?? true;
  }

  override get className(): string {
    return "LSTMCell";
  }

  protected override initialBias(): initializers.Initializer {
    if (!this.unitForgetBias) return this.biasInitializer;
    return new UnitForgetBias(this.biasInitializer, this.units);
  }

  cellConfig(): Record<string, unknown> {
    return {
      units: this.units,
      activation: activations.serialize(this.activation),
      recurrent_activation: activations.serialize(this.recurrentActivation),
      use_bias: this.useBias,
      unit_forget_bias: this.unitForgetBias,
      ...this.initializerConfig(),
      ...this.penaltyConfig(),
      dropout: this.dropout,
      recurrent_dropout: this.recurrentDropout,
      seed: this.seed,
    };
  }

  static fromConfig(config: Record<string, unknown>): LSTMCell {
    const base = baseOptionsFromConfig(config, "LSTMCell", [...CELL_CONFIG_KEYS, "recurrent_activation", "unit_forget_bias"]);
    return new LSTMCell({ ...base, ...cellOptionsFromConfig(config), unitForgetBias: (config["unit_forget_bias"] as boolean | undefined) ?? true });
  }
}

/**
 * The LSTM bias with `unitForgetBias`: the bias initializer for the i gate,
 * ones for the f gate, the bias initializer again for c and o.
 */
class UnitForgetBias extends initializers.Initializer {
  constructor(
    private readonly base: initializers.Initializer,
    private readonly units: number,
  ) {
    super();
  }

  get className(): string {
    return this.base.className;
  }

  call(shape: readonly number[], dtype: "float32" | "float64" | "int32" = "float32"): Tensor {
    const units = this.units;
    const first = this.base.call([units], dtype);
    const rest = this.base.call([2 * units], dtype);
    const out = zeros(shape, dtype);
    out.data.set(first.data, 0);
    out.data.fill(1, units, 2 * units);
    out.data.set(rest.data, 2 * units);
    return out;
  }

  getConfig(): Record<string, unknown> {
    return this.base.getConfig();
  }
}

/**
 * The GRU cell: gates z, r and the candidate h. With `resetAfter` (the
 * default) the reset gate multiplies h_prev · recurrent_kernel + recurrent
 * bias, and the bias has shape [2, 3 · units] (input row, recurrent row).
 * Without it, the reset gate multiplies h_prev before the matmul, and the
 * bias is [3 · units]. The new state is z ⊙ h_prev + (1 − z) ⊙ candidate.
 */
export class GRUCell extends RecurrentCell {
  readonly kind = "gru";
  readonly resetAfter: boolean;

  constructor(options: GRUCellOptions) {
    if (options === undefined || options === null || typeof options !== "object") {
      throw new ValueError("GRUCell needs an options object such as { units: 32 }.");
    }
    super(options, [...BASE_LAYER_OPTIONS, ...GATED_CELL_OPTIONS, "resetAfter"]);
    this.resetAfter = options.resetAfter ?? true;
  }

  override get className(): string {
    return "GRUCell";
  }

  override get hasRecurrentBias(): boolean {
    return this.resetAfter && this.useBias;
  }

  protected override biasShape(): number[] {
    return this.resetAfter ? [2, 3 * this.units] : [3 * this.units];
  }

  cellConfig(): Record<string, unknown> {
    return {
      units: this.units,
      activation: activations.serialize(this.activation),
      recurrent_activation: activations.serialize(this.recurrentActivation),
      use_bias: this.useBias,
      ...this.initializerConfig(),
      ...this.penaltyConfig(),
      dropout: this.dropout,
      recurrent_dropout: this.recurrentDropout,
      reset_after: this.resetAfter,
      seed: this.seed,
    };
  }

  static fromConfig(config: Record<string, unknown>): GRUCell {
    const base = baseOptionsFromConfig(config, "GRUCell", [...CELL_CONFIG_KEYS, "recurrent_activation", "reset_after"]);
    return new GRUCell({ ...base, ...cellOptionsFromConfig(config), resetAfter: (config["reset_after"] as boolean | undefined) ?? true });
  }
}
