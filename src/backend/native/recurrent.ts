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

/**
 * Throws a ShapeError unless `array` has `expected` elements, and a
 * ValueError when it is null although the cell kind reads or writes it.
 */
function checkStateArray(kernel: string, name: string, array: FloatArray | null, expected: number, needed: boolean, kind: RecurrentGateKind): void {
  if (needed && array === null) throw new ValueError(`${kernel}: \`${name}\` is required for a ${kind} cell, received null.`);
  if (needed) checkLength(kernel, name, array, expected);
}

/** Throws a ValueError when an output shares memory with any other array of the call. */
function checkOutputsDisjoint(kernel: string, names: readonly string[], arrays: readonly (FloatArray | null)[], outputCount: number): void {
  for (let i = 0; i < outputCount; i++) {
    for (let j = 0; j < arrays.length; j++) {
      if (j !== i) checkDisjoint(kernel, names[i]!, arrays[i]!, names[j]!, arrays[j]!);
    }
  }
}

function mixedError(kernel: string): ValueError {
  return new ValueError(`${kernel}: every array of one call must have the same dtype, but the call mixes Float32Array and Float64Array.`);
}

function checkForwardLengths(kernel: string, args: RecurrentGatesForwardArgs): void {
  const { batch, units, steps, kind } = args;
  const width = GATES[kind] * units;
  const rows = batch * units;
  checkLength(kernel, "projected", args.projected, batch * steps * width);
  checkLength(kernel, "products", args.products, batch * width);
  checkLength(kernel, "recurrentBias", args.recurrentBias, width);
  checkLength(kernel, "mask", args.mask, batch * steps);
  checkLength(kernel, "hPrev", args.hPrev, rows);
  checkLength(kernel, "gateValues", args.gateValues, batch * width);
  checkLength(kernel, "hNew", args.hNew, rows);
  checkLength(kernel, "output", args.output, rows);
  checkStateArray(kernel, "extra", args.extra, rows, kind !== "simple_rnn", kind);
  checkStateArray(kernel, "cPrev", args.cPrev, rows, kind === "lstm", kind);
  checkStateArray(kernel, "cNew", args.cNew, rows, kind === "lstm", kind);
}

function checkBackwardLengths(kernel: string, args: RecurrentGatesBackwardArgs): void {
  const { batch, units, steps, kind } = args;
  const width = GATES[kind] * units;
  const rows = batch * units;
  checkLength(kernel, "mask", args.mask, batch * steps);
  checkLength(kernel, "gateValues", args.gateValues, batch * width);
  checkLength(kernel, "hPrev", args.hPrev, rows);
  checkLength(kernel, "dOutput", args.dOutput, rows);
  checkLength(kernel, "dH", args.dH, rows);
  checkLength(kernel, "dProjected", args.dProjected, batch * steps * width);
  checkLength(kernel, "productGradients", args.productGradients, batch * width);
  checkLength(kernel, "dHPrev", args.dHPrev, rows);
  checkStateArray(kernel, "extra", args.extra, rows, kind !== "simple_rnn", kind);
  checkStateArray(kernel, "cPrev", args.cPrev, rows, kind === "lstm", kind);
  checkStateArray(kernel, "dC", args.dC, rows, kind === "lstm", kind);
  checkStateArray(kernel, "dCPrev", args.dCPrev, rows, kind === "lstm", kind);
}

/** Runs the forward kernel natively and returns true, or returns false when the arrays are float64. */
export function nativeGatesForward(addon: RecurrentAddon, args: RecurrentGatesForwardArgs): boolean {
  const kernel = "recurrentGatesForward";
  const { projected, products, recurrentBias, mask, hPrev, cPrev, gateValues, extra, hNew, cNew, output } = args;
  const float32 = isFloat32Call(kernel, FORWARD_INPUTS, projected, products, recurrentBias, mask, hPrev, cPrev);
  if (isFloat32Call(kernel, FORWARD_OUTPUTS, gateValues, extra, hNew, cNew, output) !== float32) throw mixedError(kernel);
  if (!float32) return false;

  const config = stepConfig(kernel, args);
  checkForwardLengths(kernel, args);
  const inputs = [projected, products, recurrentBias, mask, hPrev, cPrev] as (Float32Array | null)[];
  const outputs = [gateValues, extra, hNew, cNew, output] as (Float32Array | null)[];
  checkOutputsDisjoint(kernel, [...FORWARD_OUTPUTS.names, ...FORWARD_INPUTS.names], [...outputs, ...inputs], outputs.length);
  addon.recurrentGatesForward(config, ...inputs, ...outputs);
  return true;
}

/** Runs the backward kernel natively and returns true, or returns false when the arrays are float64. */
export function nativeGatesBackward(addon: RecurrentAddon, args: RecurrentGatesBackwardArgs): boolean {
  const kernel = "recurrentGatesBackward";
  const { mask, gateValues, extra, hPrev, cPrev, dOutput, dH, dC, dProjected, productGradients, dHPrev, dCPrev } = args;
  const float32 = isFloat32Call(kernel, BACKWARD_INPUTS, mask, gateValues, extra, hPrev, cPrev, dOutput, dH, dC);
  if (isFloat32Call(kernel, BACKWARD_OUTPUTS, dProjected, productGradients, dHPrev, dCPrev) !== float32) throw mixedError(kernel);
  if (!float32) return false;

  const config = stepConfig(kernel, args);
  checkBackwardLengths(kernel, args);
  const inputs = [mask, gateValues, extra, hPrev, cPrev, dOutput, dH, dC] as (Float32Array | null)[];
  const outputs = [dProjected, productGradients, dHPrev, dCPrev] as (Float32Array | null)[];
  checkOutputsDisjoint(kernel, [...BACKWARD_OUTPUTS.names, ...BACKWARD_INPUTS.names], [...outputs, ...inputs], outputs.length);
  addon.recurrentGatesBackward(config, ...inputs, ...outputs);
  return true;
}
