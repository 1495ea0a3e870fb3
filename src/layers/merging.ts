import { ShapeError, ValueError, formatShape } from "../errors.js";
import { noGrad } from "../autodiff/tape.js";
import * as ops from "../ops/index.js";
import { batchDot } from "../ops/batch-dot.js";
import { l2Normalize } from "../ops/l2-normalize.js";
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
function elementwiseShape(a: SymbolicShape, b: SymbolicShape, layer: string, className: string): SymbolicShape {
  if (a.length < b.length) return elementwiseShape(b, a, layer, className);
  const output = a.slice(0, a.length - b.length);
  b.forEach((j, k) => {
    const i = a[a.length - b.length + k]!;
    if (i === null || j === null) output.push(null);
    else if (i === 1) output.push(j);
    else if (j === 1 || i === j) output.push(i);
    else {
      throw new ShapeError(
        `Layer "${layer}" (${className}) cannot broadcast samples of shapes ${formatShape(a)} and ${formatShape(b)} together: ` +
          `aligned from the last axis, each pair of sizes must be equal or include a 1.`,
      );
    }
  });
  return output;
}

/**
 * Base of the merge layers that combine inputs element by element. Sample
 * shapes broadcast as in NumPy; an input of lower rank gets size-1 axes
 * after its batch axis first. The output mask is the logical or of the
 * input masks when every input has one.
 */
abstract class ElementwiseMerge extends Merge {
  /** The exact number of inputs the layer takes, or null for two or more. */
  protected readonly inputCount: number | null = null;

  protected outputShape(shapes: readonly SymbolicShape[]): SymbolicShape {
    const count = this.inputCount;
    if (count !== null ? shapes.length !== count : shapes.length < 1) {
      throw new ValueError(
        `Layer "${this.name}" (${this.className}) must be called on ${count ?? "one or more"} inputs, received ${shapes.length}.`,
      );
    }
    const batches = new Set(shapes.map((s) => s[0]).filter((d) => d !== null && d !== undefined));
    if (batches.size > 1) {
      throw new ShapeError(
        `Layer "${this.name}" (${this.className}) cannot merge inputs with different batch sizes, received shapes ${formatShapes(shapes)}.`,
      );
    }
    let sample = shapes[0]!.slice(1);
    for (const shape of shapes.slice(1)) sample = elementwiseShape(sample, shape.slice(1), this.name, this.className);
    const batch = batches.size === 1 ? ([...batches][0] as number) : null;
    return [batch, ...sample];
  }

  override build(inputShape: LayerShape): void {
    this.outputShape(this.checkShapeList(inputShape));
    super.build(inputShape);
  }

  /** Checks the inputs and gives them all one rank, inserting size-1 axes after the batch axis. */
  protected expandInputs(inputs: Tensor | Tensor[]): Tensor[] {
    const list = this.checkTensorList(inputs);
    this.outputShape(list.map((t) => [...t.shape]));
    const rank = Math.max(...list.map((t) => t.rank));
    return list.map((t) =>
      t.rank === rank ? t : ops.reshape(t, [t.shape[0]!, ...new Array<number>(rank - t.rank).fill(1), ...t.shape.slice(1)]),
    );
  }

  override computeOutputShape(inputShape: LayerShape): SymbolicShape {
    return this.outputShape(this.checkShapeList(inputShape));
  }

  override computeMask(inputs: Tensor | Tensor[], mask: Tensor | null | (Tensor | null)[]): Tensor | null {
    const masks = inputMasks(inputs, mask);
    if (masks.some((m) => m === null)) return null;
    return orMasks(masks as Tensor[]);
  }
}

/** Adds a list of tensors element-wise. */
export class Add extends ElementwiseMerge {
  constructor(options: LayerOptions = {}) {
    super(options, BASE_LAYER_OPTIONS);
  }

  override get className(): string {
    return "Add";
  }

  call(inputs: Tensor | Tensor[], _options: CallOptions): Tensor {
    const expanded = this.expandInputs(inputs);
    let output = expanded[0]!;
    for (const t of expanded.slice(1)) output = ops.add(output, t);
    return output;
  }

  static fromConfig(config: Record<string, unknown>): Add {
    return new Add(baseOptionsFromConfig(config, "Add", []));
  }
}

/** Subtracts the second of exactly two inputs from the first, element-wise. */
export class Subtract extends ElementwiseMerge {
  protected override readonly inputCount = 2;

  constructor(options: LayerOptions = {}) {
    super(options, BASE_LAYER_OPTIONS);
  }

  override get className(): string {
    return "Subtract";
  }

  call(inputs: Tensor | Tensor[], _options: CallOptions): Tensor {
    const [a, b] = this.expandInputs(inputs) as [Tensor, Tensor];
    return ops.sub(a, b);
  }

  static fromConfig(config: Record<string, unknown>): Subtract {
    return new Subtract(baseOptionsFromConfig(config, "Subtract", []));
  }
}

/** Averages a list of tensors element-wise. */
export class Average extends ElementwiseMerge {
  constructor(options: LayerOptions = {}) {
    super(options, BASE_LAYER_OPTIONS);
  }

  override get className(): string {
    return "Average";
  }

  call(inputs: Tensor | Tensor[], _options: CallOptions): Tensor {
    const expanded = this.expandInputs(inputs);
    let output = expanded[0]!;
    for (const t of expanded.slice(1)) output = ops.add(output, t);
    return ops.affine(output, 1 / expanded.length);
  }

  static fromConfig(config: Record<string, unknown>): Average {
    return new Average(baseOptionsFromConfig(config, "Average", []));
  }
}

/**
 * Returns the masks of the inputs, each reshaped with trailing size-1 axes
 * to the rank of its input so that it broadcasts over the feature axes.
 */
function valueMasks(inputs: readonly Tensor[], masks: readonly (Tensor | null)[]): (Tensor | null)[] {
  return inputs.map((input, k) => {
    const mask = masks[k] ?? null;
    if (mask === null || mask.rank >= input.rank) return mask;
    return ops.reshape(mask, [...mask.shape, ...new Array<number>(input.rank - mask.rank).fill(1)]);
  });
}

/** Returns `a` where `mask` is 1 and `b` where it is 0, as `b + mask · (a − b)`; the mask broadcasts. */
function where(mask: Tensor, a: Tensor, b: Tensor): Tensor {
  return ops.add(b, ops.mul(mask, ops.sub(a, b)));
}

/** Logical or of two 0/1 masks that broadcast together. */
function orValueMasks(a: Tensor, b: Tensor): Tensor {
  return ops.maximum(a, b);
}

/**
 * Multiplies a list of tensors element-wise. Masked steps of an input count
 * as 1; when every input has a mask, steps masked in all of them are 0.
 */
export class Multiply extends ElementwiseMerge {
  constructor(options: LayerOptions = {}) {
    super(options, BASE_LAYER_OPTIONS);
  }

  override get className(): string {
    return "Multiply";
  }

  call(inputs: Tensor | Tensor[], options: CallOptions): Tensor {
    const expanded = this.expandInputs(inputs);
    const masks = noGrad(() => valueMasks(expanded, inputMasks(inputs, options.mask ?? null)));
    const everyMasked = masks.every((m) => m !== null);
    let output: Tensor | null = null;
    let outputMask: Tensor | null = null;
    expanded.forEach((input, k) => {
      const mask = masks[k] ?? null;
      let x = input;
      if (mask !== null) {
        x = ops.affine(ops.mul(mask, ops.affine(x, 1, -1)), 1, 1);
        if (everyMasked) outputMask = outputMask === null ? mask : noGrad(() => orValueMasks(outputMask!, mask));
      }
      output = output === null ? x : ops.mul(output, x);
    });
    if (outputMask !== null) output = ops.mul(output!, outputMask);
    return output!;
  }

  static fromConfig(config: Record<string, unknown>): Multiply {
    return new Multiply(baseOptionsFromConfig(config, "Multiply", []));
  }
}

/**
 * Base of Maximum and Minimum. Where an input is masked it takes the value
 * reached so far, and where the running result is masked it takes the
 * input's value, so masked steps never win.
 */
abstract class SelectingMerge extends ElementwiseMerge {
  protected abstract select(a: Tensor, b: Tensor): Tensor;

  call(inputs: Tensor | Tensor[], options: CallOptions): Tensor {
    const expanded = this.expandInputs(inputs);
    const masks = noGrad(() => valueMasks(expanded, inputMasks(inputs, options.mask ?? null)));
    let output = expanded[0]!;
    let outputMask = masks[0] ?? null;
    expanded.slice(1).forEach((input, j) => {
      const mask = masks[j + 1] ?? null;
      let x = input;
      if (mask !== null) x = where(mask, x, output);
      if (outputMask !== null) output = where(outputMask, output, x);
      outputMask = mask !== null && outputMask !== null ? noGrad(() => orValueMasks(outputMask!, mask)) : null;
      output = this.select(output, x);
    });
    return output;
  }
}

/** Takes the element-wise maximum of a list of tensors. */
export class Maximum extends SelectingMerge {
  constructor(options: LayerOptions = {}) {
    super(options, BASE_LAYER_OPTIONS);
  }

  override get className(): string {
    return "Maximum";
  }

  protected select(a: Tensor, b: Tensor): Tensor {
    return ops.maximum(a, b);
  }

  static fromConfig(config: Record<string, unknown>): Maximum {
    return new Maximum(baseOptionsFromConfig(config, "Maximum", []));
  }
}

/** Takes the element-wise minimum of a list of tensors. */
export class Minimum extends SelectingMerge {
  constructor(options: LayerOptions = {}) {
    super(options, BASE_LAYER_OPTIONS);
  }

  override get className(): string {
    return "Minimum";
  }

  protected select(a: Tensor, b: Tensor): Tensor {
    return ops.minimum(a, b);
  }

  static fromConfig(config: Record<string, unknown>): Minimum {
    return new Minimum(baseOptionsFromConfig(config, "Minimum", []));
  }
}

export interface DotOptions extends LayerOptions {
  /**
   * The axis to contract in both inputs, or one axis per input. Axis 0, the
   * batch axis, cannot be contracted; negative axes count from the end.
   */
  axes: number | [number, number];
  /**
   * L2-normalizes both inputs along their axes first, so the output is the
   * cosine similarity (default false). The inverse norm is capped at 1e7.
   */
  normalize?: boolean;
}

/**
 * The dot product of two inputs along one axis of each, per sample: with
 * shapes (batch, m, k) and (batch, k, n) and axes [2, 1] the output is
 * (batch, m, n). The remaining axes of the first input come first, then
 * those of the second; a rank-1 result gets a trailing axis of size 1.
 */
export class Dot extends Merge {
  readonly axes: number | [number, number];
  readonly normalize: boolean;

  constructor(options: DotOptions) {
    super(options ?? {}, [...BASE_LAYER_OPTIONS, "axes", "normalize"]);
    const axes = options?.axes;
    const valid = Number.isInteger(axes) || (Array.isArray(axes) && axes.length === 2 && axes.every((a) => Number.isInteger(a)));
    if (!valid) {
      throw new ValueError(
        `Invalid \`axes\` for layer "${this.name}" (Dot): expected an integer or two integers such as [2, 1], received ${JSON.stringify(axes)}.`,
      );
    }
    this.axes = Array.isArray(axes) ? [axes[0], axes[1]] : axes;
    const normalize = options.normalize ?? false;
    if (typeof normalize !== "boolean") {
      throw new ValueError(`Invalid \`normalize\` for layer "${this.name}" (Dot): expected true or false, received ${JSON.stringify(normalize)}.`);
    }
    this.normalize = normalize;
  }

  override get className(): string {
    return "Dot";
  }

  /** Resolves the contracted axis of each input and checks that their sizes match. */
  private resolveAxes(shapes: readonly (readonly (number | null)[])[]): [number, number] {
    if (shapes.length !== 2) {
      throw new ValueError(`Layer "${this.name}" (Dot) must be called on exactly 2 inputs, received ${shapes.length}.`);
    }
    const [a, b] = shapes as [readonly (number | null)[], readonly (number | null)[]];
    const wanted = Array.isArray(this.axes) ? this.axes : [this.axes, this.axes];
    const resolved = wanted.map((axis, i) => {
      const rank = shapes[i]!.length;
      const r = axis < 0 ? axis + rank : axis;
      if (r <= 0 || r >= rank) {
        throw new ShapeError(
          `Layer "${this.name}" (Dot) cannot contract axis ${axis} of input ${i} with shape ${formatShape(shapes[i]!)}: ` +
            `the axis must be a non-batch axis of that input.`,
        );
      }
      return r;
    }) as [number, number];
    const sizeA = a[resolved[0]];
    const sizeB = b[resolved[1]];
    if (sizeA !== null && sizeB !== null && sizeA !== sizeB) {
      throw new ShapeError(
        `Layer "${this.name}" (Dot) contracts axis ${resolved[0]} of size ${sizeA} in ${formatShape(a)} with axis ${resolved[1]} ` +
          `of size ${sizeB} in ${formatShape(b)}; the two sizes must be equal.`,
      );
    }
    return resolved;
  }

  override build(inputShape: LayerShape): void {
    this.resolveAxes(this.checkShapeList(inputShape));
    super.build(inputShape);
  }

  /**
   * Moves the contracted axis of `a` last and that of `b` to position 1,
   * flattens the other axes and contracts with one matrix product per sample.
   */
  call(inputs: Tensor | Tensor[], _options: CallOptions): Tensor {
    const list = this.checkTensorList(inputs);
    const [axisA, axisB] = this.resolveAxes(list.map((t) => t.shape));
    let [a, b] = list as [Tensor, Tensor];
    if (this.normalize) {
      a = l2Normalize(a, [axisA], 1e-7);
      b = l2Normalize(b, [axisB], 1e-7);
    }
    const batch = a.shape[0]!;
    const restA = a.shape.filter((_, i) => i !== 0 && i !== axisA);
    const restB = b.shape.filter((_, i) => i !== 0 && i !== axisB);
    const k = a.shape[axisA]!;
    const m = restA.reduce((x, y) => x * y, 1);
    const n = restB.reduce((x, y) => x * y, 1);
    const permA = [0, ...a.shape.map((_, i) => i).filter((i) => i !== 0 && i !== axisA), axisA];
    const permB = [0, axisB, ...b.shape.map((_, i) => i).filter((i) => i !== 0 && i !== axisB)];
    const left = ops.reshape(ops.transpose(a, permA), [batch, m, k]);
    const right = ops.reshape(ops.transpose(b, permB), [batch, k, n]);
    const product = batchDot(left, right);
    const outShape = [batch, ...restA, ...restB];
    if (outShape.length === 1) outShape.push(1);
    return ops.reshape(product, outShape);
  }

  override computeOutputShape(inputShape: LayerShape): SymbolicShape {
    const shapes = this.checkShapeList(inputShape);
    const [axisA, axisB] = this.resolveAxes(shapes);
    const output = [
      ...shapes[0]!.filter((_, i) => i !== axisA),
      ...shapes[1]!.filter((_, i) => i !== 0 && i !== axisB),
    ];
    if (output.length === 1) output.push(1);
    return output;
  }

  override computeMask(_inputs: Tensor | Tensor[], _mask: Tensor | null): Tensor | null {
    return null;
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), axes: Array.isArray(this.axes) ? [...this.axes] : this.axes, normalize: this.normalize };
  }

  static fromConfig(config: Record<string, unknown>): Dot {
    const options = baseOptionsFromConfig(config, "Dot", ["axes", "normalize"]);
    return new Dot({
      ...options,
      axes: config["axes"] as number | [number, number],
      ...(config["normalize"] === undefined ? {} : { normalize: config["normalize"] as boolean }),
    });
  }
}
