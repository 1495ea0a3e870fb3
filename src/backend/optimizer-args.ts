/**
 * Arguments of the fused optimizer kernels other than Adam and SGD. Every
 * kernel updates one variable and its slots in place; all arrays of one call
 * have the variable's length and dtype unless a field says otherwise.
 * Scalars that depend only on the step (bias corrections, schedules) are
 * computed by the optimizer and passed in, so a kernel is a pure loop.
 */

import type { FloatArray } from "../tensor/dtype.js";

export interface RmspropUpdateArgs {
  variable: FloatArray;
  gradient: FloatArray;
  /** Moving average of the squared gradient. */
  velocity: FloatArray;
  /** Momentum buffer, or null when the momentum factor is 0. */
  momentum: FloatArray | null;
  /** Moving average of the gradient for the centered form, or null. */
  averageGradient: FloatArray | null;
  learningRate: number;
  rho: number;
  momentumFactor: number;
  epsilon: number;
}

export interface AdagradUpdateArgs {
  variable: FloatArray;
  gradient: FloatArray;
  /** Running sum of squared gradients (starts at the initial accumulator value). */
  accumulator: FloatArray;
  learningRate: number;
  epsilon: number;
}

export interface AdadeltaUpdateArgs {
  variable: FloatArray;
  gradient: FloatArray;
  /** Moving average of the squared gradient. */
  accumulatedGrad: FloatArray;
  /** Moving average of the squared update. */
  accumulatedDeltaVar: FloatArray;
  learningRate: number;
  rho: number;
  epsilon: number;
}

export interface AdamaxUpdateArgs {
  variable: FloatArray;
  gradient: FloatArray;
  momentum: FloatArray;
  /** Exponentially weighted infinity norm of the gradients. */
  norm: FloatArray;
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** The 1-based step number used for bias correction. */
  step: number;
}

export interface NadamUpdateArgs {
  variable: FloatArray;
  gradient: FloatArray;
  momentum: FloatArray;
  velocity: FloatArray;
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** The 1-based step number. */
  step: number;
  /** Product of the momentum schedule μ_1 · … · μ_step, including this step. */
  momentumProduct: number;
}

export interface LionUpdateArgs {
  variable: FloatArray;
  gradient: FloatArray;
  momentum: FloatArray;
  learningRate: number;
  beta1: number;
  beta2: number;
}

export interface LambUpdateArgs {
  variable: FloatArray;
  gradient: FloatArray;
  momentum: FloatArray;
  velocity: FloatArray;
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** The 1-based step number used for bias correction. */
  step: number;
}

export interface FtrlUpdateArgs {
  variable: FloatArray;
  gradient: FloatArray;
  /** Running sum of squared gradients. */
  accumulator: FloatArray;
  linear: FloatArray;
  learningRate: number;
  /** Exponent of the per-coordinate step size, ≤ 0. */
  learningRatePower: number;
  l1: number;
  /** L2 strength with β / (2 · lr) already added. */
  l2: number;
  l2Shrinkage: number;
}

export interface AdafactorUpdateArgs {
  variable: FloatArray;
  gradient: FloatArray;
  /** Second-moment estimate, shaped like the variable. */
  velocity: FloatArray;
  /**
   * Factored row statistics, [batch, rows], and column statistics,
   * [batch, cols], for a variable of rank 2 or more seen as [batch, rows, cols];
   * both null for a variable of rank 0 or 1, which keeps the full `velocity`.
   */
  rowFactor: FloatArray | null;
  columnFactor: FloatArray | null;
  batch: number;
  rows: number;
  cols: number;
  /** min(learning rate, 1 / sqrt(step)). */
  relativeStep: number;
  /** The decay rate of the second moments at this step, 1 − step^beta2Decay. */
  beta2: number;
  epsilon1: number;
  epsilon2: number;
  clipThreshold: number;
}

export interface EmaUpdateArgs {
  /** Moving average of the variable, updated in place. */
  average: FloatArray;
  variable: FloatArray;
  /** average ← momentum · average + (1 − momentum) · variable. */
  momentum: number;
}
