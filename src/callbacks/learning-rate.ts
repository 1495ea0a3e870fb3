import { ValueError } from "../errors.js";
import { Callback, type Logs } from "./callback.js";
import { type MonitorMode, checkMode, monitorValue } from "./monitor.js";
import { getOutput } from "./progbar.js";
import { checkOptionKeys } from "../utils/suggest.js";
import { formatPythonFloat } from "./csv-logger.js";

function requireOptimizer(callback: Callback, owner: string): { learningRate: number } {
  const optimizer = callback.model?.optimizer;
  if (!optimizer) throw new ValueError(`${owner} needs a compiled model with an optimizer.`);
  return optimizer;
}

export interface ReduceLROnPlateauOptions {
  /** Log key to watch. Default "val_loss". */
  monitor?: string;
  /** Factor the learning rate is multiplied by, below 1. Default 0.1. */
  factor?: number;
  /** Epochs without improvement before the rate drops. Default 10. */
  patience?: number;
  /** 1 prints each reduction. Default 0. */
  verbose?: number;
  mode?: MonitorMode;
  /** Smallest change that counts as an improvement. Default 1e-4. */
  minDelta?: number;
  /** Epochs to wait after a reduction before counting again. Default 0. */
  cooldown?: number;
  /** Lower bound of the learning rate. Default 0. */
  minLr?: number;
}

const PLATEAU_OPTIONS = ["monitor", "factor", "patience", "verbose", "mode", "minDelta", "cooldown", "minLr"];

/**
 * Lowers the learning rate when the monitored quantity stops improving, as
 * Keras's ReduceLROnPlateau does, and adds `learning_rate` (the rate used in
 * the epoch) to each epoch's logs. In "auto" mode a key containing "acc" is
 * maximized and anything else minimized, which is Keras's rule for this callback.
 */
export class ReduceLROnPlateau extends Callback {
  readonly monitor: string;
  readonly factor: number;
  readonly patience: number;
  readonly verbose: number;
  readonly mode: MonitorMode;
  readonly minDelta: number;
  readonly cooldown: number;
  readonly minLr: number;
  wait = 0;
  cooldownCounter = 0;
  best = Infinity;

  constructor(options: ReduceLROnPlateauOptions = {}) {
    super();
    checkOptionKeys(options, PLATEAU_OPTIONS, "ReduceLROnPlateau", (m) => new ValueError(m));
    this.monitor = options.monitor ?? "val_loss";
    this.factor = options.factor ?? 0.1;
    if (typeof this.factor !== "number" || !(this.factor < 1)) {
      throw new ValueError(`Invalid \`factor\` for ReduceLROnPlateau: expected a number below 1, received ${JSON.stringify(this.factor)}.`);
    }
    this.patience = options.patience ?? 10;
    this.verbose = options.verbose ?? 0;
    this.mode = checkMode(options.mode ?? "auto", "ReduceLROnPlateau");
    this.minDelta = options.minDelta ?? 1e-4;
    this.cooldown = options.cooldown ?? 0;
    this.minLr = options.minLr ?? 0;
    this.reset();
  }

  private get maximizes(): boolean {
    return this.mode === "max" || (this.mode === "auto" && this.monitor.includes("acc"));
  }

  private reset(): void {
    this.best = this.maximizes ? -Infinity : Infinity;
    this.cooldownCounter = 0;
    this.wait = 0;
  }

  override onTrainBegin(): void {
    this.reset();
  }

  private improves(current: number): boolean {
    return this.maximizes ? current > this.best + this.minDelta : current < this.best - this.minDelta;
  }

  override onEpochEnd(epoch: number, logs?: Logs): void {
    const optimizer = requireOptimizer(this, "ReduceLROnPlateau");
    if (logs) logs["learning_rate"] = optimizer.learningRate;
    const current = monitorValue(logs, this.monitor, "ReduceLROnPlateau");
    if (current === null) return;
    if (this.cooldownCounter > 0) {
      this.cooldownCounter--;
      this.wait = 0;
    }
    if (this.improves(current)) {
      this.best = current;
      this.wait = 0;
      return;
    }
    if (this.cooldownCounter > 0) return;
    this.wait++;
    if (this.wait < this.patience) return;
    const old = optimizer.learningRate;
    if (old > Math.fround(this.minLr)) {
      const updated = Math.max(old * this.factor, this.minLr);
      optimizer.learningRate = updated;
      if (this.verbose > 0) {
        getOutput().write(`\nEpoch ${epoch + 1}: ReduceLROnPlateau reducing learning rate to ${formatPythonFloat(updated)}.\n`);
      }
      this.cooldownCounter = this.cooldown;
      this.wait = 0;
    }
  }
}

/** A function from the 0-based epoch and the current learning rate to the epoch's learning rate. */
export type LearningRateSchedule = (epoch: number, learningRate: number) => number;

/** Sets the learning rate at the start of every epoch from a function, as Keras's LearningRateScheduler does. */
export class LearningRateScheduler extends Callback {
  readonly schedule: LearningRateSchedule;
  readonly verbose: number;

  constructor(schedule: LearningRateSchedule, options: { verbose?: number } = {}) {
    super();
    if (typeof schedule !== "function") {
      throw new ValueError("LearningRateScheduler needs a function (epoch, learningRate) => learningRate.");
    }
    checkOptionKeys(options, ["verbose"], "LearningRateScheduler", (m) => new ValueError(m));
    this.schedule = schedule;
    this.verbose = options.verbose ?? 0;
  }

  override onEpochBegin(epoch: number): void {
    const optimizer = requireOptimizer(this, "LearningRateScheduler");
    const rate = this.schedule(epoch, optimizer.learningRate);
    if (typeof rate !== "number" || !Number.isFinite(rate)) {
      throw new ValueError(`The schedule of LearningRateScheduler must return a finite number, but it returned ${JSON.stringify(rate)} for epoch ${epoch}.`);
    }
    optimizer.learningRate = rate;
    if (this.verbose > 0) {
      getOutput().write(`\nEpoch ${epoch + 1}: LearningRateScheduler setting learning rate to ${formatPythonFloat(rate)}.\n`);
    }
  }

  override onEpochEnd(_epoch: number, logs?: Logs): void {
    if (logs) logs["learning_rate"] = requireOptimizer(this, "LearningRateScheduler").learningRate;
  }
}
