import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { StratumError, ValueError } from "../errors.js";
import { warn } from "../logger.js";
import { checkOptionKeys } from "../utils/suggest.js";
import { Callback, type Logs } from "./callback.js";
import { type MonitorMode, checkMode, resolveMode } from "./monitor.js";
import { getOutput } from "./progbar.js";

export interface ModelCheckpointOptions {
  /** Log key that decides the best model. Default "val_loss". */
  monitor?: string;
  /** 1 prints a line for every save or skipped save. Default 0. */
  verbose?: number;
  /** Save only when the monitored value improves on the best so far. Default false. */
  saveBestOnly?: boolean;
  /** Save weights only (`.weights.h5`) instead of the whole model (`.keras`). Default false. */
  saveWeightsOnly?: boolean;
  mode?: MonitorMode;
  /** "epoch" saves after every epoch; a number saves every that many batches. Default "epoch". */
  saveFreq?: "epoch" | number;
  /** The value the monitored quantity must beat for the first save with `saveBestOnly`. */
  initialValueThreshold?: number | null;
}

const CHECKPOINT_OPTIONS = ["monitor", "verbose", "saveBestOnly", "saveWeightsOnly", "mode", "saveFreq", "initialValueThreshold"];

/**
 * Formats `template` as Python's `str.format` does for the fields Keras's
 * checkpoint paths use: `{name}` and `{name:spec}` with specs such as
 * `02d`, `.2f`, `.3e` and `g`.
 */
export function formatPathTemplate(template: string, values: Record<string, number>): string {
  return template.replace(/\{([A-Za-z_][A-Za-z0-9_]*)(?::([^}]*))?\}/g, (_match, name: string, spec: string | undefined) => {
    if (!(name in values)) {
      throw new ValueError(`The checkpoint path "${template}" uses {${name}}, which is not in the logs. Available: ${Object.keys(values).join(", ")}.`);
    }
    return formatNumber(values[name]!, spec ?? "");
  });
}

function formatNumber(value: number, spec: string): string {
  const parsed = /^(0)?(\d+)?(?:\.(\d+))?([dfeg%])?$/.exec(spec);
  if (!parsed) throw new ValueError(`Unsupported format "${spec}" in a checkpoint path: use forms such as 02d, .2f, .3e or g.`);
  const [, zero, width, precision, type] = parsed;
  let text: string;
  const digits = precision === undefined ? undefined : Number(precision);
  switch (type) {
    case "d":
      text = String(Math.trunc(value));
      break;
    case "f":
      text = value.toFixed(digits ?? 6);
      break;
    case "e": {
      const [mantissa, exponent] = value.toExponential(digits ?? 6).split("e") as [string, string];
      const sign = exponent.startsWith("-") ? "-" : "+";
      text = `${mantissa}e${sign}${exponent.replace(/^[+-]/, "").padStart(2, "0")}`;
      break;
    }
    case "%":
      text = `${(value * 100).toFixed(digits ?? 6)}%`;
      break;
    default:
      text = digits === undefined && type === undefined ? String(value) : String(Number(value.toPrecision(digits ?? 6)));
  }
  if (width !== undefined && text.length < Number(width)) {
    const pad = zero ? "0" : " ";
    const negative = text.startsWith("-");
    const body = negative ? text.slice(1) : text;
    text = (negative ? "-" : "") + body.padStart(Number(width) - (negative ? 1 : 0), pad);
  }
  return text;
}

/**
 * Saves the model (or its weights) during training, as Keras's
 * ModelCheckpoint does: after every epoch or every `saveFreq` batches, to a
 * path that may contain `{epoch}` (1-based), `{batch}` and log values such as
 * `{val_loss:.2f}`; with `saveBestOnly`, only when the monitored value improves.
 */
export class ModelCheckpoint extends Callback {
  readonly filepath: string;
  readonly monitor: string;
  readonly verbose: number;
  readonly saveBestOnly: boolean;
  readonly saveWeightsOnly: boolean;
  readonly mode: MonitorMode;
  readonly saveFreq: "epoch" | number;
  best: number | null;
  private direction: "min" | "max" | null = null;
  private currentEpoch = 0;
  private batchesSinceSave = 0;
  private lastBatch: number | null = null;

  constructor(filepath: string, options: ModelCheckpointOptions = {}) {
    super();
    checkOptionKeys(options, CHECKPOINT_OPTIONS, "ModelCheckpoint", (m) => new ValueError(m));
    if (typeof filepath !== "string" || filepath === "") {
      throw new ValueError(`ModelCheckpoint needs a file path, received ${JSON.stringify(filepath)}.`);
    }
    this.filepath = filepath;
    this.monitor = options.monitor ?? "val_loss";
    this.verbose = options.verbose ?? 0;
    this.saveBestOnly = options.saveBestOnly ?? false;
    this.saveWeightsOnly = options.saveWeightsOnly ?? false;
    this.mode = checkMode(options.mode ?? "auto", "ModelCheckpoint");
    this.saveFreq = options.saveFreq ?? "epoch";
    this.best = options.initialValueThreshold ?? null;
    if (this.saveFreq !== "epoch" && !(Number.isInteger(this.saveFreq) && this.saveFreq > 0)) {
      throw new ValueError(`Invalid \`saveFreq\` for ModelCheckpoint: expected "epoch" or a positive integer, received ${JSON.stringify(this.saveFreq)}.`);
    }
    if (this.saveWeightsOnly && !filepath.endsWith(".weights.h5")) {
      throw new ValueError(`With saveWeightsOnly, the ModelCheckpoint path must end in ".weights.h5", received "${filepath}".`);
    }
    if (!this.saveWeightsOnly && !filepath.endsWith(".keras") && !filepath.endsWith(".h5")) {
      throw new ValueError(`The ModelCheckpoint path must end in ".keras" (the Keras model format), received "${filepath}".`);
    }
  }

  override onEpochBegin(epoch: number): void {
    this.currentEpoch = epoch;
  }

  override async onTrainBatchEnd(batch: number, logs?: Logs): Promise<void> {
    if (this.saveFreq === "epoch") return;
    const added = this.lastBatch === null || batch <= this.lastBatch ? batch + 1 : batch - this.lastBatch;
    this.batchesSinceSave += added;
    this.lastBatch = batch;
    if (this.batchesSinceSave < this.saveFreq) return;
    this.batchesSinceSave = 0;
    await this.save(this.currentEpoch, batch, logs ?? {});
  }

  override async onEpochEnd(epoch: number, logs?: Logs): Promise<void> {
    this.direction ??= resolveMode(this.mode, this.monitor, this.model, "ModelCheckpoint");
    if (this.saveFreq === "epoch") await this.save(epoch, null, logs ?? {});
  }

  private improves(current: number): boolean {
    if (this.best === null) return true;
    this.direction ??= resolveMode(this.mode, this.monitor, this.model, "ModelCheckpoint");
    return this.direction === "min" ? current < this.best : current > this.best;
  }

  private shouldSave(epoch: number, logs: Logs, path: string): boolean {
    const print = (text: string) => this.verbose > 0 && getOutput().write(`\nEpoch ${epoch + 1}: ${text}\n`);
    if (!this.saveBestOnly) {
      print(`saving model to ${path}`);
      return true;
    }
    const current = logs[this.monitor];
    if (current === undefined) {
      warn(`ModelCheckpoint can save the best model only when "${this.monitor}" is in the logs; saving anyway.`);
      return true;
    }
    const bestText = this.best === null ? "None" : this.best.toFixed(5);
    if (this.improves(current)) {
      print(`${this.monitor} improved from ${bestText} to ${current.toFixed(5)}, saving model to ${path}`);
      this.best = current;
      return true;
    }
    print(`${this.monitor} did not improve from ${bestText}`);
    return false;
  }

  private async save(epoch: number, batch: number | null, logs: Logs): Promise<void> {
    const values: Record<string, number> = { ...logs, epoch: epoch + 1 };
    if (batch !== null && !("batch" in logs)) values["batch"] = batch + 1;
    const path = formatPathTemplate(this.filepath, values);
    if (!this.shouldSave(epoch, logs, path)) return;
    if (existsSync(path) && statSync(path).isDirectory()) {
      throw new StratumError(`ModelCheckpoint cannot save to "${path}": it is a directory. Give a file path.`);
    }
    mkdirSync(dirname(path), { recursive: true });
    if (this.saveWeightsOnly) await this.model!.saveWeights(path);
    else await this.model!.save(path);
    if (this.verbose > 0) getOutput().write(`\nEpoch ${epoch + 1}: finished saving model to ${path}\n`);
  }
}

export interface BackupAndRestoreOptions {
  /** "epoch" backs up after every epoch; a number, every that many batches. Default "epoch". */
  saveFreq?: "epoch" | number;
  /** Keep the previous backup too, and fall back to it when the latest one cannot be read. Default false. */
  doubleCheckpoint?: boolean;
  /** Delete the backup folder when training finishes. Default true. */
  deleteCheckpoint?: boolean;
}

/**
 * Backs up the weights and optimizer state during training and, when `fit`
 * starts again after an interruption, restores them and resumes at the
 * epoch after the last backup, as Keras's BackupAndRestore does. The backup
 * is `latest.weights.h5` and `training_metadata.json` in `backupDir`.
 */
export class BackupAndRestore extends Callback {
  readonly backupDir: string;
  readonly saveFreq: "epoch" | number;
  readonly doubleCheckpoint: boolean;
  readonly deleteCheckpoint: boolean;
  private readonly weightsPath: string;
  private readonly metadataPath: string;
  private currentEpoch = 0;
  private lastBatch = 0;
  private batchesSinceSave = 0;

  constructor(backupDir: string, options: BackupAndRestoreOptions = {}) {
    super();
    checkOptionKeys(options, ["saveFreq", "doubleCheckpoint", "deleteCheckpoint"], "BackupAndRestore", (m) => new ValueError(m));
    if (typeof backupDir !== "string" || backupDir === "") {
      throw new ValueError(`BackupAndRestore needs a backup folder, received ${JSON.stringify(backupDir)}.`);
    }
    this.backupDir = backupDir;
    this.saveFreq = options.saveFreq ?? "epoch";
    if (this.saveFreq !== "epoch" && !(Number.isInteger(this.saveFreq) && this.saveFreq > 0)) {
      throw new ValueError(`Invalid \`saveFreq\` for BackupAndRestore: expected "epoch" or a positive integer, received ${JSON.stringify(this.saveFreq)}.`);
    }
    this.doubleCheckpoint = options.doubleCheckpoint ?? false;
    this.deleteCheckpoint = options.deleteCheckpoint ?? true;
    this.weightsPath = join(backupDir, "latest.weights.h5");
    this.metadataPath = join(backupDir, "training_metadata.json");
  }

  override async onTrainBegin(): Promise<void> {
    try {
      await this.restore();
    } catch (error) {
      const previous = `${this.weightsPath}.bkp`;
      if (!existsSync(previous)) throw error;
      copyFileSync(previous, this.weightsPath);
      if (existsSync(`${this.metadataPath}.bkp`)) copyFileSync(`${this.metadataPath}.bkp`, this.metadataPath);
      else rmSync(this.metadataPath, { force: true });
      await this.restore();
    }
  }

  private async restore(): Promise<void> {
    const model = this.model!;
    if (!model.built) {
      throw new ValueError(`BackupAndRestore needs a built model before fit: model "${model.name}" is not built. Start it with an Input, or call it on a batch first.`);
    }
    if (existsSync(this.weightsPath)) {
      const optimizer = model.optimizer;
      if (optimizer !== null && !optimizer.built) optimizer.build(model.trainableWeights);
      await model.loadWeights(this.weightsPath);
    }
    if (existsSync(this.metadataPath)) {
      const metadata = JSON.parse(readFileSync(this.metadataPath, "utf8")) as { epoch?: unknown };
      if (typeof metadata.epoch !== "number" || !Number.isInteger(metadata.epoch) || metadata.epoch < 0) {
        throw new StratumError(`The backup metadata "${this.metadataPath}" has no valid epoch; delete the folder to start over.`);
      }
      model.resumeEpoch = metadata.epoch;
    }
  }

  override async onEpochEnd(epoch: number): Promise<void> {
    this.currentEpoch = epoch + 1;
    this.lastBatch = 0;
    if (this.saveFreq === "epoch") await this.backup();
  }

  override async onTrainBatchEnd(batch: number): Promise<void> {
    if (this.saveFreq === "epoch") return;
    this.batchesSinceSave += batch <= this.lastBatch ? batch + 1 : batch - this.lastBatch;
    this.lastBatch = batch;
    if (this.batchesSinceSave < this.saveFreq) return;
    this.batchesSinceSave = 0;
    await this.backup();
  }

  private async backup(): Promise<void> {
    mkdirSync(this.backupDir, { recursive: true });
    if (this.doubleCheckpoint && existsSync(this.weightsPath)) copyFileSync(this.weightsPath, `${this.weightsPath}.bkp`);
    if (this.doubleCheckpoint && existsSync(this.metadataPath)) copyFileSync(this.metadataPath, `${this.metadataPath}.bkp`);
    await this.model!.saveWeights(this.weightsPath);
    writeFileSync(this.metadataPath, JSON.stringify({ epoch: this.currentEpoch, batch: this.lastBatch }));
  }

  override onTrainEnd(): void {
    if (this.deleteCheckpoint && existsSync(this.backupDir)) rmSync(this.backupDir, { recursive: true, force: true });
  }
}
