/**
 * The time loop of SimpleRNN, LSTM and GRU as one differentiable op.
 *
 * The input projection of every step (inputs · kernel + input bias) is
 * computed beforehand in one matmul, so this op only adds the recurrent
 * product h · recurrentKernel at each step, applies the gates and stores what
 * backpropagation through time needs. Running the whole loop as one op keeps
 * the tape to one node per layer call instead of a dozen per step.
 */

import { ShapeError, ValueError, formatShape } from "../errors.js";
import type { FusedActivation } from "../backend/backend.js";
import { getBackend } from "../backend/registry.js";
import { record } from "../autodiff/tape.js";
import { type FloatArray, type FloatDType, allocateFloat } from "../tensor/dtype.js";
import { Tensor } from "../tensor/tensor.js";
import { emptyLike, floatDType } from "./util.js";

export type RecurrentCellKind = "simple_rnn" | "lstm" | "gru";

export interface RecurrentScanOptions {
  kind: RecurrentCellKind;
  units: number;
  activation: FusedActivation;
  /** The gate activation of LSTM and GRU; SimpleRNN ignores it. */
  recurrentActivation: FusedActivation;
  /** GRU only: apply the reset gate after the recurrent matmul (Keras's default). */
  resetAfter?: boolean;
  /** Process the steps from last to first; outputs are then in processing order, as in Keras. */
  goBackwards?: boolean;
  /** Masked steps output zeros instead of the previous output (Keras's `zero_output_for_mask`). */
  zeroOutputForMask?: boolean;
  /** Step mask in time order, [batch, steps], 1 keeps a step; a masked step carries the states forward. */
  mask?: FloatArray | null;
  /**
   * Recurrent dropout masks, one [batch, units] array per gate (one for
   * SimpleRNN), multiplied into the previous output before each gate's
   * recurrent matmul; null without recurrent dropout.
   */
  recurrentMasks?: FloatArray[] | null;
}

/** Number of gates, which is the recurrent kernel's column count divided by `units`. */
export function gateCount(kind: RecurrentCellKind): number {
  return kind === "lstm" ? 4 : kind === "gru" ? 3 : 1;
}

/** Number of states: h (and c for LSTM). */
export function stateCount(kind: RecurrentCellKind): number {
  return kind === "lstm" ? 2 : 1;
}

function activate(name: FusedActivation, x: number): number {
  switch (name) {
    case "linear":
      return x;
    case "relu":
      return x > 0 ? x : 0;
    case "sigmoid":
      return 1 / (1 + Math.exp(-x));
    case "tanh":
      return Math.tanh(x);
  }
}

/** Derivative of an activation written in terms of its output `y`. */
function derivative(name: FusedActivation, y: number): number {
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

/**
 * Runs a recurrent cell over all steps.
 *
 * `projected` is [batch, steps, gates · units], `recurrentKernel` is
 * [units, gates · units], `recurrentBias` is the GRU's [3 · units] recurrent
 * bias when `resetAfter` (else null), and `initialStates` are [batch, units]
 * each. Returns [batch, steps + states, units]: the output of each step in
 * processing order, then the final states (h, and c for LSTM).
 */
export function recurrentScan(
  projected: Tensor,
  recurrentKernel: Tensor,
  recurrentBias: Tensor | null,
  initialStates: readonly Tensor[],
  options: RecurrentScanOptions,
): Tensor {
  const dtype = floatDType(projected, "recurrentScan");
  const { kind, units } = options;
  const gates = gateCount(kind);
  const stateTotal = stateCount(kind);
  const resetAfter = kind === "gru" && (options.resetAfter ?? true);
  const width = gates * units;
  if (projected.rank !== 3 || projected.shape[2] !== width) {
    throw new ShapeError(`recurrentScan needs projected inputs of shape (batch, steps, ${width}), received ${formatShape(projected.shape)}.`);
  }
  const batch = projected.shape[0]!;
  const steps = projected.shape[1]!;
  if (recurrentKernel.rank !== 2 || recurrentKernel.shape[0] !== units || recurrentKernel.shape[1] !== width) {
    throw new ShapeError(`recurrentScan needs a recurrent kernel of shape (${units}, ${width}), received ${formatShape(recurrentKernel.shape)}.`);
  }
  if (recurrentBias && (!resetAfter || recurrentBias.size !== width)) {
    throw new ShapeError(`recurrentScan takes a recurrent bias of ${width} values only for a GRU with resetAfter, received ${formatShape(recurrentBias.shape)}.`);
  }
  if (initialStates.length !== stateTotal) {
    throw new ValueError(`recurrentScan for ${kind} needs ${stateTotal} initial states, received ${initialStates.length}.`);
  }
  for (const state of initialStates) {
    if (state.rank !== 2 || state.shape[0] !== batch || state.shape[1] !== units) {
      throw new ShapeError(`recurrentScan needs initial states of shape (${batch}, ${units}), received ${formatShape(state.shape)}.`);
    }
  }
  for (const t of [recurrentKernel, ...(recurrentBias ? [recurrentBias] : []), ...initialStates]) {
    if (t.dtype !== dtype) throw new ValueError(`recurrentScan needs every tensor in ${dtype}, received ${t.dtype}.`);
  }
  const mask = options.mask ?? null;
  if (mask && mask.length !== batch * steps) {
    throw new ShapeError(`recurrentScan needs a mask of shape (${batch}, ${steps}), received ${mask.length} values.`);
  }
  const recurrentMasks = options.recurrentMasks ?? null;
  if (recurrentMasks && (recurrentMasks.length !== gates || recurrentMasks.some((m) => m.length !== batch * units))) {
    throw new ShapeError(`recurrentScan needs ${gates} recurrent dropout masks of shape (${batch}, ${units}).`);
  }

  const scan = new Scan(dtype, kind, batch, steps, units, resetAfter, options, mask, recurrentMasks);
  const out = emptyLike(dtype, [batch, steps + stateTotal, units]);
  scan.forward(
    projected.data as FloatArray,
    splitGates(recurrentKernel.data as FloatArray, dtype, units, gates),
    recurrentBias ? (recurrentBias.data as FloatArray) : null,
    initialStates.map((s) => s.data as FloatArray),
    out.data as FloatArray,
  );
  const inputs = [projected, recurrentKernel, ...(recurrentBias ? [recurrentBias] : []), ...initialStates];
  return record(inputs, out, (dy) => {
    const dProjected = emptyLike(dtype, projected.shape);
    const dKernel = emptyLike(dtype, recurrentKernel.shape);
    const dBias = recurrentBias ? emptyLike(dtype, recurrentBias.shape) : null;
    const dStates = initialStates.map((s) => emptyLike(dtype, s.shape));
    scan.backward(
      dy.data as FloatArray,
      dProjected.data as FloatArray,
      dKernel.data as FloatArray,
      dBias ? (dBias.data as FloatArray) : null,
      dStates.map((s) => s.data as FloatArray),
    );
    return [dProjected, dKernel, ...(dBias ? [dBias] : []), ...dStates];
  });
}

/** Copies the [units, gates · units] kernel into one contiguous [units, units] block per gate. */
function splitGates(kernel: FloatArray, dtype: FloatDType, units: number, gates: number): FloatArray[] {
  const blocks: FloatArray[] = [];
  for (let g = 0; g < gates; g++) {
    const block = allocateFloat(dtype, units * units);
    for (let r = 0; r < units; r++) {
      block.set(kernel.subarray(r * gates * units + g * units, r * gates * units + (g + 1) * units), r * units);
    }
    blocks.push(block);
  }
  return blocks;
}

/** Forward and backward passes of one `recurrentScan` call, with the values the backward pass reuses. */
class Scan {
  private readonly gates: number;
  private readonly size: number;
  /** States before each step and after the last: `states[k][s]` is state k before step s. */
  private readonly states: FloatArray[][] = [];
  /** Activated gate values per step, [batch, gates · units]. */
  private readonly gateValues: FloatArray[] = [];
  /** Per step: LSTM act(c), GRU (resetAfter) the recurrent h-gate product, GRU (not resetAfter) r ⊙ h. */
  private readonly extra: FloatArray[] = [];
  private kernelBlocks: FloatArray[] = [];

  constructor(
    private readonly dtype: FloatDType,
    private readonly kind: RecurrentCellKind,
    private readonly batch: number,
    private readonly steps: number,
    private readonly units: number,
    private readonly resetAfter: boolean,
    private readonly options: RecurrentScanOptions,
    private readonly mask: FloatArray | null,
    private readonly recurrentMasks: FloatArray[] | null,
  ) {
    this.gates = gateCount(kind);
    this.size = batch * units;
  }

  private buffer(): FloatArray {
    return allocateFloat(this.dtype, this.size);
  }

  private timeIndex(s: number): number {
    return this.options.goBackwards ? this.steps - 1 - s : s;
  }

  private keep(b: number, t: number): boolean {
    return this.mask === null || this.mask[b * this.steps + t] !== 0;
  }

  /** The previous output as gate `g` sees it: multiplied by its recurrent dropout mask, if any. */
  private gateInput(h: FloatArray, g: number): FloatArray {
    const masks = this.recurrentMasks;
    if (!masks) return h;
    const out = this.buffer();
    const m = masks[g]!;
    for (let i = 0; i < this.size; i++) out[i] = h[i]! * m[i]!;
    return out;
  }

  /** Gates whose recurrent product is (gate input) · kernel block; a GRU without resetAfter handles its h gate apart. */
  private standardGates(): number[] {
    if (this.kind === "gru" && !this.resetAfter) return [0, 1];
    return Array.from({ length: this.gates }, (_, g) => g);
  }

  forward(
    projected: FloatArray,
    kernelBlocks: FloatArray[],
    recurrentBias: FloatArray | null,
    initialStates: FloatArray[],
    out: FloatArray,
  ): void {
    const { batch, steps, units, gates, kind } = this;
    const backend = getBackend();
    const act = this.options.activation;
    const gateAct = this.options.recurrentActivation;
    const zeroOutput = this.options.zeroOutputForMask ?? false;
    const width = gates * units;
    const stateTotal = initialStates.length;
    const outSteps = steps + stateTotal;
    this.kernelBlocks = kernelBlocks;
    for (let k = 0; k < stateTotal; k++) this.states.push([copyArray(this.dtype, initialStates[k]!)]);
    const products = Array.from({ length: gates }, () => this.buffer());

    for (let s = 0; s < steps; s++) {
      const t = this.timeIndex(s);
      const hPrev = this.states[0]![s]!;
      const cPrev = kind === "lstm" ? this.states[1]![s]! : null;
      for (const g of this.standardGates()) {
        backend.matmul(this.gateInput(hPrev, g), kernelBlocks[g]!, products[g]!, batch, units, units, false, false);
      }
      const gateValues = allocateFloat(this.dtype, batch * width);
      const extra = kind === "simple_rnn" ? null : this.buffer();
      const hNew = this.buffer();
      const cNew = kind === "lstm" ? this.buffer() : null;

      if (kind === "gru" && !this.resetAfter) {
        // z and r first, then the h gate's product (r ⊙ h) · kernel block.
        const gated = extra!;
        const hInput = this.gateInput(hPrev, 2);
        for (let b = 0; b < batch; b++) {
          const x = (b * steps + t) * width;
          for (let j = 0; j < units; j++) {
            const bj = b * units + j;
            const z = activate(gateAct, projected[x + j]! + products[0]![bj]!);
            const r = activate(gateAct, projected[x + units + j]! + products[1]![bj]!);
            gateValues[b * width + j] = z;
            gateValues[b * width + units + j] = r;
            gated[bj] = r * hInput[bj]!;
          }
        }
        backend.matmul(gated, kernelBlocks[2]!, products[2]!, batch, units, units, false, false);
      }

      for (let b = 0; b < batch; b++) {
        const x = (b * steps + t) * width;
        const gv = b * width;
        for (let j = 0; j < units; j++) {
          const bj = b * units + j;
          if (kind === "simple_rnn") {
            const y = activate(act, projected[x + j]! + products[0]![bj]!);
            gateValues[gv + j] = y;
            hNew[bj] = y;
          } else if (kind === "lstm") {
            const i = activate(gateAct, projected[x + j]! + products[0]![bj]!);
            const f = activate(gateAct, projected[x + units + j]! + products[1]![bj]!);
            const g = activate(act, projected[x + 2 * units + j]! + products[2]![bj]!);
            const o = activate(gateAct, projected[x + 3 * units + j]! + products[3]![bj]!);
            const c = f * cPrev![bj]! + i * g;
            const ac = activate(act, c);
            gateValues[gv + j] = i;
            gateValues[gv + units + j] = f;
            gateValues[gv + 2 * units + j] = g;
            gateValues[gv + 3 * units + j] = o;
            extra![bj] = ac;
            cNew![bj] = c;
            hNew[bj] = o * ac;
          } else if (this.resetAfter) {
            const bias = (offset: number): number => (recurrentBias ? recurrentBias[offset + j]! : 0);
            const innerZ = products[0]![bj]! + bias(0);
            const innerR = products[1]![bj]! + bias(units);
            const innerH = products[2]![bj]! + bias(2 * units);
            const z = activate(gateAct, projected[x + j]! + innerZ);
            const r = activate(gateAct, projected[x + units + j]! + innerR);
            const hh = activate(act, projected[x + 2 * units + j]! + r * innerH);
            gateValues[gv + j] = z;
            gateValues[gv + units + j] = r;
            gateValues[gv + 2 * units + j] = hh;
            extra![bj] = innerH;
            hNew[bj] = z * hPrev[bj]! + (1 - z) * hh;
          } else {
            const z = gateValues[gv + j]!;
            const hh = activate(act, projected[x + 2 * units + j]! + products[2]![bj]!);
            gateValues[gv + 2 * units + j] = hh;
            hNew[bj] = z * hPrev[bj]! + (1 - z) * hh;
          }
        }
        const kept = this.keep(b, t);
        const row = (b * outSteps + s) * units;
        for (let j = 0; j < units; j++) {
          const bj = b * units + j;
          if (!kept) {
            hNew[bj] = hPrev[bj]!;
            if (cNew) cNew[bj] = cPrev![bj]!;
            out[row + j] = zeroOutput ? 0 : hPrev[bj]!;
          } else {
            out[row + j] = hNew[bj]!;
          }
        }
      }
      this.gateValues.push(gateValues);
      if (extra) this.extra.push(extra);
      this.states[0]!.push(hNew);
      if (cNew) this.states[1]!.push(cNew);
    }

    for (let k = 0; k < stateTotal; k++) {
      const final = this.states[k]![steps]!;
      for (let b = 0; b < batch; b++) out.set(final.subarray(b * units, (b + 1) * units), (b * outSteps + steps + k) * units);
    }
  }

  backward(
    dy: FloatArray,
    dProjected: FloatArray,
    dKernel: FloatArray,
    dRecurrentBias: FloatArray | null,
    dInitialStates: FloatArray[],
  ): void {
    const { batch, steps, units, gates, kind } = this;
    const backend = getBackend();
    const act = this.options.activation;
    const gateAct = this.options.recurrentActivation;
    const zeroOutput = this.options.zeroOutputForMask ?? false;
    const width = gates * units;
    const stateTotal = dInitialStates.length;
    const outSteps = steps + stateTotal;
    const kernelGradients = Array.from({ length: gates }, () => allocateFloat(this.dtype, units * units));
    const productGradients = Array.from({ length: gates }, () => this.buffer());

    // Gradients flowing into the states after the current step, starting from the final states' gradients.
    let dH = this.buffer();
    let dC = kind === "lstm" ? this.buffer() : null;
    for (let b = 0; b < batch; b++) {
      dH.set(dy.subarray((b * outSteps + steps) * units, (b * outSteps + steps + 1) * units), b * units);
      if (dC) dC.set(dy.subarray((b * outSteps + steps + 1) * units, (b * outSteps + steps + 2) * units), b * units);
    }

    for (let s = steps - 1; s >= 0; s--) {
      const t = this.timeIndex(s);
      const hPrev = this.states[0]![s]!;
      const cPrev = kind === "lstm" ? this.states[1]![s]! : null;
      const gateValues = this.gateValues[s]!;
      const extra = kind === "simple_rnn" ? null : this.extra[s]!;
      const dHPrev = this.buffer();
      const dCPrev = kind === "lstm" ? this.buffer() : null;
      for (const p of productGradients) p.fill(0);

      for (let b = 0; b < batch; b++) {
        const kept = this.keep(b, t);
        const x = (b * steps + t) * width;
        const gv = b * width;
        const row = (b * outSteps + s) * units;
        for (let j = 0; j < units; j++) {
          const bj = b * units + j;
          const dOut = dy[row + j]!;
          if (!kept) {
            dHPrev[bj] = dH[bj]! + (zeroOutput ? 0 : dOut);
            if (dCPrev) dCPrev[bj] = dC![bj]!;
            continue;
          }
          const dh = dH[bj]! + dOut;
          if (kind === "simple_rnn") {
            const da = dh * derivative(act, gateValues[gv + j]!);
            dProjected[x + j] = da;
            productGradients[0]![bj] = da;
          } else if (kind === "lstm") {
            const i = gateValues[gv + j]!;
            const f = gateValues[gv + units + j]!;
            const g = gateValues[gv + 2 * units + j]!;
            const o = gateValues[gv + 3 * units + j]!;
            const ac = extra![bj]!;
            const dc = dC![bj]! + dh * o * derivative(act, ac);
            const dPre = [
              dc * g * derivative(gateAct, i),
              dc * cPrev![bj]! * derivative(gateAct, f),
              dc * i * derivative(act, g),
              dh * ac * derivative(gateAct, o),
            ];
            for (let k = 0; k < 4; k++) {
              dProjected[x + k * units + j] = dPre[k]!;
              productGradients[k]![bj] = dPre[k]!;
            }
            dCPrev![bj] = dc * f;
          } else {
            const z = gateValues[gv + j]!;
            const hh = gateValues[gv + 2 * units + j]!;
            const dPreZ = dh * (hPrev[bj]! - hh) * derivative(gateAct, z);
            const dPreH = dh * (1 - z) * derivative(act, hh);
            dHPrev[bj] = dh * z;
            dProjected[x + j] = dPreZ;
            dProjected[x + 2 * units + j] = dPreH;
            productGradients[0]![bj] = dPreZ;
            if (this.resetAfter) {
              const r = gateValues[gv + units + j]!;
              const dPreR = dPreH * extra![bj]! * derivative(gateAct, r);
              dProjected[x + units + j] = dPreR;
              productGradients[1]![bj] = dPreR;
              productGradients[2]![bj] = dPreH * r;
            } else {
              productGradients[2]![bj] = dPreH;
            }
          }
        }
      }

      if (kind === "gru" && !this.resetAfter) {
        // The h gate's product is (r ⊙ h') · block, with h' the masked previous output.
        const gated = extra!;
        const hInput = this.gateInput(hPrev, 2);
        backend.matmul(gated, productGradients[2]!, kernelGradients[2]!, units, batch, units, true, false, true);
        const dGated = this.buffer();
        backend.matmul(productGradients[2]!, this.kernelBlocks[2]!, dGated, batch, units, units, false, true);
        const rMask = this.recurrentMasks ? this.recurrentMasks[2]! : null;
        for (let b = 0; b < batch; b++) {
          if (!this.keep(b, t)) continue;
          const x = (b * steps + t) * width;
          const gv = b * width;
          for (let j = 0; j < units; j++) {
            const bj = b * units + j;
            const r = gateValues[gv + units + j]!;
            const dPreR = dGated[bj]! * hInput[bj]! * derivative(gateAct, r);
            dProjected[x + units + j] = dPreR;
            productGradients[1]![bj] = dPreR;
            dHPrev[bj]! += dGated[bj]! * r * (rMask ? rMask[bj]! : 1);
          }
        }
      }

      for (const g of this.standardGates()) {
        const input = this.gateInput(hPrev, g);
        backend.matmul(input, productGradients[g]!, kernelGradients[g]!, units, batch, units, true, false, true);
        const dInput = this.buffer();
        backend.matmul(productGradients[g]!, this.kernelBlocks[g]!, dInput, batch, units, units, false, true);
        const m = this.recurrentMasks ? this.recurrentMasks[g]! : null;
        for (let i = 0; i < this.size; i++) dHPrev[i]! += dInput[i]! * (m ? m[i]! : 1);
      }
      if (dRecurrentBias) {
        for (let g = 0; g < gates; g++) {
          const p = productGradients[g]!;
          for (let b = 0; b < batch; b++) {
            for (let j = 0; j < units; j++) dRecurrentBias[g * units + j]! += p[b * units + j]!;
          }
        }
      }
      dH = dHPrev;
      dC = dCPrev;
    }

    dInitialStates[0]!.set(dH);
    if (dC) dInitialStates[1]!.set(dC);
    for (let g = 0; g < gates; g++) {
      const block = kernelGradients[g]!;
      for (let r = 0; r < units; r++) {
        dKernel.set(block.subarray(r * units, (r + 1) * units), r * width + g * units);
      }
    }
  }
}

function copyArray(dtype: FloatDType, values: FloatArray): FloatArray {
  const copy = allocateFloat(dtype, values.length);
  copy.set(values);
  return copy;
}
