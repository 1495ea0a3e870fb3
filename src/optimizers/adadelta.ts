import { ValueError } from "../errors.js";
import { getBackend } from "../backend/registry.js";
import type { Variable } from "../layers/variable.js";
import type { FloatArray } from "../tensor/dtype.js";
import { checkOptionKeys } from "../utils/suggest.js";
import { BASE_OPTIMIZER_OPTIONS, Optimizer, type OptimizerOptions, checkHyperparameter } from "./optimizer.js";

export interface AdadeltaOptions extends OptimizerOptions {
  /** Decay of both moving averages. */
  rho?: number;
  epsilon?: number;
}

/**
 * Adadelta: Δ = −sqrt(D + ε) · g / sqrt(G + ε) with moving averages G of g²
 * and D of Δ², and w ← w + lr · Δ. Keras's default learning rate is 0.001.
 */
export class Adadelta extends Optimizer {
  static readonly configOptions: Record<string, string> = { rho: "rho", epsilon: "epsilon" };
  readonly rho: number;
  readonly epsilon: number;
  private accumulatedGrads: FloatArray[] = [];
  private accumulatedDeltaVars: FloatArray[] = [];

  constructor(options: AdadeltaOptions = {}) {
    checkOptionKeys(options, [...BASE_OPTIMIZER_OPTIONS, ...Object.values(Adadelta.configOptions)], "Adadelta", (m) => new ValueError(m));
    super(options, 0.001);
    this.rho = checkHyperparameter(options.rho ?? 0.95, "rho", "Adadelta");
    this.epsilon = checkHyperparameter(options.epsilon ?? 1e-7, "epsilon", "Adadelta");
  }

  override get className(): string {
    return "Adadelta";
  }

  protected buildSlots(variables: readonly Variable[]): void {
    for (const variable of variables) {
      this.accumulatedGrads.push(this.addSlot(variable, "accumulated_grad").data as FloatArray);
      this.accumulatedDeltaVars.push(this.addSlot(variable, "accumulated_delta_var").data as FloatArray);
    }
  }

  protected updateStep(gradient: FloatArray, variable: Variable, index: number): void {
    getBackend().adadeltaUpdate({
      variable: variable.value.data as FloatArray,
      gradient,
      accumulatedGrad: this.accumulatedGrads[index]!,
      accumulatedDeltaVar: this.accumulatedDeltaVars[index]!,
      learningRate: this.currentLearningRate,
      rho: this.rho,
      epsilon: this.epsilon,
    });
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), rho: this.rho, epsilon: this.epsilon };
  }
}
