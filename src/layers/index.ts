import { ValueError, formatChoices } from "../errors.js";
import { Activation, Dropout, Flatten } from "./core.js";
import { Dense } from "./dense.js";
import { InputLayer } from "./input.js";
import type { Layer } from "./layer.js";
import { Conv1D, Conv1DTranspose, Conv2D, Conv2DTranspose } from "./convolutional.js";
import {
  AveragePooling1D,
  AveragePooling2D,
  GlobalAveragePooling1D,
  GlobalAveragePooling2D,
  GlobalMaxPooling1D,
  GlobalMaxPooling2D,
  MaxPooling1D,
  MaxPooling2D,
} from "./pooling.js";
import { ELU, LeakyReLU, PReLU, ReLU, Softmax } from "./activation-layers.js";
import { Add, Concatenate } from "./merging.js";
import { BatchNormalization, LayerNormalization } from "./normalization.js";
import { Permute, RepeatVector, Reshape } from "./reshaping.js";
import { Bidirectional } from "./bidirectional.js";
import { Embedding } from "./embedding.js";
import { GRU, LSTM, SimpleRNN } from "./recurrent.js";
import { GRUCell, LSTMCell, SimpleRNNCell } from "./rnn-cells.js";
import { Average, Dot, Maximum, Minimum, Multiply, Subtract } from "./merging.js";
import { GroupNormalization, UnitNormalization } from "./group-unit-normalization.js";
import { Masking } from "./masking.js";
import { TimeDistributed } from "./time-distributed.js";
import { CategoryEncoding, Discretization, Normalization, Rescaling } from "./preprocessing.js";
import {
  ActivityRegularization,
  AlphaDropout,
  GaussianDropout,
  GaussianNoise,
  SpatialDropout1D,
  SpatialDropout2D,
  SpatialDropout3D,
} from "./regularization.js";
import {
  Cropping1D,
  Cropping2D,
  Cropping3D,
  UpSampling1D,
  UpSampling2D,
  UpSampling3D,
  ZeroPadding1D,
  ZeroPadding2D,
  ZeroPadding3D,
} from "./spatial-reshaping.js";
import { AdditiveAttention, Attention } from "./attention.js";
import { Conv3D, Conv3DTranspose } from "./convolutional.js";
import { DepthwiseConv1D, DepthwiseConv2D, SeparableConv1D, SeparableConv2D } from "./depthwise.js";
import { MultiHeadAttention } from "./multi-head-attention.js";
import { AveragePooling3D, GlobalAveragePooling3D, GlobalMaxPooling3D, MaxPooling3D } from "./pooling.js";
import { checkSerializedLayer } from "./serialized.js";

export { Activation, type ActivationOptions, Dropout, type DropoutOptions, Flatten } from "./core.js";
export { Dense, type DenseOptions } from "./dense.js";
export { Input, InputLayer, type InputOptions, SymbolicTensor } from "./input.js";
export { type CallOptions, Layer, type LayerOptions, type LayerShape, type SymbolicShape, getMask, isShapeList, setMask } from "./layer.js";
export { Node } from "./symbolic.js";
export { Variable } from "./variable.js";
export { Conv1D, Conv1DTranspose, Conv2D, Conv2DTranspose, type ConvOptions, type ConvTransposeOptions } from "./convolutional.js";
export {
  AveragePooling1D,
  AveragePooling2D,
  GlobalAveragePooling1D,
  GlobalAveragePooling2D,
  GlobalMaxPooling1D,
  GlobalMaxPooling2D,
  type GlobalPoolingOptions,
  MaxPooling1D,
  MaxPooling2D,
  type PoolingOptions,
} from "./pooling.js";
export {
  ELU,
  type ELUOptions,
  LeakyReLU,
  type LeakyReLUOptions,
  PReLU,
  type PReLUOptions,
  ReLU,
  type ReLUOptions,
  Softmax,
  type SoftmaxOptions,
} from "./activation-layers.js";
export { Add, Concatenate, type ConcatenateOptions } from "./merging.js";
export { BatchNormalization, type BatchNormalizationOptions, LayerNormalization, type LayerNormalizationOptions } from "./normalization.js";
export { Permute, type PermuteOptions, RepeatVector, type RepeatVectorOptions, Reshape, type ReshapeOptions } from "./reshaping.js";
export { Bidirectional, type BidirectionalOptions, type MergeMode } from "./bidirectional.js";
export { Embedding, type EmbeddingOptions } from "./embedding.js";
export { GRU, type GRUOptions, LSTM, type LSTMOptions, RecurrentLayer, type RecurrentLayerOptions, SimpleRNN, type SimpleRNNOptions } from "./recurrent.js";
export { GRUCell, type GRUCellOptions, LSTMCell, type LSTMCellOptions, RecurrentCell, type RecurrentCellOptions, SimpleRNNCell } from "./rnn-cells.js";
export { Average, Dot, type DotOptions, Maximum, Minimum, Multiply, Subtract } from "./merging.js";
export {
  GroupNormalization,
  type GroupNormalizationOptions,
  UnitNormalization,
  type UnitNormalizationOptions,
} from "./group-unit-normalization.js";
export { Masking, type MaskingOptions } from "./masking.js";
export { TimeDistributed, type TimeDistributedOptions } from "./time-distributed.js";
export {
  CategoryEncoding,
  type CategoryEncodingOptions,
  type CategoryOutputMode,
  Discretization,
  type DiscretizationOptions,
  type DiscretizationOutputMode,
  Normalization,
  type NormalizationOptions,
  Rescaling,
  type RescalingOptions,
} from "./preprocessing.js";
export {
  ActivityRegularization,
  type ActivityRegularizationOptions,
  AlphaDropout,
  type AlphaDropoutOptions,
  GaussianDropout,
  type GaussianDropoutOptions,
  GaussianNoise,
  type GaussianNoiseOptions,
  SpatialDropout1D,
  SpatialDropout2D,
  SpatialDropout3D,
  type SpatialDropoutOptions,
} from "./regularization.js";
export {
  Cropping1D,
  Cropping2D,
  Cropping3D,
  type CroppingOptions,
  UpSampling1D,
  UpSampling2D,
  UpSampling3D,
  type UpSamplingInterpolation,
  type UpSamplingOptions,
  ZeroPadding1D,
  ZeroPadding2D,
  ZeroPadding3D,
  type ZeroPaddingOptions,
} from "./spatial-reshaping.js";
export { addLayerLosses, clearLayerLosses, collectLayerLosses } from "./layer-losses.js";
export {
  AdditiveAttention,
  type AdditiveAttentionOptions,
  Attention,
  type AttentionCallOptions,
  type AttentionOptions,
  type MultiHeadAttentionCallOptions,
} from "./attention.js";
export { MultiHeadAttention, type MultiHeadAttentionOptions } from "./multi-head-attention.js";
export { Conv3D, Conv3DTranspose } from "./convolutional.js";
export { DepthwiseConv1D, DepthwiseConv2D, type DepthwiseConvOptions, SeparableConv1D, SeparableConv2D, type SeparableConvOptions } from "./depthwise.js";
export { AveragePooling3D, GlobalAveragePooling3D, GlobalMaxPooling3D, MaxPooling3D } from "./pooling.js";

const layerClasses: Record<string, (config: Record<string, unknown>) => Layer> = {
  Activation: Activation.fromConfig,
  Dense: Dense.fromConfig,
  Dropout: Dropout.fromConfig,
  Flatten: Flatten.fromConfig,
  InputLayer: InputLayer.fromConfig,
  Conv1D: Conv1D.fromConfig,
  Conv2D: Conv2D.fromConfig,
  Conv1DTranspose: Conv1DTranspose.fromConfig,
  Conv2DTranspose: Conv2DTranspose.fromConfig,
  MaxPooling1D: MaxPooling1D.fromConfig,
  MaxPooling2D: MaxPooling2D.fromConfig,
  AveragePooling1D: AveragePooling1D.fromConfig,
  AveragePooling2D: AveragePooling2D.fromConfig,
  GlobalMaxPooling1D: GlobalMaxPooling1D.fromConfig,
  GlobalMaxPooling2D: GlobalMaxPooling2D.fromConfig,
  GlobalAveragePooling1D: GlobalAveragePooling1D.fromConfig,
  GlobalAveragePooling2D: GlobalAveragePooling2D.fromConfig,
  Add: Add.fromConfig,
  BatchNormalization: BatchNormalization.fromConfig,
  Concatenate: Concatenate.fromConfig,
  ELU: ELU.fromConfig,
  LayerNormalization: LayerNormalization.fromConfig,
  LeakyReLU: LeakyReLU.fromConfig,
  PReLU: PReLU.fromConfig,
  Permute: Permute.fromConfig,
  ReLU: ReLU.fromConfig,
  RepeatVector: RepeatVector.fromConfig,
  Reshape: Reshape.fromConfig,
  Softmax: Softmax.fromConfig,
  // A function, because bidirectional.ts imports this module to rebuild its inner layers.
  Bidirectional: (config) => Bidirectional.fromConfig(config),
  Embedding: Embedding.fromConfig,
  GRU: GRU.fromConfig,
  GRUCell: GRUCell.fromConfig,
  LSTM: LSTM.fromConfig,
  LSTMCell: LSTMCell.fromConfig,
  SimpleRNN: SimpleRNN.fromConfig,
  SimpleRNNCell: SimpleRNNCell.fromConfig,
  ActivityRegularization: ActivityRegularization.fromConfig,
  AlphaDropout: AlphaDropout.fromConfig,
  Average: Average.fromConfig,
  CategoryEncoding: CategoryEncoding.fromConfig,
  Cropping1D: Cropping1D.fromConfig,
  Cropping2D: Cropping2D.fromConfig,
  Cropping3D: Cropping3D.fromConfig,
  Discretization: Discretization.fromConfig,
  Dot: Dot.fromConfig,
  GaussianDropout: GaussianDropout.fromConfig,
  GaussianNoise: GaussianNoise.fromConfig,
  GroupNormalization: GroupNormalization.fromConfig,
  Masking: Masking.fromConfig,
  Maximum: Maximum.fromConfig,
  Minimum: Minimum.fromConfig,
  Multiply: Multiply.fromConfig,
  Normalization: Normalization.fromConfig,
  Rescaling: Rescaling.fromConfig,
  SpatialDropout1D: SpatialDropout1D.fromConfig,
  SpatialDropout2D: SpatialDropout2D.fromConfig,
  SpatialDropout3D: SpatialDropout3D.fromConfig,
  Subtract: Subtract.fromConfig,
  // A function, because time-distributed.ts imports this module to rebuild its inner layer.
  TimeDistributed: (config) => TimeDistributed.fromConfig(config),
  UnitNormalization: UnitNormalization.fromConfig,
  UpSampling1D: UpSampling1D.fromConfig,
  UpSampling2D: UpSampling2D.fromConfig,
  UpSampling3D: UpSampling3D.fromConfig,
  ZeroPadding1D: ZeroPadding1D.fromConfig,
  ZeroPadding2D: ZeroPadding2D.fromConfig,
  ZeroPadding3D: ZeroPadding3D.fromConfig,
  AdditiveAttention: AdditiveAttention.fromConfig,
  Attention: Attention.fromConfig,
  MultiHeadAttention: MultiHeadAttention.fromConfig,
  Conv3D: Conv3D.fromConfig,
  Conv3DTranspose: Conv3DTranspose.fromConfig,
  DepthwiseConv1D: DepthwiseConv1D.fromConfig,
  DepthwiseConv2D: DepthwiseConv2D.fromConfig,
  SeparableConv1D: SeparableConv1D.fromConfig,
  SeparableConv2D: SeparableConv2D.fromConfig,
  MaxPooling3D: MaxPooling3D.fromConfig,
  AveragePooling3D: AveragePooling3D.fromConfig,
  GlobalMaxPooling3D: GlobalMaxPooling3D.fromConfig,
  GlobalAveragePooling3D: GlobalAveragePooling3D.fromConfig,
};

/**
 * Registers a layer class under its Keras class name so that `deserialize`
 * (and with it model configs and files) can rebuild it. Custom layers that
 * write `getConfig` register a function that builds them from that config.
 */
export function registerLayer(className: string, fromConfig: (config: Record<string, unknown>) => Layer): void {
  if (typeof className !== "string" || className === "" || typeof fromConfig !== "function") {
    throw new ValueError("registerLayer needs a class name and a function that builds the layer from its config.");
  }
  layerClasses[className] = fromConfig;
}

/** Rebuilds a layer from Keras's serialized form `{ class_name, config }`. */
export function deserialize(serialized: { class_name: string; config: Record<string, unknown> }): Layer {
  checkSerializedLayer(serialized);
  const fromConfig = layerClasses[serialized.class_name];
  if (!fromConfig) {
    throw new ValueError(
      `Unknown layer class "${serialized.class_name}". Layers Stratum can rebuild: ${formatChoices(Object.keys(layerClasses))}.`,
    );
  }
  return fromConfig(serialized.config);
}

/** True when `className` can be rebuilt by `deserialize` (built in, or added with `registerLayer`). */
export function isRegisteredLayer(className: string): boolean {
  return Object.prototype.hasOwnProperty.call(layerClasses, className);
}
