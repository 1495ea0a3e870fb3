import { ValueError } from "../errors.js";
import { getBackend } from "../backend/registry.js";
import type { Variable } from "../layers/variable.js";
import type { FloatArray } from "../tensor/dtype.js";
import { checkOptionKeys } from "../utils/suggest.js";
import { BASE_OPTIMIZER_OPTIONS, Optimizer, type OptimizerOptions, checkHyperparameter } from "./optimizer.js";

export interface LambOptions extends OptimizerOptions {
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

/**
 * Lamb: the bias-corrected Adam direction u = m̂ / (sqrt(v̂) + ε), scaled per
 * variable by the trust ratio ‖w‖ / ‖u‖ (1 when either norm is 0). Keras 3.15.1
 * does not resolve "lamb" by name, so neither does `optimizers.get`.
 */
export class Lamb extends Optimizer {
  static readonly configOptions: Record<string, string> = { beta_1: "beta1", beta_2: "beta2", epsilon: "epsilon" };
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  private momentums: FloatArray[] = [];
  private velocities: FloatArray[] = [];

  constructor(options: LambOptions = {}) {
    checkOptionKeys(options, [...BASE_OPTIMIZER_OPTIONS, ...Object.values(Lamb.configOptions)], "Lamb", (m) => new ValueError(m));
    super(options, 0.001);
    this.beta1 = checkHyperparameter(options.beta1 ?? 0.9, "beta1", "Lamb");
    this.beta2 = checkHyperparameter(options.beta2 ?? 0.999, "beta2", "Lamb");
    this.epsilon = checkHyperparameter(options.epsilon ?? 1e-7, "epsilon", "Lamb");
  }

  override get className(): string {
    return "Lamb";
  }

  protected buildSlots(variables: readonly Variable[]): void {
    for (const variable of variables) {
      this.momentums.push(this.addSlot(variable, "momentum").data as FloatArray);
      this.velocities.push(this.addSlot(variable, "velocity").data as FloatArray);
    }
  }

  protected updateStep(gradient: FloatArray, variable: Variable, index: number): void {
    getBackend().lambUpdate({
      variable: variable.value.data as FloatArray,
      gradient,
      momentum: this.momentums[index]!,
      velocity: this.velocities[index]!,
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
