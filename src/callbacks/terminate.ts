import { StratumError, ValueError } from "../errors.js";
import { Callback, type Logs } from "./callback.js";
import { getOutput } from "./progbar.js";
import { checkOptionKeys } from "../utils/suggest.js";

/** Stops training at the first batch whose loss is NaN or infinite, as Keras's TerminateOnNaN does. */
export class TerminateOnNaN extends Callback {
  readonly raiseError: boolean;

  constructor(options: { raiseError?: boolean } = {}) {
    super();
    checkOptionKeys(options, ["raiseError"], "TerminateOnNaN", (m) => new ValueError(m));
    this.raiseError = options.raiseError ?? false;
  }

  override onTrainBatchEnd(batch: number, logs?: Logs): void {
    const loss = logs?.["loss"];
    if (loss === undefined || Number.isFinite(loss)) return;
    if (this.raiseError) throw new StratumError(`The loss is ${loss} at batch ${batch}, so training stopped.`);
    getOutput().write(`Batch ${batch}: Invalid loss, terminating training\n`);
    this.model!.stopTraining = true;
  }
}

/** Hooks that LambdaCallback accepts: any of Callback's hook methods. */
export type LambdaHooks = Partial<{
  [K in keyof Callback as Callback[K] extends (...args: never[]) => unknown ? (K extends `on${string}` ? K : never) : never]: Callback[K];
}>;

/** A callback made from functions, one per hook, as Keras's LambdaCallback is. */
export class LambdaCallback extends Callback {
  constructor(hooks: LambdaHooks) {
    super();
    if (hooks === null || typeof hooks !== "object") {
      throw new ValueError("LambdaCallback needs an object of hook functions, such as { onEpochEnd: (epoch, logs) => ... }.");
    }
    const valid = Object.getOwnPropertyNames(Callback.prototype).filter((name) => name.startsWith("on"));
    checkOptionKeys(hooks, valid, "LambdaCallback", (m) => new ValueError(m));
    for (const [name, hook] of Object.entries(hooks)) {
      if (typeof hook !== "function") throw new ValueError(`LambdaCallback hook \`${name}\` must be a function, received ${typeof hook}.`);
      (this as unknown as Record<string, unknown>)[name] = hook;
    }
  }
}
