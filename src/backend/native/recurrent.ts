/**
 * Native calls of the recurrent gate kernels (native/src/recurrent.c), with
 * the checks that run before them: sizes, the step index, the length of
 * every array, and outputs that must not share memory with any other array.
 */

import type { FusedActivation, RecurrentGateKind, RecurrentGatesBackwardArgs, RecurrentGatesForwardArgs } from "../backend.js";
import type { FloatArray } from "../../tensor/dtype.js";
import { ValueError } from "../../errors.js";
import { checkDisjoint, checkFlag, checkLength, checkSize, codeOf, isFloat32Call, signature } from "./checks.js";

/** The addon functions of native/src/recurrent.c, bound in native/src/addon.c. */
export interface RecurrentAddon {
  recurrentGatesForward(...arrays: (Int32Array | Float32Array | null)[]): void;
  recurrentGatesBackward(...arrays: (Int32Array | Float32Array | null)[]): void;
}

const KIND_CODES: Record<RecurrentGateKind, number> = { simple_rnn: 0, lstm: 1, gru: 2 };
const ACTIVATION_CODES: Record<FusedActivation, number> = { linear: 0, relu: 1, sigmoid: 2, tanh: 3 };

const FORWARD_INPUTS = signature("projected", "products", "recurrentBias?", "mask?", "hPrev", "cPrev?");
const FORWARD_OUTPUTS = signature("gateValues", "extra?", "hNew", "cNew?", "output");
const BACKWARD_INPUTS = signature("mask?", "gateValues", "extra?", "hPrev", "cPrev?", "dOutput", "dH", "dC?");
const BACKWARD_OUTPUTS = signature("dProjected", "productGradients", "dHPrev", "dCPrev?");

const GATES: Record<RecurrentGateKind, number> = { simple_rnn: 1, lstm: 4, gru: 3 };

/** Checks the sizes and codes of a step and returns the addon's int32 step configuration. */
function stepConfig(kernel: string, args: RecurrentGatesForwardArgs | RecurrentGatesBackwardArgs): Int32Array {
  const kind = codeOf(kernel, "cell kind", KIND_CODES, args.kind);
  const activation = codeOf(kernel, "activation", ACTIVATION_CODES, args.activation);
  const recurrentActivation = codeOf(kernel, "recurrent activation", ACTIVATION_CODES, args.recurrentActivation);
  checkSize(kernel, "batch", args.batch);
  checkSize(kernel, "units", args.units);
  checkSize(kernel, "steps", args.steps);
  checkSize(kernel, "step", args.step);
  checkFlag(kernel, "zeroOutput", args.zeroOutput);
  if (args.step >= args.steps) {
    throw new ValueError(`${kernel}: \`step\` must be below \`steps\` (${args.steps}), received ${args.step}.`);
  }
  return Int32Array.from([kind, activation, recurrentActivation, args.batch, args.units, args.steps, args.step, args.zeroOutput ? 1 : 0]);
}

/** Throws a ValueError when an LSTM call lacks a cell-state array. */
function checkCellState(kernel: string, args: RecurrentGatesForwardArgs | RecurrentGatesBackwardArgs, name: string, array: FloatArray | null): void {
  if (args.kind === "lstm" && array === null) throw new ValueError(`${kernel}: an LSTM step needs \`${name}\`, received null.`);
}

/** Throws a ValueError when any two of the named arrays share memory, with at least one of them an output. */
function checkOutputsDisjoint(kernel: string, names: readonly string[], arrays: readonly (FloatArray | null)[], outputCount: number): void {
  for (let i = 0; i < outputCount; i++) {
    for (let j = 0; j < arrays.length; j++) {
      if (j !== i) checkDisjoint(kernel, names[i]!, arrays[i]!, names[j]!, arrays[j]!);
    }
  }
}

/** Runs the forward kernel natively and returns true, or returns false when the arrays are float64. */
export function nativeGatesForward(addon: RecurrentAddon, args: RecurrentGatesForwardArgs): boolean {
  const kernel = "recurrentGatesForward";
  const arrays = [args.projected, args.products, args.recurrentBias, args.mask, args.hPrev, args.cPrev];
  const outputs = [args.gateValues, args.extra, args.hNew, args.cNew, args.output];
  const float32 = isFloat32Call(kernel, FORWARD_INPUTS, args.projected, args.products, args.recurrentBias, args.mask, args.hPrev, args.cPrev);
  const outputsFloat32 = isFloat32Call(kernel, FORWARD_OUTPUTS, args.gateValues, args.extra, args.hNew, args.cNew, args.output);
  if (outputsFloat32 !== float32) throw mixedError(kernel);
  if (!float32) return false;
  const config = stepConfig(kernel, args);
  const { batch, units, steps } = args;
  const width = GATES[args.kind] * units;
  checkLength(kernel, "projected", args.projected, batch * steps * width);
  checkLength(kernel, "products", args.products, batch * width);
  checkLength(kernel, "recurrentBias", args.recurrentBias, width);
  checkLength(kernel, "mask", args.mask, batch * steps);
  checkLength(kernel, "hPrev", args.hPrev, batch * units);
  checkLength(kernel, "gateValues", args.gateValues, batch * width);
  checkLength(kernel, "hNew", args.hNew, batch * units);
  checkLength(kernel, "output", args.output, batch * units);
  if (args.kind !== "simple_rnn") {
    if (args.extra === null) throw new ValueError(`${kernel}: an ${args.kind.toUpperCase()} step needs \`extra\`, received null.`);
    checkLength(kernel, "extra", args.extra, batch * units);
  }
  checkCellState(kernel, args, "cPrev", args.cPrev);
  checkCellState(kernel, args, "cNew", args.cNew);
  if (args.kind === "lstm") {
    checkLength(kernel, "cPrev", args.cPrev, batch * units);
    checkLength(kernel, "cNew", args.cNew, batch * units);
  }
  checkOutputsDisjoint(kernel, [...FORWARD_OUTPUTS.names, ...FORWARD_INPUTS.names], [...outputs, ...arrays], outputs.length);
  addon.recurrentGatesForward(config, ...(arrays as (Float32Array | null)[]), ...(outputs as (Float32Array | null)[]));
  return true;
}

function mixedError(kernel: string): ValueError {
  return new ValueError(`${kernel}: every array of one call must have the same dtype, but the call mixes Float32Array and Float64Array.`);
}

/** Runs the backward kernel natively and returns true, or returns false when the arrays are float64. */
export function nativeGatesBackward(addon: RecurrentAddon, args: RecurrentGatesBackwardArgs): boolean {
  const kernel = "recurrentGatesBackward";
  const inputs = [args.mask, args.gateValues, args.extra, args.hPrev, args.cPrev, args.dOutput, args.dH, args.dC];
  const outputs = [args.dProjected, args.productGradients, args.dHPrev, args.dCPrev];
  const { mask, gateValues, extra, hPrev, cPrev, dOutput, dH, dC } = args;
  const float32 = isFloat32Call(kernel, BACKWARD_INPUTS, mask, gateValues, extra, hPrev, cPrev, dOutput, dH, dC);
  const outputsFloat32 = isFloat32Call(kernel, BACKWARD_OUTPUTS, args.dProjected, args.productGradients, args.dHPrev, args.dCPrev);
  if (outputsFloat32 !== float32) throw mixedError(kernel);
  if (!float32) return false;
  const config = stepConfig(kernel, args);
  const { batch, units, steps } = args;
  const width = GATES[args.kind] * units;
  const rows = batch * units;
  checkLength(kernel, "mask", args.mask, batch * steps);
  checkLength(kernel, "gateValues", args.gateValues, batch * width);
  checkLength(kernel, "hPrev", args.hPrev, rows);
  checkLength(kernel, "dOutput", args.dOutput, rows);
  checkLength(kernel, "dH", args.dH, rows);
  checkLength(kernel, "dProjected", args.dProjected, batch * steps * width);
  checkLength(kernel, "productGradients", args.productGradients, batch * width);
  checkLength(kernel, "dHPrev", args.dHPrev, rows);
  if (args.kind !== "simple_rnn") {
    if (args.extra === null) throw new ValueError(`${kernel}: an ${args.kind.toUpperCase()} step needs \`extra\`, received null.`);
    checkLength(kernel, "extra", args.extra, rows);
  }
  checkCellState(kernel, args, "cPrev", args.cPrev);
  checkCellState(kernel, args, "dC", args.dC);
  checkCellState(kernel, args, "dCPrev", args.dCPrev);
  if (args.kind === "lstm") {
    checkLength(kernel, "cPrev", args.cPrev, rows);
    checkLength(kernel, "dC", args.dC, rows);
    checkLength(kernel, "dCPrev", args.dCPrev, rows);
  }
  checkOutputsDisjoint(kernel, [...BACKWARD_OUTPUTS.names, ...BACKWARD_INPUTS.names], [...outputs, ...inputs], outputs.length);
  addon.recurrentGatesBackward(config, ...(inputs as (Float32Array | null)[]), ...(outputs as (Float32Array | null)[]));
  return true;
}
