import { ValueError } from "../errors.js";
import { getBackend } from "../backend/registry.js";
import type { Variable } from "../layers/variable.js";
import type { FloatArray } from "../tensor/dtype.js";
import { checkOptionKeys } from "../utils/suggest.js";
import { BASE_OPTIMIZER_OPTIONS, Optimizer, type OptimizerOptions, checkFlag, checkHyperparameter } from "./optimizer.js";

export interface RMSpropOptions extends OptimizerOptions {
  /** Decay of the moving average of squared gradients. */
  rho?: number;
  /** 0 for none; otherwise the momentum factor applied to the scaled steps. */
  momentum?: number;
  epsilon?: number;
  /** Divide by the estimated variance of the gradient rather than its second moment. */
  centered?: boolean;
}

/**
 * RMSprop, Keras's default optimizer: v ← ρv + (1 − ρ)g², and the step
 * lr · g / sqrt(v + ε), where ε sits inside the square root. The centered
 * form subtracts the square of a moving average of g from v.
 */
export class RMSprop extends Optimizer {
  static readonly configOptions: Record<string, string> = { rho: "rho", momentum: "momentum", epsilon: "epsilon", centered: "centered" };
  readonly rho: number;
  readonly momentum: number;
  readonly epsilon: number;
  readonly centered: boolean;
  private velocities: FloatArray[] = [];
  private momentums: FloatArray[] = [];
  private averageGradients: FloatArray[] = [];

  constructor(options: RMSpropOptions = {}) {
    checkOptionKeys(options, [...BASE_OPTIMIZER_OPTIONS, ...Object.values(RMSprop.configOptions)], "RMSprop", (m) => new ValueError(m));
    super(options, 0.001);
    this.rho = checkHyperparameter(options.rho ?? 0.9, "rho", "RMSprop");
    this.momentum = checkHyperparameter(options.momentum ?? 0.0, "momentum", "RMSprop");
    this.epsilon = checkHyperparameter(options.epsilon ?? 1e-7, "epsilon", "RMSprop");
    this.centered = checkFlag(options.centered ?? false, "centered", "RMSprop");
  }

  override get className(): string {
    return "RMSprop";
  }

  protected buildSlots(variables: readonly Variable[]): void {
    // Keras adds each kind of slot for every variable before the next kind.
    this.velocities = variables.map((v) => this.addSlot(v, "velocity").data as FloatArray);
    if (this.momentum > 0) this.momentums = variables.map((v) => this.addSlot(v, "momentum").data as FloatArray);
    if (this.centered) this.averageGradients = variables.map((v) => this.addSlot(v, "average_gradient").data as FloatArray);
  }

  protected updateStep(gradient: FloatArray, variable: Variable, index: number): void {
    getBackend().rmspropUpdate({
      variable: variable.value.data as FloatArray,
      gradient,
      velocity: this.velocities[index]!,
      momentum: this.momentum > 0 ? this.momentums[index]! : null,
      averageGradient: this.centered ? this.averageGradients[index]! : null,
      learningRate: this.currentLearningRate,
      rho: this.rho,
      momentumFactor: this.momentum,
      epsilon: this.epsilon,
    });
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), rho: this.rho, momentum: this.momentum, epsilon: this.epsilon, centered: this.centered };
  }
}
