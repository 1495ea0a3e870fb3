/** The initializer base class and Keras's fan computation. */

import type { DType } from "../tensor/dtype.js";
import { sizeOf } from "../tensor/shape.js";
import type { Tensor } from "../tensor/tensor.js";

export interface SerializedInitializer {
  module: "keras.initializers";
  class_name: string;
  config: Record<string, unknown>;
  registered_name: null;
}

export abstract class Initializer {
  abstract call(shape: readonly number[], dtype: DType): Tensor;
  abstract getConfig(): Record<string, unknown>;
  /** The Keras class name used in serialized configs. */
  abstract get className(): string;

  serialize(): SerializedInitializer {
    return { module: "keras.initializers", class_name: this.className, config: this.getConfig(), registered_name: null };
  }
}

/** Fan-in and fan-out of a weight shape, as Keras computes them. */
export function computeFans(shape: readonly number[]): [number, number] {
  if (shape.length === 0) return [1, 1];
  if (shape.length === 1) return [shape[0]!, shape[0]!];
  if (shape.length === 2) return [shape[0]!, shape[1]!];
  const receptive = sizeOf(shape.slice(0, -2));
  return [shape[shape.length - 2]! * receptive, shape[shape.length - 1]! * receptive];
}
