import type { FloatDType } from "../tensor/dtype.js";
import type { Layer, SymbolicShape } from "./layer.js";

/**
 * A symbolic tensor: the shape and dtype of a value in a functional model,
 * with the call that produces it. `Input(...)` makes the first ones, and
 * calling a layer on symbolic tensors records a `Node` and returns new ones.
 */
export class SymbolicTensor {
  readonly shape: SymbolicShape;
  readonly dtype: FloatDType;
  /** The layer whose call produced this tensor. */
  readonly sourceLayer: Layer;
  /** Index of that call in `sourceLayer.inboundNodes`. */
  readonly nodeIndex: number;
  /** Position of this tensor among the call's outputs. */
  readonly tensorIndex: number;

  constructor(shape: SymbolicShape, dtype: FloatDType, sourceLayer: Layer, nodeIndex = 0, tensorIndex = 0) {
    this.shape = shape;
    this.dtype = dtype;
    this.sourceLayer = sourceLayer;
    this.nodeIndex = nodeIndex;
    this.tensorIndex = tensorIndex;
  }

  /** The node that produced this tensor. */
  get node(): Node {
    return this.sourceLayer.inboundNodes[this.nodeIndex]!;
  }

  /** Keras's `keras_history`: [layer name, node index, tensor index]. */
  get history(): [string, number, number] {
    return [this.sourceLayer.name, this.nodeIndex, this.tensorIndex];
  }

  toString(): string {
    return `SymbolicTensor(shape=[${this.shape.map((d) => (d === null ? "null" : d)).join(", ")}], dtype=${this.dtype}, name=${this.sourceLayer.name})`;
  }
}

/**
 * One call of a layer in a functional graph: the symbolic tensors it took and
 * produced. `inputsAreList` and `outputsAreList` keep whether the call passed
 * and returned an array, so replaying the call passes the same structure.
 * `callOptions` keeps the call's other options, which replaying passes too.
 */
export class Node {
  constructor(
    readonly layer: Layer,
    readonly inputs: readonly SymbolicTensor[],
    readonly inputsAreList: boolean,
    readonly outputs: readonly SymbolicTensor[],
    readonly outputsAreList: boolean,
    /** Call options given with the symbolic call (such as `useCausalMask`), passed again each time the graph runs. */
    readonly callOptions: Readonly<Record<string, unknown>> = {},
  ) {}
}

/** True when `value` is a symbolic tensor or a non-empty array of them. */
export function isSymbolic(value: unknown): value is SymbolicTensor | SymbolicTensor[] {
  if (value instanceof SymbolicTensor) return true;
  return Array.isArray(value) && value.length > 0 && value.every((v) => v instanceof SymbolicTensor);
}
