/**
 * Multi-head attention with Keras 3's projection layout: query, key and value
 * kernels of shape [dim, numHeads, headDim] with biases [numHeads, headDim],
 * and an output kernel [numHeads, valueDim, ...outputShape].
 */

import { ShapeError, ValueError, formatShape } from "../errors.js";
import * as initializers from "../initializers/index.js";
import * as ops from "../ops/index.js";
import { emptyLike } from "../ops/util.js";
import { RandomGenerator, globalRandom } from "../random.js";
import type { FloatDType } from "../tensor/dtype.js";
import { sizeOf } from "../tensor/shape.js";
import { Tensor, cast } from "../tensor/tensor.js";
import { checkPositiveInteger } from "../utils/validate.js";
import type { MultiHeadAttentionCallOptions } from "./attention.js";
import {
  BASE_LAYER_OPTIONS,
  type CallOptions,
  Layer,
  type LayerOptions,
  type LayerShape,
  type SavedWeightGroups,
  type SymbolicShape,
  baseOptionsFromConfig,
  isShapeList,
} from "./layer.js";
import type { Variable } from "./variable.js";
import * as regularizers from "../regularizers/index.js";
import {
  type KernelPenaltyOptions,
  WeightPenalties,
  activityOptionFromConfig,
  addActivityPenalty,
  penaltyConfigKeys,
  penaltyOptionNames,
  penaltyOptionsFromConfig,
} from "./weight-penalties.js";

/**
 * A projection that contracts the last `inputDims.length` axes of its input
 * with a kernel [...inputDims, ...outputDims] and adds a bias [...outputDims]
 * (the EinsumDense sublayers of Keras's MultiHeadAttention).
 */
class Projection extends Layer {
  readonly inputDims: number[];
  readonly outputDims: number[];
  kernel: Variable | null = null;
  bias: Variable | null = null;

  constructor(
    name: string,
    dtype: FloatDType,
    inputDims: number[],
    outputDims: number[],
    private readonly useBias: boolean,
    private readonly kernelInitializer: initializers.Initializer,
    private readonly biasInitializer: initializers.Initializer,
    private readonly penalties: WeightPenalties,
    private readonly activityRegularizer: regularizers.Regularizer | null,
    private readonly sigmoid = false,
  ) {
    super({ name, dtype }, BASE_LAYER_OPTIONS);
    this.inputDims = inputDims;
    this.outputDims = outputDims;
  }

  override get className(): string {
    return "EinsumDense";
  }

  override build(inputShape: LayerShape): void {
    const kernel = this.addWeight({ name: "kernel", shape: [...this.inputDims, ...this.outputDims], initializer: this.kernelInitializer });
    this.kernel = this.penalties.attach("kernel", kernel);
    if (this.useBias) {
      this.bias = this.penalties.attach("bias", this.addWeight({ name: "bias", shape: this.outputDims, initializer: this.biasInitializer }));
    }
    super.build(inputShape);
  }

  call(inputs: Tensor, _options: CallOptions): Tensor {
    const bound = this.inputDims.length;
    const inSize = sizeOf(this.inputDims);
    const outSize = sizeOf(this.outputDims);
    const kernel = ops.reshape(this.kernel!.value, [inSize, outSize]);
    const bias = this.bias ? ops.reshape(this.bias.value, [outSize]) : null;
    const free = inputs.shape.slice(0, inputs.rank - bound);
    const flat = ops.reshape(inputs, [sizeOf(free), inSize]);
    const y = ops.dense(flat, kernel, bias, this.sigmoid ? "sigmoid" : "linear");
    const output = ops.reshape(y, [...free, ...this.outputDims]);
    addActivityPenalty(this, this.activityRegularizer, output);
    return output;
  }
}

export interface MultiHeadAttentionOptions extends LayerOptions, KernelPenaltyOptions {
  numHeads: number;
  /** Size of each head's query and key projections. */
  keyDim: number;
  /** Size of each head's value projection; defaults to `keyDim`. */
  valueDim?: number | null;
  /** Fraction of the attention weights dropped during training. */
  dropout?: number;
  useBias?: boolean;
  /** Multiply the attention output by a sigmoid gate projected from the query before the output projection. */
  useGate?: boolean;
  /** Trailing shape of the output; defaults to the query's last axis. */
  outputShape?: number | number[] | null;
  /** Axes (of the query, batch axis 0) that attention runs over; defaults to every axis between the batch and the features. */
  attentionAxes?: number | number[] | null;
  /** Let each query position attend only to key positions less than this far away. */
  slidingWindow?: number | null;
  kernelInitializer?: initializers.InitializerIdentifier;
  biasInitializer?: initializers.InitializerIdentifier;
  /** Seed of the layer's own dropout generator; without it, the global generator is used. */
  seed?: number | null;
  /**
   * Penalty on the output of every projection (query, key, value, gate and
   * output), each divided by the batch size, as in Keras. The kernel and bias
   * penalties and constraints apply to every projection too.
   */
  activityRegularizer?: regularizers.RegularizerIdentifier;
}

const MHA_WEIGHTS = ["kernel", "bias"];

const MHA_OPTIONS = [
  ...BASE_LAYER_OPTIONS,
  "numHeads",
  "keyDim",
  "valueDim",
  "dropout",
  "useBias",
  "useGate",
  "outputShape",
  "attentionAxes",
  "slidingWindow",
  "kernelInitializer",
  "biasInitializer",
  "seed",
  "activityRegularizer",
  ...penaltyOptionNames(MHA_WEIGHTS),
];

/**
 * Multi-head attention as in "Attention Is All You Need" (Vaswani et al., 2017),
 * laid out like Keras 3.15.1's MultiHeadAttention. Call it on one tensor for
 * self-attention, or on [query, value] or [query, value, key] (the key
 * defaults to the value). Attention masks and causal masking come through
 * the call options. Masks attached to the inputs act as query, value and key
 * masks, and the output keeps the query's mask.
 */
export class MultiHeadAttention extends Layer {
  override readonly takesPositionalInputs = true;

  /** Keras builds this layer from named query, value (and key) shapes. */
  override getBuildConfig(): Record<string, unknown> | null {
    const shape = this.buildInputShape;
    if (shape === null) return null;
    const shapes = isShapeList(shape) ? shape : [shape, shape];
    const named: Record<string, unknown> = { query_shape: [...shapes[0]!], value_shape: [...(shapes[1] ?? shapes[0]!)] };
    if (shapes[2] !== undefined) named["key_shape"] = [...shapes[2]];
    return { shapes_dict: named };
  }
  readonly numHeads: number;
  readonly keyDim: number;
  readonly valueDim: number;
  readonly dropout: number;
  readonly useBias: boolean;
  readonly useGate: boolean;
  readonly outputShape: number[] | null;
  /** The axes from the options; after `build`, the resolved, non-negative axes. */
  attentionAxes: number[] | null;
  readonly slidingWindow: number | null;
  readonly kernelInitializer: initializers.Initializer;
  readonly biasInitializer: initializers.Initializer;
  readonly seed: number | null;
  readonly penalties: WeightPenalties;
  readonly activityRegularizer: regularizers.Regularizer | null;
  queryDense: Projection | null = null;
  keyDense: Projection | null = null;
  gateDense: Projection | null = null;
  valueDense: Projection | null = null;
  outputDense: Projection | null = null;
  private readonly generator: RandomGenerator | null;

  constructor(options: MultiHeadAttentionOptions) {
    if (options === undefined || options === null || typeof options !== "object") {
      throw new ValueError("MultiHeadAttention needs an options object such as { numHeads: 2, keyDim: 16 }.");
    }
    super(options, MHA_OPTIONS);
    const owner = `${this.className} "${this.name}"`;
    this.numHeads = checkPositiveInteger(options.numHeads, "numHeads", owner);
    this.keyDim = checkPositiveInteger(options.keyDim, "keyDim", owner);
    this.valueDim = options.valueDim === undefined || options.valueDim === null ? this.keyDim : checkPositiveInteger(options.valueDim, "valueDim", owner);
    const dropout = options.dropout ?? 0;
    if (typeof dropout !== "number" || !(dropout >= 0 && dropout < 1)) {
      throw new ValueError(`Invalid \`dropout\` for ${owner}: expected a number in [0, 1), received ${JSON.stringify(dropout)}.`);
    }
    this.dropout = dropout;
    this.useBias = options.useBias ?? true;
    this.useGate = options.useGate ?? false;
    const outputShape = options.outputShape ?? null;
    this.outputShape = outputShape === null ? null : (typeof outputShape === "number" ? [outputShape] : [...outputShape]).map((d) => checkPositiveInteger(d, "outputShape", owner));
    const axes = options.attentionAxes ?? null;
    if (axes !== null && !(typeof axes === "number" || (Array.isArray(axes) && axes.length > 0 && axes.every(Number.isInteger)))) {
      throw new ValueError(`Invalid \`attentionAxes\` for ${owner}: expected an integer or an array of integers, received ${JSON.stringify(axes)}.`);
    }
    if (axes === null) this.attentionAxes = null;
    else if (typeof axes === "number") this.attentionAxes = [axes];
    else this.attentionAxes = [...axes];
    this.slidingWindow = options.slidingWindow === undefined || options.slidingWindow === null ? null : checkPositiveInteger(options.slidingWindow, "slidingWindow", owner);
    this.kernelInitializer = initializers.get(options.kernelInitializer ?? "glorot_uniform", "kernelInitializer");
    this.biasInitializer = initializers.get(options.biasInitializer ?? "zeros", "biasInitializer");
    this.seed = options.seed ?? null;
    this.generator = this.seed === null ? null : new RandomGenerator(this.seed);
    this.penalties = new WeightPenalties(MHA_WEIGHTS, options);
    this.activityRegularizer = regularizers.get(options.activityRegularizer, "activityRegularizer");
    this.supportsMasking = true;
  }

  override get className(): string {
    return "MultiHeadAttention";
  }

  /** Keras 3 saves the projections in the groups `query_dense`, `key_dense`, `value_dense` and `output_dense`. */
  override savedWeightGroups(): SavedWeightGroups {
    const projections: [string, Projection | null][] = [
      ["query_dense", this.queryDense],
      ["key_dense", this.keyDense],
      // Keras has no public property for the gate, so its private attribute names the group.
      ["_gate_dense", this.gateDense],
      ["value_dense", this.valueDense],
      ["output_dense", this.outputDense],
    ];
    const children = projections.flatMap(([name, layer]) => (layer ? [{ name, layer }] : []));
    return { ...super.savedWeightGroups(), children };
  }

  private get owner(): string {
    return `Layer "${this.name}" (MultiHeadAttention)`;
  }

  /** Returns [query, value, key] from one input (self-attention) or an array of two or three. */
  private split<T>(inputs: T | T[], describe: (input: T) => string): [T, T, T | null] {
    if (!Array.isArray(inputs)) return [inputs, inputs, null];
    if (inputs.length < 2 || inputs.length > 3) {
      throw new ValueError(
        `${this.owner} must be called on one tensor (self-attention) or an array [query, value] or [query, value, key], received an array of length ${inputs.length}` +
          (inputs.length === 1 ? ` (${describe(inputs[0]!)})` : "") +
          ".",
      );
    }
    return [inputs[0]!, inputs[1]!, inputs[2] ?? null];
  }

  private shapes(inputShape: LayerShape): [SymbolicShape, SymbolicShape, SymbolicShape] {
    const [query, value, key] = isShapeList(inputShape) ? this.split(inputShape, (s) => formatShape(s)) : [inputShape, inputShape, null];
    const keyShape = key ?? value;
    const mismatch = value.length !== keyShape.length || value.slice(1, -1).some((d, i) => d !== keyShape[i + 1]);
    if (mismatch) {
      throw new ShapeError(`${this.owner} needs a value and key that match on every axis but the last, received ${formatShape(value)} and ${formatShape(keyShape)}.`);
    }
    if (query.length < 3) {
      throw new ShapeError(`${this.owner} needs a query of rank 3 or more (batch, ..., features), received shape ${formatShape(query)}.`);
    }
    return [query, value, keyShape];
  }

  override build(inputShape: LayerShape): void {
    const [query, value, key] = this.shapes(inputShape);
    const features = (shape: SymbolicShape, what: string): number => {
      const d = shape[shape.length - 1];
      if (d === null || d === undefined) throw new ShapeError(`${this.owner} needs the last axis of the ${what} to be known, received shape ${formatShape(shape)}.`);
      return d;
    };
    const queryDim = features(query, "query");
    const projection = (name: string, inputDims: number[], outputDims: number[], sigmoid = false) =>
      this.trackLayer(
        new Projection(
          `${this.name}/${name}`,
          this.dtype,
          inputDims,
          outputDims,
          this.useBias,
          this.kernelInitializer,
          this.biasInitializer,
          this.penalties,
          this.activityRegularizer,
          sigmoid,
        ),
      );
    this.queryDense = projection("query", [queryDim], [this.numHeads, this.keyDim]);
    this.queryDense.build(query);
    this.keyDense = projection("key", [features(key, "key")], [this.numHeads, this.keyDim]);
    this.keyDense.build(key);
    if (this.useGate) {
      this.gateDense = projection("gate", [queryDim], [this.numHeads, this.valueDim], true);
      this.gateDense.build(query);
    }
    this.valueDense = projection("value", [features(value, "value")], [this.numHeads, this.valueDim]);
    this.valueDense.build(value);
    // Attention axes count in the projected query [batch, ..., heads, headDim], whose rank is one more.
    const rank = query.length + 1;
    const axes = this.attentionAxes ?? Array.from({ length: rank - 3 }, (_, i) => i + 1);
    const resolved = axes.map((axis) => (axis >= 0 ? axis : rank - 1 + axis));
    if (resolved.some((axis) => axis < 1 || axis > rank - 3) || new Set(resolved).size !== resolved.length) {
      throw new ValueError(
        `Invalid \`attentionAxes\` for ${this.owner}: expected distinct axes between the batch axis and the features of a query of shape ${formatShape(query)}, received ${JSON.stringify(this.attentionAxes)}.`,
      );
    }
    this.attentionAxes = resolved;
    this.outputDense = projection("attention_output", [this.numHeads, this.valueDim], this.outputShape ?? [queryDim]);
    this.outputDense.build([...query.slice(0, -1), this.numHeads, this.valueDim]);
    super.build(inputShape);
  }

  override computeOutputShape(inputShape: LayerShape): LayerShape {
    const [query] = this.shapes(inputShape);
    return this.outputShape ? [...query.slice(0, -1), ...this.outputShape] : [...query];
  }

  call(inputs: Tensor | Tensor[], options: MultiHeadAttentionCallOptions): Tensor | Tensor[] {
    const [query, value, keyInput] = this.split(inputs, (t) => `shape ${formatShape((t as Tensor).shape)}`);
    const key = keyInput ?? value;
    const selfAttention = !Array.isArray(inputs);
    const queryMask = options.queryMask !== undefined ? options.queryMask : (selfAttention ? options.mask : (options.masks?.[0] ?? options.mask)) ?? null;
    const valueMask = options.valueMask !== undefined ? options.valueMask : (selfAttention ? options.mask : options.masks?.[1]) ?? null;
    const keyMask = options.keyMask !== undefined ? options.keyMask : (keyInput ? options.masks?.[2] : null) ?? null;

    let q = this.queryDense!.call(query, {});
    const k = this.keyDense!.call(key, {});
    const v = this.valueDense!.call(value, {});
    q = ops.affine(q, 1 / Math.sqrt(this.keyDim));

    // Move the batch-like axes (batch, unattended axes, heads) first and flatten to [groups, positions, headDim].
    const rank = q.rank;
    const attended = this.attentionAxes!;
    const batchAxes = Array.from({ length: rank - 1 }, (_, i) => i).filter((axis) => !attended.includes(axis));
    const perm = [...batchAxes, ...attended, rank - 1];
    const flatten = (t: Tensor): Tensor => {
      const moved = ops.transpose(t, perm);
      return ops.reshape(moved, [sizeOf(batchAxes.map((a) => t.shape[a]!)), sizeOf(attended.map((a) => t.shape[a]!)), t.shape[rank - 1]!]);
    };
    const qFlat = flatten(q);
    const kFlat = flatten(k);
    const vFlat = flatten(v);
    if (kFlat.shape[0] !== qFlat.shape[0]) {
      throw new ShapeError(`${this.owner} needs a query and value that match on the axes attention does not run over, received ${formatShape(query.shape)} and ${formatShape(value.shape)}.`);
    }
    const scores = ops.batchMatmul(qFlat, kFlat, false, true);
    const masks = { queryMask, valueMask, keyMask, attentionMask: options.attentionMask ?? null, causal: options.useCausalMask ?? false };
    const keep = this.keepMask(scores, query, masks, batchAxes, q.shape, k.shape);
    const weights = keep ? ops.maskedSoftmax(scores, keep, -1) : ops.softmaxAlong(scores, -1);
    const dropped = options.training && this.dropout > 0 ? ops.dropout(weights, this.dropout, this.generator ?? globalRandom()) : weights;
    const combined = ops.batchMatmul(dropped, vFlat);

    const groupShape = batchAxes.map((a) => q.shape[a]!);
    const queryPositions = attended.map((a) => q.shape[a]!);
    const unflat = ops.reshape(combined, [...groupShape, ...queryPositions, this.valueDim]);
    const inverse = new Array<number>(rank);
    perm.forEach((axis, i) => (inverse[axis] = i));
    let attention = ops.transpose(unflat, inverse);
    if (this.gateDense) attention = ops.mul(attention, this.gateDense.call(query, {}));
    const output = this.outputDense!.call(attention, {});
    if (!options.returnAttentionScores) return output;
    const keyPositions = attended.map((a) => k.shape[a]!);
    return [output, ops.reshape(weights, [...groupShape, ...queryPositions, ...keyPositions])];
  }

  /**
   * Returns the 0/1 mask of the flattened scores [groups, Tq, Tk] that the
   * query, value and key masks, the attention mask, causal masking and the
   * sliding window leave, or null when nothing is masked.
   */
  private keepMask(
    scores: Tensor,
    query: Tensor,
    masks: { queryMask: Tensor | null; valueMask: Tensor | null; keyMask: Tensor | null; attentionMask: Tensor | null; causal: boolean },
    batchAxes: number[],
    projectedShape: readonly number[],
    keyShape: readonly number[],
  ): Tensor | null {
    const { queryMask, valueMask, keyMask, attentionMask, causal } = masks;
    const window = this.slidingWindow;
    if (!queryMask && !valueMask && !keyMask && !attentionMask && !causal && window === null) return null;
    const [groups, queryLength, keyLength] = scores.shape as [number, number, number];
    const dtype = scores.dtype as FloatDType;
    const keep = emptyLike(dtype, scores.shape);
    keep.data.fill(1);
    const positional = queryMask || valueMask || keyMask || causal || window !== null;
    if (positional) {
      if (query.rank !== 3) {
        throw new ValueError(
          `${this.owner} applies query, value and key masks, causal masks and sliding windows only to inputs of rank 3 (batch, steps, features), received a query of shape ${formatShape(query.shape)}. Pass an attentionMask instead.`,
        );
      }
      const batch = query.shape[0]!;
      const heads = groups / batch;
      const rows = (mask: Tensor | null, steps: number, what: string): Float32Array | null => {
        if (!mask) return null;
        if (mask.rank !== 2 || mask.shape[0] !== batch || mask.shape[1] !== steps) {
          throw new ShapeError(`${this.owner} needs a ${what} of shape ${formatShape([batch, steps])}, received ${formatShape(mask.shape)}.`);
        }
        return Float32Array.from(mask.data, (m) => (m > 0.5 ? 1 : 0));
      };
      const qm = rows(queryMask, queryLength, "query mask");
      const vm = rows(valueMask, keyLength, "value mask");
      const km = rows(keyMask, keyLength, "key mask");
      for (let g = 0; g < groups; g++) {
        const b = Math.floor(g / heads);
        for (let i = 0; i < queryLength; i++) {
          for (let j = 0; j < keyLength; j++) {
            const allowed =
              (!qm || qm[b * queryLength + i] === 1) &&
              (!vm || vm[b * keyLength + j] === 1) &&
              (!km || km[b * keyLength + j] === 1) &&
              (!causal || i >= j) &&
              (window === null || Math.abs(i - j) < window);
            if (!allowed) keep.data[(g * queryLength + i) * keyLength + j] = 0;
          }
        }
      }
    }
    if (attentionMask) {
      // The unflattened scores: [batch-like axes (heads included), query positions, key positions].
      const attended = this.attentionAxes!;
      const attendedCount = attended.length;
      const fullShape = [...batchAxes.map((a) => projectedShape[a]!), ...attended.map((a) => projectedShape[a]!), ...attended.map((a) => keyShape[a]!)];
      // Keras inserts length-1 axes before the query positions (where the heads are) until the mask has the scores' rank.
      const extra = fullShape.length - attentionMask.rank;
      if (extra < 0) {
        throw new ShapeError(`${this.owner} needs an attentionMask of rank ${fullShape.length} or less, received shape ${formatShape(attentionMask.shape)}.`);
      }
      const insertAt = attentionMask.rank - 2 * attendedCount;
      const expanded = [...attentionMask.shape.slice(0, insertAt), ...new Array<number>(extra).fill(1), ...attentionMask.shape.slice(insertAt)];
      const floatMask = attentionMask.dtype === dtype ? attentionMask : cast(attentionMask, dtype);
      let broadcast: Tensor;
      try {
        broadcast = ops.broadcastTo(ops.reshape(floatMask, expanded), fullShape);
      } catch {
        throw new ShapeError(
          `${this.owner} needs an attentionMask that broadcasts to the attention scores ${formatShape(fullShape)} (without the head axis, for example [batch, Tq, Tv]), received ${formatShape(attentionMask.shape)}.`,
        );
      }
      for (let i = 0; i < keep.size; i++) if (!(broadcast.data[i]! > 0.5)) keep.data[i] = 0;
    }
    return keep;
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      num_heads: this.numHeads,
      key_dim: this.keyDim,
      value_dim: this.valueDim,
      dropout: this.dropout,
      use_bias: this.useBias,
      use_gate: this.useGate,
      output_shape: this.outputShape === null ? null : [...this.outputShape],
      attention_axes: this.attentionAxes === null ? null : [...this.attentionAxes],
      sliding_window: this.slidingWindow,
      kernel_initializer: this.kernelInitializer.serialize(),
      bias_initializer: this.biasInitializer.serialize(),
      ...this.penalties.regularizerConfig(),
      activity_regularizer: regularizers.serialize(this.activityRegularizer),
      ...this.penalties.constraintConfig(),
      seed: this.seed,
    };
  }

  static fromConfig(config: Record<string, unknown>): MultiHeadAttention {
    const keys = [
      "num_heads",
      "key_dim",
      "value_dim",
      "dropout",
      "use_bias",
      "use_gate",
      "output_shape",
      "attention_axes",
      "sliding_window",
      "kernel_initializer",
      "bias_initializer",
      "seed",
      "activity_regularizer",
      ...penaltyConfigKeys(MHA_WEIGHTS),
    ];
    return new MultiHeadAttention({
      ...baseOptionsFromConfig(config, "MultiHeadAttention", keys),
      numHeads: config["num_heads"] as number,
      keyDim: config["key_dim"] as number,
      valueDim: (config["value_dim"] as number | null | undefined) ?? null,
      dropout: (config["dropout"] as number | undefined) ?? 0,
      useBias: (config["use_bias"] as boolean | undefined) ?? true,
      useGate: (config["use_gate"] as boolean | undefined) ?? false,
      outputShape: (config["output_shape"] as number[] | null | undefined) ?? null,
      attentionAxes: (config["attention_axes"] as number[] | null | undefined) ?? null,
      slidingWindow: (config["sliding_window"] as number | null | undefined) ?? null,
      kernelInitializer: initializers.deserialize((config["kernel_initializer"] ?? "glorot_uniform") as string),
      biasInitializer: initializers.deserialize((config["bias_initializer"] ?? "zeros") as string),
      seed: (config["seed"] as number | null | undefined) ?? null,
      ...penaltyOptionsFromConfig(config, MHA_WEIGHTS),
      ...activityOptionFromConfig(config),
    });
  }
}
