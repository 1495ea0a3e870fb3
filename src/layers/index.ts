import { ValueError, formatChoices } from "../errors.js";
import { Activation, Dropout, Flatten } from "./core.js";
import { Dense } from "./dense.js";
import { InputLayer } from "./input.js";
import type { Layer } from "./layer.js";
import { Bidirectional } from "./bidirectional.js";
import { Embedding } from "./embedding.js";
import { GRU, LSTM, SimpleRNN } from "./recurrent.js";
import { GRUCell, LSTMCell, SimpleRNNCell } from "./rnn-cells.js";

export { Activation, type ActivationOptions, Dropout, type DropoutOptions, Flatten } from "./core.js";
export { Dense, type DenseOptions } from "./dense.js";
export { Input, InputLayer, type InputOptions, SymbolicTensor } from "./input.js";
export { type CallOptions, Layer, type LayerOptions, type LayerShape, type SymbolicShape, getMask, isShapeList, setMask } from "./layer.js";
export { Node } from "./symbolic.js";
export { Variable } from "./variable.js";
export { Bidirectional, type BidirectionalOptions, type MergeMode } from "./bidirectional.js";
export { Embedding, type EmbeddingOptions } from "./embedding.js";
export { GRU, type GRUOptions, LSTM, type LSTMOptions, RecurrentLayer, type RecurrentLayerOptions, SimpleRNN, type SimpleRNNOptions } from "./recurrent.js";
export { GRUCell, type GRUCellOptions, LSTMCell, type LSTMCellOptions, RecurrentCell, type RecurrentCellOptions, SimpleRNNCell } from "./rnn-cells.js";

const layerClasses: Record<string, (config: Record<string, unknown>) => Layer> = {
  Activation: Activation.fromConfig,
  Dense: Dense.fromConfig,
  Dropout: Dropout.fromConfig,
  Flatten: Flatten.fromConfig,
  InputLayer: InputLayer.fromConfig,
  // A function, because bidirectional.ts imports this module to rebuild its inner layers.
  Bidirectional: (config) => Bidirectional.fromConfig(config),
  Embedding: Embedding.fromConfig,
  GRU: GRU.fromConfig,
  GRUCell: GRUCell.fromConfig,
  LSTM: LSTM.fromConfig,
  LSTMCell: LSTMCell.fromConfig,
  SimpleRNN: SimpleRNN.fromConfig,
  SimpleRNNCell: SimpleRNNCell.fromConfig,
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
