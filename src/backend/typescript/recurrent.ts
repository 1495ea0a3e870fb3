/** Reference kernels for the gates of one recurrent step (SimpleRNN, LSTM, GRU with resetAfter). */

import type { FusedActivation, RecurrentGateKind, RecurrentGatesBackwardArgs, RecurrentGatesForwardArgs } from "../backend.js";

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
