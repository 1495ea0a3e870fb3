import type { BinaryOp, UnaryOp } from "../backend/backend.js";
import { getBackend } from "../backend/registry.js";
import { record } from "../autodiff/tape.js";
import { Tensor } from "../tensor/tensor.js";
import { broadcastShapes } from "../tensor/shape.js";
import { emptyLike, floatData, floatDType, sameFloatDType, unbroadcast } from "./util.js";
import type { FloatArray } from "../tensor/dtype.js";

function unaryOp(op: UnaryOp, x: Tensor): Tensor {
  const dtype = floatDType(x, op);
  const out = emptyLike(dtype, x.shape);
  getBackend().unary(op, floatData(x, op), out.data as FloatArray);
  return record([x], out, (dy) => {
    const dx = emptyLike(dtype, x.shape);
    getBackend().unaryBackward(op, x.data as FloatArray, out.data as FloatArray, dy.data as FloatArray, dx.data as FloatArray);
    return [dx];
  });
}

export const neg = (x: Tensor): Tensor => unaryOp("neg", x);
export const abs = (x: Tensor): Tensor => unaryOp("abs", x);
export const exp = (x: Tensor): Tensor => unaryOp("exp", x);
export const log = (x: Tensor): Tensor => unaryOp("log", x);
export const sqrt = (x: Tensor): Tensor => unaryOp("sqrt", x);
export const square = (x: Tensor): Tensor => unaryOp("square", x);
export const relu = (x: Tensor): Tensor => unaryOp("relu", x);
export const sigmoid = (x: Tensor): Tensor => unaryOp("sigmoid", x);
export const tanh = (x: Tensor): Tensor => unaryOp("tanh", x);

function binaryOp(op: BinaryOp, a: Tensor, b: Tensor): Tensor {
  const dtype = sameFloatDType(a, b, op);
  const shape = broadcastShapes(a.shape, b.shape);
  const out = emptyLike(dtype, shape);
  const backend = getBackend();
  backend.binary(op, a.data as FloatArray, a.shape, b.data as FloatArray, b.shape, out.data as FloatArray, shape);
  return record([a, b], out, (dy, needs) => binaryBackward(op, a, b, out, dy, needs));
}

function binaryBackward(op: BinaryOp, a: Tensor, b: Tensor, out: Tensor, dy: Tensor, needs: readonly boolean[]): (Tensor | null)[] {
  const backend = getBackend();
  const shape = out.shape;
  const dtype = out.dtype as "float32" | "float64";
  const full = (): Tensor => emptyLike(dtype, shape);
  const dyData = dy.data as FloatArray;
  let da: Tensor | null = null;
  let db: Tensor | null = null;
  switch (op) {
    case "add":
      da = needs[0] ? dy : null;
      db = needs[1] ? dy : null;
      break;
    case "sub":
      da = needs[0] ? dy : null;
      if (needs[1]) {
        db = full();
        backend.unary("neg", dyData, db.data as FloatArray);
      }
      break;
    case "mul":
      if (needs[0]) {
        da = full();
        backend.binary("mul", dyData, shape, b.data as FloatArray, b.shape, da.data as FloatArray, shape);
      }
      if (needs[1]) {
        db = full();
        backend.binary("mul", dyData, shape, a.data as FloatArray, a.shape, db.data as FloatArray, shape);
      }
      break;
    case "div": {
      // d(a/b)/da = 1/b; d(a/b)/db = −(a/b)/b = −out/b.
      if (needs[0]) {
        da = full();
        backend.binary("div", dyData, shape, b.data as FloatArray, b.shape, da.data as FloatArray, shape);
      }
      if (needs[1]) {
        db = full();
        backend.binary("mul", dyData, shape, out.data as FloatArray, shape, db.data as FloatArray, shape);
        backend.binary("div", db.data as FloatArray, shape, b.data as FloatArray, b.shape, db.data as FloatArray, shape);
        backend.unary("neg", db.data as FloatArray, db.data as FloatArray);
      }
      break;
    }
    case "maximum":
    case "minimum": {
      // The gradient goes to the input that was selected; ties go to `a`, as the kernel picks `a` on ties.
      const aFull = full();
      const bFull = full();
      backend.broadcastTo(a.data as FloatArray, a.shape, aFull.data as FloatArray, shape);
      backend.broadcastTo(b.data as FloatArray, b.shape, bFull.data as FloatArray, shape);
      const av = aFull.data;
      const bv = bFull.data;
      const outA = needs[0] ? full() : null;
      const outB = needs[1] ? full() : null;
      for (let i = 0; i < dyData.length; i++) {
        const pickA = op === "maximum" ? av[i]! >= bv[i]! : av[i]! <= bv[i]!;
        if (outA) outA.data[i] = pickA ? dyData[i]! : 0;
        if (outB) outB.data[i] = pickA ? 0 : dyData[i]!;
      }
      da = outA;
      db = outB;
      break;
    }
  }
  return [da ? unbroadcast(da, a.shape) : null, db ? unbroadcast(db, b.shape) : null];
}

export const add = (a: Tensor, b: Tensor): Tensor => binaryOp("add", a, b);
export const sub = (a: Tensor, b: Tensor): Tensor => binaryOp("sub", a, b);
export const mul = (a: Tensor, b: Tensor): Tensor => binaryOp("mul", a, b);
export const div = (a: Tensor, b: Tensor): Tensor => binaryOp("div", a, b);
export const maximum = (a: Tensor, b: Tensor): Tensor => binaryOp("maximum", a, b);
export const minimum = (a: Tensor, b: Tensor): Tensor => binaryOp("minimum", a, b);

/** x · scale + offset with constant numbers. */
export function affine(x: Tensor, scale: number, offset = 0): Tensor {
  const dtype = floatDType(x, "affine");
  const out = emptyLike(dtype, x.shape);
  getBackend().affine(x.data as FloatArray, scale, offset, out.data as FloatArray);
  return record([x], out, (dy) => {
    const dx = emptyLike(dtype, x.shape);
    getBackend().affine(dy.data as FloatArray, scale, 0, dx.data as FloatArray);
    return [dx];
  });
}

/** Clips to [low, high]; the gradient is zero where the clip is active. */
export function clip(x: Tensor, low: number, high: number): Tensor {
  const dtype = floatDType(x, "clip");
  const out = emptyLike(dtype, x.shape);
  getBackend().clip(x.data as FloatArray, low, high, out.data as FloatArray);
  return record([x], out, (dy) => {
    const dx = emptyLike(dtype, x.shape);
    const xs = x.data;
    for (let i = 0; i < xs.length; i++) dx.data[i] = xs[i]! >= low && xs[i]! <= high ? dy.data[i]! : 0;
    return [dx];
  });
}
