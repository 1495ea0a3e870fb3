/**
 * Reference kernels for the activations of `ActivationOp` and
 * `RowActivationOp`, and for crossentropy computed from logits. The
 * formulas follow jax.nn, which Keras 3.15.1 calls on its JAX backend.
 */

import type {
  ActivationOp,
  RowActivationOp,
  SigmoidCrossentropyArgs,
  SigmoidCrossentropyBackwardArgs,
  SoftmaxCrossentropyArgs,
  SoftmaxCrossentropyBackwardArgs,
} from "../backend.js";
import type { FloatArray } from "../../tensor/dtype.js";

const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;
const SQRT_HALF = Math.SQRT1_2;
const INV_SQRT_TWO_PI = 0.3989422804014327;
const GELU_TANH_SCALE = Math.sqrt(2 / Math.PI);
const GELU_TANH_CUBIC = 0.044715;

/** log(1 + eˣ) without overflow. */
export function softplus(x: number): number {
  return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
}

export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/**
 * The error function to about 1e-15: a power series with positive terms for
 * |x| < 3 and a continued fraction for erfc beyond.
 */
export function erf(x: number): number {
  const a = Math.abs(x);
  if (a >= 6) return Math.sign(x);
  let result: number;
  if (a < 3) {
    // erf(a) = 2/√π · e^(−a²) · Σ 2ⁿ a^(2n+1) / (1·3·…·(2n+1)).
    let term = a;
    let total = a;
    const a2 = a * a;
    for (let n = 1; n < 200; n++) {
      term *= (2 * a2) / (2 * n + 1);
      total += term;
      if (term < total * 1e-17) break;
    }
    result = (2 / Math.sqrt(Math.PI)) * Math.exp(-a2) * total;
  } else {
    // erfc(a) = e^(−a²)/√π · 1/(a + (1/2)/(a + 1/(a + (3/2)/(a + …)))), evaluated from a fixed depth.
    let fraction = a;
    for (let k = 60; k >= 1; k--) fraction = a + k / 2 / fraction;
    result = 1 - Math.exp(-a * a) / Math.sqrt(Math.PI) / fraction;
  }
  return x < 0 ? -result : result;
}

/**
 * Computes Keras's relu with options. A non-zero threshold replaces inputs at
 * or below it with 0 and skips the max(x, 0) step, so inputs between a
 * negative threshold and 0 pass through. A finite maximum clips to
 * [0, maxValue], and the negative slope subtracts slope · max(threshold − x, 0).
 */
function reluFull(x: number, slope: number, maxValue: number, threshold: number): number {
  if (slope !== 0 && maxValue === Infinity && threshold === 0) return x >= 0 ? x : slope * x;
  let positive: number;
  if (threshold === 0) positive = Math.max(x, 0);
  else positive = x > threshold ? x : 0;
  if (maxValue !== Infinity) positive = Math.min(Math.max(positive, 0), maxValue);
  const negative = slope !== 0 ? Math.max(threshold - x, 0) : 0;
  return positive - slope * negative;
}

function reluFullDerivative(x: number, slope: number, maxValue: number, threshold: number): number {
  if (slope !== 0 && maxValue === Infinity && threshold === 0) return x >= 0 ? 1 : slope;
  const passes = threshold !== 0 ? x > threshold : x > 0;
  const positive = passes && (maxValue === Infinity || (x > 0 && x < maxValue)) ? 1 : 0;
  const negative = slope !== 0 && threshold - x > 0 ? slope : 0;
  return positive + negative;
}

/** Applies one activation to a number. */
export function activationValue(op: ActivationOp, x: number, p0: number, p1: number, p2: number): number {
  switch (op) {
    case "relu_full":
      return reluFull(x, p0, p1, p2);
    case "leaky_relu":
      return x >= 0 ? x : p0 * x;
    case "relu6":
      return Math.min(Math.max(x, 0), 6);
    case "elu":
      return x > 0 ? x : p0 * Math.expm1(x);
    case "selu":
      return SELU_SCALE * (x > 0 ? x : SELU_ALPHA * Math.expm1(x));
    case "celu":
      return Math.max(x, 0) + p0 * Math.expm1(Math.min(x, 0) / p0);
    case "softplus":
      return softplus(x);
    case "softsign":
      return x / (1 + Math.abs(x));
    case "silu":
      return x * sigmoid(x);
    case "gelu":
      return 0.5 * x * (1 + erf(x * SQRT_HALF));
    case "gelu_tanh":
      return 0.5 * x * (1 + Math.tanh(GELU_TANH_SCALE * (x + GELU_TANH_CUBIC * x * x * x)));
    case "exponential":
      return Math.exp(x);
    case "hard_sigmoid":
      return Math.min(Math.max(x + 3, 0), 6) / 6;
    case "hard_silu":
      return (x * Math.min(Math.max(x + 3, 0), 6)) / 6;
    case "hard_tanh":
      return Math.min(Math.max(x, -1), 1);
    case "hard_shrink":
      return Math.abs(x) > p0 ? x : 0;
    case "soft_shrink":
      return x > p0 ? x - p0 : x < -p0 ? x + p0 : 0;
    case "tanh_shrink":
      return x - Math.tanh(x);
    case "sparse_plus":
      return x <= -1 ? 0 : x >= 1 ? x : ((x + 1) * (x + 1)) / 4;
    case "sparse_sigmoid":
      return 0.5 * Math.min(Math.max(x + 1, 0), 2);
    case "squareplus":
      return (x + Math.sqrt(x * x + p0)) / 2;
    case "mish":
      return x * Math.tanh(softplus(x));
    case "log_sigmoid":
      return -softplus(-x);
    case "threshold":
      return x > p0 ? x : p1;
    case "power":
      return Math.pow(x, p0);
  }
}

/** Returns the derivative of one activation at `x`, given its value `y` there. */
export function activationDerivative(op: ActivationOp, x: number, y: number, p0: number, p1: number, p2: number): number {
  switch (op) {
    case "relu_full":
      return reluFullDerivative(x, p0, p1, p2);
    case "leaky_relu":
      return x >= 0 ? 1 : p0;
    case "relu6":
      return x > 0 && x < 6 ? 1 : 0;
    case "elu":
      return x > 0 ? 1 : y + p0;
    case "selu":
      return x > 0 ? SELU_SCALE : y + SELU_SCALE * SELU_ALPHA;
    case "celu":
      return x > 0 ? 1 : Math.exp(x / p0);
    case "softplus":
      return sigmoid(x);
    case "softsign": {
      const d = 1 + Math.abs(x);
      return 1 / (d * d);
    }
    case "silu": {
      const s = sigmoid(x);
      return s * (1 + x * (1 - s));
    }
    case "gelu":
      return 0.5 * (1 + erf(x * SQRT_HALF)) + x * INV_SQRT_TWO_PI * Math.exp(-0.5 * x * x);
    case "gelu_tanh": {
      const inner = GELU_TANH_SCALE * (x + GELU_TANH_CUBIC * x * x * x);
      const t = Math.tanh(inner);
      const dInner = GELU_TANH_SCALE * (1 + 3 * GELU_TANH_CUBIC * x * x);
      return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * dInner;
    }
    case "exponential":
      return y;
    case "hard_sigmoid":
      return x > -3 && x < 3 ? 1 / 6 : 0;
    case "hard_silu":
      if (x <= -3) return 0;
      if (x >= 3) return 1;
      return (2 * x + 3) / 6;
    case "hard_tanh":
      return x > -1 && x < 1 ? 1 : 0;
    case "hard_shrink":
      return Math.abs(x) > p0 ? 1 : 0;
    case "soft_shrink":
      return x > p0 || x < -p0 ? 1 : 0;
    case "tanh_shrink": {
      const t = Math.tanh(x);
      return t * t;
    }
    case "sparse_plus":
      return x <= -1 ? 0 : x >= 1 ? 1 : (x + 1) / 2;
    case "sparse_sigmoid":
      return x > -1 && x < 1 ? 0.5 : 0;
    case "squareplus":
      return 0.5 * (1 + x / Math.sqrt(x * x + p0));
    case "mish": {
      const t = Math.tanh(softplus(x));
      return t + x * (1 - t * t) * sigmoid(x);
    }
    case "log_sigmoid":
      return sigmoid(-x);
    case "threshold":
      return x > p0 ? 1 : 0;
    case "power":
      return p0 === 0 ? 0 : p0 * Math.pow(x, p0 - 1);
  }
}

export function activation(op: ActivationOp, x: FloatArray, out: FloatArray, params: readonly number[]): void {
  const p0 = params[0] ?? 0;
  const p1 = params[1] ?? 0;
  const p2 = params[2] ?? 0;
  for (let i = 0; i < x.length; i++) out[i] = activationValue(op, x[i]!, p0, p1, p2);
}

export function activationBackward(
  op: ActivationOp,
  x: FloatArray,
  y: FloatArray,
  dy: FloatArray,
  dx: FloatArray,
  params: readonly number[],
): void {
  const p0 = params[0] ?? 0;
  const p1 = params[1] ?? 0;
  const p2 = params[2] ?? 0;
  for (let i = 0; i < x.length; i++) dx[i] = dy[i]! * activationDerivative(op, x[i]!, y[i]!, p0, p1, p2);
}

/** log(Σ exp(row)) of one row, shifted by the row maximum. */
function logSumExp(x: FloatArray, offset: number, cols: number): number {
  let max = -Infinity;
  for (let c = 0; c < cols; c++) max = Math.max(max, x[offset + c]!);
  if (max === -Infinity) return -Infinity;
  let total = 0;
  for (let c = 0; c < cols; c++) total += Math.exp(x[offset + c]! - max);
  return max + Math.log(total);
}

/**
 * Sparsemax of one row as Keras 3.15.1 computes it on every backend: with the
 * values sorted in descending order and cumulative sums c_i, the support S is
 * every i with sorted_i > (c_i − 1) / i, k = |S|, and
 * τ = (Σ_{i∈S} c_i − 1) / k. Fills `order` with the row's indices sorted by value.
 * NOTE: textbook sparsemax takes τ = (c_k − 1) / k instead; the two differ
 * once the support has two or more elements, and Keras's output then need not sum to 1.
 */
function sparsemaxThreshold(x: FloatArray, offset: number, cols: number, order: number[]): { tau: number; support: boolean[] } {
  order.length = cols;
  for (let c = 0; c < cols; c++) order[c] = c;
  order.sort((a, b) => x[offset + b]! - x[offset + a]!);
  let cumulative = 0;
  let cumulativeTotal = 0;
  let count = 0;
  const support = new Array<boolean>(cols).fill(false);
  for (let i = 0; i < cols; i++) {
    const value = x[offset + order[i]!]!;
    cumulative += value;
    if (value - (cumulative - 1) / (i + 1) > 0) {
      support[i] = true;
      cumulativeTotal += cumulative;
      count++;
    }
  }
  return { tau: (cumulativeTotal - 1) / count, support };
}

export function rowActivation(op: RowActivationOp, x: FloatArray, out: FloatArray, rows: number, cols: number): void {
  if (op === "glu") {
    const half = cols / 2;
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < half; c++) out[r * half + c] = x[r * cols + c]! * sigmoid(x[r * cols + half + c]!);
    }
    return;
  }
  if (op === "sparsemax") {
    const order: number[] = [];
    for (let r = 0; r < rows; r++) {
      const offset = r * cols;
      const { tau } = sparsemaxThreshold(x, offset, cols, order);
      for (let c = 0; c < cols; c++) out[offset + c] = Math.max(x[offset + c]! - tau, 0);
    }
    return;
  }
  for (let r = 0; r < rows; r++) {
    const offset = r * cols;
    const shift = logSumExp(x, offset, cols);
    for (let c = 0; c < cols; c++) out[offset + c] = x[offset + c]! - shift;
  }
}

export function rowActivationBackward(
  op: RowActivationOp,
  x: FloatArray,
  y: FloatArray,
  dy: FloatArray,
  dx: FloatArray,
  rows: number,
  cols: number,
): void {
  const order: number[] = [];
  for (let r = 0; r < rows; r++) {
    const offset = r * cols;
    if (op === "glu") {
      const half = cols / 2;
      for (let c = 0; c < half; c++) {
        const a = x[offset + c]!;
        const s = sigmoid(x[offset + half + c]!);
        const g = dy[r * half + c]!;
        dx[offset + c] = g * s;
        dx[offset + half + c] = g * a * s * (1 - s);
      }
    } else if (op === "sparsemax") {
      // y = max(x − τ, 0). Sorted value j enters τ through every c_i with i ≥ j in S: ∂τ/∂sorted_j = #{i ∈ S, i ≥ j} / k.
      const { tau, support } = sparsemaxThreshold(x, offset, cols, order);
      let active = 0;
      let count = 0;
      for (let c = 0; c < cols; c++) {
        if (x[offset + c]! - tau > 0) active += dy[offset + c]!;
        if (support[c]) count++;
      }
      let later = 0;
      for (let i = cols - 1; i >= 0; i--) {
        if (support[i]) later++;
        const c = order[i]!;
        const direct = x[offset + c]! - tau > 0 ? dy[offset + c]! : 0;
        dx[offset + c] = direct - (active * later) / count;
      }
    } else {
      // log_softmax: dx = dy − softmax · Σ dy.
      let total = 0;
      for (let c = 0; c < cols; c++) total += dy[offset + c]!;
      for (let c = 0; c < cols; c++) dx[offset + c] = dy[offset + c]! - Math.exp(y[offset + c]!) * total;
    }
  }
}

export function softmaxCrossentropy({ logits, labels, sparse, loss, probs, rows, classes }: SoftmaxCrossentropyArgs): void {
  for (let r = 0; r < rows; r++) {
    const offset = r * classes;
    const shift = logSumExp(logits, offset, classes);
    let value = 0;
    for (let c = 0; c < classes; c++) {
      const logProbability = logits[offset + c]! - shift;
      probs[offset + c] = Math.exp(logProbability);
      const label = sparse ? (labels[r] === c ? 1 : 0) : labels[offset + c]!;
      if (label !== 0) value -= label * logProbability;
    }
    loss[r] = value;
  }
}

export function softmaxCrossentropyBackward({ probs, labels, sparse, dLoss, grad, rows, classes }: SoftmaxCrossentropyBackwardArgs): void {
  for (let r = 0; r < rows; r++) {
    const offset = r * classes;
    const upstream = dLoss[r]!;
    // ∂/∂z_c of −Σ y · log_softmax(z) is p_c · Σy − y_c; soft labels need not sum to 1.
    let labelSum = 1;
    if (!sparse) {
      labelSum = 0;
      for (let c = 0; c < classes; c++) labelSum += labels[offset + c]!;
    }
    for (let c = 0; c < classes; c++) {
      const label = sparse ? (labels[r] === c ? 1 : 0) : labels[offset + c]!;
      grad[offset + c] = upstream * (probs[offset + c]! * labelSum - label);
    }
  }
}

export function sigmoidCrossentropy({ logits, labels, loss, rows, cols }: SigmoidCrossentropyArgs): void {
  for (let r = 0; r < rows; r++) {
    let total = 0;
    for (let c = 0; c < cols; c++) {
      const z = logits[r * cols + c]!;
      const y = labels[r * cols + c]!;
      total += Math.max(z, 0) - z * y + Math.log1p(Math.exp(-Math.abs(z)));
    }
    loss[r] = total / cols;
  }
}

export function sigmoidCrossentropyBackward({ logits, labels, dLoss, grad, rows, cols }: SigmoidCrossentropyBackwardArgs): void {
  for (let r = 0; r < rows; r++) {
    const upstream = dLoss[r]! / cols;
    for (let c = 0; c < cols; c++) {
      const i = r * cols + c;
      grad[i] = upstream * (sigmoid(logits[i]!) - labels[i]!);
    }
  }
}
