import { ShapeError, formatShape } from "../errors.js";
import { record } from "../autodiff/tape.js";
import { sizeOf } from "../tensor/shape.js";
import { Tensor } from "../tensor/tensor.js";

/** Returns a view of `x` with a new shape; one entry may be -1 and is then inferred. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const unknown = shape.indexOf(-1);
  let resolved = [...shape];
  if (unknown >= 0) {
    const known = sizeOf(shape.filter((_, i) => i !== unknown));
    resolved[unknown] = known === 0 ? 0 : x.size / known;
  }
  if (sizeOf(resolved) !== x.size || resolved.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new ShapeError(`Cannot reshape a tensor of shape ${formatShape(x.shape)} (${x.size} elements) to ${formatShape(shape)}.`);
  }
  resolved = resolved.map((d) => d);
  const out = new Tensor(x.data, resolved);
  return record([x], out, (dy) => [new Tensor(dy.data, x.shape)]);
}
