/**
 * The time loop of SimpleRNN, LSTM and GRU as one differentiable op.
 *
 * The caller computes the input projection of every step (inputs · kernel +
 * input bias) beforehand in one matmul. This op adds the recurrent product
 * h · recurrentKernel at each step, applies the gates and stores what
 * backpropagation through time needs. Running the whole loop as one op keeps
 * the tape to one node per layer call instead of a dozen per step.
 */

import { ShapeError, ValueError, formatShape } from "../errors.js";
import type { FusedActivation, RecurrentGateKind, RecurrentSequenceConfig } from "../backend/backend.js";
import { getBackend } from "../backend/registry.js";
import { record } from "../autodiff/tape.js";
import { type FloatArray, type FloatDType, allocateFloat } from "../tensor/dtype.js";
import { Tensor } from "../tensor/tensor.js";
import { activate, derivative, gateCount as gatesOfKind } from "../backend/typescript/recurrent.js";
import { allocateScratch, scratchTensor } from "../backend/workspace.js";
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
   * SimpleRNN). Each multiplies the previous output before its gate's
   * recurrent matmul. Null without recurrent dropout.
   */
  recurrentMasks?: FloatArray[] | null;
}

/** Number of gates, which is the recurrent kernel's column count divided by `units`. */
export function gateCount(kind: RecurrentCellKind): number {
  return gatesOfKind(kind);
}

/** Number of states: h (and c for LSTM). */
export function stateCount(kind: RecurrentCellKind): number {
  return kind === "lstm" ? 2 : 1;
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
  // The whole-sequence kernels write every element of their outputs, so reused buffers need no zero fill.
  const out = scratchTensor(dtype, [batch, steps + stateTotal, units], !scan.fused);
  scan.forward(
    projected.data as FloatArray,
    recurrentKernel.data as FloatArray,
    recurrentBias ? (recurrentBias.data as FloatArray) : null,
    initialStates.map((s) => s.data as FloatArray),
    out.data as FloatArray,
  );
  const inputs = [projected, recurrentKernel, ...(recurrentBias ? [recurrentBias] : []), ...initialStates];
  return record(inputs, out, (dy) => {
    const dProjected = scratchTensor(dtype, projected.shape, !scan.fused);
    const dKernel = scratchTensor(dtype, recurrentKernel.shape, !scan.fused);
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

/**
 * Forward and backward passes of one `recurrentScan` call, with the values
 * the backward pass reuses.
 *
 * Recurrent products are laid out [batch, gates · units]. Without recurrent
 * dropout (and except for a GRU with resetAfter false) a step takes one
 * matmul h · recurrentKernel forward and one dz · recurrentKernelᵀ backward,
 * and the kernel's gradient is one matmul over all steps at the end.
 * Otherwise each gate multiplies its own input by its own [units, units]
 * block of the kernel.
 */
class Scan {
  private readonly gates: number;
  private readonly width: number;
  private readonly size: number;
  /** True when all gates share one recurrent matmul per step (see the class comment). */
  readonly fused: boolean;
  /** h before each step and after the last, [steps + 1, batch, units]. */
  private hHistory: FloatArray;
  /** c likewise, for LSTM only. */
  private cHistory: FloatArray | null = null;
  /** Activated gate values of every step, [steps, batch, gates · units]. */
  private gateHistory: FloatArray;
  /**
   * Per step, [steps, batch, units]: LSTM act(c), GRU (resetAfter) the
   * recurrent h-gate product, GRU (not resetAfter) r ⊙ h. Null for SimpleRNN.
   */
  private extraHistory: FloatArray | null = null;
  private kernel: FloatArray;
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
    this.width = this.gates * units;
    this.size = batch * units;
    this.fused = recurrentMasks === null && !(kind === "gru" && !resetAfter);
    this.hHistory = allocateFloat(dtype, 0);
    this.kernel = this.hHistory;
    this.gateHistory = this.hHistory;
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

  private stateAt(history: FloatArray, s: number): FloatArray {
    return history.subarray(s * this.size, (s + 1) * this.size);
  }

  private gatesAt(s: number): FloatArray {
    const rowWidth = this.batch * this.width;
    return this.gateHistory.subarray(s * rowWidth, (s + 1) * rowWidth);
  }

  /** Returns the sizes and switches that the whole-sequence kernels take. */
  private sequenceConfig(): RecurrentSequenceConfig {
    const kind = this.kind as RecurrentGateKind;
    return {
      kind,
      activation: this.options.activation,
      recurrentActivation: this.options.recurrentActivation,
      batch: this.batch,
      units: this.units,
      steps: this.steps,
      goBackwards: this.options.goBackwards ?? false,
      mask: this.mask,
      zeroOutput: this.options.zeroOutputForMask ?? false,
    };
  }

  /** Returns the previous output that gate `g` multiplies: `h` times the gate's recurrent dropout mask, if any. */
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

  /** Copies a [batch, units] block into columns of gate `g` of a [batch, gates · units] array. */
  private scatterGate(block: FloatArray, target: FloatArray, g: number): void {
    const { batch, units, width } = this;
    for (let b = 0; b < batch; b++) target.set(block.subarray(b * units, (b + 1) * units), b * width + g * units);
  }

  /** Copies the columns of gate `g` of a [batch, gates · units] array into a [batch, units] block. */
  private gatherGate(source: FloatArray, block: FloatArray, g: number): void {
    const { batch, units, width } = this;
    for (let b = 0; b < batch; b++) block.set(source.subarray(b * width + g * units, b * width + (g + 1) * units), b * units);
  }

  forward(
    projected: FloatArray,
    kernel: FloatArray,
    recurrentBias: FloatArray | null,
    initialStates: FloatArray[],
    out: FloatArray,
  ): void {
    const { batch, steps, units, width, kind, size } = this;
    const backend = getBackend();
    const stateTotal = initialStates.length;
    const outSteps = steps + stateTotal;
    this.kernel = kernel;
    if (!this.fused) this.kernelBlocks = splitGates(kernel, this.dtype, units, this.gates);
    const zeroed = !this.fused;
    this.hHistory = allocateScratch(this.dtype, (steps + 1) * size, zeroed);
    this.hHistory.set(initialStates[0]!);
    if (kind === "lstm") {
      this.cHistory = allocateScratch(this.dtype, (steps + 1) * size, zeroed);
      this.cHistory.set(initialStates[1]!);
    }
    this.gateHistory = allocateScratch(this.dtype, steps * batch * width, zeroed);
    this.extraHistory = kind === "simple_rnn" ? null : allocateScratch(this.dtype, steps * size, zeroed);
    if (this.fused) {
      backend.recurrentSequenceForward({
        ...this.sequenceConfig(),
        projected,
        kernel,
        recurrentBias,
        hHistory: this.hHistory,
        cHistory: this.cHistory,
        gateValues: this.gateHistory,
        extra: this.extraHistory,
        output: out,
      });
      return;
    }
    const products = allocateFloat(this.dtype, batch * width);
    const block = this.buffer();
    const stepOutput = this.buffer();

    for (let s = 0; s < steps; s++) {
      const t = this.timeIndex(s);
      const hPrev = this.stateAt(this.hHistory, s);
      const hNew = this.stateAt(this.hHistory, s + 1);
      const cPrev = this.cHistory ? this.stateAt(this.cHistory, s) : null;
      const cNew = this.cHistory ? this.stateAt(this.cHistory, s + 1) : null;
      for (const g of this.standardGates()) {
        backend.matmul(this.gateInput(hPrev, g), this.kernelBlocks[g]!, block, batch, units, units, false, false);
        this.scatterGate(block, products, g);
      }
      const gateValues = this.gatesAt(s);
      const extra = this.extraHistory ? this.stateAt(this.extraHistory, s) : null;

      if (kind === "gru" && !this.resetAfter) {
        this.resetBeforeForward(t, projected, products, block, hPrev, gateValues, extra!, hNew, stepOutput);
      } else {
        backend.recurrentGatesForward({
          kind,
          activation: this.options.activation,
          recurrentActivation: this.options.recurrentActivation,
          batch,
          units,
          steps,
          step: t,
          projected,
          products,
          recurrentBias,
          mask: this.mask,
          zeroOutput: this.options.zeroOutputForMask ?? false,
          hPrev,
          cPrev,
          gateValues,
          extra,
          hNew,
          cNew,
          output: stepOutput,
        });
      }
      for (let b = 0; b < batch; b++) out.set(stepOutput.subarray(b * units, (b + 1) * units), (b * outSteps + s) * units);
    }

    const finals = [this.stateAt(this.hHistory, steps), ...(this.cHistory ? [this.stateAt(this.cHistory, steps)] : [])];
    finals.forEach((final, k) => {
      for (let b = 0; b < batch; b++) out.set(final.subarray(b * units, (b + 1) * units), (b * outSteps + steps + k) * units);
    });
  }

  /** Gates of one step of a GRU with resetAfter false: z and r, then the h gate's product (r ⊙ h') · block. */
  private resetBeforeForward(
    t: number,
    projected: FloatArray,
    products: FloatArray,
    block: FloatArray,
    hPrev: FloatArray,
    gateValues: FloatArray,
    gated: FloatArray,
    hNew: FloatArray,
    stepOutput: FloatArray,
  ): void {
    const { batch, steps, units, width } = this;
    const act = this.options.activation;
    const gateAct = this.options.recurrentActivation;
    const hInput = this.gateInput(hPrev, 2);
    for (let b = 0; b < batch; b++) {
      const x = (b * steps + t) * width;
      const row = b * width;
      for (let j = 0; j < units; j++) {
        const bj = b * units + j;
        const z = activate(gateAct, projected[x + j]! + products[row + j]!);
        const r = activate(gateAct, projected[x + units + j]! + products[row + units + j]!);
        gateValues[row + j] = z;
        gateValues[row + units + j] = r;
        gated[bj] = r * hInput[bj]!;
      }
    }
    getBackend().matmul(gated, this.kernelBlocks[2]!, block, batch, units, units, false, false);
    for (let b = 0; b < batch; b++) {
      const x = (b * steps + t) * width;
      const row = b * width;
      const unmasked = this.keep(b, t);
      for (let j = 0; j < units; j++) {
        const bj = b * units + j;
        const z = gateValues[row + j]!;
        const hh = activate(act, projected[x + 2 * units + j]! + block[bj]!);
        gateValues[row + 2 * units + j] = hh;
        if (unmasked) {
          hNew[bj] = z * hPrev[bj]! + (1 - z) * hh;
          stepOutput[bj] = hNew[bj]!;
        } else {
          hNew[bj] = hPrev[bj]!;
          stepOutput[bj] = this.options.zeroOutputForMask ? 0 : hPrev[bj]!;
        }
      }
    }
  }

  /**
   * Backpropagation through one step of a GRU with resetAfter false. It
   * writes the gradients of the z and r products into `productGradients`,
   * which the caller multiplies through the kernel, and handles the h gate's
   * own product here.
   */
  private resetBeforeBackward(
    t: number,
    hPrev: FloatArray,
    gateValues: FloatArray,
    gated: FloatArray,
    dOutput: FloatArray,
    dH: FloatArray,
    dProjected: FloatArray,
    productGradients: FloatArray,
    dHPrev: FloatArray,
    hGateKernelGradient: FloatArray,
    block: FloatArray,
  ): void {
    const { batch, steps, units, width } = this;
    const backend = getBackend();
    const act = this.options.activation;
    const gateAct = this.options.recurrentActivation;
    const zeroOutput = this.options.zeroOutputForMask ?? false;
    for (let b = 0; b < batch; b++) {
      const unmasked = this.keep(b, t);
      const x = (b * steps + t) * width;
      const row = b * width;
      for (let j = 0; j < units; j++) {
        const bj = b * units + j;
        if (!unmasked) {
          dHPrev[bj] = dH[bj]! + (zeroOutput ? 0 : dOutput[bj]!);
          continue;
        }
        const dh = dH[bj]! + dOutput[bj]!;
        const z = gateValues[row + j]!;
        const hh = gateValues[row + 2 * units + j]!;
        const dPreZ = dh * (hPrev[bj]! - hh) * derivative(gateAct, z);
        const dPreH = dh * (1 - z) * derivative(act, hh);
        dHPrev[bj] = dh * z;
        dProjected[x + j] = dPreZ;
        dProjected[x + 2 * units + j] = dPreH;
        productGradients[row + j] = dPreZ;
        productGradients[row + 2 * units + j] = dPreH;
      }
    }
    // The h gate's product is (r ⊙ h') · block, with h' the masked previous output.
    const hInput = this.gateInput(hPrev, 2);
    this.gatherGate(productGradients, block, 2);
    backend.matmul(gated, block, hGateKernelGradient, units, batch, units, true, false, true);
    const dGated = this.buffer();
    backend.matmul(block, this.kernelBlocks[2]!, dGated, batch, units, units, false, true);
    const rMask = this.recurrentMasks ? this.recurrentMasks[2]! : null;
    for (let b = 0; b < batch; b++) {
      if (!this.keep(b, t)) continue;
      const x = (b * steps + t) * width;
      const row = b * width;
      for (let j = 0; j < units; j++) {
        const bj = b * units + j;
        const r = gateValues[row + units + j]!;
        const dPreR = dGated[bj]! * hInput[bj]! * derivative(gateAct, r);
        dProjected[x + units + j] = dPreR;
        productGradients[row + units + j] = dPreR;
        dHPrev[bj]! += dGated[bj]! * r * (rMask ? rMask[bj]! : 1);
      }
    }
  }

  backward(
    dy: FloatArray,
    dProjected: FloatArray,
    dKernel: FloatArray,
    dRecurrentBias: FloatArray | null,
    dInitialStates: FloatArray[],
  ): void {
    const { batch, steps, units, width, kind, size } = this;
    const backend = getBackend();
    const stateTotal = dInitialStates.length;
    const outSteps = steps + stateTotal;
    if (this.fused) {
      this.fusedBackward(dy, dProjected, dKernel, dRecurrentBias, dInitialStates);
      return;
    }
    const kernelGradients = Array.from({ length: this.gates }, () => allocateFloat(this.dtype, units * units));
    const productGradients = allocateFloat(this.dtype, batch * width);
    const block = this.buffer();
    const blockInput = this.buffer();
    const stepDOutput = this.buffer();

    // Gradients flowing into the states after the current step, starting from the final states' gradients.
    let dH = this.buffer();
    let dC = kind === "lstm" ? this.buffer() : null;
    for (let b = 0; b < batch; b++) {
      dH.set(dy.subarray((b * outSteps + steps) * units, (b * outSteps + steps + 1) * units), b * units);
      if (dC) dC.set(dy.subarray((b * outSteps + steps + 1) * units, (b * outSteps + steps + 2) * units), b * units);
    }

    for (let s = steps - 1; s >= 0; s--) {
      const t = this.timeIndex(s);
      const hPrev = this.stateAt(this.hHistory, s);
      const cPrev = this.cHistory ? this.stateAt(this.cHistory, s) : null;
      const gateValues = this.gatesAt(s);
      const extra = this.extraHistory ? this.stateAt(this.extraHistory, s) : null;
      const dHPrev = this.buffer();
      const dCPrev = kind === "lstm" ? this.buffer() : null;
      productGradients.fill(0);

      for (let b = 0; b < batch; b++) {
        const from = (b * outSteps + s) * units;
        stepDOutput.set(dy.subarray(from, from + units), b * units);
      }
      if (kind === "gru" && !this.resetAfter) {
        this.resetBeforeBackward(t, hPrev, gateValues, extra!, stepDOutput, dH, dProjected, productGradients, dHPrev, kernelGradients[2]!, block);
      } else {
        backend.recurrentGatesBackward({
          kind,
          activation: this.options.activation,
          recurrentActivation: this.options.recurrentActivation,
          batch,
          units,
          steps,
          step: t,
          mask: this.mask,
          zeroOutput: this.options.zeroOutputForMask ?? false,
          gateValues,
          extra,
          hPrev,
          cPrev,
          dOutput: stepDOutput,
          dH,
          dC,
          dProjected,
          productGradients,
          dHPrev,
          dCPrev,
        });
      }

      for (const g of this.standardGates()) {
        this.gatherGate(productGradients, block, g);
        backend.matmul(this.gateInput(hPrev, g), block, kernelGradients[g]!, units, batch, units, true, false, true);
        backend.matmul(block, this.kernelBlocks[g]!, blockInput, batch, units, units, false, true);
        const m = this.recurrentMasks ? this.recurrentMasks[g]! : null;
        for (let i = 0; i < size; i++) dHPrev[i]! += blockInput[i]! * (m ? m[i]! : 1);
      }
      if (dRecurrentBias) {
        for (let b = 0; b < batch; b++) {
          for (let k = 0; k < width; k++) dRecurrentBias[k]! += productGradients[b * width + k]!;
        }
      }
      dH = dHPrev;
      dC = dCPrev;
    }

    dInitialStates[0]!.set(dH);
    if (dC) dInitialStates[1]!.set(dC);
    for (let g = 0; g < this.gates; g++) {
      const gradient = kernelGradients[g]!;
      for (let r = 0; r < units; r++) dKernel.set(gradient.subarray(r * units, (r + 1) * units), r * width + g * units);
    }
  }

  /** Backward pass of the fused case: one sequence call, then the kernel's and the bias's gradients as one matmul each. */
  private fusedBackward(
    dy: FloatArray,
    dProjected: FloatArray,
    dKernel: FloatArray,
    dRecurrentBias: FloatArray | null,
    dInitialStates: FloatArray[],
  ): void {
    const { batch, steps, units, width, size } = this;
    const backend = getBackend();
    const rows = steps * batch;
    const productGradients = allocateScratch(this.dtype, rows * width, false);
    backend.recurrentSequenceBackward({
      ...this.sequenceConfig(),
      kernel: this.kernel,
      gateValues: this.gateHistory,
      extra: this.extraHistory,
      hHistory: this.hHistory,
      cHistory: this.cHistory,
      dy,
      dProjected,
      productGradients,
      dInitialH: dInitialStates[0]!,
      dInitialC: dInitialStates[1] ?? null,
    });
    // Σ over steps of h_prevᵀ · dProducts, as one [units, steps · batch] × [steps · batch, width] product.
    backend.matmul(this.hHistory.subarray(0, steps * size), productGradients, dKernel, units, rows, width, true, false);
    if (dRecurrentBias) {
      const ones = allocateScratch(this.dtype, rows, false).fill(1);
      backend.matmul(ones, productGradients, dRecurrentBias, 1, rows, width, false, false);
    }
  }
}
