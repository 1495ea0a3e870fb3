/**
 * Reverse-mode automatic differentiation with a tape.
 *
 * While `valueAndGradients` runs its function, every differentiable op whose
 * inputs depend on a source tensor appends a node to the tape: its inputs,
 * its output and a function that maps the output's gradient to the inputs'
 * gradients. Afterwards the tape is walked backwards once. Backward
 * functions run with recording off, so gradients are not themselves
 * differentiable (no higher-order derivatives).
 */

import { ValueError, formatShape } from "../errors.js";
import { getBackend } from "../backend/registry.js";
import type { FloatArray } from "../tensor/dtype.js";
import { Tensor, fill } from "../tensor/tensor.js";

/** Maps the gradient of a node's output to gradients of its inputs (null where not needed). */
export type BackwardFunction = (dy: Tensor, needsGradient: readonly boolean[]) => (Tensor | null)[];

interface TapeNode {
  inputs: readonly Tensor[];
  output: Tensor;
  backward: BackwardFunction;
}

class Tape {
  readonly nodes: TapeNode[] = [];
  readonly tracked = new Set<Tensor>();
  /** Outputs of the recorded nodes, a subset of `tracked` that excludes the sources. */
  readonly outputs = new Set<Tensor>();
}

const tapes: Tape[] = [];
let pausedDepth = 0;

function activeTape(): Tape | null {
  return pausedDepth === 0 ? (tapes[tapes.length - 1] ?? null) : null;
}

/** True when an op on `inputs` must be recorded. */
export function shouldRecord(inputs: readonly Tensor[]): boolean {
  const tape = activeTape();
  return tape !== null && inputs.some((t) => tape.tracked.has(t));
}

/** Records an op if any of its inputs is being differentiated; returns `output`. */
export function record(inputs: readonly Tensor[], output: Tensor, backward: BackwardFunction): Tensor {
  const tape = activeTape();
  if (tape && inputs.some((t) => tape.tracked.has(t))) {
    tape.nodes.push({ inputs, output, backward });
    tape.tracked.add(output);
    tape.outputs.add(output);
  }
  return output;
}

/** True when an op recorded on the active tape produced `output`. */
export function isRecordedOutput(output: Tensor): boolean {
  return activeTape()?.outputs.has(output) ?? false;
}

/** Runs `fn` without recording anything. */
export function noGrad<T>(fn: () => T): T {
  pausedDepth++;
  try {
    return fn();
  } finally {
    pausedDepth--;
  }
}

function accumulate(gradients: Map<Tensor, Tensor>, target: Tensor, gradient: Tensor): void {
  const existing = gradients.get(target);
  if (!existing) {
    gradients.set(target, gradient);
    return;
  }
  const sum = new Tensor(existing.data.slice(), existing.shape);
  getBackend().binary(
    "add",
    existing.data as FloatArray,
    existing.shape,
    gradient.data as FloatArray,
    gradient.shape,
    sum.data as FloatArray,
    sum.shape,
  );
  gradients.set(target, sum);
}

/**
 * Evaluates `fn` and returns its scalar result with the gradient of that
 * result with respect to each source. A source that the result does not
 * depend on gets a zero gradient.
 */
export function valueAndGradients(fn: () => Tensor, sources: readonly Tensor[]): { value: Tensor; gradients: Tensor[] } {
  const tape = new Tape();
  for (const source of sources) tape.tracked.add(source);
  tapes.push(tape);
  let value: Tensor;
  try {
    value = fn();
  } finally {
    tapes.pop();
  }
  if (value.size !== 1) {
    throw new ValueError(
      `Gradients need a scalar result, but the function returned a tensor of shape ${formatShape(value.shape)}. Reduce it to one value (for example with a mean) first.`,
    );
  }
  const gradients = new Map<Tensor, Tensor>();
  gradients.set(value, fill(value.shape, 1, value.dtype));
  noGrad(() => {
    for (let i = tape.nodes.length - 1; i >= 0; i--) {
      const node = tape.nodes[i]!;
      const dy = gradients.get(node.output);
      if (!dy) continue;
      const needs = node.inputs.map((t) => tape.tracked.has(t));
      const inputGradients = node.backward(dy, needs);
      node.inputs.forEach((input, j) => {
        const g = inputGradients[j];
        if (g && needs[j]) accumulate(gradients, input, g);
      });
      gradients.delete(node.output);
    }
  });
  return {
    value,
    gradients: sources.map((s) => gradients.get(s) ?? fill(s.shape, 0, s.dtype)),
  };
}
