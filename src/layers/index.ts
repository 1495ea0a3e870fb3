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
