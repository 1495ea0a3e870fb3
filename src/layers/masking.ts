import { ValueError } from "../errors.js";
import { noGrad } from "../autodiff/tape.js";
import * as ops from "../ops/index.js";
import { emptyLike } from "../ops/util.js";
import type { FloatDType } from "../tensor/dtype.js";
import type { Tensor } from "../tensor/tensor.js";
import { BASE_LAYER_OPTIONS, type CallOptions, Layer, type LayerOptions, baseOptionsFromConfig } from "./layer.js";

export interface MaskingOptions extends LayerOptions {
  /** Steps whose features all equal this value are masked (default 0). */
  maskValue?: number;
}

/**
 * Masks the steps of a sequence whose features all equal `maskValue`:
 * for inputs (batch, steps, features) the output mask is (batch, steps),
 * 1 where any feature differs from `maskValue`. Masked steps are set to 0
 * in the output, and later layers that support masks skip them.
 */
export class Masking extends Layer {
  readonly maskValue: number;

  constructor(options: MaskingOptions = {}) {
    super(options, [...BASE_LAYER_OPTIONS, "maskValue"]);
    const maskValue = options.maskValue ?? 0;
    if (typeof maskValue !== "number" || Number.isNaN(maskValue)) {
      throw new ValueError(`Invalid \`maskValue\` for layer "${this.name}" (Masking): expected a number, received ${JSON.stringify(maskValue)}.`);
    }
    this.maskValue = maskValue;
    this.supportsMasking = true;
  }

  override get className(): string {
    return "Masking";
  }

  /** Returns the (…, 1)-shaped 0/1 tensor that keeps each step where a feature differs from `maskValue`. */
  private keptSteps(inputs: Tensor): Tensor {
    const features = inputs.rank === 0 ? 1 : inputs.shape[inputs.rank - 1]!;
    const shape = inputs.rank === 0 ? [] : [...inputs.shape.slice(0, -1), 1];
    const kept = emptyLike(inputs.dtype as FloatDType, shape);
    const data = inputs.data;
    for (let step = 0; step < kept.size; step++) {
      for (let j = 0; j < features; j++) {
        if (data[step * features + j] !== this.maskValue) {
          kept.data[step] = 1;
          break;
        }
      }
    }
    return kept;
  }

  call(inputs: Tensor, _options: CallOptions): Tensor {
    return ops.mul(inputs, noGrad(() => this.keptSteps(inputs)));
  }

  override computeMask(inputs: Tensor | Tensor[], _mask: Tensor | null): Tensor | null {
    const input = Array.isArray(inputs) ? inputs[0]! : inputs;
    const kept = this.keptSteps(input);
    return ops.reshape(kept, kept.shape.slice(0, -1));
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), mask_value: this.maskValue };
  }

  static fromConfig(config: Record<string, unknown>): Masking {
    const options = baseOptionsFromConfig(config, "Masking", ["mask_value"]);
    return new Masking({ ...options, ...(config["mask_value"] === undefined ? {} : { maskValue: config["mask_value"] as number }) });
  }
}
