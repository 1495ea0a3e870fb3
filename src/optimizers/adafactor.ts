import { ValueError } from "../errors.js";
import { getBackend } from "../backend/registry.js";
import type { Variable } from "../layers/variable.js";
import type { FloatArray } from "../tensor/dtype.js";
import { checkOptionKeys } from "../utils/suggest.js";
import { BASE_OPTIMIZER_OPTIONS, Optimizer, type OptimizerOptions, checkFlag, checkHyperparameter } from "./optimizer.js";

export interface AdafactorOptions extends OptimizerOptions {
  /** The second-moment decay at step t is 1 − t^beta2Decay. */
  beta2Decay?: number;
  /** Added to squared gradients. */
  epsilon1?: number;
  /** Lower bound of the weights' RMS in the step size. */
  epsilon2?: number;
  /** Updates whose RMS exceeds this are scaled down to it. */
  clipThreshold?: number;
  /** Caps the learning rate at 1 / sqrt(t). */
  relativeStep?: boolean;
}

/**
 * Adafactor: second moments factored into row and column statistics over
 * the last two axes for variables of rank ≥ 2 (full second moments for
 * scalars and vectors), a step size relative to the weights' RMS, and
 * update clipping by RMS.
 *
 * State per variable, in Keras's order: the row statistics, the column
 * statistics (both named after the variable; int32 scalar placeholders for
 * rank < 2), then "<path>_velocity".
 */
export class Adafactor extends Optimizer {
  static readonly configOptions: Record<string, string> = {
    beta_2_decay: "beta2Decay",
    epsilon_1: "epsilon1",
    epsilon_2: "epsilon2",
    clip_threshold: "clipThreshold",
    relative_step: "relativeStep",
  };
  readonly beta2Decay: number;
  readonly epsilon1: number;
  readonly epsilon2: number;
  readonly clipThreshold: number;
  readonly relativeStep: boolean;
  private rowFactors: (FloatArray | null)[] = [];
  private columnFactors: (FloatArray | null)[] = [];
  private velocities: FloatArray[] = [];

  constructor(options: AdafactorOptions = {}) {
    checkOptionKeys(options, [...BASE_OPTIMIZER_OPTIONS, ...Object.values(Adafactor.configOptions)], "Adafactor", (m) => new ValueError(m));
    super(options, 0.001);
    this.beta2Decay = checkHyperparameter(options.beta2Decay ?? -0.8, "beta2Decay", "Adafactor");
    this.epsilon1 = checkHyperparameter(options.epsilon1 ?? 1e-30, "epsilon1", "Adafactor");
    this.epsilon2 = checkHyperparameter(options.epsilon2 ?? 1e-3, "epsilon2", "Adafactor");
    this.clipThreshold = checkHyperparameter(options.clipThreshold ?? 1.0, "clipThreshold", "Adafactor");
    this.relativeStep = checkFlag(options.relativeStep ?? true, "relativeStep", "Adafactor");
  }

  override get className(): string {
    return "Adafactor";
  }

  protected buildSlots(variables: readonly Variable[]): void {
    for (const variable of variables) {
      const shape = variable.shape;
      if (shape.length < 2) {
        this.addStateVariable(variable.name, [], "int32");
        this.addStateVariable(variable.name, [], "int32");
        this.rowFactors.push(null);
        this.columnFactors.push(null);
      } else {
        const dtype = variable.value.dtype;
        this.rowFactors.push(this.addStateVariable(variable.name, shape.slice(0, -1), dtype).data as FloatArray);
        this.columnFactors.push(this.addStateVariable(variable.name, [...shape.slice(0, -2), shape[shape.length - 1]!], dtype).data as FloatArray);
      }
      this.velocities.push(this.addSlot(variable, "velocity").data as FloatArray);
    }
  }

  protected updateStep(gradient: FloatArray, variable: Variable, index: number): void {
    const data = variable.value.data as FloatArray;
    const round = data instanceof Float32Array ? Math.fround : (x: number) => x;
    const step = this.iterations + 1;
    // Keras takes min(lr, 1 / sqrt(t)) whether or not `relativeStep` is set, so the flag changes nothing.
    const relativeStep = Math.min(this.currentLearningRate, round(1 / round(Math.sqrt(step))));
    const shape = variable.shape;
    const rows = shape.length >= 2 ? shape[shape.length - 2]! : 1;
    const cols = shape.length >= 2 ? shape[shape.length - 1]! : data.length;
    getBackend().adafactorUpdate({
      variable: data,
      gradient,
      velocity: this.velocities[index]!,
      rowFactor: this.rowFactors[index]!,
      columnFactor: this.columnFactors[index]!,
      batch: rows * cols === 0 ? 0 : data.length / (rows * cols),
      rows,
      cols,
      relativeStep,
      beta2: round(1 - round(Math.pow(step, this.beta2Decay))),
      epsilon1: this.epsilon1,
      epsilon2: this.epsilon2,
      clipThreshold: this.clipThreshold,
    });
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      beta_2_decay: this.beta2Decay,
      epsilon_1: this.epsilon1,
      epsilon_2: this.epsilon2,
      clip_threshold: this.clipThreshold,
      relative_step: this.relativeStep,
    };
  }
}
