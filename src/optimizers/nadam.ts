import { ValueError } from "../errors.js";
import { getBackend } from "../backend/registry.js";
import type { Variable } from "../layers/variable.js";
import type { FloatArray } from "../tensor/dtype.js";
import { checkOptionKeys } from "../utils/suggest.js";
import { BASE_OPTIMIZER_OPTIONS, Optimizer, type OptimizerOptions, checkHyperparameter } from "./optimizer.js";

export interface NadamOptions extends OptimizerOptions {
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

/**
 * Nadam, Adam with Nesterov momentum and Keras's momentum schedule
 * μ_t = β1 · (1 − 0.5 · 0.96^t). The running product of μ_t is one extra
 * scalar state entry, named "variable" as Keras names it, after the slots.
 */
export class Nadam extends Optimizer {
  static readonly configOptions: Record<string, string> = { beta_1: "beta1", beta_2: "beta2", epsilon: "epsilon" };
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  private momentums: FloatArray[] = [];
  private velocities: FloatArray[] = [];
  private momentumProduct: FloatArray = new Float32Array([1]);

  constructor(options: NadamOptions = {}) {
    checkOptionKeys(options, [...BASE_OPTIMIZER_OPTIONS, ...Object.values(Nadam.configOptions)], "Nadam", (m) => new ValueError(m));
    super(options, 0.001);
    this.beta1 = checkHyperparameter(options.beta1 ?? 0.9, "beta1", "Nadam");
    this.beta2 = checkHyperparameter(options.beta2 ?? 0.999, "beta2", "Nadam");
    this.epsilon = checkHyperparameter(options.epsilon ?? 1e-7, "epsilon", "Nadam");
  }

  override get className(): string {
    return "Nadam";
  }

  protected buildSlots(variables: readonly Variable[]): void {
    for (const variable of variables) {
      this.momentums.push(this.addSlot(variable, "momentum").data as FloatArray);
      this.velocities.push(this.addSlot(variable, "velocity").data as FloatArray);
    }
    // Keras gives the product the dtype of the first variable.
    const dtype = variables[0]?.value.dtype === "float64" ? "float64" : "float32";
    this.momentumProduct = this.addStateVariable("variable", [], dtype, 1).data as FloatArray;
  }

  protected override beforeUpdates(): void {
    const product = this.momentumProduct;
    const round = product instanceof Float32Array ? Math.fround : (x: number) => x;
    const decay = round(Math.pow(round(0.96), this.iterations + 1));
    product[0] = round(round(product[0]! * round(this.beta1)) * round(1 - round(0.5 * decay)));
  }

  protected updateStep(gradient: FloatArray, variable: Variable, index: number): void {
    getBackend().nadamUpdate({
      variable: variable.value.data as FloatArray,
      gradient,
      momentum: this.momentums[index]!,
      velocity: this.velocities[index]!,
      learningRate: this.currentLearningRate,
      beta1: this.beta1,
      beta2: this.beta2,
      epsilon: this.epsilon,
      step: this.iterations + 1,
      momentumProduct: this.momentumProduct[0]!,
    });
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), beta_1: this.beta1, beta_2: this.beta2, epsilon: this.epsilon };
  }
}
