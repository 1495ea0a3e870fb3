/**
 * Attention layers: dot-product and additive attention over [query, value,
 * key] lists, and multi-head attention with Keras 3's projection layout.
 */

import { ShapeError, ValueError, formatShape } from "../errors.js";
import * as initializers from "../initializers/index.js";
import * as ops from "../ops/index.js";
import { RandomGenerator, globalRandom } from "../random.js";
import { type FloatDType } from "../tensor/dtype.js";
import { Tensor } from "../tensor/tensor.js";
import { emptyLike } from "../ops/util.js";
import {
  BASE_LAYER_OPTIONS,
  type CallOptions,
  Layer,
  type LayerOptions,
  type LayerShape,
  type SymbolicShape,
  baseOptionsFromConfig,
  isShapeList,
} from "./layer.js";
import type { Variable } from "./variable.js";

/** Keras's stand-in for minus infinity in masked attention scores (float32 and float64). */
const LARGE_NEGATIVE = -1e9;

/** Call options of the attention layers, on top of `training` and the masks. */
export interface AttentionCallOptions extends CallOptions {
  /** Also return the attention weights: the call then returns [output, scores]. */
  returnAttentionScores?: boolean;
  /** Let query position i attend only to value positions up to i. */
  useCausalMask?: boolean;
}

export interface MultiHeadAttentionCallOptions extends AttentionCallOptions {
  /**
   * Mask of the key positions each query position may attend to, [batch, Tq, Tv],
   * or any shape that broadcasts to the scores without the head axis. Values
   * above 0.5 allow a position. It is combined with the query, value and key masks.
   */
  attentionMask?: Tensor | null;
  /** Masks [batch, steps] of the inputs; by default those attached to the tensors (Keras masks). */
  queryMask?: Tensor | null;
  valueMask?: Tensor | null;
  keyMask?: Tensor | null;
}

/** Returns `mask` (ones keep) as a 0/1 array, or null when `mask` is null or undefined. */
function keepArray(mask: Tensor | null | undefined, batch: number, steps: number, owner: string, what: string): Uint8Array | null {
  if (mask === null || mask === undefined) return null;
  if (mask.rank !== 2 || mask.shape[0] !== batch || mask.shape[1] !== steps) {
    throw new ShapeError(`${owner} needs a ${what} of shape ${formatShape([batch, steps])}, received ${formatShape(mask.shape)}.`);
  }
  return Uint8Array.from(mask.data, (v) => (v > 0.5 ? 1 : 0));
}

/** Returns the one-tensor inputs of a layer called on [query, value] or [query, value, key]. */
function splitInputs<T>(inputs: T | T[], owner: string, describe: (input: T) => string): [T, T, T | null] {
  if (!Array.isArray(inputs) || inputs.length < 2 || inputs.length > 3) {
    const received = Array.isArray(inputs) ? `an array of length ${inputs.length}` : `one input ${describe(inputs)}`;
    throw new ValueError(`${owner} must be called on an array [query, value] or [query, value, key], received ${received}.`);
  }
  return [inputs[0]!, inputs[1]!, inputs[2] ?? null];
}

export interface AttentionOptions extends LayerOptions {
  /** Learn a scalar that multiplies the scores (Attention) or a per-dimension scale (AdditiveAttention). */
  useScale?: boolean;
  /** "dot" (query · key) or "concat" (sum of tanh(query + key)). */
  scoreMode?: "dot" | "concat";
  /** Fraction of the attention weights dropped during training. */
  dropout?: number;
  /** Seed of the layer's own dropout generator; without it, the global generator is used. */
  seed?: number | null;
}

/**
 * Dot-product attention (Luong style) on [query, value] or [query, value,
 * key], with query [batch, Tq, dim], value [batch, Tv, valueDim] and key
 * [batch, Tv, dim] (the key defaults to the value). The masks of the query
 * and value zero masked query steps and hide masked value steps.
 */
export class Attention extends Layer {
  readonly useScale: boolean;
  readonly scoreMode: "dot" | "concat";
  readonly dropout: number;
  readonly seed: number | null;
  scale: Variable | null = null;
  concatScoreWeight: Variable | null = null;
  private readonly generator: RandomGenerator | null;

  constructor(options: AttentionOptions = {}, allowed: readonly string[] = [...BASE_LAYER_OPTIONS, "useScale", "scoreMode", "dropout", "seed"]) {
    super(options ?? {}, allowed);
    const owner = `${this.className} "${this.name}"`;
    this.useScale = options?.useScale ?? this.defaultUseScale();
    if (typeof this.useScale !== "boolean") {
      throw new ValueError(`Invalid \`useScale\` for ${owner}: expected a boolean, received ${JSON.stringify(this.useScale)}.`);
    }
    const scoreMode = options?.scoreMode ?? "dot";
    if (scoreMode !== "dot" && scoreMode !== "concat") {
      throw new ValueError(`Invalid \`scoreMode\` for ${owner}: expected "dot" or "concat", received ${JSON.stringify(scoreMode)}.`);
    }
    this.scoreMode = scoreMode;
    this.dropout = checkRate(options?.dropout ?? 0, owner);
    this.seed = options?.seed ?? null;
    this.generator = this.seed === null ? null : new RandomGenerator(this.seed);
    this.supportsMasking = true;
  }

  protected defaultUseScale(): boolean {
    return false;
  }

  override get className(): string {
    return "Attention";
  }

  protected get owner(): string {
    return `Layer "${this.name}" (${this.className})`;
  }

  protected shapes(inputShape: LayerShape): [SymbolicShape, SymbolicShape, SymbolicShape] {
    if (!isShapeList(inputShape)) {
      throw new ValueError(`${this.owner} must be called on an array [query, value] or [query, value, key], received one input of shape ${formatShape(inputShape)}.`);
    }
    const [query, value, key] = splitInputs(inputShape, this.owner, (s) => formatShape(s));
    return [query, value, key ?? value];
  }

  override build(inputShape: LayerShape): void {
    this.createWeights(this.shapes(inputShape)[0]);
    super.build(inputShape);
  }

  /** Creates the scalar scale and concat weight; AdditiveAttention overrides it. */
  protected createWeights(_queryShape: SymbolicShape): void {
    if (this.useScale) this.scale = this.addWeight({ name: "scale", shape: [], initializer: initializers.get("ones") });
    if (this.scoreMode === "concat") {
      this.concatScoreWeight = this.addWeight({ name: "concat_score_weight", shape: [], initializer: initializers.get("ones") });
    }
  }

  override computeOutputShape(inputShape: LayerShape): LayerShape {
    const [query, value] = this.shapes(inputShape);
    return [...query.slice(0, -1), value[value.length - 1] ?? null];
  }

  /** Returns the scores [batch, Tq, Tv] of query [batch, Tq, dim] against key [batch, Tv, dim]. */
  protected scores(query: Tensor, key: Tensor): Tensor {
    if (this.scoreMode === "dot") {
      const scores = ops.batchMatmul(query, key, false, true);
      return this.scale ? ops.mul(scores, this.scale.value) : scores;
    }
    let sum = pairwiseSum(query, key);
    if (this.scale) sum = ops.mul(sum, this.scale.value);
    return ops.mul(ops.sum(ops.tanh(sum), -1), this.concatScoreWeight!.value);
  }

  call(inputs: Tensor | Tensor[], options: AttentionCallOptions): Tensor | Tensor[] {
    const [query, value, keyInput] = splitInputs(inputs, this.owner, (t) => `of shape ${formatShape((t as Tensor).shape)}`);
    const key = keyInput ?? value;
    for (const [t, what] of [[query, "query"], [value, "value"], [key, "key"]] as const) {
      if (t.rank !== 3) throw new ShapeError(`${this.owner} needs a ${what} of rank 3 (batch, steps, dim), received shape ${formatShape(t.shape)}.`);
    }
    const [batch, queryLength] = query.shape as [number, number];
    const valueLength = value.shape[1]!;
    if (key.shape[1] !== valueLength) {
      throw new ShapeError(`${this.owner} needs a key with the value's ${valueLength} steps, received shape ${formatShape(key.shape)}.`);
    }
    const queryMask = keepArray(options.masks?.[0] ?? options.mask, batch, queryLength, this.owner, "query mask");
    const valueMask = keepArray(options.masks?.[1], batch, valueLength, this.owner, "value mask");

    let scores = this.scores(query, key);
    const causal = options.useCausalMask ?? false;
    if (valueMask || causal) {
      // Masked scores move down by 1e9, as in Keras, so a row with every position masked stays uniform.
      const offset = emptyLike(scores.dtype as FloatDType, scores.shape);
      for (let b = 0; b < batch; b++) {
        for (let i = 0; i < queryLength; i++) {
          for (let j = 0; j < valueLength; j++) {
            const hidden = (valueMask !== null && valueMask[b * valueLength + j] === 0) || (causal && j > i);
            if (hidden) offset.data[(b * queryLength + i) * valueLength + j] = LARGE_NEGATIVE;
          }
        }
      }
      scores = ops.add(scores, offset);
    }

    const weights = ops.softmaxAlong(scores, -1);
    const dropped = options.training && this.dropout > 0 ? ops.dropout(weights, this.dropout, this.generator ?? globalRandom()) : weights;
    let output = ops.batchMatmul(dropped, value);
    if (queryMask) {
      const keep = emptyLike(output.dtype as FloatDType, [batch, queryLength, 1]);
      keep.data.set(queryMask);
      output = ops.mul(output, keep);
    }

    return options.returnAttentionScores ? [output, weights] : output;
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), use_scale: this.useScale, score_mode: this.scoreMode, dropout: this.dropout, seed: this.seed };
  }

  static fromConfig(config: Record<string, unknown>): Attention {
    const options = baseOptionsFromConfig(config, "Attention", ["use_scale", "score_mode", "dropout", "seed"]);
    return new Attention({
      ...options,
      useScale: (config["use_scale"] as boolean | undefined) ?? false,
      scoreMode: (config["score_mode"] as "dot" | "concat" | undefined) ?? "dot",
      dropout: (config["dropout"] as number | undefined) ?? 0,
      seed: (config["seed"] as number | null | undefined) ?? null,
    });
  }
}

/** Returns query [b, Tq, d] + key [b, Tv, d] broadcast to [b, Tq, Tv, d]. */
function pairwiseSum(query: Tensor, key: Tensor): Tensor {
  const [batch, queryLength, dim] = query.shape as [number, number, number];
  const valueLength = key.shape[1]!;
  return ops.add(ops.reshape(query, [batch, queryLength, 1, dim]), ops.reshape(key, [batch, 1, valueLength, dim]));
}

function checkRate(rate: unknown, owner: string): number {
  if (typeof rate !== "number" || !(rate >= 0 && rate < 1)) {
    throw new ValueError(`Invalid \`dropout\` for ${owner}: expected a number in [0, 1), received ${JSON.stringify(rate)}.`);
  }
  return rate;
}

export interface AdditiveAttentionOptions extends LayerOptions {
  /** Learn a scale per query dimension (default true). */
  useScale?: boolean;
  dropout?: number;
  seed?: number | null;
}

/**
 * Additive attention (Bahdanau style): scores are Σ scale · tanh(query + key)
 * over the last axis. Inputs and masks are those of Attention.
 */
export class AdditiveAttention extends Attention {
  constructor(options: AdditiveAttentionOptions = {}) {
    super(options ?? {}, [...BASE_LAYER_OPTIONS, "useScale", "dropout", "seed"]);
  }

  protected override defaultUseScale(): boolean {
    return true;
  }

  override get className(): string {
    return "AdditiveAttention";
  }

  protected override createWeights(query: SymbolicShape): void {
    const dim = query[query.length - 1];
    if (dim === null || dim === undefined) {
      throw new ShapeError(`${this.owner} needs the last axis of the query to be known, received shape ${formatShape(query)}.`);
    }
    if (this.useScale) this.scale = this.addWeight({ name: "scale", shape: [dim], initializer: initializers.get("glorot_uniform") });
  }

  protected override scores(query: Tensor, key: Tensor): Tensor {
    let terms = ops.tanh(pairwiseSum(query, key));
    if (this.scale) terms = ops.mul(terms, this.scale.value);
    return ops.sum(terms, -1);
  }

  override getConfig(): Record<string, unknown> {
    const { score_mode: _scoreMode, ...config } = super.getConfig();
    return config;
  }

  static override fromConfig(config: Record<string, unknown>): AdditiveAttention {
    const options = baseOptionsFromConfig(config, "AdditiveAttention", ["use_scale", "dropout", "seed"]);
    return new AdditiveAttention({
      ...options,
      useScale: (config["use_scale"] as boolean | undefined) ?? true,
      dropout: (config["dropout"] as number | undefined) ?? 0,
      seed: (config["seed"] as number | null | undefined) ?? null,
    });
  }
}
