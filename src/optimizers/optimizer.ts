import { NotBuiltError, ValueError, formatShape } from "../errors.js";
import { getBackend } from "../backend/registry.js";
import type { Variable } from "../layers/variable.js";
import type { DType, FloatArray } from "../tensor/dtype.js";
import { shapesEqual } from "../tensor/shape.js";
import { Tensor, fill } from "../tensor/tensor.js";
import { toSnakeCase, uniqueName } from "../utils/naming.js";
import { LearningRateSchedule, serialize as serializeSchedule } from "./schedules.js";

/** A fixed rate, a schedule, or a function of the iteration count (0 at the first step). */
export type LearningRate = number | LearningRateSchedule | ((step: number) => number);

export interface OptimizerOptions {
  learningRate?: LearningRate;
  /** Decoupled weight decay: w ← w − w · weightDecay · lr before each update. */
  weightDecay?: number | null;
  /** Scales each gradient so that its L2 norm is at most this. */
  clipnorm?: number | null;
  /** Clips each gradient element to [−clipvalue, clipvalue]. */
  clipvalue?: number | null;
  /** Scales all gradients together so that their joint L2 norm is at most this. */
  globalClipnorm?: number | null;
  /** Keeps an exponential moving average of the trained variables. */
  useEma?: boolean;
  /** In [0, 1]: average ← emaMomentum · average + (1 − emaMomentum) · w. */
  emaMomentum?: number;
  /** With `useEma`, copies the averages into the variables every this many iterations. */
  emaOverwriteFrequency?: number | null;
  /** Gradients are divided by this before use; `scaleLoss` multiplies a loss by it. */
  lossScaleFactor?: number | null;
  /** Averages the gradients of this many calls and updates once, on the last of them. */
  gradientAccumulationSteps?: number | null;
  name?: string;
}

export const BASE_OPTIMIZER_OPTIONS = [
  "learningRate",
  "weightDecay",
  "clipnorm",
  "clipvalue",
  "globalClipnorm",
  "useEma",
  "emaMomentum",
  "emaOverwriteFrequency",
  "lossScaleFactor",
  "gradientAccumulationSteps",
  "name",
];

/** Keras config keys of the common options and the option names they map to. */
export const BASE_CONFIG_OPTIONS: Record<string, string> = {
  name: "name",
  learning_rate: "learningRate",
  weight_decay: "weightDecay",
  clipnorm: "clipnorm",
  global_clipnorm: "globalClipnorm",
  clipvalue: "clipvalue",
  use_ema: "useEma",
  ema_momentum: "emaMomentum",
  ema_overwrite_frequency: "emaOverwriteFrequency",
  loss_scale_factor: "lossScaleFactor",
  gradient_accumulation_steps: "gradientAccumulationSteps",
};

/** One entry of the optimizer state, named as Keras names it. */
export interface OptimizerVariable {
  name: string;
  value: Tensor;
}

/**
 * A projection applied to a variable after each update, such as a max-norm
 * constraint. Optimizers look for it in a variable's `constraint` property.
 */
export type VariableConstraint = (value: Tensor) => Tensor;

function optionalNumber(value: unknown, option: string, owner: string, minimum = 0): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== "number" || !Number.isFinite(value) || value < minimum) {
    throw new ValueError(`Invalid \`${option}\` for ${owner}: expected a finite number ≥ ${minimum} or null, received ${JSON.stringify(value)}.`);
  }
  return value;
}

function optionalInteger(value: unknown, option: string, owner: string, minimum: number): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== "number" || !Number.isInteger(value) || value < minimum) {
    throw new ValueError(`Invalid \`${option}\` for ${owner}: expected an integer ≥ ${minimum} or null, received ${JSON.stringify(value)}.`);
  }
  return value;
}

/**
 * Base optimizer. `build` creates the state for a list of variables.
 * `applyGradients` runs one step in Keras's order: loss-scale division,
 * gradient accumulation, clipping, decoupled weight decay, one fused update
 * per variable, the moving average, constraints, and the iteration count.
 */
export abstract class Optimizer {
  readonly name: string;
  readonly weightDecay: number | null;
  readonly clipnorm: number | null;
  readonly clipvalue: number | null;
  readonly globalClipnorm: number | null;
  readonly useEma: boolean;
  readonly emaMomentum: number;
  readonly emaOverwriteFrequency: number | null;
  readonly lossScaleFactor: number | null;
  readonly gradientAccumulationSteps: number | null;
  built = false;
  protected trainableVariables: Variable[] = [];
  /** The fixed rate, stored as float32 as Keras keeps it in a float32 variable; unused with a schedule. */
  private fixedLearningRate = 0;
  private readonly schedule: LearningRateSchedule | ((step: number) => number) | null;
  /** Calls of `applyGradients` so far (Keras's `_iterations`, saved as "iteration"). */
  private callCount = 0;
  /** The learning rate of the step in progress. */
  private stepRate = 0;
  private readonly stateVariables: OptimizerVariable[] = [];
  private movingAverages: FloatArray[] = [];
  private gradientAccumulators: FloatArray[] = [];
  /** Per-variable buffers for gradients that clipping, scaling or accumulation rewrite. */
  private scratch: (FloatArray | null)[] = [];
  /** The gradient each variable is updated with in the step in progress. */
  private stepGradients: FloatArray[] = [];
  private stepIndices: number[] = [];
  private excludedFromDecay = new Set<Variable>();
  private excludedNamePattern: RegExp | null = null;

  constructor(options: OptimizerOptions, defaultLearningRate: number) {
    const owner = this.className;
    this.name = options.name ?? uniqueName(toSnakeCase(owner));
    const learningRate = options.learningRate ?? defaultLearningRate;
    if (learningRate instanceof LearningRateSchedule || typeof learningRate === "function") {
      this.schedule = learningRate;
    } else {
      this.schedule = null;
      this.learningRate = learningRate;
    }
    this.weightDecay = optionalNumber(options.weightDecay, "weightDecay", owner, -Infinity);
    this.clipnorm = optionalNumber(options.clipnorm, "clipnorm", owner);
    this.clipvalue = optionalNumber(options.clipvalue, "clipvalue", owner);
    this.globalClipnorm = optionalNumber(options.globalClipnorm, "globalClipnorm", owner);
    const clipOptions = [this.clipnorm, this.clipvalue, this.globalClipnorm].filter((v) => v !== null).length;
    if (clipOptions > 1) {
      throw new ValueError(
        `${owner} accepts at most one of \`clipnorm\`, \`clipvalue\` and \`globalClipnorm\`, received clipnorm=${this.clipnorm}, clipvalue=${this.clipvalue}, globalClipnorm=${this.globalClipnorm}.`,
      );
    }
    this.useEma = options.useEma ?? false;
    if (typeof this.useEma !== "boolean") {
      throw new ValueError(`Invalid \`useEma\` for ${owner}: expected a boolean, received ${JSON.stringify(options.useEma)}.`);
    }
    this.emaMomentum = options.emaMomentum ?? 0.99;
    this.emaOverwriteFrequency = options.emaOverwriteFrequency ?? null;
    if (this.useEma) {
      if (typeof this.emaMomentum !== "number" || !(this.emaMomentum >= 0 && this.emaMomentum <= 1)) {
        throw new ValueError(`Invalid \`emaMomentum\` for ${owner}: expected a number in [0, 1], received ${JSON.stringify(this.emaMomentum)}.`);
      }
      optionalInteger(this.emaOverwriteFrequency, "emaOverwriteFrequency", owner, 1);
    }
    this.lossScaleFactor = optionalNumber(options.lossScaleFactor, "lossScaleFactor", owner);
    this.gradientAccumulationSteps = optionalInteger(options.gradientAccumulationSteps, "gradientAccumulationSteps", owner, 2);
  }

  /** The Keras class name, used in serialized configs. */
  get className(): string {
    return this.constructor.name;
  }

  /**
   * The learning rate for the next step: the fixed rate, or the schedule at
   * the current call count (schedules count every call, also those that only
   * accumulate gradients), rounded to float32.
   */
  get learningRate(): number {
    if (this.schedule === null) return this.fixedLearningRate;
    const value = this.schedule instanceof LearningRateSchedule ? this.schedule.call(this.callCount) : this.schedule(this.callCount);
    return Math.fround(value);
  }

  set learningRate(value: number) {
    if (this.schedule !== null) {
      throw new ValueError(`${this.className} "${this.name}" uses a learning-rate schedule, so its learning rate cannot be set; create the optimizer with a number instead.`);
    }
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
      throw new ValueError(`Invalid \`learningRate\` for ${this.className}: expected a non-negative number, a LearningRateSchedule or a function, received ${JSON.stringify(value)}.`);
    }
    this.fixedLearningRate = Math.fround(value);
  }

  /** The schedule or function given as `learningRate`, or null for a fixed rate. */
  get learningRateSchedule(): LearningRateSchedule | ((step: number) => number) | null {
    return this.schedule;
  }

  /**
   * Updates applied so far. With gradient accumulation this counts updates,
   * not calls, as Keras's `iterations` does: bias corrections use it.
   */
  get iterations(): number {
    return this.gradientAccumulationSteps ? Math.floor(this.callCount / this.gradientAccumulationSteps) : this.callCount;
  }

  /** Learning rate of the step in progress, for `updateStep`. */
  protected get currentLearningRate(): number {
    return this.stepRate;
  }

  /**
   * Excludes variables from weight decay, by object or by name: a variable is
   * excluded when any of `names`, read as regular expressions, matches its
   * name (Keras's `exclude_from_weight_decay`). Call it before the first step.
   */
  excludeFromWeightDecay(variables: readonly Variable[] = [], names: readonly string[] = []): void {
    if (this.built) {
      throw new ValueError(`excludeFromWeightDecay must be called before ${this.className} "${this.name}" is built by its first step.`);
    }
    this.excludedFromDecay = new Set(variables);
    this.excludedNamePattern = names.length > 0 ? new RegExp([...new Set(names)].join("|")) : null;
  }

  /** Creates the optimizer's state for `variables` (called by the first step, or before loading saved state). */
  build(variables: readonly Variable[]): void {
    if (this.built) return;
    this.trainableVariables = [...variables];
    if (this.useEma) {
      this.movingAverages = variables.map((v) => this.addSlot(v, "average").data as FloatArray);
    }
    if (this.gradientAccumulationSteps) {
      this.gradientAccumulators = variables.map((v) => this.addSlot(v, "gradient_accumulator").data as FloatArray);
    }
    this.scratch = variables.map(() => null);
    this.stepGradients = variables.map((v) => v.value.data as FloatArray);
    this.stepIndices = variables.map((_, i) => i);
    this.buildSlots(variables);
    this.built = true;
  }

  /** Creates the per-variable slots of one optimizer, in Keras's order. */
  protected abstract buildSlots(variables: readonly Variable[]): void;

  /** Adds a state slot shaped like `variable`, named `<variable path>_<slot>` as Keras names it. */
  protected addSlot(variable: Variable, slot: string, initialValue = 0): Tensor {
    return this.addStateVariable(`${variable.path.replaceAll("/", "_")}_${slot}`, variable.shape, variable.value.dtype, initialValue);
  }

  /** Adds a state entry of any shape to the end of `variables`. */
  protected addStateVariable(name: string, shape: readonly number[], dtype: DType, initialValue = 0): Tensor {
    const value = fill([...shape], initialValue, dtype);
    this.stateVariables.push({ name, value });
    return value;
  }

  /**
   * The optimizer state in Keras's order, as `.keras` files store it:
   * "iteration", "learning_rate" (absent with a schedule), then the slots.
   * The first two are fresh tensors; the slots are the live state.
   */
  get variables(): OptimizerVariable[] {
    const head: OptimizerVariable[] = [{ name: "iteration", value: new Tensor(new Int32Array([this.callCount]), []) }];
    if (this.schedule === null) head.push({ name: "learning_rate", value: new Tensor(new Float32Array([this.fixedLearningRate]), []) });
    return [...head, ...this.stateVariables];
  }

  /**
   * Loads state saved from `variables` (same order and shapes) into a built
   * optimizer. Throws when the count or a shape differs, so a caller that
   * prefers Keras's behaviour (warn and skip) can catch it.
   */
  setVariables(values: readonly (Tensor | OptimizerVariable)[]): void {
    if (!this.built) {
      throw new NotBuiltError(`${this.className} "${this.name}" has no state yet; call build(model.trainableWeights) before setVariables.`);
    }
    const targets = this.variables;
    if (values.length !== targets.length) {
      throw new ValueError(`${this.className} "${this.name}" has ${targets.length} state variables, but ${values.length} values were given.`);
    }
    const tensors = values.map((v) => (v instanceof Tensor ? v : v.value));
    targets.forEach((target, i) => {
      const source = tensors[i]!;
      if (!shapesEqual(source.shape, target.value.shape)) {
        throw new ValueError(
          `State variable ${i} ("${target.name}") of ${this.className} "${this.name}" has shape ${formatShape(target.value.shape)}, but the value has shape ${formatShape(source.shape)}.`,
        );
      }
    });
    targets.forEach((target, i) => {
      const source = tensors[i]!;
      if (i === 0) {
        this.callCount = Math.round(source.data[0]!);
      } else if (i === 1 && this.schedule === null) {
        this.learningRate = source.data[0]!;
      } else {
        target.value.data.set(source.data);
      }
    });
  }

  /** Multiplies a loss by `lossScaleFactor` (when set), to be undone on the gradients by `applyGradients`. */
  scaleLoss(loss: number): number {
    return this.lossScaleFactor === null ? loss : loss * this.lossScaleFactor;
  }

  /** Applies one step. `gradients[i]` belongs to `variables[i]`. */
  applyGradients(gradients: readonly Tensor[], variables: readonly Variable[]): void {
    if (gradients.length !== variables.length) {
      throw new ValueError(`applyGradients received ${gradients.length} gradients for ${variables.length} variables; pass one gradient per variable.`);
    }
    if (gradients.length === 0) return;
    if (!this.built) this.build(variables);
    this.resolveGradients(gradients, variables);
    const count = gradients.length;
    if (this.lossScaleFactor !== null) {
      for (let i = 0; i < count; i++) this.scaleGradient(i, 1 / this.lossScaleFactor);
    }
    let updates = true;
    if (this.gradientAccumulationSteps) updates = this.accumulate(count);
    if (updates) {
      this.clipGradients(count);
      this.stepRate = this.learningRate;
      this.applyWeightDecay(count);
      this.beforeUpdates();
      for (let i = 0; i < count; i++) {
        const index = this.stepIndices[i]!;
        this.updateStep(this.stepGradients[i]!, this.trainableVariables[index]!, index);
      }
    }
    if (this.useEma) this.updateAverages();
    for (let i = 0; i < count; i++) {
      const variable = this.trainableVariables[this.stepIndices[i]!]!;
      const constraint = (variable as { constraint?: VariableConstraint | null }).constraint;
      if (typeof constraint === "function") variable.value.data.set(constraint(variable.value).data);
    }
    this.callCount++;
  }

  /** Checks shapes and membership, and fills `stepIndices` and `stepGradients` for this step. */
  private resolveGradients(gradients: readonly Tensor[], variables: readonly Variable[]): void {
    // Plain loops, because this runs every training step and closures would allocate.
    for (let i = 0; i < gradients.length; i++) {
      const g = gradients[i]!;
      const variable = variables[i]!;
      if (!shapesEqual(g.shape, variable.shape)) {
        throw new ValueError(
          `Gradient ${i} has shape ${formatShape(g.shape)}, but variable "${variable.path}" has shape ${formatShape(variable.shape)}.`,
        );
      }
      // The variables usually come in build order, so check that position before searching.
      const index = this.trainableVariables[i] === variable ? i : this.trainableVariables.indexOf(variable);
      if (index < 0) {
        throw new ValueError(`Variable "${variable.path}" was not part of this optimizer's first step; create a new optimizer for a new set of variables.`);
      }
      this.stepIndices[i] = index;
      this.stepGradients[i] = g.data as FloatArray;
    }
  }

  /** Returns the scratch buffer of the variable at build position `index`, creating it on first use. */
  private scratchFor(index: number): FloatArray {
    let buffer = this.scratch[index];
    if (!buffer) {
      const variable = this.trainableVariables[index]!;
      buffer = variable.value.dtype === "float64" ? new Float64Array(variable.value.size) : new Float32Array(variable.value.size);
      this.scratch[index] = buffer;
    }
    return buffer;
  }

  /** Replaces step gradient `i` with itself times `scale`, never writing into the caller's tensor. */
  private scaleGradient(i: number, scale: number): void {
    const out = this.scratchFor(this.stepIndices[i]!);
    getBackend().affine(this.stepGradients[i]!, scale, 0, out);
    this.stepGradients[i] = out;
  }

  /**
   * Adds this call's gradients to the accumulators. Returns true on every
   * `gradientAccumulationSteps`-th call, after replacing the step gradients
   * with the mean of the accumulated ones and clearing the accumulators.
   */
  private accumulate(count: number): boolean {
    const backend = getBackend();
    const steps = this.gradientAccumulationSteps!;
    const isUpdate = (this.callCount + 1) % steps === 0;
    for (let i = 0; i < count; i++) {
      const index = this.stepIndices[i]!;
      const accumulator = this.gradientAccumulators[index]!;
      const shape = [accumulator.length];
      if (isUpdate) {
        const out = this.scratchFor(index);
        backend.binary("add", this.stepGradients[i]!, shape, accumulator, shape, out, shape);
        backend.affine(out, 1 / steps, 0, out);
        accumulator.fill(0);
        this.stepGradients[i] = out;
      } else {
        backend.binary("add", this.stepGradients[i]!, shape, accumulator, shape, accumulator, shape);
      }
    }
    return isUpdate;
  }

  private clipGradients(count: number): void {
    const backend = getBackend();
    if (this.clipnorm !== null && this.clipnorm > 0) {
      const limit = this.clipnorm;
      for (let i = 0; i < count; i++) {
        const norm = Math.sqrt(backend.squaredNorm(this.stepGradients[i]!));
        // Zero gradients keep their value: the scale is then exactly 1.
        if (norm > limit) this.scaleGradient(i, limit / norm);
      }
    } else if (this.globalClipnorm !== null && this.globalClipnorm > 0) {
      const limit = this.globalClipnorm;
      let total = 0;
      for (let i = 0; i < count; i++) total += backend.squaredNorm(this.stepGradients[i]!);
      const norm = Math.sqrt(total);
      // As in Keras, a non-finite norm makes every gradient NaN rather than passing it through.
      const scale = Number.isFinite(norm) ? limit * Math.min(1 / norm, 1 / limit) : Number.NaN;
      if (scale !== 1) for (let i = 0; i < count; i++) this.scaleGradient(i, scale);
    } else if (this.clipvalue !== null && this.clipvalue > 0) {
      for (let i = 0; i < count; i++) {
        const out = this.scratchFor(this.stepIndices[i]!);
        backend.clip(this.stepGradients[i]!, -this.clipvalue, this.clipvalue, out);
        this.stepGradients[i] = out;
      }
    }
  }

  private applyWeightDecay(count: number): void {
    if (this.weightDecay === null) return;
    const backend = getBackend();
    for (let i = 0; i < count; i++) {
      const variable = this.trainableVariables[this.stepIndices[i]!]!;
      if (!this.usesWeightDecay(variable)) continue;
      const data = variable.value.data as FloatArray;
      const round = data instanceof Float32Array ? Math.fround : (x: number) => x;
      backend.affine(data, round(1 - round(round(this.weightDecay) * this.stepRate)), 0, data);
    }
  }

  private usesWeightDecay(variable: Variable): boolean {
    if (this.excludedFromDecay.has(variable)) return false;
    return this.excludedNamePattern === null || !this.excludedNamePattern.test(variable.name);
  }

  /** Updates the moving averages (the first update copies the variables) and overwrites the variables when due. */
  private updateAverages(): void {
    const backend = getBackend();
    const iterations = this.iterations;
    for (let index = 0; index < this.trainableVariables.length; index++) {
      const data = this.trainableVariables[index]!.value.data as FloatArray;
      let momentum = 0;
      if (iterations !== 0) momentum = data instanceof Float32Array ? Math.fround(this.emaMomentum) : this.emaMomentum;
      backend.emaUpdate({ average: this.movingAverages[index]!, variable: data, momentum });
    }
    if (this.emaOverwriteFrequency !== null && (iterations + 1) % this.emaOverwriteFrequency === 0) {
      this.overwriteWithAverages();
    }
  }

  private overwriteWithAverages(): void {
    this.trainableVariables.forEach((variable, index) => variable.value.data.set(this.movingAverages[index]!));
  }

  /**
   * Copies the moving averages into the trained variables when `useEma` is
   * set, as Keras's `fit` does after its last epoch; otherwise does nothing.
   */
  finalizeVariableValues(): void {
    if (this.useEma && this.built) this.overwriteWithAverages();
  }

  /** Runs once per update, before the per-variable steps (Nadam advances its momentum product here). */
  protected beforeUpdates(): void {}

  /** Updates one variable in place; `index` is its position in the built variable list. */
  protected abstract updateStep(gradient: FloatArray, variable: Variable, index: number): void;

  getConfig(): Record<string, unknown> {
    let learningRate: unknown = this.fixedLearningRate;
    if (this.schedule instanceof LearningRateSchedule) {
      learningRate = serializeSchedule(this.schedule);
    } else if (this.schedule !== null) {
      // Keras's form for a plain function; only a registered function could be restored from it.
      learningRate = { module: "builtins", class_name: "function", config: this.schedule.name, registered_name: "function" };
    }
    return {
      name: this.name,
      learning_rate: learningRate,
      weight_decay: this.weightDecay,
      clipnorm: this.clipnorm,
      global_clipnorm: this.globalClipnorm,
      clipvalue: this.clipvalue,
      use_ema: this.useEma,
      ema_momentum: this.emaMomentum,
      ema_overwrite_frequency: this.emaOverwriteFrequency,
      loss_scale_factor: this.lossScaleFactor,
      gradient_accumulation_steps: this.gradientAccumulationSteps,
    };
  }

  /** Counts the scalars in the optimizer's state, as `summary()` reports them. */
  countParams(): number {
    return this.variables.reduce((total, v) => total + v.value.size, 0);
  }
}

/** Returns `value` when it is a finite number in [minimum, maximum], and throws a ValueError naming the option otherwise. */
export function checkHyperparameter(value: unknown, option: string, owner: string, minimum = -Infinity, maximum = Infinity): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < minimum || value > maximum) {
    let range = `a number in [${minimum}, ${maximum}]`;
    if (maximum === Infinity) range = minimum === -Infinity ? "a finite number" : `a number ≥ ${minimum}`;
    if (minimum === -Infinity && maximum !== Infinity) range = `a number ≤ ${maximum}`;
    throw new ValueError(`Invalid \`${option}\` for ${owner}: expected ${range}, received ${JSON.stringify(value)}.`);
  }
  return value;
}

/** Returns `value` when it is a boolean, and throws a ValueError naming the option otherwise. */
export function checkFlag(value: unknown, option: string, owner: string): boolean {
  if (typeof value !== "boolean") {
    throw new ValueError(`Invalid \`${option}\` for ${owner}: expected a boolean, received ${JSON.stringify(value)}.`);
  }
  return value;
}
