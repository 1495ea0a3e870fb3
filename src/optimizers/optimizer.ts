import { ValueError, formatShape } from "../errors.js";
import type { Variable } from "../layers/variable.js";
import type { FloatArray } from "../tensor/dtype.js";
import { shapesEqual } from "../tensor/shape.js";
import { Tensor, zeros } from "../tensor/tensor.js";
import { toSnakeCase, uniqueName } from "../utils/naming.js";

export interface OptimizerOptions {
  learningRate?: number;
  name?: string;
}

export const BASE_OPTIMIZER_OPTIONS = ["learningRate", "name"];

/**
 * Base optimizer. `build` creates the per-variable state; `applyGradients`
 * runs one step over every variable and then counts the iteration.
 */
export abstract class Optimizer {
  readonly name: string;
  /** Stored as float32, as Keras keeps it in a float32 variable. */
  learningRate: number;
  /** Steps taken so far. */
  iterations = 0;
  built = false;
  protected trainableVariables: Variable[] = [];
  private readonly stateVariables: { name: string; value: Tensor }[] = [];

  constructor(options: OptimizerOptions, defaultLearningRate: number) {
    this.name = options.name ?? uniqueName(toSnakeCase(this.className));
    const learningRate = options.learningRate ?? defaultLearningRate;
    if (typeof learningRate !== "number" || !Number.isFinite(learningRate) || learningRate < 0) {
      throw new ValueError(`Invalid \`learningRate\` for ${this.className}: expected a non-negative number, received ${JSON.stringify(learningRate)}.`);
    }
    this.learningRate = Math.fround(learningRate);
  }

  /** The Keras class name, used in serialized configs. */
  get className(): string {
    return this.constructor.name;
  }

  /** Creates the optimizer's state for `variables` (called once, at the first step). */
  build(variables: readonly Variable[]): void {
    this.trainableVariables = [...variables];
    this.built = true;
  }

  /** Adds a state slot shaped like `variable`, named as Keras names it. */
  protected addSlot(variable: Variable, slot: string): Tensor {
    const value = zeros(variable.shape, variable.value.dtype);
    this.stateVariables.push({ name: `${variable.path.replaceAll("/", "_")}_${slot}`, value });
    return value;
  }

  /** The optimizer state in Keras's order (iteration and learning rate first), as saved files hold it. */
  get variables(): { name: string; value: Tensor }[] {
    return [
      { name: "iteration", value: new Tensor(new Int32Array([this.iterations]), []) },
      { name: "learning_rate", value: new Tensor(new Float32Array([this.learningRate]), []) },
      ...this.stateVariables,
    ];
  }

  /** Applies one step. `gradients[i]` belongs to `variables[i]`. */
  applyGradients(gradients: readonly Tensor[], variables: readonly Variable[]): void {
    if (gradients.length !== variables.length) {
      throw new ValueError(`applyGradients received ${gradients.length} gradients for ${variables.length} variables; pass one gradient per variable.`);
    }
    if (!this.built) this.build(variables);
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
      this.updateStep(g.data as FloatArray, variable, index);
    }
    this.iterations++;
  }

  /** Updates one variable in place; `index` is its position in the built variable list. */
  protected abstract updateStep(gradient: FloatArray, variable: Variable, index: number): void;

  getConfig(): Record<string, unknown> {
    return {
      name: this.name,
      learning_rate: this.learningRate,
      weight_decay: null,
      clipnorm: null,
      global_clipnorm: null,
      clipvalue: null,
      use_ema: false,
      ema_momentum: 0.99,
      ema_overwrite_frequency: null,
      loss_scale_factor: null,
      gradient_accumulation_steps: null,
    };
  }

  /** Counts the scalars in the optimizer's state, as `summary()` reports them. */
  countParams(): number {
    return this.variables.reduce((total, v) => total + v.value.size, 0);
  }
}
