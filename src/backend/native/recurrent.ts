/**
 * Native calls of the recurrent gate kernels (native/src/recurrent.c), with
 * the checks that run before them: sizes, the step index, the length of
 * every array, and outputs that must not share memory with any other array.
 */

import type {
  FusedActivation,
  RecurrentCellSizes,
  RecurrentGateKind,
  RecurrentGatesBackwardArgs,
  RecurrentGatesForwardArgs,
  RecurrentSequenceBackwardArgs,
  RecurrentSequenceConfig,
  RecurrentSequenceForwardArgs,
} from "../backend.js";
import type { FloatArray } from "../../tensor/dtype.js";
import { ValueError } from "../../errors.js";
import { checkDisjoint, checkFlag, checkLength, checkSize, codeOf, codeTable, isFloat32Call, signature } from "./checks.js";

/** The addon functions of native/src/recurrent.c, bound in native/src/addon.c. */
export interface RecurrentAddon {
  recurrentGatesForward(...arrays: (Int32Array | Float32Array | null)[]): void;
  recurrentGatesBackward(...arrays: (Int32Array | Float32Array | null)[]): void;
}

const KIND_CODES = codeTable<RecurrentGateKind>({ simple_rnn: 0, lstm: 1, gru: 2 });
const ACTIVATION_CODES = codeTable<FusedActivation>({ linear: 0, relu: 1, sigmoid: 2, tanh: 3 });

const FORWARD_INPUTS = signature("projected", "products", "recurrentBias?", "mask?", "hPrev", "cPrev?");
const FORWARD_OUTPUTS = signature("gateValues", "extra?", "hNew", "cNew?", "output");
const BACKWARD_INPUTS = signature("mask?", "gateValues", "extra?", "hPrev", "cPrev?", "dOutput", "dH", "dC?");
const BACKWARD_OUTPUTS = signature("dProjected", "productGradients", "dHPrev", "dCPrev?");

const GATES: Record<RecurrentGateKind, number> = { simple_rnn: 1, lstm: 4, gru: 3 };

/** Checks the cell, activations and sizes every recurrent call has; returns the first six values of its int32 configuration. */
function cellConfig(kernel: string, args: RecurrentCellSizes): number[] {
  const kind = codeOf(kernel, "cell kind", KIND_CODES, args.kind);
  const activation = codeOf(kernel, "activation", ACTIVATION_CODES, args.activation);
  const recurrentActivation = codeOf(kernel, "recurrent activation", ACTIVATION_CODES, args.recurrentActivation);
  checkSize(kernel, "batch", args.batch);
  checkSize(kernel, "units", args.units);
  checkSize(kernel, "steps", args.steps);
  return [kind, activation, recurrentActivation, args.batch, args.units, args.steps];
}

/** Checks the sizes and codes of a step and returns the addon's int32 step configuration. */
function stepConfig(kernel: string, args: RecurrentGatesForwardArgs | RecurrentGatesBackwardArgs): Int32Array {
  const cell = cellConfig(kernel, args);
  checkSize(kernel, "step", args.step);
  checkFlag(kernel, "zeroOutput", args.zeroOutput);
  if (args.step >= args.steps) {
    throw new ValueError(`${kernel}: \`step\` must be below \`steps\` (${args.steps}), received ${args.step}.`);
  }
  return Int32Array.from([...cell, args.step, args.zeroOutput ? 1 : 0]);
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

/** The addon functions of the whole-sequence kernels. */
export interface RecurrentSequenceAddon {
  recurrentSequenceForward(...arrays: (Int32Array | Float32Array | null)[]): void;
  recurrentSequenceBackward(...arrays: (Int32Array | Float32Array | null)[]): void;
}

const SEQUENCE_FORWARD_INPUTS = signature("projected", "kernel", "recurrentBias?", "mask?");
const SEQUENCE_FORWARD_OUTPUTS = signature("hHistory", "cHistory?", "gateValues", "extra?", "output");
const SEQUENCE_BACKWARD_INPUTS = signature("kernel", "mask?", "gateValues", "extra?", "hHistory", "cHistory?", "dy");
const SEQUENCE_BACKWARD_OUTPUTS = signature("dProjected", "productGradients", "dInitialH", "dInitialC?");

/** Checks the sizes and codes of a sequence call and returns the addon's int32 configuration. */
function sequenceConfig(kernel: string, args: RecurrentSequenceConfig): Int32Array {
  const cell = cellConfig(kernel, args);
  checkFlag(kernel, "goBackwards", args.goBackwards);
  checkFlag(kernel, "zeroOutput", args.zeroOutput);
  return Int32Array.from([...cell, args.goBackwards ? 1 : 0, args.zeroOutput ? 1 : 0]);
}

/** Returns the length that every sequence call checks for each array, by array name. */
function sequenceLengths(args: RecurrentSequenceConfig): Record<string, number> {
  const { batch, units, steps, kind } = args;
  const width = GATES[kind] * units;
  const size = batch * units;
  const states = kind === "lstm" ? 2 : 1;
  return {
    projected: batch * steps * width,
    dProjected: batch * steps * width,
    kernel: units * width,
    recurrentBias: width,
    mask: batch * steps,
    hHistory: (steps + 1) * size,
    cHistory: (steps + 1) * size,
    gateValues: steps * batch * width,
    productGradients: steps * batch * width,
    extra: steps * size,
    output: (steps + states) * size,
    dy: (steps + states) * size,
    dInitialH: size,
    dInitialC: size,
  };
}

/** Checks the length of every array, and that those the cell needs are present. */
function checkSequenceArrays(kernel: string, args: RecurrentSequenceConfig, names: readonly string[], arrays: readonly (FloatArray | null)[]): void {
  const lengths = sequenceLengths(args);
  names.forEach((name, i) => {
    const array = arrays[i] ?? null;
    const optional = name === "recurrentBias" || name === "mask";
    let needed = !optional;
    if (name === "cHistory" || name === "dInitialC") needed = args.kind === "lstm";
    else if (name === "extra") needed = args.kind !== "simple_rnn";
    if (optional) checkLength(kernel, name, array, lengths[name]!);
    else checkStateArray(kernel, name, array, lengths[name]!, needed, args.kind);
  });
}

/** Runs the whole-sequence forward kernel natively and returns true, or returns false when the arrays are float64. */
export function nativeSequenceForward(addon: RecurrentSequenceAddon, args: RecurrentSequenceForwardArgs): boolean {
  const kernel = "recurrentSequenceForward";
  const { projected, kernel: recurrentKernel, recurrentBias, mask, hHistory, cHistory, gateValues, extra, output } = args;
  const float32 = isFloat32Call(kernel, SEQUENCE_FORWARD_INPUTS, projected, recurrentKernel, recurrentBias, mask);
  if (isFloat32Call(kernel, SEQUENCE_FORWARD_OUTPUTS, hHistory, cHistory, gateValues, extra, output) !== float32) throw mixedError(kernel);
  if (!float32) return false;

  const config = sequenceConfig(kernel, args);
  const inputs = [projected, recurrentKernel, recurrentBias, mask] as (Float32Array | null)[];
  const outputs = [hHistory, cHistory, gateValues, extra, output] as (Float32Array | null)[];
  const names = [...SEQUENCE_FORWARD_OUTPUTS.names, ...SEQUENCE_FORWARD_INPUTS.names];
  checkSequenceArrays(kernel, args, names, [...outputs, ...inputs]);
  checkOutputsDisjoint(kernel, names, [...outputs, ...inputs], outputs.length);
  addon.recurrentSequenceForward(config, ...inputs, hHistory as Float32Array, cHistory as Float32Array | null, gateValues as Float32Array,
    extra as Float32Array | null, output as Float32Array);
  return true;
}

/** Runs the whole-sequence backward kernel natively and returns true, or returns false when the arrays are float64. */
export function nativeSequenceBackward(addon: RecurrentSequenceAddon, args: RecurrentSequenceBackwardArgs): boolean {
  const kernel = "recurrentSequenceBackward";
  const { kernel: recurrentKernel, mask, gateValues, extra, hHistory, cHistory, dy, dProjected, productGradients, dInitialH, dInitialC } = args;
  const float32 = isFloat32Call(kernel, SEQUENCE_BACKWARD_INPUTS, recurrentKernel, mask, gateValues, extra, hHistory, cHistory, dy);
  if (isFloat32Call(kernel, SEQUENCE_BACKWARD_OUTPUTS, dProjected, productGradients, dInitialH, dInitialC) !== float32) throw mixedError(kernel);
  if (!float32) return false;

  const config = sequenceConfig(kernel, args);
  const inputs = [recurrentKernel, mask, gateValues, extra, hHistory, cHistory, dy] as (Float32Array | null)[];
  const outputs = [dProjected, productGradients, dInitialH, dInitialC] as (Float32Array | null)[];
  const names = [...SEQUENCE_BACKWARD_OUTPUTS.names, ...SEQUENCE_BACKWARD_INPUTS.names];
  checkSequenceArrays(kernel, args, names, [...outputs, ...inputs]);
  checkOutputsDisjoint(kernel, names, [...outputs, ...inputs], outputs.length);
  addon.recurrentSequenceBackward(config, ...inputs, ...outputs);
  return true;
}
