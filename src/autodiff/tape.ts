/**
 * Reverse-mode automatic differentiation with a tape.
 *
 * While `valueAndGradients` runs its function, every differentiable op whose
 * inputs depend on a source tensor appends a node to the tape: its inputs,
 * its output and a function that maps the output's gradient to the inputs'
 * gradients. Afterwards the tape is walked backwards once. Backward
 * functions run with recording off, so gradients are not themselves
 * differentiable (no higher-order derivatives).
 *
 * A training step records the same few nodes again and again, so the tape
 * objects and their arrays are kept and reused from one call to the next
 * instead of being rebuilt. A tensor tracked by a tape carries that tape's id
 * and its slot number (`Tensor.tapeId`, `Tensor.tapeSlot`), so checking
 * whether an input is tracked needs no lookup structure.
 */

import { ValueError, formatShape } from "../errors.js";
import { getBackend } from "../backend/registry.js";
import { scratchTensor } from "../backend/workspace.js";
import type { FloatArray, FloatDType } from "../tensor/dtype.js";
import { Tensor } from "../tensor/tensor.js";

/** Maps the gradient of a node's output to gradients of its inputs (null where not needed). */
export type BackwardFunction = (dy: Tensor, needsGradient: readonly boolean[]) => (Tensor | null)[];

/** The next tape id. Each use of a tape takes a new id, so marks left on tensors by earlier uses never match. */
let nextTapeId = 1;

class Tape {
  id = 0;
  /** Tracked tensors by slot: the sources first, then node outputs. */
  private readonly tensors: (Tensor | null)[] = [];
  /** Per slot: true for a node output, false for a source. */
  private readonly isOutput: boolean[] = [];
  /** Per slot: the gradient accumulated so far, or null. */
  private readonly gradients: (Tensor | null)[] = [];
  private slotCount = 0;
  private readonly nodeInputs: (readonly Tensor[] | null)[] = [];
  private readonly nodeOutputSlots: number[] = [];
  private readonly nodeBackward: (BackwardFunction | null)[] = [];
  /** Per node: the needs-gradient flags passed to its backward function, reused between uses of the tape. */
  private readonly nodeNeeds: boolean[][] = [];
  private nodeCount = 0;
  /** Marks of enclosing tapes that this tape overwrote, restored when it finishes. */
  private readonly savedTensors: Tensor[] = [];
  private readonly savedIds: number[] = [];
  private readonly savedSlots: number[] = [];

  start(): void {
    this.id = nextTapeId++;
    this.slotCount = 0;
    this.nodeCount = 0;
  }

  isTracked(t: Tensor): boolean {
    return t.tapeId === this.id;
  }

  isRecordedOutput(t: Tensor): boolean {
    return t.tapeId === this.id && this.isOutput[t.tapeSlot] === true;
  }

  /** Gives `t` a slot unless it has one, saving the mark of an enclosing tape that still needs it. */
  track(t: Tensor, output: boolean): void {
    if (t.tapeId === this.id) return;
    if (t.tapeId !== 0 && isActiveTapeId(t.tapeId)) {
      this.savedTensors.push(t);
      this.savedIds.push(t.tapeId);
      this.savedSlots.push(t.tapeSlot);
    }
    const slot = this.slotCount++;
    t.tapeId = this.id;
    t.tapeSlot = slot;
    this.tensors[slot] = t;
    this.isOutput[slot] = output;
    this.gradients[slot] = null;
  }

  addNode(inputs: readonly Tensor[], output: Tensor, backward: BackwardFunction): void {
    this.track(output, true);
    const index = this.nodeCount++;
    this.nodeInputs[index] = inputs;
    this.nodeOutputSlots[index] = output.tapeSlot;
    this.nodeBackward[index] = backward;
  }

  /** Adds `gradient` to the gradient of tracked tensor `target`. */
  private accumulate(target: Tensor, gradient: Tensor): void {
    const slot = target.tapeSlot;
    const existing = this.gradients[slot];
    if (!existing) {
      this.gradients[slot] = gradient;
      return;
    }
    const sum = scratchTensor(existing.dtype as FloatDType, existing.shape, false);
    getBackend().binary(
      "add",
      existing.data as FloatArray,
      existing.shape,
      gradient.data as FloatArray,
      gradient.shape,
      sum.data as FloatArray,
      sum.shape,
    );
    this.gradients[slot] = sum;
  }

  /** Walks the nodes backwards from `value`, whose gradient is `seed`. */
  backpropagate(value: Tensor, seed: Tensor): void {
    if (!this.isTracked(value)) return;
    this.gradients[value.tapeSlot] = seed;
    for (let i = this.nodeCount - 1; i >= 0; i--) {
      const outputSlot = this.nodeOutputSlots[i]!;
      const dy = this.gradients[outputSlot];
      if (!dy) continue;
      const inputs = this.nodeInputs[i]!;
      let needs = this.nodeNeeds[i];
      if (needs === undefined || needs.length !== inputs.length) {
        needs = new Array<boolean>(inputs.length);
        this.nodeNeeds[i] = needs;
      }
      for (let j = 0; j < inputs.length; j++) needs[j] = this.isTracked(inputs[j]!);
      const inputGradients = this.nodeBackward[i]!(dy, needs);
      for (let j = 0; j < inputs.length; j++) {
        const g = inputGradients[j];
        if (g && needs[j]) this.accumulate(inputs[j]!, g);
      }
      this.gradients[outputSlot] = null;
    }
  }

  gradientOf(t: Tensor): Tensor | null {
    return this.isTracked(t) ? this.gradients[t.tapeSlot]! : null;
  }

  /** Restores the marks of enclosing tapes and drops the references this use of the tape kept. */
  finish(): void {
    for (let i = this.savedTensors.length - 1; i >= 0; i--) {
      const t = this.savedTensors[i]!;
      t.tapeId = this.savedIds[i]!;
      t.tapeSlot = this.savedSlots[i]!;
    }
    this.savedTensors.length = 0;
    this.savedIds.length = 0;
    this.savedSlots.length = 0;
    // The mark of a finished tape must not match again, and the arrays must not keep the step's tensors alive.
    for (let slot = 0; slot < this.slotCount; slot++) {
      const t = this.tensors[slot]!;
      if (t.tapeId === this.id) t.tapeId = 0;
      this.tensors[slot] = null;
      this.gradients[slot] = null;
    }
    for (let i = 0; i < this.nodeCount; i++) {
      this.nodeInputs[i] = null;
      this.nodeBackward[i] = null;
    }
    this.id = 0;
  }
}

/** Tapes of nested `valueAndGradients` calls, innermost last; the objects are reused by later calls. */
const tapes: Tape[] = [];
let depth = 0;
let pausedDepth = 0;

function isActiveTapeId(id: number): boolean {
  for (let i = 0; i < depth; i++) if (tapes[i]!.id === id) return true;
  return false;
}

function activeTape(): Tape | null {
  return pausedDepth === 0 && depth > 0 ? tapes[depth - 1]! : null;
}

function anyTracked(tape: Tape, inputs: readonly Tensor[]): boolean {
  for (let i = 0; i < inputs.length; i++) if (tape.isTracked(inputs[i]!)) return true;
  return false;
}

/** True when an op on `inputs` must be recorded. */
export function shouldRecord(inputs: readonly Tensor[]): boolean {
  const tape = activeTape();
  return tape !== null && anyTracked(tape, inputs);
}

/** Records an op if any of its inputs is being differentiated; returns `output`. */
export function record(inputs: readonly Tensor[], output: Tensor, backward: BackwardFunction): Tensor {
  const tape = activeTape();
  if (tape && anyTracked(tape, inputs)) tape.addNode(inputs, output, backward);
  return output;
}

/** True when an op recorded on the active tape produced `output`. */
export function isRecordedOutput(output: Tensor): boolean {
  return activeTape()?.isRecordedOutput(output) ?? false;
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

/** Returns a tensor of `shape` filled with `value`, from the active workspace if there is one. */
function filled(shape: readonly number[], value: number, dtype: FloatDType): Tensor {
  const t = scratchTensor(dtype, shape, false);
  t.data.fill(value);
  return t;
}

/**
 * Evaluates `fn` and returns its scalar result with the gradient of that
 * result with respect to each source. A source that the result does not
 * depend on gets a zero gradient.
 */
export function valueAndGradients(fn: () => Tensor, sources: readonly Tensor[]): { value: Tensor; gradients: Tensor[] } {
  if (depth === tapes.length) tapes.push(new Tape());
  const tape = tapes[depth]!;
  tape.start();
  depth++;
  try {
    for (let i = 0; i < sources.length; i++) tape.track(sources[i]!, false);
    const value = fn();
    // Recording stops here, but the tape's marks stay valid for the backward pass.
    pausedDepth++;
    try {
      if (value.size !== 1) {
        throw new ValueError(
          `Gradients need a scalar result, but the function returned a tensor of shape ${formatShape(value.shape)}. Reduce it to one value (for example with a mean) first.`,
        );
      }
      tape.backpropagate(value, filled(value.shape, 1, value.dtype as FloatDType));
      const gradients = new Array<Tensor>(sources.length);
      for (let i = 0; i < sources.length; i++) {
        const source = sources[i]!;
        gradients[i] = tape.gradientOf(source) ?? filled(source.shape, 0, source.dtype as FloatDType);
      }
      return { value, gradients };
    } finally {
      pausedDepth--;
    }
  } finally {
    tape.finish();
    depth--;
  }
}
