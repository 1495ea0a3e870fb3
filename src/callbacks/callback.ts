import type { Model } from "../models/model.js";

/** Values logged at the end of a batch or epoch, with Keras's keys (`loss`, `accuracy`, `val_loss`, …). */
export type Logs = Record<string, number>;

export interface TrainingParams {
  verbose: number;
  epochs: number;
  /** Batches per epoch, or null while unknown (an iterable of batches in its first epoch). */
  steps: number | null;
}

/**
 * Base class for callbacks. Override any hook; each may return a promise,
 * which `fit`, `evaluate` and `predict` await before going on, in the order
 * the callbacks were given.
 */
export class Callback {
  model: Model | null = null;
  params: TrainingParams = { verbose: 0, epochs: 0, steps: 0 };

  setModel(model: Model): void {
    this.model = model;
  }

  setParams(params: TrainingParams): void {
    this.params = params;
  }

  onTrainBegin(_logs?: Logs): void | Promise<void> {}
  onTrainEnd(_logs?: Logs): void | Promise<void> {}
  onEpochBegin(_epoch: number, _logs?: Logs): void | Promise<void> {}
  onEpochEnd(_epoch: number, _logs?: Logs): void | Promise<void> {}
  onTrainBatchBegin(_batch: number, _logs?: Logs): void | Promise<void> {}
  onTrainBatchEnd(_batch: number, _logs?: Logs): void | Promise<void> {}
  onTestBegin(_logs?: Logs): void | Promise<void> {}
  onTestEnd(_logs?: Logs): void | Promise<void> {}
  onTestBatchBegin(_batch: number, _logs?: Logs): void | Promise<void> {}
  onTestBatchEnd(_batch: number, _logs?: Logs): void | Promise<void> {}
  onPredictBegin(_logs?: Logs): void | Promise<void> {}
  onPredictEnd(_logs?: Logs): void | Promise<void> {}
  onPredictBatchBegin(_batch: number, _logs?: Logs): void | Promise<void> {}
  onPredictBatchEnd(_batch: number, _logs?: Logs): void | Promise<void> {}
}

type HookName = {
  [K in keyof Callback]: Callback[K] extends (...args: never[]) => void | Promise<void> ? K : never;
}[keyof Callback];

/** Returns the callbacks whose `hook` is not the base class's empty one (overridden in a subclass or assigned on the object). */
export function callbacksWithHook(callbacks: readonly Callback[], hook: Exclude<HookName, "setModel" | "setParams">): Callback[] {
  return callbacks.filter((callback) => callback[hook] !== Callback.prototype[hook]);
}

/** Calls one hook on every callback in order, awaiting each. */
export async function callHook(
  callbacks: readonly Callback[],
  hook: Exclude<HookName, "setModel" | "setParams">,
  ...args: unknown[]
): Promise<void> {
  for (const callback of callbacks) {
    const method = callback[hook] as (...a: unknown[]) => void | Promise<void>;
    const result = method.apply(callback, args);
    if (result instanceof Promise) await result;
  }
}

/** Records every epoch's logs; `fit` returns it. */
export class History extends Callback {
  epoch: number[] = [];
  history: Record<string, number[]> = {};

  override onTrainBegin(): void {
    this.epoch = [];
  }

  override onEpochEnd(epoch: number, logs: Logs = {}): void {
    this.epoch.push(epoch);
    for (const [key, value] of Object.entries(logs)) {
      (this.history[key] ??= []).push(value);
    }
  }
}
