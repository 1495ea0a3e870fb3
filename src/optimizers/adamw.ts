import { ValueError } from "../errors.js";
import { checkOptionKeys } from "../utils/suggest.js";
import { Adam, type AdamOptions } from "./adam.js";
import { BASE_OPTIMIZER_OPTIONS } from "./optimizer.js";

export interface AdamWOptions extends AdamOptions {
  /** Decoupled weight decay, required to be a number (default 0.004). */
  weightDecay?: number;
}

/** Adam with decoupled weight decay: w ← w − w · weightDecay · lr, then the Adam step. */
export class AdamW extends Adam {
  constructor(options: AdamWOptions = {}) {
    checkOptionKeys(options, [...BASE_OPTIMIZER_OPTIONS, ...Object.values(Adam.configOptions)], "AdamW", (m) => new ValueError(m));
    const weightDecay = options.weightDecay === undefined ? 0.004 : options.weightDecay;
    if (typeof weightDecay !== "number") {
      throw new ValueError(`Invalid \`weightDecay\` for AdamW: expected a number, received ${JSON.stringify(weightDecay)}.`);
    }
    super({ ...options, weightDecay });
  }

  override get className(): string {
    return "AdamW";
  }
}
