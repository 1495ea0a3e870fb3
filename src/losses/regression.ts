/**
 * Keras 3.15.1's regression, hinge, divergence and overlap losses. Each
 * reduces the last axis to one value per sample, except Dice and Tversky,
 * which sum over `axis` (every axis by default, giving one scalar).
 */

import * as ops from "../ops/index.js";
import type { FloatDType } from "../tensor/dtype.js";
import { normalizeAxis } from "../tensor/shape.js";
import type { Tensor } from "../tensor/tensor.js";
import { EPSILON, Loss, type LossOptions, asFloat, axisToEnd, checkAxis, checkNumber, requireSameShape, scalar } from "./loss.js";

/** A loss with no options besides `name` and `reduction`, computed from aligned float labels and predictions. */
abstract class ElementwiseLoss extends Loss {
  protected abstract readonly kerasName: string;
  protected abstract perElement(yTrue: Tensor, yPred: Tensor): Tensor;

  protected call(yTrue: Tensor, yPred: Tensor): Tensor {
    requireSameShape(yTrue, yPred, this.kerasName);
    return this.perElement(asFloat(yTrue, yPred), yPred);
  }
}

export class MeanSquaredError extends ElementwiseLoss {
  protected readonly kerasName = "mean_squared_error";
  constructor(options: LossOptions = {}) {
    super(options, "mean_squared_error");
  }
  get className(): string {
    return "MeanSquaredError";
  }
  protected perElement(yTrue: Tensor, yPred: Tensor): Tensor {
    return ops.mean(ops.square(ops.sub(yPred, yTrue)), -1);
  }
}

export class MeanAbsoluteError extends ElementwiseLoss {
  protected readonly kerasName = "mean_absolute_error";
  constructor(options: LossOptions = {}) {
    super(options, "mean_absolute_error");
  }
  get className(): string {
    return "MeanAbsoluteError";
  }
  protected perElement(yTrue: Tensor, yPred: Tensor): Tensor {
    return ops.mean(ops.abs(ops.sub(yPred, yTrue)), -1);
  }
}

/** 100 · mean |(y − ŷ) / max(|y|, ε)|. */
export class MeanAbsolutePercentageError extends ElementwiseLoss {
  protected readonly kerasName = "mean_absolute_percentage_error";
  constructor(options: LossOptions = {}) {
    super(options, "mean_absolute_percentage_error");
  }
  get className(): string {
    return "MeanAbsolutePercentageError";
  }
  protected perElement(yTrue: Tensor, yPred: Tensor): Tensor {
    const denominator = ops.clip(ops.abs(yTrue), EPSILON, Infinity);
    return ops.affine(ops.mean(ops.abs(ops.div(ops.sub(yTrue, yPred), denominator)), -1), 100);
  }
}

/** mean (log(max(ŷ, ε) + 1) − log(max(y, ε) + 1))². */
export class MeanSquaredLogarithmicError extends ElementwiseLoss {
  protected readonly kerasName = "mean_squared_logarithmic_error";
  constructor(options: LossOptions = {}) {
    super(options, "mean_squared_logarithmic_error");
  }
  get className(): string {
    return "MeanSquaredLogarithmicError";
  }
  protected perElement(yTrue: Tensor, yPred: Tensor): Tensor {
    const logPrediction = ops.log(ops.affine(ops.clip(yPred, EPSILON, Infinity), 1, 1));
    const logLabel = ops.log(ops.affine(ops.clip(yTrue, EPSILON, Infinity), 1, 1));
    return ops.mean(ops.square(ops.sub(logPrediction, logLabel)), -1);
  }
}

export interface HuberOptions extends LossOptions {
  /** Where the loss turns from quadratic to linear; 1 by default. */
  delta?: number;
}

/** mean of ½e² where |e| ≤ δ, else δ|e| − ½δ². */
export class Huber extends Loss {
  readonly delta: number;
  constructor(options: HuberOptions = {}) {
    super(options, "huber_loss", ["delta"]);
    this.delta = checkNumber(options.delta ?? 1, "delta", "Huber");
  }
  get className(): string {
    return "Huber";
  }
  protected call(yTrue: Tensor, yPred: Tensor): Tensor {
    requireSameShape(yTrue, yPred, "huber");
    const error = ops.abs(ops.sub(yPred, asFloat(yTrue, yPred)));
    // With q = min(|e|, δ): ½q² + δ(|e| − q) equals both branches.
    const quadratic = ops.minimum(error, scalar(this.delta, yPred.dtype as FloatDType));
    const linear = ops.sub(error, quadratic);
    return ops.mean(ops.add(ops.affine(ops.square(quadratic), 0.5), ops.affine(linear, this.delta)), -1);
  }
  override getConfig(): Record<string, unknown> {
    // Keras 3.15.1 leaves `delta` out of this config.
    return super.getConfig();
  }
}

/** mean log(cosh(ŷ − y)), computed as e + softplus(−2e) − log 2. */
export class LogCosh extends ElementwiseLoss {
  protected readonly kerasName = "log_cosh";
  constructor(options: LossOptions = {}) {
    super(options, "log_cosh");
  }
  get className(): string {
    return "LogCosh";
  }
  protected perElement(yTrue: Tensor, yPred: Tensor): Tensor {
    const error = ops.sub(yPred, yTrue);
    const softplus = ops.activation("softplus", ops.affine(error, -2));
    return ops.mean(ops.affine(ops.add(error, softplus), 1, -Math.LN2), -1);
  }
}

/** Σ y · log(y / ŷ) with both clipped to [ε, 1]. */
export class KLDivergence extends ElementwiseLoss {
  protected readonly kerasName = "kl_divergence";
  constructor(options: LossOptions = {}) {
    super(options, "kl_divergence");
  }
  get className(): string {
    return "KLDivergence";
  }
  protected perElement(yTrue: Tensor, yPred: Tensor): Tensor {
    const labels = ops.clip(yTrue, EPSILON, 1);
    const predictions = ops.clip(yPred, EPSILON, 1);
    return ops.sum(ops.mul(labels, ops.log(ops.div(labels, predictions))), -1);
  }
}

/** mean(ŷ − y · log(ŷ + ε)). */
export class Poisson extends ElementwiseLoss {
  protected readonly kerasName = "poisson";
  constructor(options: LossOptions = {}) {
    super(options, "poisson");
  }
  get className(): string {
    return "Poisson";
  }
  protected perElement(yTrue: Tensor, yPred: Tensor): Tensor {
    return ops.mean(ops.sub(yPred, ops.mul(yTrue, ops.log(ops.affine(yPred, 1, EPSILON)))), -1);
  }
}

/** Maps labels that are all 0 or 1 to −1 and +1, as Keras does for the hinge losses; other labels stay. */
function hingeLabels(yTrue: Tensor): Tensor {
  for (let i = 0; i < yTrue.size; i++) {
    const value = yTrue.data[i]!;
    if (value !== 0 && value !== 1) return yTrue;
  }
  return ops.affine(yTrue, 2, -1);
}

/** mean max(1 − y · ŷ, 0), with 0/1 labels mapped to −1/+1. */
export class Hinge extends ElementwiseLoss {
  protected readonly kerasName = "hinge";
  constructor(options: LossOptions = {}) {
    super(options, "hinge");
  }
  get className(): string {
    return "Hinge";
  }
  protected perElement(yTrue: Tensor, yPred: Tensor): Tensor {
    return ops.mean(ops.relu(ops.affine(ops.mul(hingeLabels(yTrue), yPred), -1, 1)), -1);
  }
}

/** mean max(1 − y · ŷ, 0)², with 0/1 labels mapped to −1/+1. */
export class SquaredHinge extends ElementwiseLoss {
  protected readonly kerasName = "squared_hinge";
  constructor(options: LossOptions = {}) {
    super(options, "squared_hinge");
  }
  get className(): string {
    return "SquaredHinge";
  }
  protected perElement(yTrue: Tensor, yPred: Tensor): Tensor {
    return ops.mean(ops.square(ops.relu(ops.affine(ops.mul(hingeLabels(yTrue), yPred), -1, 1))), -1);
  }
}

/** max(max((1 − y) · ŷ) − Σ y · ŷ + 1, 0). */
export class CategoricalHinge extends ElementwiseLoss {
  protected readonly kerasName = "categorical_hinge";
  constructor(options: LossOptions = {}) {
    super(options, "categorical_hinge");
  }
  get className(): string {
    return "CategoricalHinge";
  }
  protected perElement(yTrue: Tensor, yPred: Tensor): Tensor {
    const positive = ops.sum(ops.mul(yTrue, yPred), -1);
    const negative = ops.maxLastAxis(ops.mul(ops.affine(yTrue, -1, 1), yPred));
    return ops.relu(ops.affine(ops.sub(negative, positive), 1, 1));
  }
}

export interface CosineSimilarityOptions extends LossOptions {
  /** The axis the similarity is computed along; −1 by default. */
  axis?: number;
}

/** −Σ normalize(y) · normalize(ŷ) along `axis`, where normalize divides by max(‖x‖, ε). */
export class CosineSimilarity extends Loss {
  readonly axis: number;
  constructor(options: CosineSimilarityOptions = {}) {
    super(options, "cosine_similarity", ["axis"]);
    this.axis = checkAxis(options.axis ?? -1, "CosineSimilarity");
  }
  get className(): string {
    return "CosineSimilarity";
  }
  protected call(yTrue: Tensor, yPred: Tensor): Tensor {
    requireSameShape(yTrue, yPred, "cosine_similarity");
    const labels = axisToEnd(asFloat(yTrue, yPred), this.axis);
    const predictions = axisToEnd(yPred, this.axis);
    return ops.neg(ops.sum(ops.mul(l2Normalize(labels), l2Normalize(predictions)), -1));
  }
  override getConfig(): Record<string, unknown> {
    // Keras 3.15.1 leaves `axis` out of this config.
    return super.getConfig();
  }
}

/** x / max(‖x‖, ε) along the last axis, written as x · 1/sqrt(max(Σx², ε²)) so a zero vector has a finite gradient. */
function l2Normalize(x: Tensor): Tensor {
  const squareSum = ops.clip(ops.sum(ops.square(x), -1, true), EPSILON * EPSILON, Infinity);
  return ops.div(x, ops.sqrt(squareSum));
}

type OverlapAxis = number | readonly number[] | null;

function checkOverlapAxis(axis: unknown, owner: string): OverlapAxis {
  if (axis === null) return null;
  if (Array.isArray(axis)) {
    axis.forEach((a) => checkAxis(a, owner));
    return [...(axis as number[])];
  }
  return checkAxis(axis, owner);
}

function sumOver(x: Tensor, axis: OverlapAxis): Tensor {
  if (axis === null) return ops.sum(x);
  const axes = (typeof axis === "number" ? [axis] : axis).map((a) => normalizeAxis(a, x.rank));
  return ops.sum(x, axes);
}

export interface DiceOptions extends LossOptions {
  /** Axes summed over; null (the default) sums over every axis and gives one scalar. */
  axis?: number | readonly number[] | null;
}

/** 1 − 2 Σ y·ŷ / (Σ y + Σ ŷ + ε), summed over `axis`. */
export class Dice extends Loss {
  readonly axis: OverlapAxis;
  constructor(options: DiceOptions = {}) {
    super(options, "dice", ["axis"]);
    this.axis = checkOverlapAxis(options.axis ?? null, "Dice");
  }
  get className(): string {
    return "Dice";
  }
  protected call(yTrue: Tensor, yPred: Tensor): Tensor {
    requireSameShape(yTrue, yPred, "dice");
    const labels = asFloat(yTrue, yPred);
    const intersection = sumOver(ops.mul(labels, yPred), this.axis);
    const total = ops.affine(ops.add(sumOver(labels, this.axis), sumOver(yPred, this.axis)), 1, EPSILON);
    return ops.affine(ops.div(ops.affine(intersection, 2), total), -1, 1);
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), axis: this.axis };
  }
}

export interface TverskyOptions extends DiceOptions {
  /** Weight of false positives; 0.5 by default. */
  alpha?: number;
  /** Weight of false negatives; 0.5 by default. */
  beta?: number;
}

/** 1 − TP / (TP + α·FP + β·FN + ε), summed over `axis`; α = β = 0.5 gives Dice. */
export class Tversky extends Loss {
  readonly alpha: number;
  readonly beta: number;
  readonly axis: OverlapAxis;
  constructor(options: TverskyOptions = {}) {
    super(options, "tversky", ["alpha", "beta", "axis"]);
    this.alpha = checkNumber(options.alpha ?? 0.5, "alpha", "Tversky");
    this.beta = checkNumber(options.beta ?? 0.5, "beta", "Tversky");
    this.axis = checkOverlapAxis(options.axis ?? null, "Tversky");
  }
  get className(): string {
    return "Tversky";
  }
  protected call(yTrue: Tensor, yPred: Tensor): Tensor {
    requireSameShape(yTrue, yPred, "tversky");
    const labels = asFloat(yTrue, yPred);
    const truePositive = sumOver(ops.mul(labels, yPred), this.axis);
    const falsePositive = sumOver(ops.mul(ops.affine(yPred, -1, 1), labels), this.axis);
    const falseNegative = sumOver(ops.mul(yPred, ops.affine(labels, -1, 1)), this.axis);
    const denominator = ops.affine(
      ops.add(ops.add(truePositive, ops.affine(falsePositive, this.alpha)), ops.affine(falseNegative, this.beta)),
      1,
      EPSILON,
    );
    return ops.affine(ops.div(truePositive, denominator), -1, 1);
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), alpha: this.alpha, beta: this.beta, axis: this.axis };
  }
}
