/**
 * Stratum: Keras-style deep learning for TypeScript.
 *
 * Top level: models, `Input`, the common layers, `tensor`, seeding and
 * backend selection. Everything else lives in Keras-style namespaces
 * (`layers`, `activations`, `initializers`, `optimizers`, `losses`,
 * `metrics`, `callbacks`).
 */

export { Sequential, type SequentialOptions } from "./models/sequential.js";
export { Model, type CompileOptions, type EvaluateOptions, type FitOptions, type ModelOptions, type PredictOptions, type PredictOutput } from "./models/model.js";
export type { ModelData } from "./models/data.js";
export { Activation, Dense, Dropout, Flatten, Input, InputLayer, Layer, SymbolicTensor, Variable } from "./layers/index.js";
export {
  AveragePooling1D,
  AveragePooling2D,
  Conv1D,
  Conv1DTranspose,
  Conv2D,
  Conv2DTranspose,
  GlobalAveragePooling1D,
  GlobalAveragePooling2D,
  GlobalMaxPooling1D,
  GlobalMaxPooling2D,
  MaxPooling1D,
  MaxPooling2D,
  Add,
  BatchNormalization,
  Concatenate,
  ELU,
  LayerNormalization,
  LeakyReLU,
  PReLU,
  Permute,
  ReLU,
  RepeatVector,
  Reshape,
  Softmax,
} from "./layers/index.js";
export { Bidirectional, Embedding, GRU, LSTM, SimpleRNN } from "./layers/index.js";
export {
  ActivityRegularization,
  AlphaDropout,
  Average,
  CategoryEncoding,
  Cropping1D,
  Cropping2D,
  Cropping3D,
  Discretization,
  Dot,
  GaussianDropout,
  GaussianNoise,
  GroupNormalization,
  Masking,
  Maximum,
  Minimum,
  Multiply,
  Normalization,
  Rescaling,
  SpatialDropout1D,
  SpatialDropout2D,
  SpatialDropout3D,
  Subtract,
  TimeDistributed,
  UnitNormalization,
  UpSampling1D,
  UpSampling2D,
  UpSampling3D,
  ZeroPadding1D,
  ZeroPadding2D,
  ZeroPadding3D,
} from "./layers/index.js";
export {
  AdditiveAttention,
  Attention,
  AveragePooling3D,
  Conv3D,
  Conv3DTranspose,
  DepthwiseConv1D,
  DepthwiseConv2D,
  GlobalAveragePooling3D,
  GlobalMaxPooling3D,
  MaxPooling3D,
  MultiHeadAttention,
  SeparableConv1D,
  SeparableConv2D,
} from "./layers/index.js";
export { Tensor, cast, fill, ones, scalar, tensor, zeros, type NestedArray, type TensorLike } from "./tensor/tensor.js";
export type { DType } from "./tensor/dtype.js";
export { setRandomSeed } from "./random.js";
export { getBackend, listBackends, registerBackend, setBackend } from "./backend/registry.js";
export type { Backend } from "./backend/backend.js";
export { NotBuiltError, ShapeError, StratumError, ValueError } from "./errors.js";
export { setLogLevel, type LogLevel } from "./logger.js";
export { valueAndGradients, noGrad } from "./autodiff/tape.js";
export { clearSession } from "./utils/naming.js";

export * as layers from "./layers/index.js";
export * as activations from "./activations/index.js";
export * as initializers from "./initializers/index.js";
export * as optimizers from "./optimizers/index.js";
export * as losses from "./losses/index.js";
export * as metrics from "./metrics/index.js";
export * as callbacks from "./callbacks/index.js";
export * as ops from "./ops/index.js";
export * as random from "./random.js";
export { encodeModel, loadModel, loadWeights, saveModel, saveWeights, type LoadModelOptions } from "./io/saving.js";
export * as regularizers from "./regularizers/index.js";
export * as constraints from "./constraints/index.js";
