import { ValueError } from "../errors.js";
import { getBackend } from "../backend/registry.js";
import type { Variable } from "../layers/variable.js";
import type { FloatArray } from "../tensor/dtype.js";
import { checkOptionKeys } from "../utils/suggest.js";
import { BASE_OPTIMIZER_OPTIONS, Optimizer, type OptimizerOptions, checkHyperparameter } from "./optimizer.js";

export interface AdagradOptions extends OptimizerOptions {
  /** Starting value of the sum of squared gradients. */
  initialAccumulatorValue?: number;
  epsilon?: number;
}

/** Adagrad: acc ← acc + g², w ← w − lr · g / sqrt(acc + ε). */
export class Adagrad extends Optimizer {
  static readonly configOptions: Record<string, string> = { initial_accumulator_value: "initialAccumulatorValue", epsilon: "epsilon" };
  readonly initialAccumulatorValue: number;
  readonly epsilon: number;
  private accumulators: FloatArray[] = [];

  constructor(options: AdagradOptions = {}) {
    checkOptionKeys(options, [...BASE_OPTIMIZER_OPTIONS, ...Object.values(Adagrad.configOptions)], "Adagrad", (m) => new ValueError(m));
    super(options, 0.001);
    this.initialAccumulatorValue = checkHyperparameter(options.initialAccumulatorValue ?? 0.1, "initialAccumulatorValue", "Adagrad");
    this.epsilon = checkHyperparameter(options.epsilon ?? 1e-7, "epsilon", "Adagrad");
  }

  override get className(): string {
    return "Adagrad";
  }

  protected buildSlots(variables: readonly Variable[]): void {
    this.accumulators = variables.map((v) => this.addSlot(v, "accumulator", this.initialAccumulatorValue).data as FloatArray);
  }

  protected updateStep(gradient: FloatArray, variable: Variable, index: number): void {
    getBackend().adagradUpdate({
      variable: variable.value.data as FloatArray,
      gradient,
      accumulator: this.accumulators[index]!,
      learningRate: this.currentLearningRate,
      epsilon: this.epsilon,
    });
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), initial_accumulator_value: this.initialAccumulatorValue, epsilon: this.epsilon };
  }
}
