import { ValueError } from "../errors.js";
import type { Tensor } from "../tensor/tensor.js";
import { Callback, type Logs } from "./callback.js";
import { type MonitorMode, checkMode, monitorValue, resolveMode } from "./monitor.js";
import { getOutput } from "./progbar.js";
import { checkOptionKeys } from "../utils/suggest.js";

export interface EarlyStoppingOptions {
  /** Log key to watch. Default "val_loss". */
  monitor?: string;
  /** Smallest change that counts as an improvement. Default 0. */
  minDelta?: number;
  /** Epochs without improvement before training stops. Default 0. */
  patience?: number;
  /** 1 prints when training stops and when weights are restored. Default 0. */
  verbose?: number;
  mode?: MonitorMode;
  /** A value the monitored quantity must beat before the patience counter resets. */
  baseline?: number | null;
  /** At the end of training, set the weights back to those of the best epoch. Default false. */
  restoreBestWeights?: boolean;
  /** Epochs to wait before watching at all. Default 0. */
  startFromEpoch?: number;
}

const OPTIONS = ["monitor", "minDelta", "patience", "verbose", "mode", "baseline", "restoreBestWeights", "startFromEpoch"];

/**
 * Stops training when the monitored quantity stops improving, as Keras's
 * EarlyStopping does. With `restoreBestWeights` the best epoch's weights are
 * put back when training ends, whether or not it stopped early.
 */
export class EarlyStopping extends Callback {
  readonly monitor: string;
  readonly minDelta: number;
  readonly patience: number;
  readonly verbose: number;
  readonly mode: MonitorMode;
  readonly baseline: number | null;
  readonly restoreBestWeights: boolean;
  readonly startFromEpoch: number;
  /** Epochs since the last improvement. */
  wait = 0;
  /** The 0-based epoch at which training was stopped, or 0 when it was not. */
  stoppedEpoch = 0;
  best: number | null = null;
  bestEpoch = 0;
  private bestWeights: Tensor[] | null = null;
  private direction: "min" | "max" | null = null;

  constructor(options: EarlyStoppingOptions = {}) {
    super();
    checkOptionKeys(options, OPTIONS, "EarlyStopping", (m) => new ValueError(m));
    this.monitor = options.monitor ?? "val_loss";
    this.minDelta = Math.abs(checkNumber(options.minDelta ?? 0, "minDelta"));
    this.patience = checkCount(options.patience ?? 0, "patience");
    this.verbose = options.verbose ?? 0;
    this.mode = checkMode(options.mode ?? "auto", "EarlyStopping");
    this.baseline = options.baseline ?? null;
    this.restoreBestWeights = options.restoreBestWeights ?? false;
    this.startFromEpoch = checkCount(options.startFromEpoch ?? 0, "startFromEpoch");
  }

  override onTrainBegin(): void {
    this.wait = 0;
    this.stoppedEpoch = 0;
    this.best = null;
    this.bestEpoch = 0;
    this.bestWeights = null;
  }

  private isImprovement(value: number, reference: number | null): boolean {
    if (reference === null) return true;
    return this.direction === "min" ? value + this.minDelta < reference : value - this.minDelta > reference;
  }

  override onEpochEnd(epoch: number, logs?: Logs): void {
    this.direction ??= resolveMode(this.mode, this.monitor, this.model, "EarlyStopping");
    const current = monitorValue(logs, this.monitor, "EarlyStopping");
    if (current === null || epoch < this.startFromEpoch) return;
    if (this.restoreBestWeights && this.bestWeights === null) {
      this.bestWeights = this.model!.getWeights();
      this.bestEpoch = epoch;
    }
    this.wait++;
    if (this.isImprovement(current, this.best)) {
      this.best = current;
      this.bestEpoch = epoch;
      if (this.restoreBestWeights) this.bestWeights = this.model!.getWeights();
      // The counter restarts only when the value also beats the baseline.
      if (this.baseline === null || this.isImprovement(current, this.baseline)) this.wait = 0;
      return;
    }
    if (this.wait >= this.patience && epoch > 0) {
      this.stoppedEpoch = epoch;
      this.model!.stopTraining = true;
    }
  }

  override onTrainEnd(): void {
    if (this.stoppedEpoch > 0 && this.verbose > 0) getOutput().write(`Epoch ${this.stoppedEpoch + 1}: early stopping\n`);
    if (this.restoreBestWeights && this.bestWeights !== null) {
      if (this.verbose > 0) getOutput().write(`Restoring model weights from the end of the best epoch: ${this.bestEpoch + 1}.\n`);
      this.model!.setWeights(this.bestWeights);
    }
  }
}

function checkNumber(value: unknown, name: string): number {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new ValueError(`Invalid \`${name}\` for EarlyStopping: expected a finite number, received ${JSON.stringify(value)}.`);
  }
  return value;
}

function checkCount(value: unknown, name: string): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) {
    throw new ValueError(`Invalid \`${name}\` for EarlyStopping: expected a non-negative integer, received ${JSON.stringify(value)}.`);
  }
  return value;
}
