/** Differentiable tensor operations. Each records itself on the active gradient tape. */
export { abs, add, affine, clip, div, exp, log, maximum, minimum, mul, neg, relu, sigmoid, sqrt, square, sub, tanh } from "./elementwise.js";
export { mean, sum } from "./reduce.js";
export { reshape } from "./shape.js";
export { dense, matmul } from "./linalg.js";
export { binaryCrossentropy, categoricalCrossentropy, dropout, softmax, sparseCategoricalCrossentropy } from "./nn.js";
export {
  type AxisPadding,
  type Conv2DOptions,
  type Conv2DTransposeOptions,
  type Pool2DOptions,
  averagePool2d,
  conv2d,
  conv2dTranspose,
  maxPool2d,
} from "./conv.js";
export { elu, leakyRelu, maskedSoftmax, prelu, reluWithOptions, softmaxAlong, type ReluOptions } from "./activation.js";
export { broadcastTo, concatenate, transpose } from "./manipulation.js";
export {
  batchNormalization,
  layerNormalization,
  type BatchNormalizationOptions,
  type BatchNormalizationResult,
  type LayerNormalizationOptions,
} from "./normalization.js";
export { gatherTableRows, reverseSteps, sliceLastAxis, sliceSteps } from "./sequence.js";
export { type RecurrentCellKind, type RecurrentScanOptions, recurrentScan } from "./recurrent.js";
export { activation, glu, logSoftmax, maxLastAxis, sigmoidCrossentropy, softmaxCrossentropy, sparsemax } from "./activations.js";
export { batchMatmul } from "./attention.js";
export {
  type Conv3DOptions,
  type Conv3DTransposeOptions,
  type DepthwiseConv2DOptions,
  type Pool3DOptions,
  averagePool3d,
  conv3d,
  conv3dTranspose,
  depthwiseConv2d,
  maxPool3d,
} from "./volume.js";
