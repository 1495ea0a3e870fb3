import { ShapeError, ValueError, formatShape } from "../errors.js";
import * as initializers from "../initializers/index.js";
import * as ops from "../ops/index.js";
import { readIndices } from "../ops/sequence.js";
import { allocateFloat } from "../tensor/dtype.js";
import { Tensor } from "../tensor/tensor.js";
import { checkPositiveInteger } from "../utils/validate.js";
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
import * as regularizers from "../regularizers/index.js";
import type { ConstraintIdentifier } from "../constraints/index.js";
import {
  WeightPenalties,
  activityBaseConfig,
  activityOptionFromConfig,
  addActivityPenalty,
  penaltyConfigKeys,
  penaltyOptionNames,
  penaltyOptionsFromConfig,
} from "./weight-penalties.js";

export interface EmbeddingOptions extends LayerOptions {
  /** Vocabulary size: indices must lie in [0, inputDim). */
  inputDim: number;
  /** Size of each embedding vector. */
  outputDim: number;
  /** Default "uniform", which is RandomUniform on [−0.05, 0.05). */
  embeddingsInitializer?: initializers.InitializerIdentifier;
  /** Treat index 0 as padding: the layer then outputs a mask that is 0 where the index is 0. */
  maskZero?: boolean;
  /** Penalty on the embedding table, such as "l2", added to the training loss. */
  embeddingsRegularizer?: regularizers.RegularizerIdentifier;
  /** Penalty on the layer's output, divided by the batch size. */
  activityRegularizer?: regularizers.RegularizerIdentifier;
  /** Projection applied to the table after each optimizer update, such as "unit_norm". */
  embeddingsConstraint?: ConstraintIdentifier;
}

const EMBEDDING_WEIGHTS = ["embeddings"];

const EMBEDDING_OPTIONS = [
  ...BASE_LAYER_OPTIONS,
  "inputDim",
  "outputDim",
  "embeddingsInitializer",
  "maskZero",
  "activityRegularizer",
  ...penaltyOptionNames(EMBEDDING_WEIGHTS),
];
const EMBEDDING_CONFIG_KEYS = [
  "input_dim",
  "output_dim",
  "embeddings_initializer",
  "mask_zero",
  "activity_regularizer",
  ...penaltyConfigKeys(EMBEDDING_WEIGHTS),
];
const EMBEDDING_UNSUPPORTED_KEYS = ["quantization_config"];

/**
 * Maps integer indices to rows of a trainable [inputDim, outputDim] table:
 * inputs of shape (batch, ...) give outputs of shape (batch, ..., outputDim).
 * Indices may be an int32 tensor or a float tensor holding whole numbers.
 */
export class Embedding extends Layer {
  readonly inputDim: number;
  readonly outputDim: number;
  readonly embeddingsInitializer: initializers.Initializer;
  readonly maskZero: boolean;
  readonly penalties: WeightPenalties;
  readonly activityRegularizer: regularizers.Regularizer | null;
  embeddings: Variable | null = null;

  constructor(options: EmbeddingOptions) {
    if (options === undefined || options === null || typeof options !== "object") {
      throw new ValueError("Embedding needs an options object such as { inputDim: 1000, outputDim: 64 }.");
    }
    // `inputDim` is the vocabulary size here, not the base layers' shorthand for `inputShape`.
    super({ ...options, inputDim: undefined }, EMBEDDING_OPTIONS);
    this.inputDim = checkPositiveInteger(options.inputDim, "inputDim", `"${this.name}"`);
    this.outputDim = checkPositiveInteger(options.outputDim, "outputDim", `"${this.name}"`);
    this.embeddingsInitializer = initializers.get(options.embeddingsInitializer ?? "uniform", "embeddingsInitializer");
    this.maskZero = options.maskZero ?? false;
    this.supportsMasking = this.maskZero;
    this.penalties = new WeightPenalties(EMBEDDING_WEIGHTS, options);
    this.activityRegularizer = regularizers.get(options.activityRegularizer, "activityRegularizer");
  }

  override get className(): string {
    return "Embedding";
  }

  override build(inputShape: LayerShape): void {
    this.embeddings = this.penalties.attach(
      "embeddings",
      this.addWeight({ name: "embeddings", shape: [this.inputDim, this.outputDim], initializer: this.embeddingsInitializer }),
    );
    super.build(inputShape);
  }

  protected override checkInputShape(shape: readonly number[]): void {
    // Any sequence length is valid, so only the rank must match the build shape.
    const expected = this.buildInputShape;
    if (expected && !isShapeList(expected) && expected.length !== shape.length) {
      throw new ShapeError(
        `Layer "${this.name}" (Embedding) expects indices of rank ${expected.length}, such as shape ${formatShape(expected)}, received ${formatShape(shape)}.`,
      );
    }
  }

  call(inputs: Tensor, _options: CallOptions): Tensor {
    const indices = readIndices(inputs, this.inputDim, `Layer "${this.name}" (Embedding)`);
    const output = ops.gatherTableRows(this.embeddings!.value, indices, inputs.shape);
    addActivityPenalty(this, this.activityRegularizer, output);
    return output;
  }

  /** With `maskZero`, a mask of the inputs' shape that is 1 where the index is not 0; otherwise none. */
  override computeMask(inputs: Tensor | Tensor[], _mask: Tensor | null): Tensor | null {
    if (!this.maskZero) return null;
    const indices = Array.isArray(inputs) ? inputs[0]! : inputs;
    const mask = allocateFloat(this.dtype, indices.size);
    for (let i = 0; i < indices.size; i++) mask[i] = indices.data[i] !== 0 ? 1 : 0;
    return new Tensor(mask, indices.shape);
  }

  override computeOutputShape(inputShape: LayerShape): SymbolicShape {
    const shape = isShapeList(inputShape) ? inputShape[0]! : inputShape;
    return [...shape, this.outputDim];
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      ...activityBaseConfig(this.activityRegularizer),
      input_dim: this.inputDim,
      output_dim: this.outputDim,
      embeddings_initializer: this.embeddingsInitializer.serialize(),
      ...this.penalties.regularizerConfig(),
      activity_regularizer: regularizers.serialize(this.activityRegularizer),
      ...this.penalties.constraintConfig(),
      mask_zero: this.maskZero,
      quantization_config: null,
    };
  }

  static fromConfig(config: Record<string, unknown>): Embedding {
    return new Embedding({
      ...baseOptionsFromConfig(config, "Embedding", EMBEDDING_CONFIG_KEYS, EMBEDDING_UNSUPPORTED_KEYS),
      inputDim: config["input_dim"] as number,
      outputDim: config["output_dim"] as number,
      embeddingsInitializer: initializers.deserialize((config["embeddings_initializer"] ?? "uniform") as string),
      maskZero: (config["mask_zero"] as boolean | undefined) ?? false,
      ...penaltyOptionsFromConfig(config, EMBEDDING_WEIGHTS),
      ...activityOptionFromConfig(config),
    });
  }
}
