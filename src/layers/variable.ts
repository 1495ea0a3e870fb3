import { ShapeError, formatShape } from "../errors.js";
import { Tensor } from "../tensor/tensor.js";

/**
 * A named weight. Its `value` tensor keeps its identity for the variable's
 * whole life: optimizers and `assign` overwrite its data in place, so
 * gradient tapes and kernels can key on the tensor object.
 */
export class Variable {
  readonly name: string;
  /** `<layer name>/<variable name>`, as Keras reports it. */
  path: string;
  readonly value: Tensor;
  trainable: boolean;
  /**
   * Computes this weight's penalty (a scalar tensor, recorded on the tape),
   * which training adds to the loss; null for none. Layers set it from
   * their `kernelRegularizer`-style options.
   */
  regularizer: ((value: Tensor) => Tensor) | null = null;
  /**
   * Returns the value projected back into its allowed set (for example
   * non-negative weights); optimizers apply it after every update. Null for none.
   */
  constraint: ((value: Tensor) => Tensor) | null = null;

  constructor(options: { name: string; path: string; value: Tensor; trainable: boolean }) {
    this.name = options.name;
    this.path = options.path;
    this.value = options.value;
    this.trainable = options.trainable;
  }

  get shape(): readonly number[] {
    return this.value.shape;
  }

  /** Copies `values` into the variable; the shape must match. */
  assign(values: Tensor): void {
    if (values.size !== this.value.size || values.shape.some((d, i) => d !== this.value.shape[i]) || values.rank !== this.value.rank) {
      throw new ShapeError(
        `Cannot assign a value of shape ${formatShape(values.shape)} to variable "${this.path}" of shape ${formatShape(this.value.shape)}.`,
      );
    }
    this.value.data.set(values.data);
  }

  /** Returns a copy of the current value. */
  read(): Tensor {
    return new Tensor(this.value.data.slice(), this.value.shape);
  }
}
