import { ValueError } from "../errors.js";
import type { FloatDType } from "../tensor/dtype.js";
import type { Tensor } from "../tensor/tensor.js";
import { checkOptionKeys } from "../utils/suggest.js";
import { type CallOptions, Layer, type SymbolicShape } from "./layer.js";
import { Node, SymbolicTensor } from "./symbolic.js";

export { SymbolicTensor } from "./symbolic.js";

export interface InputOptions {
  /** Shape of one sample, without the batch axis; `null` marks an unknown size. */
  shape?: SymbolicShape;
  /** Full shape including the batch axis; an alternative to `shape`. */
  batchShape?: SymbolicShape;
  batchSize?: number;
  dtype?: FloatDType;
  name?: string;
}

const INPUT_OPTIONS = ["shape", "batchShape", "batchSize", "dtype", "name"];

/** The layer behind `Input`: it has no weights and passes its input through. */
export class InputLayer extends Layer {
  readonly batchShape: SymbolicShape;

  constructor(options: InputOptions) {
    if (options === undefined || options === null || typeof options !== "object") {
      throw new ValueError("Input needs an options object with `shape`, for example Input({ shape: [784] }).");
    }
    checkOptionKeys(options, INPUT_OPTIONS, "Input", (m) => new ValueError(m));
    super({ name: options.name, dtype: options.dtype }, ["name", "dtype"]);
    let batchShape: SymbolicShape;
    if (options.batchShape !== undefined) {
      if (!Array.isArray(options.batchShape)) {
        throw new ValueError(`Invalid \`batchShape\` for Input: expected an array such as [null, 784], received ${JSON.stringify(options.batchShape)}.`);
      }
      batchShape = [...options.batchShape];
    } else if (options.shape !== undefined) {
      if (!Array.isArray(options.shape)) {
        throw new ValueError(`Invalid \`shape\` for Input: expected an array such as [784], received ${JSON.stringify(options.shape)}.`);
      }
      batchShape = [options.batchSize ?? null, ...options.shape];
    } else {
      throw new ValueError("Input needs `shape` (the shape of one sample, such as [784]) or `batchShape`.");
    }
    for (const d of batchShape) {
      if (d !== null && (!Number.isInteger(d) || d < 0)) {
        throw new ValueError(`Invalid Input shape [${batchShape.slice(1).join(", ")}]: sizes must be non-negative integers or null.`);
      }
    }
    this.batchShape = batchShape;
    this.buildInputShape = batchShape;
    this.built = true;
    const output = new SymbolicTensor(batchShape, this.dtype, this, 0, 0);
    this.inboundNodes.push(new Node(this, [], false, [output], false));
  }

  /** The symbolic tensor that stands for this input in a functional model. */
  get output(): SymbolicTensor {
    return this.inboundNodes[0]!.outputs[0]!;
  }

  override get className(): string {
    return "InputLayer";
  }

  call(inputs: Tensor, _options: CallOptions): Tensor {
    return inputs;
  }

  override getConfig(): Record<string, unknown> {
    return { batch_shape: this.batchShape, dtype: this.dtype, sparse: false, ragged: false, name: this.name, optional: false };
  }

  static fromConfig(config: Record<string, unknown>): InputLayer {
    checkOptionKeys(
      config,
      ["batch_shape", "batch_input_shape", "dtype", "sparse", "ragged", "name", "optional"],
      "InputLayer config",
      (m) => new ValueError(m),
    );
    for (const key of ["sparse", "ragged", "optional"]) {
      if (config[key] === true) {
        throw new ValueError(`InputLayer config sets "${key}" to true, which Stratum does not support yet.`);
      }
    }
    const batchShape = (config["batch_shape"] ?? config["batch_input_shape"]) as SymbolicShape;
    const dtype = config["dtype"];
    return new InputLayer({
      batchShape,
      name: config["name"] as string | undefined,
      dtype: dtype === "float64" ? "float64" : "float32",
    });
  }
}

/** Declares a model input: `Input({ shape: [784] })` stands for a batch of 784-vectors. */
export function Input(options: InputOptions): SymbolicTensor {
  const layer = new InputLayer(options);
  return layer.output;
}
