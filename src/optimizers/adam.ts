import { ValueError } from "../errors.js";
import type { AdamUpdateArgs } from "../backend/backend.js";
import { getBackend } from "../backend/registry.js";
import type { Variable } from "../layers/variable.js";
import type { FloatArray } from "../tensor/dtype.js";
import { checkOptionKeys } from "../utils/suggest.js";
import { BASE_OPTIMIZER_OPTIONS, Optimizer, type OptimizerOptions, checkFlag, checkHyperparameter } from "./optimizer.js";

const EMPTY = new Float32Array(0);

export interface AdamOptions extends OptimizerOptions {
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  amsgrad?: boolean;
}

/**
 * Adam with Keras's arithmetic: epsilon is added to the square root of the
 * uncorrected second moment, and the bias corrections fold into the step
 * size: w −= lr · sqrt(1 − β2^t) / (1 − β1^t) · m / (sqrt(v) + ε).
 */
export class Adam extends Optimizer {
  static readonly configOptions: Record<string, string> = { beta_1: "beta1", beta_2: "beta2", epsilon: "epsilon", amsgrad: "amsgrad" };
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly amsgrad: boolean;
  private momentums: FloatArray[] = [];
  private velocities: FloatArray[] = [];
  private velocityHats: FloatArray[] = [];
  private readonly updateArgs: AdamUpdateArgs = {
    variable: EMPTY,
    gradient: EMPTY,
    momentum: EMPTY,
    velocity: EMPTY,
    velocityHat: null,
    learningRate: 0,
    beta1: 0,
    beta2: 0,
    epsilon: 0,
    step: 0,
  };

  constructor(options: AdamOptions = {}) {
    checkOptionKeys(options, [...BASE_OPTIMIZER_OPTIONS, ...Object.values(Adam.configOptions)], "Adam", (m) => new ValueError(m));
    super(options, 0.001);
    this.beta1 = checkHyperparameter(options.beta1 ?? 0.9, "beta1", this.className);
    this.beta2 = checkHyperparameter(options.beta2 ?? 0.999, "beta2", this.className);
    this.epsilon = checkHyperparameter(options.epsilon ?? 1e-7, "epsilon", this.className);
    this.amsgrad = checkFlag(options.amsgrad ?? false, "amsgrad", this.className);
  }

  override get className(): string {
    return "Adam";
  }

  protected buildSlots(variables: readonly Variable[]): void {
    for (const variable of variables) {
      this.momentums.push(this.addSlot(variable, "momentum").data as FloatArray);
      this.velocities.push(this.addSlot(variable, "velocity").data as FloatArray);
    }
    if (this.amsgrad) {
      for (const variable of variables) this.velocityHats.push(this.addSlot(variable, "velocity_hat").data as FloatArray);
    }
  }

  protected updateStep(gradient: FloatArray, variable: Variable, index: number): void {
    // One arguments object, refilled for every variable and step, because backends do not keep it.
    const args = this.updateArgs;
    args.variable = variable.value.data as FloatArray;
    args.gradient = gradient;
    args.momentum = this.momentums[index]!;
    args.velocity = this.velocities[index]!;
    args.velocityHat = this.amsgrad ? this.velocityHats[index]! : null;
    args.learningRate = this.currentLearningRate;
    args.beta1 = this.beta1;
    args.beta2 = this.beta2;
    args.epsilon = this.epsilon;
    args.step = this.iterations + 1;
    getBackend().adamUpdate(args);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), beta_1: this.beta1, beta_2: this.beta2, epsilon: this.epsilon, amsgrad: this.amsgrad };
  }
}
