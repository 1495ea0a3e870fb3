/** Reference kernels for the gates of one recurrent step (SimpleRNN, LSTM, GRU with resetAfter). */

import type {
  FusedActivation,
  RecurrentGateKind,
  RecurrentGatesBackwardArgs,
  RecurrentGatesForwardArgs,
  RecurrentSequenceBackwardArgs,
  RecurrentSequenceForwardArgs,
} from "../backend.js";
import type { FloatArray } from "../../tensor/dtype.js";

/** Applies one of the fused activations to a number. */
export function activate(name: FusedActivation, x: number): number {
  switch (name) {
    case "linear":
      return x;
    case "relu":
      return x > 0 ? x : 0;
    case "sigmoid":
      return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
    case "tanh":
      return Math.tanh(x);
  }
}

/** Returns the derivative of an activation, written in terms of its output `y`. */
export function derivative(name: FusedActivation, y: number): number {
  switch (name) {
    case "linear":
      return 1;
    case "relu":
      return y > 0 ? 1 : 0;
    case "sigmoid":
      return y * (1 - y);
    case "tanh":
      return 1 - y * y;
  }
}

/** Number of gates of a cell, which is the recurrent kernel's column count divided by the units. */
export function gateCount(kind: RecurrentGateKind): number {
  switch (kind) {
    case "lstm":
      return 4;
    case "gru":
      return 3;
    case "simple_rnn":
      return 1;
  }
}

export function recurrentGatesForward(args: RecurrentGatesForwardArgs): void {
  const { kind, batch, units, steps, step, projected, products, recurrentBias, mask, hPrev, cPrev } = args;
  const { gateValues, extra, hNew, cNew, output } = args;
  const act = args.activation;
  const gateAct = args.recurrentActivation;
  const width = gateCount(kind) * units;
  for (let b = 0; b < batch; b++) {
    const x = (b * steps + step) * width;
    const row = b * width;
    const unmasked = mask === null || mask[b * steps + step] !== 0;
    for (let j = 0; j < units; j++) {
      const bj = b * units + j;
      if (kind === "simple_rnn") {
        const y = activate(act, projected[x + j]! + products[row + j]!);
        gateValues[row + j] = y;
        hNew[bj] = y;
      } else if (kind === "lstm") {
        const i = activate(gateAct, projected[x + j]! + products[row + j]!);
        const f = activate(gateAct, projected[x + units + j]! + products[row + units + j]!);
        const g = activate(act, projected[x + 2 * units + j]! + products[row + 2 * units + j]!);
        const o = activate(gateAct, projected[x + 3 * units + j]! + products[row + 3 * units + j]!);
        const c = f * cPrev![bj]! + i * g;
        const ac = activate(act, c);
        gateValues[row + j] = i;
        gateValues[row + units + j] = f;
        gateValues[row + 2 * units + j] = g;
        gateValues[row + 3 * units + j] = o;
        extra![bj] = ac;
        cNew![bj] = c;
        hNew[bj] = o * ac;
      } else {
        const innerZ = products[row + j]! + (recurrentBias ? recurrentBias[j]! : 0);
        const innerR = products[row + units + j]! + (recurrentBias ? recurrentBias[units + j]! : 0);
        const innerH = products[row + 2 * units + j]! + (recurrentBias ? recurrentBias[2 * units + j]! : 0);
        const z = activate(gateAct, projected[x + j]! + innerZ);
        const r = activate(gateAct, projected[x + units + j]! + innerR);
        const hh = activate(act, projected[x + 2 * units + j]! + r * innerH);
        gateValues[row + j] = z;
        gateValues[row + units + j] = r;
        gateValues[row + 2 * units + j] = hh;
        extra![bj] = innerH;
        hNew[bj] = z * hPrev[bj]! + (1 - z) * hh;
      }
      if (unmasked) {
        output[bj] = hNew[bj]!;
      } else {
        hNew[bj] = hPrev[bj]!;
        if (cNew) cNew[bj] = cPrev![bj]!;
        output[bj] = args.zeroOutput ? 0 : hPrev[bj]!;
      }
    }
  }
}

export function recurrentGatesBackward(args: RecurrentGatesBackwardArgs): void {
  const { kind, batch, units, steps, step, mask, gateValues, extra, hPrev, cPrev, dOutput, dH, dC } = args;
  const { dProjected, productGradients, dHPrev, dCPrev } = args;
  const act = args.activation;
  const gateAct = args.recurrentActivation;
  const gates = gateCount(kind);
  const width = gates * units;
  for (let b = 0; b < batch; b++) {
    const x = (b * steps + step) * width;
    const row = b * width;
    const unmasked = mask === null || mask[b * steps + step] !== 0;
    for (let j = 0; j < units; j++) {
      const bj = b * units + j;
      if (!unmasked) {
        dHPrev[bj] = dH[bj]! + (args.zeroOutput ? 0 : dOutput[bj]!);
        if (dCPrev) dCPrev[bj] = dC![bj]!;
        for (let g = 0; g < gates; g++) {
          dProjected[x + g * units + j] = 0;
          productGradients[row + g * units + j] = 0;
        }
        continue;
      }
      const dh = dH[bj]! + dOutput[bj]!;
      if (kind === "simple_rnn") {
        const da = dh * derivative(act, gateValues[row + j]!);
        dProjected[x + j] = da;
        productGradients[row + j] = da;
        dHPrev[bj] = 0;
      } else if (kind === "lstm") {
        const i = gateValues[row + j]!;
        const f = gateValues[row + units + j]!;
        const g = gateValues[row + 2 * units + j]!;
        const o = gateValues[row + 3 * units + j]!;
        const ac = extra![bj]!;
        const dc = dC![bj]! + dh * o * derivative(act, ac);
        const dI = dc * g * derivative(gateAct, i);
        const dF = dc * cPrev![bj]! * derivative(gateAct, f);
        const dG = dc * i * derivative(act, g);
        const dO = dh * ac * derivative(gateAct, o);
        dProjected[x + j] = dI;
        dProjected[x + units + j] = dF;
        dProjected[x + 2 * units + j] = dG;
        dProjected[x + 3 * units + j] = dO;
        productGradients[row + j] = dI;
        productGradients[row + units + j] = dF;
        productGradients[row + 2 * units + j] = dG;
        productGradients[row + 3 * units + j] = dO;
        dCPrev![bj] = dc * f;
        dHPrev[bj] = 0;
      } else {
        const z = gateValues[row + j]!;
        const r = gateValues[row + units + j]!;
        const hh = gateValues[row + 2 * units + j]!;
        const dPreZ = dh * (hPrev[bj]! - hh) * derivative(gateAct, z);
        const dPreH = dh * (1 - z) * derivative(act, hh);
        const dPreR = dPreH * extra![bj]! * derivative(gateAct, r);
        dProjected[x + j] = dPreZ;
        dProjected[x + units + j] = dPreR;
        dProjected[x + 2 * units + j] = dPreH;
        productGradients[row + j] = dPreZ;
        productGradients[row + units + j] = dPreR;
        productGradients[row + 2 * units + j] = dPreH * r;
        dHPrev[bj] = dh * z;
      }
    }
  }
}

/** The backend calls a whole-sequence run is made of; a backend passes itself. */
export interface StepKernels {
  matmul(a: FloatArray, b: FloatArray, out: FloatArray, m: number, k: number, n: number, transposeA: boolean, transposeB: boolean, accumulate?: boolean): void;
  recurrentGatesForward(args: RecurrentGatesForwardArgs): void;
  recurrentGatesBackward(args: RecurrentGatesBackwardArgs): void;
}

function newLike(array: FloatArray, size: number): FloatArray {
  return array instanceof Float64Array ? new Float64Array(size) : new Float32Array(size);
}

/** Step-by-step reference for `recurrentSequenceForward`: one matmul and one gate call per step. */
export function recurrentSequenceForward(kernels: StepKernels, args: RecurrentSequenceForwardArgs): void {
  const { kind, batch, units, steps, projected, kernel, hHistory, cHistory, gateValues, extra, output } = args;
  const width = gateCount(kind) * units;
  const size = batch * units;
  const outSteps = steps + (cHistory ? 2 : 1);
  const products = newLike(projected, batch * width);
  const stepOutput = newLike(projected, size);
  for (let s = 0; s < steps; s++) {
    const hPrev = hHistory.subarray(s * size, (s + 1) * size);
    kernels.matmul(hPrev, kernel, products, batch, units, width, false, false);
    kernels.recurrentGatesForward({
      kind,
      activation: args.activation,
      recurrentActivation: args.recurrentActivation,
      batch,
      units,
      steps,
      step: args.goBackwards ? steps - 1 - s : s,
      projected,
      products,
      recurrentBias: args.recurrentBias,
      mask: args.mask,
      zeroOutput: args.zeroOutput,
      hPrev,
      cPrev: cHistory ? cHistory.subarray(s * size, (s + 1) * size) : null,
      gateValues: gateValues.subarray(s * batch * width, (s + 1) * batch * width),
      extra: extra ? extra.subarray(s * size, (s + 1) * size) : null,
      hNew: hHistory.subarray((s + 1) * size, (s + 2) * size),
      cNew: cHistory ? cHistory.subarray((s + 1) * size, (s + 2) * size) : null,
      output: stepOutput,
    });
    for (let b = 0; b < batch; b++) output.set(stepOutput.subarray(b * units, (b + 1) * units), (b * outSteps + s) * units);
  }
  for (let b = 0; b < batch; b++) {
    output.set(hHistory.subarray(steps * size + b * units, steps * size + (b + 1) * units), (b * outSteps + steps) * units);
    if (cHistory) output.set(cHistory.subarray(steps * size + b * units, steps * size + (b + 1) * units), (b * outSteps + steps + 1) * units);
  }
}

/** Step-by-step reference for `recurrentSequenceBackward`. */
export function recurrentSequenceBackward(kernels: StepKernels, args: RecurrentSequenceBackwardArgs): void {
  const { kind, batch, units, steps, kernel, gateValues, extra, hHistory, cHistory, dy, dProjected, productGradients } = args;
  const width = gateCount(kind) * units;
  const size = batch * units;
  const outSteps = steps + (cHistory ? 2 : 1);
  let dH = newLike(dy, size);
  let dC = cHistory ? newLike(dy, size) : null;
  let dHPrev = newLike(dy, size);
  let dCPrev = cHistory ? newLike(dy, size) : null;
  const dOutput = newLike(dy, size);
  for (let b = 0; b < batch; b++) {
    const final = (b * outSteps + steps) * units;
    dH.set(dy.subarray(final, final + units), b * units);
    if (dC) dC.set(dy.subarray(final + units, final + 2 * units), b * units);
  }
  for (let s = steps - 1; s >= 0; s--) {
    for (let b = 0; b < batch; b++) {
      const from = (b * outSteps + s) * units;
      dOutput.set(dy.subarray(from, from + units), b * units);
    }
    const stepGradients = productGradients.subarray(s * batch * width, (s + 1) * batch * width);
    kernels.recurrentGatesBackward({
      kind,
      activation: args.activation,
      recurrentActivation: args.recurrentActivation,
      batch,
      units,
      steps,
      step: args.goBackwards ? steps - 1 - s : s,
      mask: args.mask,
      zeroOutput: args.zeroOutput,
      gateValues: gateValues.subarray(s * batch * width, (s + 1) * batch * width),
      extra: extra ? extra.subarray(s * size, (s + 1) * size) : null,
      hPrev: hHistory.subarray(s * size, (s + 1) * size),
      cPrev: cHistory ? cHistory.subarray(s * size, (s + 1) * size) : null,
      dOutput,
      dH,
      dC,
      dProjected,
      productGradients: stepGradients,
      dHPrev,
      dCPrev,
    });
    kernels.matmul(stepGradients, kernel, dHPrev, batch, width, units, false, true, true);
    [dH, dHPrev] = [dHPrev, dH];
    [dC, dCPrev] = [dCPrev, dC];
  }
  args.dInitialH.set(dH);
  if (args.dInitialC && dC) args.dInitialC.set(dC);
}
