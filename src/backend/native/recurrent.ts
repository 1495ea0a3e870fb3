/** Native calls of the recurrent gate kernels (native/src/recurrent.c). */

import type { FusedActivation, RecurrentGateKind, RecurrentGatesBackwardArgs, RecurrentGatesForwardArgs } from "../backend.js";
import type { TypedArray } from "../../tensor/dtype.js";

/** The addon functions of native/src/recurrent.c, bound in native/src/addon.c. */
export interface RecurrentAddon {
  recurrentGatesForward(...arrays: (Int32Array | Float32Array | null)[]): void;
  recurrentGatesBackward(...arrays: (Int32Array | Float32Array | null)[]): void;
}

const KIND_CODES: Record<RecurrentGateKind, number> = { simple_rnn: 0, lstm: 1, gru: 2 };
const ACTIVATION_CODES: Record<FusedActivation, number> = { linear: 0, relu: 1, sigmoid: 2, tanh: 3 };

const allFloat32 = (arrays: (TypedArray | null)[]): boolean => arrays.every((a) => a === null || a instanceof Float32Array);

function stepConfig(args: RecurrentGatesForwardArgs | RecurrentGatesBackwardArgs): Int32Array {
  return Int32Array.from([
    KIND_CODES[args.kind],
    ACTIVATION_CODES[args.activation],
    ACTIVATION_CODES[args.recurrentActivation],
    args.batch,
    args.units,
    args.steps,
    args.step,
    args.zeroOutput ? 1 : 0,
  ]);
}

/** Runs the forward kernel natively and returns true, or returns false when an array is not float32. */
export function nativeGatesForward(addon: RecurrentAddon, args: RecurrentGatesForwardArgs): boolean {
  const arrays = [args.projected, args.products, args.recurrentBias, args.mask, args.hPrev, args.cPrev];
  const outputs = [args.gateValues, args.extra, args.hNew, args.cNew, args.output];
  if (!allFloat32([...arrays, ...outputs])) return false;
  addon.recurrentGatesForward(stepConfig(args), ...(arrays as (Float32Array | null)[]), ...(outputs as (Float32Array | null)[]));
  return true;
}

/** Runs the backward kernel natively and returns true, or returns false when an array is not float32. */
export function nativeGatesBackward(addon: RecurrentAddon, args: RecurrentGatesBackwardArgs): boolean {
  const arrays = [
    args.mask,
    args.gateValues,
    args.extra,
    args.hPrev,
    args.cPrev,
    args.dOutput,
    args.dH,
    args.dC,
    args.dProjected,
    args.productGradients,
    args.dHPrev,
    args.dCPrev,
  ];
  if (!allFloat32(arrays)) return false;
  addon.recurrentGatesBackward(stepConfig(args), ...(arrays as (Float32Array | null)[]));
  return true;
}
