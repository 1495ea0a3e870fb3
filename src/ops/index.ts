/** Differentiable tensor operations. Each records itself on the active gradient tape. */
export { abs, add, affine, clip, div, exp, log, maximum, minimum, mul, neg, relu, sigmoid, sqrt, square, sub, tanh } from "./elementwise.js";
export { mean, sum } from "./reduce.js";
export { reshape } from "./shape.js";
export { dense, matmul } from "./linalg.js";
export { binaryCrossentropy, categoricalCrossentropy, dropout, softmax, sparseCategoricalCrossentropy } from "./nn.js";
export { concatLastAxis, gatherTableRows, readIndices, reverseSteps, sliceLastAxis, sliceSteps } from "./sequence.js";
export { type RecurrentCellKind, type RecurrentScanOptions, recurrentScan } from "./recurrent.js";
