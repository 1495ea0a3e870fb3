import { ValueError } from "../errors.js";
import { getBackend } from "../backend/registry.js";
import type { Variable } from "../layers/variable.js";
import type { FloatArray } from "../tensor/dtype.js";
import { checkOptionKeys } from "../utils/suggest.js";
import { BASE_OPTIMIZER_OPTIONS, Optimizer, type OptimizerOptions, checkFlag } from "./optimizer.js";

export interface SGDOptions extends OptimizerOptions {
  /** In [0, 1]; 0 means plain gradient descent. */
  momentum?: number;
  nesterov?: boolean;
}

/**
 * Stochastic gradient descent. With momentum μ: m ← μ·m − lr·g, then
 * w ← w + m, or w ← w + μ·m − lr·g with Nesterov momentum.
 */
export class SGD extends Optimizer {
  static readonly configOptions: Record<string, string> = { momentum: "momentum", nesterov: "nesterov" };
  readonly momentum: number;
  readonly nesterov: boolean;
  private momentums: (FloatArray | null)[] = [];

  constructor(options: SGDOptions = {}) {
    checkOptionKeys(options, [...BASE_OPTIMIZER_OPTIONS, ...Object.values(SGD.configOptions)], "SGD", (m) => new ValueError(m));
    super(options, 0.01);
    const momentum = options.momentum ?? 0;
    if (typeof momentum !== "number" || !(momentum >= 0 && momentum <= 1)) {
      throw new ValueError(`Invalid \`momentum\` for SGD: expected a number in [0, 1], received ${JSON.stringify(momentum)}.`);
    }
    this.momentum = momentum;
    this.nesterov = checkFlag(options.nesterov ?? false, "nesterov", "SGD");
  }

  override get className(): string {
    return "SGD";
  }

  protected buildSlots(variables: readonly Variable[]): void {
    this.momentums = variables.map((v) => (this.momentum !== 0 ? (this.addSlot(v, "momentum").data as FloatArray) : null));
  }

  protected updateStep(gradient: FloatArray, variable: Variable, index: number): void {
    getBackend().sgdUpdate({
      variable: variable.value.data as FloatArray,
      gradient,
      momentum: this.momentums[index] ?? null,
      learningRate: this.currentLearningRate,
      momentumFactor: this.momentum,
      nesterov: this.nesterov,
    });
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), momentum: this.momentum, nesterov: this.nesterov };
  }
}
