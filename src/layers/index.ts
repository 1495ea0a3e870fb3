import { ValueError, formatChoices } from "../errors.js";
import { Activation, Dropout, Flatten } from "./core.js";
import { Dense } from "./dense.js";
import { InputLayer } from "./input.js";
import type { Layer } from "./layer.js";
import { ELU, LeakyReLU, PReLU, ReLU, Softmax } from "./activation-layers.js";
import { Add, Concatenate } from "./merging.js";
import { BatchNormalization, LayerNormalization } from "./normalization.js";
import { Permute, RepeatVector, Reshape } from "./reshaping.js";

export { Activation, type ActivationOptions, Dropout, type DropoutOptions, Flatten } from "./core.js";
export { Dense, type DenseOptions } from "./dense.js";
export { Input, InputLayer, type InputOptions, SymbolicTensor } from "./input.js";
export { type CallOptions, Layer, type LayerOptions, type LayerShape, type SymbolicShape, getMask, isShapeList, setMask } from "./layer.js";
export { Node } from "./symbolic.js";
export { Variable } from "./variable.js";
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

const layerClasses: Record<string, (config: Record<string, unknown>) => Layer> = {
  Activation: Activation.fromConfig,
  Dense: Dense.fromConfig,
  Dropout: Dropout.fromConfig,
  Flatten: Flatten.fromConfig,
  InputLayer: InputLayer.fromConfig,
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
};

/** Rebuilds a layer from Keras's serialized form `{ class_name, config }`. */
export function deserialize(serialized: { class_name: string; config: Record<string, unknown> }): Layer {
  const fromConfig = layerClasses[serialized.class_name];
  if (!fromConfig) {
    throw new ValueError(
      `Unknown layer class "${serialized.class_name}". Layers Stratum can rebuild: ${formatChoices(Object.keys(layerClasses))}.`,
    );
  }
  return fromConfig(serialized.config);
}
