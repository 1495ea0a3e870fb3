/**
 * The native backend's optimizer kernels beyond Adam and SGD
 * (native/src/optimizers.c). Each function runs the C kernel when every
 * array is a Float32Array and returns false otherwise, so the caller falls
 * back to the TypeScript kernel for float64.
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

/** True when every argument is a Float32Array or null. Fixed arity, because a rest parameter allocates an array per call. */
function f32(
  a: FloatArray | null,
  b: FloatArray | null = null,
  c: FloatArray | null = null,
  d: FloatArray | null = null,
  e: FloatArray | null = null,
): boolean {
  return isF32(a) && isF32(b) && isF32(c) && isF32(d) && isF32(e);
}

function isF32(array: FloatArray | null): boolean {
  return array === null || array instanceof Float32Array;
}

export function rmspropUpdate(addon: NativeOptimizerAddon, a: RmspropUpdateArgs): boolean {
  if (!f32(a.variable, a.gradient, a.velocity, a.momentum, a.averageGradient)) return false;
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
  if (!f32(a.variable, a.gradient, a.accumulator)) return false;
  addon.adagradUpdate(a.variable as F32, a.gradient as F32, a.accumulator as F32, a.learningRate, a.epsilon);
  return true;
}

export function adadeltaUpdate(addon: NativeOptimizerAddon, a: AdadeltaUpdateArgs): boolean {
  if (!f32(a.variable, a.gradient, a.accumulatedGrad, a.accumulatedDeltaVar)) return false;
  addon.adadeltaUpdate(a.variable as F32, a.gradient as F32, a.accumulatedGrad as F32, a.accumulatedDeltaVar as F32, a.learningRate, a.rho, a.epsilon);
  return true;
}

export function adamaxUpdate(addon: NativeOptimizerAddon, a: AdamaxUpdateArgs): boolean {
  if (!f32(a.variable, a.gradient, a.momentum, a.norm)) return false;
  addon.adamaxUpdate(a.variable as F32, a.gradient as F32, a.momentum as F32, a.norm as F32, a.learningRate, a.beta1, a.beta2, a.epsilon, a.step);
  return true;
}

export function nadamUpdate(addon: NativeOptimizerAddon, a: NadamUpdateArgs): boolean {
  if (!f32(a.variable, a.gradient, a.momentum, a.velocity)) return false;
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
  if (!f32(a.variable, a.gradient, a.momentum)) return false;
  addon.lionUpdate(a.variable as F32, a.gradient as F32, a.momentum as F32, a.learningRate, a.beta1, a.beta2);
  return true;
}

export function lambUpdate(addon: NativeOptimizerAddon, a: LambUpdateArgs): boolean {
  if (!f32(a.variable, a.gradient, a.momentum, a.velocity)) return false;
  addon.lambUpdate(a.variable as F32, a.gradient as F32, a.momentum as F32, a.velocity as F32, a.learningRate, a.beta1, a.beta2, a.epsilon, a.step);
  return true;
}

export function ftrlUpdate(addon: NativeOptimizerAddon, a: FtrlUpdateArgs): boolean {
  if (!f32(a.variable, a.gradient, a.accumulator, a.linear)) return false;
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
  if (!f32(a.variable, a.gradient, a.velocity, a.rowFactor, a.columnFactor)) return false;
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
  if (!f32(a.average, a.variable)) return false;
  addon.emaUpdate(a.average as F32, a.variable as F32, a.momentum);
  return true;
}
