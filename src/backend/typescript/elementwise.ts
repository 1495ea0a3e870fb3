import type { BinaryOp, UnaryOp } from "../backend.js";
import type { FloatArray } from "../../tensor/dtype.js";
import { sizeOf, stridesOf } from "../../tensor/shape.js";

export function sigmoid(x: number): number {
  // Split by sign so that exp only gets non-positive arguments and cannot overflow.
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

export function unary(op: UnaryOp, x: FloatArray, out: FloatArray): void {
  const n = x.length;
  switch (op) {
    case "neg":
      for (let i = 0; i < n; i++) out[i] = -x[i]!;
      return;
    case "abs":
      for (let i = 0; i < n; i++) out[i] = Math.abs(x[i]!);
      return;
    case "exp":
      for (let i = 0; i < n; i++) out[i] = Math.exp(x[i]!);
      return;
    case "log":
      for (let i = 0; i < n; i++) out[i] = Math.log(x[i]!);
      return;
    case "sqrt":
      for (let i = 0; i < n; i++) out[i] = Math.sqrt(x[i]!);
      return;
    case "square":
      for (let i = 0; i < n; i++) out[i] = x[i]! * x[i]!;
      return;
    case "relu":
      // NaN fails the comparison and passes through, as max(x, 0) does in NumPy and JAX.
      for (let i = 0; i < n; i++) out[i] = x[i]! <= 0 ? 0 : x[i]!;
      return;
    case "sigmoid":
      for (let i = 0; i < n; i++) out[i] = sigmoid(x[i]!);
      return;
    case "tanh":
      for (let i = 0; i < n; i++) out[i] = Math.tanh(x[i]!);
      return;
  }
}

export function unaryBackward(op: UnaryOp, x: FloatArray, y: FloatArray, dy: FloatArray, dx: FloatArray): void {
  const n = x.length;
  switch (op) {
    case "neg":
      for (let i = 0; i < n; i++) dx[i] = -dy[i]!;
      return;
    case "abs":
      for (let i = 0; i < n; i++) {
        if (x[i]! > 0) dx[i] = dy[i]!;
        else if (x[i]! < 0) dx[i] = -dy[i]!;
        else dx[i] = 0;
      }
      return;
    case "exp":
      for (let i = 0; i < n; i++) dx[i] = dy[i]! * y[i]!;
      return;
    case "log":
      for (let i = 0; i < n; i++) dx[i] = dy[i]! / x[i]!;
      return;
    case "sqrt":
      for (let i = 0; i < n; i++) dx[i] = dy[i]! / (2 * y[i]!);
      return;
    case "square":
      for (let i = 0; i < n; i++) dx[i] = 2 * x[i]! * dy[i]!;
      return;
    case "relu":
      for (let i = 0; i < n; i++) dx[i] = x[i]! > 0 ? dy[i]! : 0;
      return;
    case "sigmoid":
      for (let i = 0; i < n; i++) dx[i] = dy[i]! * y[i]! * (1 - y[i]!);
      return;
    case "tanh":
      for (let i = 0; i < n; i++) dx[i] = dy[i]! * (1 - y[i]! * y[i]!);
      return;
  }
}

function applyBinary(op: BinaryOp, a: number, b: number): number {
  switch (op) {
    case "add":
      return a + b;
    case "sub":
      return a - b;
    case "mul":
      return a * b;
    case "div":
      return a / b;
    // A NaN on either side gives NaN; ties pick `a`.
    case "maximum":
      return a >= b || a !== a ? a : b;
    case "minimum":
      return a <= b || a !== a ? a : b;
  }
}

/** Strides of `shape` aligned to a broadcast shape of rank `rank`, 0 along broadcast axes. */
function broadcastStrides(shape: readonly number[], rank: number): number[] {
  const own = stridesOf(shape);
  const out = new Array<number>(rank).fill(0);
  for (let i = 0; i < shape.length; i++) {
    const axis = rank - shape.length + i;
    out[axis] = shape[i] === 1 ? 0 : own[i]!;
  }
  return out;
}

export function binary(
  op: BinaryOp,
  a: FloatArray,
  aShape: readonly number[],
  b: FloatArray,
  bShape: readonly number[],
  out: FloatArray,
  outShape: readonly number[],
): void {
  const n = out.length;
  if (a.length === n && b.length === n) {
    if (op === "add") for (let i = 0; i < n; i++) out[i] = a[i]! + b[i]!;
    else if (op === "mul") for (let i = 0; i < n; i++) out[i] = a[i]! * b[i]!;
    else if (op === "sub") for (let i = 0; i < n; i++) out[i] = a[i]! - b[i]!;
    else for (let i = 0; i < n; i++) out[i] = applyBinary(op, a[i]!, b[i]!);
    return;
  }
  if (b.length === 1 && a.length === n) {
    const value = b[0]!;
    for (let i = 0; i < n; i++) out[i] = applyBinary(op, a[i]!, value);
    return;
  }
  if (a.length === 1 && b.length === n) {
    const value = a[0]!;
    for (let i = 0; i < n; i++) out[i] = applyBinary(op, value, b[i]!);
    return;
  }
  const rank = outShape.length;
  const aStrides = broadcastStrides(aShape, rank);
  const bStrides = broadcastStrides(bShape, rank);
  const index = new Array<number>(rank).fill(0);
  let aOffset = 0;
  let bOffset = 0;
  for (let i = 0; i < n; i++) {
    out[i] = applyBinary(op, a[aOffset]!, b[bOffset]!);
    // Advance the multi-index like an odometer, updating both offsets incrementally.
    for (let axis = rank - 1; axis >= 0; axis--) {
      index[axis]!++;
      aOffset += aStrides[axis]!;
      bOffset += bStrides[axis]!;
      if (index[axis]! < outShape[axis]!) break;
      aOffset -= aStrides[axis]! * outShape[axis]!;
      bOffset -= bStrides[axis]! * outShape[axis]!;
      index[axis] = 0;
    }
  }
}

/** Sums over `axes`; output element offsets follow the kept axes in order. */
export function sum(x: FloatArray, shape: readonly number[], axes: readonly number[], out: FloatArray): void {
  out.fill(0);
  const rank = shape.length;
  if (rank === 2 && axes.length === 1) {
    const rows = shape[0]!;
    const cols = shape[1]!;
    if (axes[0] === 0) {
      for (let r = 0; r < rows; r++) {
        const row = r * cols;
        for (let c = 0; c < cols; c++) out[c]! += x[row + c]!;
      }
    } else {
      for (let r = 0; r < rows; r++) {
        let total = 0;
        const row = r * cols;
        for (let c = 0; c < cols; c++) total += x[row + c]!;
        out[r] = total;
      }
    }
    return;
  }
  if (out.length === 1) {
    // Every element goes to the one output, in order, as in the general loop below.
    for (let i = 0; i < x.length; i++) out[0]! += x[i]!;
    return;
  }
  const reduced = new Set(axes);
  const keptShape = shape.filter((_, axis) => !reduced.has(axis));
  const keptStrides = stridesOf(keptShape);
  const outStrides = new Array<number>(rank).fill(0);
  let keptAxis = 0;
  for (let axis = 0; axis < rank; axis++) {
    if (!reduced.has(axis)) outStrides[axis] = keptStrides[keptAxis++]!;
  }
  const index = new Array<number>(rank).fill(0);
  let offset = 0;
  const n = sizeOf(shape);
  for (let i = 0; i < n; i++) {
    out[offset]! += x[i]!;
    for (let axis = rank - 1; axis >= 0; axis--) {
      index[axis]!++;
      offset += outStrides[axis]!;
      if (index[axis]! < shape[axis]!) break;
      offset -= outStrides[axis]! * shape[axis]!;
      index[axis] = 0;
    }
  }
}

const ZERO = new Float64Array(1);

export function broadcastTo(x: FloatArray, shape: readonly number[], out: FloatArray, outShape: readonly number[]): void {
  // Adding 0 turns -0 into +0 on every path, as the general broadcast (an addition of 0) does.
  if (x.length === 1) {
    out.fill(x[0]! + 0);
    return;
  }
  if (x.length === out.length) {
    for (let i = 0; i < out.length; i++) out[i] = x[i]! + 0;
    return;
  }
  binary("add", x, shape, ZERO as FloatArray, [], out, outShape);
}
