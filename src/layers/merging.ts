import { ShapeError, ValueError, formatShape } from "../errors.js";
import { noGrad } from "../autodiff/tape.js";
import * as ops from "../ops/index.js";
import { emptyLike } from "../ops/util.js";
import type { FloatDType } from "../tensor/dtype.js";
import type { Tensor } from "../tensor/tensor.js";
import {
  BASE_LAYER_OPTIONS,
  type CallOptions,
  Layer,
  type LayerOptions,
  type LayerShape,
  type SymbolicShape,
  baseOptionsFromConfig,
  getMask,
  isShapeList,
} from "./layer.js";

function formatShapes(shapes: readonly SymbolicShape[]): string {
  return shapes.map((s) => formatShape(s)).join(", ");
}

/** Returns the masks of a merge layer's inputs: those attached to the tensors, else `mask` for the first one. */
function inputMasks(inputs: Tensor | Tensor[], mask: Tensor | null | (Tensor | null)[]): (Tensor | null)[] {
  const list = Array.isArray(inputs) ? inputs : [inputs];
  const masks = list.map(getMask);
  const given = Array.isArray(mask) ? mask : [mask];
  given.forEach((m, i) => {
    if (m !== null && m !== undefined && i < masks.length) masks[i] = m;
  });
  return masks;
}

/** Element-wise logical or of masks of one shape, as 0/1 values. */
function orMasks(masks: readonly Tensor[]): Tensor {
  const first = masks[0]!;
  const out = emptyLike(first.dtype as FloatDType, first.shape);
  for (const mask of masks) {
    if (mask.size !== out.size) {
      throw new ShapeError(`Cannot combine masks of shapes ${formatShape(first.shape)} and ${formatShape(mask.shape)}.`);
    }
    for (let i = 0; i < out.size; i++) if (mask.data[i]! !== 0) out.data[i] = 1;
  }
  return out;
}

/** Base of layers that combine a list of tensors into one. */
abstract class Merge extends Layer {
  constructor(options: LayerOptions, allowedOptions: readonly string[]) {
    super(options, allowedOptions);
    this.supportsMasking = true;
  }

  protected checkShapeList(inputShape: LayerShape): SymbolicShape[] {
    if (!isShapeList(inputShape)) {
      throw new ValueError(
        `Layer "${this.name}" (${this.className}) must be called on an array of tensors, received one input of shape ${formatShape(inputShape)}.`,
      );
    }
    return inputShape;
  }

  protected checkTensorList(inputs: Tensor | Tensor[]): Tensor[] {
    if (!Array.isArray(inputs) || inputs.length === 0) {
      const received = Array.isArray(inputs) ? "an empty array" : `one tensor of shape ${formatShape(inputs.shape)}`;
      throw new ValueError(`Layer "${this.name}" (${this.className}) must be called on an array of tensors, received ${received}.`);
    }
    return inputs;
  }
}

export interface ConcatenateOptions extends LayerOptions {
  /** The axis to join along (default -1). */
  axis?: number;
}

/**
 * Joins a list of tensors along `axis`; every other axis must match. Masks
 * of the inputs (missing ones count as all ones) are joined the same way.
 */
export class Concatenate extends Merge {
  readonly axis: number;

  constructor(options: ConcatenateOptions = {}) {
    super(options, [...BASE_LAYER_OPTIONS, "axis"]);
    const axis = options.axis ?? -1;
    if (!Number.isInteger(axis)) {
      throw new ValueError(`Invalid \`axis\` for layer "${this.name}": expected an integer, received ${JSON.stringify(axis)}.`);
    }
    this.axis = axis;
  }

  override get className(): string {
    return "Concatenate";
  }

  /** Throws a ShapeError naming the first two shapes that differ off the concatenation axis (unknown sizes match anything). */
  private checkShapes(shapes: readonly (readonly (number | null)[])[]): void {
    const first = shapes[0]!;
    for (let k = 1; k < shapes.length; k++) {
      const shape = shapes[k]!;
      const rank = first.length;
      const axis = this.axis < 0 ? this.axis + rank : this.axis;
      const mismatch =
        shape.length !== rank ||
        axis < 0 ||
        axis >= rank ||
        shape.some((d, i) => i !== axis && d !== null && first[i] !== null && d !== first[i]);
      if (mismatch) {
        throw new ShapeError(
          `Layer "${this.name}" (Concatenate) needs inputs whose shapes match except on axis ${this.axis}, ` +
            `received ${formatShape(first)} (input 0) and ${formatShape(shape)} (input ${k}).`,
        );
      }
    }
  }

  override build(inputShape: LayerShape): void {
    this.checkShapes(this.checkShapeList(inputShape));
    super.build(inputShape);
  }

  call(inputs: Tensor | Tensor[], _options: CallOptions): Tensor {
    const list = this.checkTensorList(inputs);
    this.checkShapes(list.map((t) => t.shape));
    return ops.concatenate(list, this.axis);
  }

  override computeOutputShape(inputShape: LayerShape): SymbolicShape {
    const shapes = this.checkShapeList(inputShape);
    this.checkShapes(shapes);
    const output = [...shapes[0]!];
    const axis = this.axis < 0 ? this.axis + output.length : this.axis;
    let total: number | null = 0;
    for (const shape of shapes) total = total === null || shape[axis] === null ? null : total + shape[axis]!;
    output[axis] = total;
    return output;
  }

  /**
   * Joins the input masks: each one (all ones for an input without a mask)
   * is spread over its input's last axis, the results are joined along
   * `axis`, and an output step is kept when any of its elements is.
   */
  override computeMask(inputs: Tensor | Tensor[], mask: Tensor | null | (Tensor | null)[]): Tensor | null {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    const masks = inputMasks(inputs, mask);
    if (masks.every((m) => m === null)) return null;
    return noGrad(() => {
      const spread = list.map((input, k) => {
        const own = masks[k] ?? null;
        const full = emptyLike(input.dtype as FloatDType, input.shape);
        if (own === null) {
          full.data.fill(1);
          return full;
        }
        const perMask = own.rank === input.rank ? 1 : input.shape[input.rank - 1]!;
        if (own.size * perMask !== input.size) {
          throw new ShapeError(
            `Layer "${this.name}" (Concatenate) received a mask of shape ${formatShape(own.shape)} for input ${k} of shape ${formatShape(input.shape)}.`,
          );
        }
        for (let i = 0; i < own.size; i++) if (own.data[i]! !== 0) full.data.fill(1, i * perMask, (i + 1) * perMask);
        return full;
      });
      const joined = ops.concatenate(spread, this.axis);
      const last = joined.shape[joined.rank - 1]!;
      const out = emptyLike(joined.dtype as FloatDType, joined.shape.slice(0, -1));
      for (let i = 0; i < out.size; i++) {
        for (let j = 0; j < last; j++) {
          if (joined.data[i * last + j]! !== 0) {
            out.data[i] = 1;
            break;
          }
        }
      }
      return out;
    });
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), axis: this.axis };
  }

  static fromConfig(config: Record<string, unknown>): Concatenate {
    const options = baseOptionsFromConfig(config, "Concatenate", ["axis"]);
    return new Concatenate({ ...options, ...(config["axis"] === undefined ? {} : { axis: config["axis"] as number }) });
  }
}

/**
 * The element-wise broadcast shape of two sample shapes (batch axis
 * excluded), aligned from the last axis: sizes must be equal or 1, and an
 * unknown size gives an unknown one.
 */
function elementwiseShape(a: SymbolicShape, b: SymbolicShape, layer: string): SymbolicShape {
  if (a.length < b.length) return elementwiseShape(b, a, layer);
  const output = a.slice(0, a.length - b.length);
  b.forEach((j, k) => {
    const i = a[a.length - b.length + k]!;
    if (i === null || j === null) output.push(null);
    else if (i === 1) output.push(j);
    else if (j === 1 || i === j) output.push(i);
    else {
      throw new ShapeError(
        `Layer "${layer}" (Add) cannot broadcast samples of shapes ${formatShape(a)} and ${formatShape(b)} together: ` +
          `aligned from the last axis, each pair of sizes must be equal or include a 1.`,
      );
    }
  });
  return output;
}

/**
 * Adds a list of tensors element-wise. Sample shapes broadcast as in NumPy;
 * an input of lower rank gets size-1 axes after its batch axis first. The
 * output mask is the logical or of the input masks when every input has one.
 */
export class Add extends Merge {
  constructor(options: LayerOptions = {}) {
    super(options, BASE_LAYER_OPTIONS);
  }

  override get className(): string {
    return "Add";
  }

  private outputShape(shapes: readonly SymbolicShape[]): SymbolicShape {
    const batches = new Set(shapes.map((s) => s[0]).filter((d) => d !== null && d !== undefined));
    if (batches.size > 1) {
      throw new ShapeError(`Layer "${this.name}" (Add) cannot add inputs with different batch sizes, received shapes ${formatShapes(shapes)}.`);
    }
    let sample = shapes[0]!.slice(1);
    for (const shape of shapes.slice(1)) sample = elementwiseShape(sample, shape.slice(1), this.name);
    const batch = batches.size === 1 ? ([...batches][0] as number) : null;
    return [batch, ...sample];
  }

  override build(inputShape: LayerShape): void {
    this.outputShape(this.checkShapeList(inputShape));
    super.build(inputShape);
  }

  call(inputs: Tensor | Tensor[], _options: CallOptions): Tensor {
    const list = this.checkTensorList(inputs);
    this.outputShape(list.map((t) => [...t.shape]));
    const rank = Math.max(...list.map((t) => t.rank));
    const expanded = list.map((t) =>
      t.rank === rank ? t : ops.reshape(t, [t.shape[0]!, ...new Array<number>(rank - t.rank).fill(1), ...t.shape.slice(1)]),
    );
    let output = expanded[0]!;
    for (const t of expanded.slice(1)) output = ops.add(output, t);
    return output;
  }

  override computeOutputShape(inputShape: LayerShape): SymbolicShape {
    return this.outputShape(this.checkShapeList(inputShape));
  }

  override computeMask(inputs: Tensor | Tensor[], mask: Tensor | null | (Tensor | null)[]): Tensor | null {
    const masks = inputMasks(inputs, mask);
    if (masks.some((m) => m === null)) return null;
    return orMasks(masks as Tensor[]);
  }

  static fromConfig(config: Record<string, unknown>): Add {
    return new Add(baseOptionsFromConfig(config, "Add", []));
  }
}
