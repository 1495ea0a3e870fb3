import { ValueError } from "../errors.js";
import { getBackend } from "../backend/registry.js";
import type { Variable } from "../layers/variable.js";
import type { FloatArray } from "../tensor/dtype.js";
import { checkOptionKeys } from "../utils/suggest.js";
import { BASE_OPTIMIZER_OPTIONS, Optimizer, type OptimizerOptions, checkHyperparameter } from "./optimizer.js";

export interface AdamaxOptions extends OptimizerOptions {
  beta1?: number;
  /** Decay of the infinity norm. */
  beta2?: number;
  epsilon?: number;
}

/** Adamax, Adam with an infinity norm: u ← max(β2 · u, |g|), w ← w − lr · m / ((1 − β1^t)(u + ε)). */
export class Adamax extends Optimizer {
  static readonly configOptions: Record<string, string> = { beta_1: "beta1", beta_2: "beta2", epsilon: "epsilon" };
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  private momentums: FloatArray[] = [];
  private norms: FloatArray[] = [];

  constructor(options: AdamaxOptions = {}) {
    checkOptionKeys(options, [...BASE_OPTIMIZER_OPTIONS, ...Object.values(Adamax.configOptions)], "Adamax", (m) => new ValueError(m));
    super(options, 0.001);
    this.beta1 = checkHyperparameter(options.beta1 ?? 0.9, "beta1", "Adamax");
    this.beta2 = checkHyperparameter(options.beta2 ?? 0.999, "beta2", "Adamax");
    this.epsilon = checkHyperparameter(options.epsilon ?? 1e-7, "epsilon", "Adamax");
  }

  override get className(): string {
    return "Adamax";
  }

  protected buildSlots(variables: readonly Variable[]): void {
    for (const variable of variables) {
      this.momentums.push(this.addSlot(variable, "momentum").data as FloatArray);
      this.norms.push(this.addSlot(variable, "norm").data as FloatArray);
    }
  }

  protected updateStep(gradient: FloatArray, variable: Variable, index: number): void {
    getBackend().adamaxUpdate({
      variable: variable.value.data as FloatArray,
      gradient,
      momentum: this.momentums[index]!,
      norm: this.norms[index]!,
      learningRate: this.currentLearningRate,
      beta1: this.beta1,
      beta2: this.beta2,
      epsilon: this.epsilon,
      step: this.iterations + 1,
    });
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), beta_1: this.beta1, beta_2: this.beta2, epsilon: this.epsilon };
  }
}
