import { ValueError } from "../errors.js";
import { getBackend } from "../backend/registry.js";
import type { Variable } from "../layers/variable.js";
import type { FloatArray } from "../tensor/dtype.js";
import { checkOptionKeys } from "../utils/suggest.js";
import { BASE_OPTIMIZER_OPTIONS, Optimizer, type OptimizerOptions, checkHyperparameter } from "./optimizer.js";

export interface FtrlOptions extends OptimizerOptions {
  /** ≤ 0: the per-coordinate step size shrinks as accumulator^learningRatePower. */
  learningRatePower?: number;
  initialAccumulatorValue?: number;
  l1RegularizationStrength?: number;
  l2RegularizationStrength?: number;
  /** L2 penalty applied through the gradient (shrinkage) rather than the proximal step. */
  l2ShrinkageRegularizationStrength?: number;
  /** Added to the L2 strength as β / (2 · lr). */
  beta?: number;
}

/** FTRL-proximal ("follow the regularized leader"), with L1, L2 and L2-shrinkage terms, as Keras computes it. */
export class Ftrl extends Optimizer {
  static readonly configOptions: Record<string, string> = {
    learning_rate_power: "learningRatePower",
    initial_accumulator_value: "initialAccumulatorValue",
    l1_regularization_strength: "l1RegularizationStrength",
    l2_regularization_strength: "l2RegularizationStrength",
    l2_shrinkage_regularization_strength: "l2ShrinkageRegularizationStrength",
    beta: "beta",
  };
  readonly learningRatePower: number;
  readonly initialAccumulatorValue: number;
  readonly l1RegularizationStrength: number;
  readonly l2RegularizationStrength: number;
  readonly l2ShrinkageRegularizationStrength: number;
  readonly beta: number;
  private accumulators: FloatArray[] = [];
  private linears: FloatArray[] = [];

  constructor(options: FtrlOptions = {}) {
    checkOptionKeys(options, [...BASE_OPTIMIZER_OPTIONS, ...Object.values(Ftrl.configOptions)], "Ftrl", (m) => new ValueError(m));
    super(options, 0.001);
    this.learningRatePower = checkHyperparameter(options.learningRatePower ?? -0.5, "learningRatePower", "Ftrl", -Infinity, 0);
    this.initialAccumulatorValue = checkHyperparameter(options.initialAccumulatorValue ?? 0.1, "initialAccumulatorValue", "Ftrl", 0);
    this.l1RegularizationStrength = checkHyperparameter(options.l1RegularizationStrength ?? 0, "l1RegularizationStrength", "Ftrl", 0);
    this.l2RegularizationStrength = checkHyperparameter(options.l2RegularizationStrength ?? 0, "l2RegularizationStrength", "Ftrl", 0);
    this.l2ShrinkageRegularizationStrength = checkHyperparameter(
      options.l2ShrinkageRegularizationStrength ?? 0,
      "l2ShrinkageRegularizationStrength",
      "Ftrl",
      0,
    );
    this.beta = checkHyperparameter(options.beta ?? 0, "beta", "Ftrl");
  }

  override get className(): string {
    return "Ftrl";
  }

  protected buildSlots(variables: readonly Variable[]): void {
    for (const variable of variables) {
      this.accumulators.push(this.addSlot(variable, "accumulator", this.initialAccumulatorValue).data as FloatArray);
      this.linears.push(this.addSlot(variable, "linear").data as FloatArray);
    }
  }

  protected updateStep(gradient: FloatArray, variable: Variable, index: number): void {
    const data = variable.value.data as FloatArray;
    const round = data instanceof Float32Array ? Math.fround : (x: number) => x;
    const learningRate = this.currentLearningRate;
    getBackend().ftrlUpdate({
      variable: data,
      gradient,
      accumulator: this.accumulators[index]!,
      linear: this.linears[index]!,
      learningRate,
      learningRatePower: this.learningRatePower,
      l1: this.l1RegularizationStrength,
      l2: round(this.l2RegularizationStrength + round(this.beta / round(2 * learningRate))),
      l2Shrinkage: this.l2ShrinkageRegularizationStrength,
    });
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      learning_rate_power: this.learningRatePower,
      initial_accumulator_value: this.initialAccumulatorValue,
      l1_regularization_strength: this.l1RegularizationStrength,
      l2_regularization_strength: this.l2RegularizationStrength,
      l2_shrinkage_regularization_strength: this.l2ShrinkageRegularizationStrength,
      beta: this.beta,
    };
  }
}
