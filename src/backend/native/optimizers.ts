/**
 * The native backend's optimizer kernels beyond Adam and SGD
 * (native/src/optimizers.c). Each function runs the C kernel when every
 * array is a Float32Array and returns false when every one is a
 * Float64Array, so the caller falls back to the TypeScript kernel. Before
 * the C call it checks that every array has the variable's length, that no
 * two arrays share memory and that the hyperparameters are numbers, and
 * throws a ValueError or ShapeError otherwise.
 */

import type {
  AdadeltaUpdateArgs,
  AdafactorUpdateArgs,
  AdagradUpdateArgs,
  AdamaxUpdateArgs,
  EmaUpdateArgs,
  FtrlUpdateArgs,
  LambUpdateArgs,
  LionUpdateArgs,
  NadamUpdateArgs,
  RmspropUpdateArgs,
} from "../optimizer-args.js";
import type { FloatArray } from "../../tensor/dtype.js";
import { ShapeError, ValueError } from "../../errors.js";
import { type ArraySignature, checkDisjoint, checkLength, checkNumber, checkSize, isFloat32Call, signature } from "./checks.js";

type F32 = Float32Array;

/** The optimizer functions the addon exports. */
export interface NativeOptimizerAddon {
  rmspropUpdate(w: F32, g: F32, v: F32, m: F32 | null, avg: F32 | null, lr: number, rho: number, momentum: number, eps: number): void;
  adagradUpdate(w: F32, g: F32, acc: F32, lr: number, eps: number): void;
  adadeltaUpdate(w: F32, g: F32, gradAvg: F32, deltaAvg: F32, lr: number, rho: number, eps: number): void;
  adamaxUpdate(w: F32, g: F32, m: F32, u: F32, lr: number, beta1: number, beta2: number, eps: number, step: number): void;
  nadamUpdate(w: F32, g: F32, m: F32, v: F32, lr: number, beta1: number, beta2: number, eps: number, step: number, product: number): void;
  lionUpdate(w: F32, g: F32, m: F32, lr: number, beta1: number, beta2: number): void;
  lambUpdate(w: F32, g: F32, m: F32, v: F32, lr: number, beta1: number, beta2: number, eps: number, step: number): void;
  ftrlUpdate(w: F32, g: F32, acc: F32, linear: F32, lr: number, power: number, l1: number, l2: number, l2Shrinkage: number): void;
  adafactorUpdate(
    w: F32,
    g: F32,
    v: F32,
    rows: F32 | null,
    cols: F32 | null,
    batch: number,
    rowCount: number,
    colCount: number,
    relativeStep: number,
    beta2: number,
    eps1: number,
    eps2: number,
    clipThreshold: number,
  ): void;
  emaUpdate(average: F32, w: F32, momentum: number): void;
  squaredNorm(x: F32): number;
}

/**
 * Checks the arrays of an elementwise update: all float32 (returns true) or
 * all float64 (returns false), each as long as the variable, and no two
 * sharing memory. Fixed arity, because a rest parameter allocates an array per call.
 */
function guardArrays(
  kernel: string,
  sig: ArraySignature,
  a: FloatArray,
  b: FloatArray,
  c: FloatArray | null = null,
  d: FloatArray | null = null,
  e: FloatArray | null = null,
): boolean {
  if (!isFloat32Call(kernel, sig, a, b, c, d, e)) return false;
  const [nameA, nameB, nameC = "", nameD = "", nameE = ""] = sig.names;
  const n = a.length;
  checkLength(kernel, nameB!, b, n);
  checkLength(kernel, nameC, c, n);
  checkLength(kernel, nameD, d, n);
  checkLength(kernel, nameE, e, n);
  checkDisjoint(kernel, nameA!, a, nameB!, b);
  checkDisjoint(kernel, nameA!, a, nameC, c);
  checkDisjoint(kernel, nameA!, a, nameD, d);
  checkDisjoint(kernel, nameA!, a, nameE, e);
  checkDisjoint(kernel, nameC, c, nameB!, b);
  checkDisjoint(kernel, nameC, c, nameD, d);
  checkDisjoint(kernel, nameC, c, nameE, e);
  checkDisjoint(kernel, nameD, d, nameB!, b);
  checkDisjoint(kernel, nameD, d, nameE, e);
  checkDisjoint(kernel, nameE, e, nameB!, b);
  return true;
}

/** Throws a ValueError unless every named hyperparameter of `args` is a number. */
function checkHyperparameters(kernel: string, args: object, names: readonly string[]): void {
  for (const name of names) checkNumber(kernel, name, (args as Record<string, number>)[name]!);
}

const RMSPROP = signature("variable", "gradient", "velocity", "momentum?", "averageGradient?");
const ADAGRAD = signature("variable", "gradient", "accumulator");
const ADADELTA = signature("variable", "gradient", "accumulatedGrad", "accumulatedDeltaVar");
const ADAMAX = signature("variable", "gradient", "momentum", "norm");
const NADAM = signature("variable", "gradient", "momentum", "velocity");
const LION = signature("variable", "gradient", "momentum");
const LAMB = signature("variable", "gradient", "momentum", "velocity");
const FTRL = signature("variable", "gradient", "accumulator", "linear");
const ADAFACTOR = signature("variable", "gradient", "velocity");
const EMA = signature("average", "variable");

export function rmspropUpdate(addon: NativeOptimizerAddon, a: RmspropUpdateArgs): boolean {
  if (!guardArrays("rmspropUpdate", RMSPROP, a.variable, a.gradient, a.velocity, a.momentum, a.averageGradient)) return false;
  checkHyperparameters("rmspropUpdate", a, ["learningRate", "rho", "momentumFactor", "epsilon"]);
  addon.rmspropUpdate(
    a.variable as F32,
    a.gradient as F32,
    a.velocity as F32,
    a.momentum as F32 | null,
    a.averageGradient as F32 | null,
    a.learningRate,
    a.rho,
    a.momentumFactor,
    a.epsilon,
  );
  return true;
}

export function adagradUpdate(addon: NativeOptimizerAddon, a: AdagradUpdateArgs): boolean {
  if (!guardArrays("adagradUpdate", ADAGRAD, a.variable, a.gradient, a.accumulator)) return false;
  checkHyperparameters("adagradUpdate", a, ["learningRate", "epsilon"]);
  addon.adagradUpdate(a.variable as F32, a.gradient as F32, a.accumulator as F32, a.learningRate, a.epsilon);
  return true;
}

export function adadeltaUpdate(addon: NativeOptimizerAddon, a: AdadeltaUpdateArgs): boolean {
  if (!guardArrays("adadeltaUpdate", ADADELTA, a.variable, a.gradient, a.accumulatedGrad, a.accumulatedDeltaVar)) return false;
  checkHyperparameters("adadeltaUpdate", a, ["learningRate", "rho", "epsilon"]);
  addon.adadeltaUpdate(a.variable as F32, a.gradient as F32, a.accumulatedGrad as F32, a.accumulatedDeltaVar as F32, a.learningRate, a.rho, a.epsilon);
  return true;
}

export function adamaxUpdate(addon: NativeOptimizerAddon, a: AdamaxUpdateArgs): boolean {
  if (!guardArrays("adamaxUpdate", ADAMAX, a.variable, a.gradient, a.momentum, a.norm)) return false;
  checkHyperparameters("adamaxUpdate", a, ["learningRate", "beta1", "beta2", "epsilon", "step"]);
  addon.adamaxUpdate(a.variable as F32, a.gradient as F32, a.momentum as F32, a.norm as F32, a.learningRate, a.beta1, a.beta2, a.epsilon, a.step);
  return true;
}

export function nadamUpdate(addon: NativeOptimizerAddon, a: NadamUpdateArgs): boolean {
  if (!guardArrays("nadamUpdate", NADAM, a.variable, a.gradient, a.momentum, a.velocity)) return false;
  checkHyperparameters("nadamUpdate", a, ["learningRate", "beta1", "beta2", "epsilon", "step", "momentumProduct"]);
  addon.nadamUpdate(
    a.variable as F32,
    a.gradient as F32,
    a.momentum as F32,
    a.velocity as F32,
    a.learningRate,
    a.beta1,
    a.beta2,
    a.epsilon,
    a.step,
    a.momentumProduct,
  );
  return true;
}

export function lionUpdate(addon: NativeOptimizerAddon, a: LionUpdateArgs): boolean {
  if (!guardArrays("lionUpdate", LION, a.variable, a.gradient, a.momentum)) return false;
  checkHyperparameters("lionUpdate", a, ["learningRate", "beta1", "beta2"]);
  addon.lionUpdate(a.variable as F32, a.gradient as F32, a.momentum as F32, a.learningRate, a.beta1, a.beta2);
  return true;
}

export function lambUpdate(addon: NativeOptimizerAddon, a: LambUpdateArgs): boolean {
  if (!guardArrays("lambUpdate", LAMB, a.variable, a.gradient, a.momentum, a.velocity)) return false;
  checkHyperparameters("lambUpdate", a, ["learningRate", "beta1", "beta2", "epsilon", "step"]);
  addon.lambUpdate(a.variable as F32, a.gradient as F32, a.momentum as F32, a.velocity as F32, a.learningRate, a.beta1, a.beta2, a.epsilon, a.step);
  return true;
}

export function ftrlUpdate(addon: NativeOptimizerAddon, a: FtrlUpdateArgs): boolean {
  if (!guardArrays("ftrlUpdate", FTRL, a.variable, a.gradient, a.accumulator, a.linear)) return false;
  checkHyperparameters("ftrlUpdate", a, ["learningRate", "learningRatePower", "l1", "l2", "l2Shrinkage"]);
  addon.ftrlUpdate(
    a.variable as F32,
    a.gradient as F32,
    a.accumulator as F32,
    a.linear as F32,
    a.learningRate,
    a.learningRatePower,
    a.l1,
    a.l2,
    a.l2Shrinkage,
  );
  return true;
}

export function adafactorUpdate(addon: NativeOptimizerAddon, a: AdafactorUpdateArgs): boolean {
  if (!guardAdafactor(a)) return false;
  addon.adafactorUpdate(
    a.variable as F32,
    a.gradient as F32,
    a.velocity as F32,
    a.rowFactor as F32 | null,
    a.columnFactor as F32 | null,
    a.batch,
    a.rows,
    a.cols,
    a.relativeStep,
    a.beta2,
    a.epsilon1,
    a.epsilon2,
    a.clipThreshold,
  );
  return true;
}

export function emaUpdate(addon: NativeOptimizerAddon, a: EmaUpdateArgs): boolean {
  if (!guardArrays("emaUpdate", EMA, a.average, a.variable)) return false;
  checkHyperparameters("emaUpdate", a, ["momentum"]);
  addon.emaUpdate(a.average as F32, a.variable as F32, a.momentum);
  return true;
}

const ADAFACTOR_FACTORS = signature("variable", "rowFactor?", "columnFactor?");

/**
 * Checks an Adafactor update. A factored update keeps a row factor of
 * batch · rows and a column factor of batch · cols elements for a variable
 * of batch · rows · cols. An unfactored one passes null for both factors.
 */
function guardAdafactor(a: AdafactorUpdateArgs): boolean {
  const kernel = "adafactorUpdate";
  if (!guardArrays(kernel, ADAFACTOR, a.variable, a.gradient, a.velocity)) return false;
  if (!isFloat32Call(kernel, ADAFACTOR_FACTORS, a.variable, a.rowFactor, a.columnFactor)) {
    throw new ValueError(`${kernel}: the factors must be Float32Arrays like \`variable\`.`);
  }
  checkHyperparameters(kernel, a, ["relativeStep", "beta2", "epsilon1", "epsilon2", "clipThreshold"]);
  checkSize(kernel, "batch", a.batch);
  checkSize(kernel, "rows", a.rows);
  checkSize(kernel, "cols", a.cols);
  if ((a.rowFactor === null) !== (a.columnFactor === null)) {
    throw new ValueError(`${kernel}: \`rowFactor\` and \`columnFactor\` must both be arrays or both be null.`);
  }
  if (a.rowFactor === null) return true;
  if (a.batch * a.rows * a.cols !== a.variable.length) {
    throw new ShapeError(
      `${kernel}: batch · rows · cols (${a.batch} · ${a.rows} · ${a.cols}) must equal the variable's ${a.variable.length} elements.`,
    );
  }
  checkLength(kernel, "rowFactor", a.rowFactor, a.batch * a.rows);
  checkLength(kernel, "columnFactor", a.columnFactor, a.batch * a.cols);
  for (const [name, factor] of [["rowFactor", a.rowFactor], ["columnFactor", a.columnFactor]] as const) {
    checkDisjoint(kernel, name, factor, "variable", a.variable);
    checkDisjoint(kernel, name, factor, "gradient", a.gradient);
    checkDisjoint(kernel, name, factor, "velocity", a.velocity);
  }
  checkDisjoint(kernel, "rowFactor", a.rowFactor, "columnFactor", a.columnFactor);
  return true;
}
