import { ValueError } from "../errors.js";
import { getBackend } from "../backend/registry.js";
import type { Variable } from "../layers/variable.js";
import type { FloatArray } from "../tensor/dtype.js";
import { checkOptionKeys } from "../utils/suggest.js";
import { BASE_OPTIMIZER_OPTIONS, Optimizer, type OptimizerOptions, checkHyperparameter } from "./optimizer.js";

export interface LionOptions extends OptimizerOptions {
  /** In (0, 1]: weight of the momentum in the sign of the step. */
  beta1?: number;
  /** Decay of the momentum. */
  beta2?: number;
}

/** Lion: w ← w − lr · sign(β1 · m + (1 − β1) · g), then m ← β2 · m + (1 − β2) · g. */
export class Lion extends Optimizer {
  static readonly configOptions: Record<string, string> = { beta_1: "beta1", beta_2: "beta2" };
  readonly beta1: number;
  readonly beta2: number;
  private momentums: FloatArray[] = [];

  constructor(options: LionOptions = {}) {
    checkOptionKeys(options, [...BASE_OPTIMIZER_OPTIONS, ...Object.values(Lion.configOptions)], "Lion", (m) => new ValueError(m));
    super(options, 0.001);
    this.beta1 = checkHyperparameter(options.beta1 ?? 0.9, "beta1", "Lion", 0, 1);
    // With β1 = 0 the step ignores the momentum and Lion is plain sign descent, which Keras rejects.
    if (this.beta1 === 0) throw new ValueError("Invalid `beta1` for Lion: expected a number in (0, 1], received 0.");
    this.beta2 = checkHyperparameter(options.beta2 ?? 0.99, "beta2", "Lion");
  }

  override get className(): string {
    return "Lion";
  }

  protected buildSlots(variables: readonly Variable[]): void {
    this.momentums = variables.map((v) => this.addSlot(v, "momentum").data as FloatArray);
  }

  protected updateStep(gradient: FloatArray, variable: Variable, index: number): void {
    getBackend().lionUpdate({
      variable: variable.value.data as FloatArray,
      gradient,
      momentum: this.momentums[index]!,
      learningRate: this.currentLearningRate,
      beta1: this.beta1,
      beta2: this.beta2,
    });
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), beta_1: this.beta1, beta_2: this.beta2 };
  }
}
