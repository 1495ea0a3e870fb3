/**
 * Reference kernels of the optimizers other than Adam and SGD, each one loop
 * (two for Lamb and Adafactor, which need norms over the whole variable).
 * Elements are computed in float64 and rounded when stored. Scalars that
 * Keras computes once per step in the variable's dtype are rounded to
 * float32 one operation at a time for float32 variables, as Keras does.
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

const identity = (x: number): number => x;

/** Math.fround for float32 arrays, the identity for float64 ones. */
function rounderFor(array: FloatArray): (x: number) => number {
  return array instanceof Float32Array ? Math.fround : identity;
}

export function rmspropUpdate(args: RmspropUpdateArgs): void {
  const { variable, gradient, velocity, momentum, averageGradient, learningRate, rho, momentumFactor, epsilon } = args;
  const oneMinusRho = 1 - rho;
  for (let i = 0; i < variable.length; i++) {
    const g = gradient[i]!;
    const v = rho * velocity[i]! + oneMinusRho * g * g;
    velocity[i] = v;
    let denominator: number;
    if (averageGradient) {
      const average = rho * averageGradient[i]! + oneMinusRho * g;
      averageGradient[i] = average;
      denominator = velocity[i]! - averageGradient[i]! * averageGradient[i]! + epsilon;
    } else {
      denominator = velocity[i]! + epsilon;
    }
    const increment = (learningRate * g) / Math.sqrt(denominator);
    if (momentum) {
      momentum[i] = momentumFactor * momentum[i]! + increment;
      variable[i]! -= momentum[i]!;
    } else {
      variable[i]! -= increment;
    }
  }
}

export function adagradUpdate({ variable, gradient, accumulator, learningRate, epsilon }: AdagradUpdateArgs): void {
  for (let i = 0; i < variable.length; i++) {
    const g = gradient[i]!;
    accumulator[i]! += g * g;
    variable[i]! -= (learningRate * g) / Math.sqrt(accumulator[i]! + epsilon);
  }
}

export function adadeltaUpdate(args: AdadeltaUpdateArgs): void {
  const { variable, gradient, accumulatedGrad, accumulatedDeltaVar, learningRate, rho, epsilon } = args;
  const oneMinusRho = 1 - rho;
  for (let i = 0; i < variable.length; i++) {
    const g = gradient[i]!;
    accumulatedGrad[i] = rho * accumulatedGrad[i]! + oneMinusRho * g * g;
    const delta = -(Math.sqrt(accumulatedDeltaVar[i]! + epsilon) * g) / Math.sqrt(accumulatedGrad[i]! + epsilon);
    accumulatedDeltaVar[i] = rho * accumulatedDeltaVar[i]! + oneMinusRho * delta * delta;
    variable[i]! += learningRate * delta;
  }
}

export function adamaxUpdate(args: AdamaxUpdateArgs): void {
  const { variable, gradient, momentum, norm, learningRate, beta1, beta2, epsilon, step } = args;
  const round = rounderFor(variable);
  const correction = round(1 - round(Math.pow(round(beta1), step)));
  const oneMinusBeta1 = 1 - beta1;
  for (let i = 0; i < variable.length; i++) {
    const g = gradient[i]!;
    momentum[i]! += (g - momentum[i]!) * oneMinusBeta1;
    norm[i] = Math.max(beta2 * norm[i]!, Math.abs(g));
    variable[i]! -= (learningRate * momentum[i]!) / (correction * (norm[i]! + epsilon));
  }
}

/** Keras's Nadam momentum schedule μ_t = β1 · (1 − 0.5 · 0.96^t), in the rounding of `round`. */
export function nadamMomentum(beta1: number, step: number, round: (x: number) => number): number {
  return round(round(beta1) * round(1 - round(0.5 * round(Math.pow(round(0.96), step)))));
}

export function nadamUpdate(args: NadamUpdateArgs): void {
  const { variable, gradient, momentum, velocity, learningRate, beta1, beta2, epsilon, step, momentumProduct } = args;
  const round = rounderFor(variable);
  const muNow = nadamMomentum(beta1, step, round);
  const muNext = nadamMomentum(beta1, step + 1, round);
  const productNow = round(momentumProduct);
  const productNext = round(productNow * muNext);
  const momentumScale = round(muNext / round(1 - productNext));
  const gradientScale = round(round(1 - muNow) / round(1 - productNow));
  const velocityCorrection = round(1 - round(Math.pow(round(beta2), step)));
  // Unlike Adam, Keras's Nadam casts β1 and β2 to the variable's dtype before taking 1 − β.
  const oneMinusBeta1 = round(1 - round(beta1));
  const oneMinusBeta2 = round(1 - round(beta2));
  for (let i = 0; i < variable.length; i++) {
    const g = gradient[i]!;
    momentum[i]! += (g - momentum[i]!) * oneMinusBeta1;
    velocity[i]! += (g * g - velocity[i]!) * oneMinusBeta2;
    const mHat = momentumScale * momentum[i]! + gradientScale * g;
    const vHat = velocity[i]! / velocityCorrection;
    variable[i]! -= (mHat * learningRate) / (Math.sqrt(vHat) + epsilon);
  }
}

export function lionUpdate({ variable, gradient, momentum, learningRate, beta1, beta2 }: LionUpdateArgs): void {
  // Keras casts β1 and β2 to the variable's dtype before taking 1 − β.
  const round = rounderFor(variable);
  const b1 = round(beta1);
  const b2 = round(beta2);
  const oneMinusBeta1 = round(1 - b1);
  const oneMinusBeta2 = round(1 - b2);
  for (let i = 0; i < variable.length; i++) {
    const g = gradient[i]!;
    const m = momentum[i]!;
    variable[i]! -= learningRate * Math.sign(m * b1 + g * oneMinusBeta1);
    momentum[i] = m * b2 + g * oneMinusBeta2;
  }
}

export function lambUpdate(args: LambUpdateArgs): void {
  const { variable, gradient, momentum, velocity, learningRate, beta1, beta2, epsilon, step } = args;
  const round = rounderFor(variable);
  const momentumCorrection = round(1 - round(Math.pow(round(beta1), step)));
  const velocityCorrection = round(1 - round(Math.pow(round(beta2), step)));
  const oneMinusBeta1 = 1 - beta1;
  const oneMinusBeta2 = 1 - beta2;
  // First pass: the moments, and the norms of the weights and of the Adam direction.
  let weightSquares = 0;
  let updateSquares = 0;
  for (let i = 0; i < variable.length; i++) {
    const g = gradient[i]!;
    momentum[i]! += (g - momentum[i]!) * oneMinusBeta1;
    velocity[i]! += (g * g - velocity[i]!) * oneMinusBeta2;
    const update = momentum[i]! / momentumCorrection / (Math.sqrt(velocity[i]! / velocityCorrection) + epsilon);
    weightSquares += variable[i]! * variable[i]!;
    updateSquares += update * update;
  }
  const weightNorm = Math.sqrt(weightSquares);
  const updateNorm = Math.sqrt(updateSquares);
  const ratio = weightNorm > 0 && updateNorm > 0 ? weightNorm / updateNorm : 1;
  const scale = ratio * learningRate;
  // Second pass: the same direction, recomputed from the stored moments.
  for (let i = 0; i < variable.length; i++) {
    const update = momentum[i]! / momentumCorrection / (Math.sqrt(velocity[i]! / velocityCorrection) + epsilon);
    variable[i]! -= scale * update;
  }
}

export function ftrlUpdate(args: FtrlUpdateArgs): void {
  const { variable, gradient, accumulator, linear, learningRate, learningRatePower, l1, l2, l2Shrinkage } = args;
  const power = -learningRatePower;
  const round = rounderFor(variable);
  for (let i = 0; i < variable.length; i++) {
    const g = gradient[i]!;
    const w = variable[i]!;
    const shrunkGradient = g + 2 * l2Shrinkage * w;
    const previous = accumulator[i]!;
    // Rounded before the power, as Keras stores the new accumulator in the variable's dtype first.
    const next = round(previous + g * g);
    const nextPower = Math.pow(next, power);
    linear[i]! += shrunkGradient - ((nextPower - Math.pow(previous, power)) / learningRate) * w;
    const quadratic = nextPower / learningRate + 2 * l2;
    const l = linear[i]!;
    const clipped = Math.min(Math.max(l, -l1), l1);
    variable[i] = (clipped - l) / quadratic;
    accumulator[i] = next;
  }
}

export function adafactorUpdate(args: AdafactorUpdateArgs): void {
  const { variable, gradient, velocity, rowFactor, columnFactor, batch, rows, cols } = args;
  const { relativeStep, beta2, epsilon1, epsilon2, clipThreshold } = args;
  const n = variable.length;
  const weightRms = Math.sqrt(squaredNorm(variable) / n);
  const alpha = Math.max(epsilon2, weightRms) * relativeStep;
  const oneMinusBeta2 = 1 - beta2;

  if (rowFactor && columnFactor) {
    for (let b = 0; b < batch; b++) {
      const base = b * rows * cols;
      for (let r = 0; r < rows; r++) {
        let total = 0;
        for (let c = 0; c < cols; c++) {
          const g = gradient[base + r * cols + c]!;
          total += g * g + epsilon1;
        }
        rowFactor[b * rows + r] = beta2 * rowFactor[b * rows + r]! + oneMinusBeta2 * (total / cols);
      }
      for (let c = 0; c < cols; c++) {
        let total = 0;
        for (let r = 0; r < rows; r++) {
          const g = gradient[base + r * cols + c]!;
          total += g * g + epsilon1;
        }
        columnFactor[b * cols + c] = beta2 * columnFactor[b * cols + c]! + oneMinusBeta2 * (total / rows);
      }
      let rowTotal = 0;
      for (let r = 0; r < rows; r++) rowTotal += rowFactor[b * rows + r]!;
      const rowMean = rowTotal / rows;
      for (let r = 0; r < rows; r++) {
        const rowScale = rowFactor[b * rows + r]! / rowMean;
        for (let c = 0; c < cols; c++) velocity[base + r * cols + c] = rowScale * columnFactor[b * cols + c]!;
      }
    }
  } else {
    for (let i = 0; i < n; i++) {
      const g = gradient[i]!;
      velocity[i] = beta2 * velocity[i]! + oneMinusBeta2 * (g * g + epsilon1);
    }
  }

  let updateSquares = 0;
  for (let i = 0; i < n; i++) {
    const u = gradient[i]! / Math.sqrt(velocity[i]!);
    updateSquares += u * u;
  }
  const updateRms = Math.sqrt(updateSquares / n);
  const scale = alpha / Math.max(1, updateRms / clipThreshold);
  for (let i = 0; i < n; i++) variable[i]! -= scale * (gradient[i]! / Math.sqrt(velocity[i]!));
}

export function emaUpdate({ average, variable, momentum }: EmaUpdateArgs): void {
  const rest = 1 - momentum;
  for (let i = 0; i < average.length; i++) average[i] = momentum * average[i]! + rest * variable[i]!;
}

export function squaredNorm(x: FloatArray): number {
  let total = 0;
  for (let i = 0; i < x.length; i++) total += x[i]! * x[i]!;
  return total;
}
