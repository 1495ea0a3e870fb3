/**
 * Keras 3's progress bar and its per-epoch line.
 *
 * verbose 1 draws `12/250 ━━━━━━━━━━━━━━━━━━━━ 3s 12ms/step - loss: 0.3120`
 * and redraws it in place on a terminal. When stdout is not a terminal, only
 * each final line is printed, with no carriage returns and no colour.
 * verbose 2 prints one line per epoch: `250/250 - 3s - 12ms/step - loss: 0.3120`.
 */

import { Callback, type Logs } from "./callback.js";

const BAR_WIDTH = 20;
const REDRAW_INTERVAL_SECONDS = 0.05;

/** The output stream the bar writes to; tests replace it. */
export interface TextOutput {
  write(text: string): unknown;
  isTTY?: boolean;
}

let defaultOutput: TextOutput = process.stdout;

/** Replaces the stream that progress bars, `summary()` and verbose lines go to; returns the previous one. */
export function setOutput(output: TextOutput): TextOutput {
  const previous = defaultOutput;
  defaultOutput = output;
  return previous;
}

export function getOutput(): TextOutput {
  return defaultOutput;
}

/** Formats a metric value as Keras does: 4 decimals, or exponent form for small values. */
export function formatValue(value: number, verbose: number): string {
  const small = verbose === 2 ? !(value > 1e-3) : !(Math.abs(value) > 1e-3);
  if (!small || Number.isNaN(value)) return value.toFixed(4);
  const [mantissa, exponent] = value.toExponential(4).split("e") as [string, string];
  const sign = exponent.startsWith("-") ? "-" : "+";
  const digits = exponent.replace(/^[+-]/, "").padStart(2, "0");
  return `${mantissa}e${sign}${digits}`;
}

/** Formats seconds per step as Keras does (`12ms/step`). */
export function formatTimePerStep(seconds: number, unit = "step"): string {
  if (seconds >= 1 || seconds === 0) return `${seconds.toFixed(0)}s/${unit}`;
  if (seconds >= 1e-3) return `${(seconds * 1e3).toFixed(0)}ms/${unit}`;
  return `${(seconds * 1e6).toFixed(0)}us/${unit}`;
}

function formatEta(seconds: number): string {
  const s = Math.floor(seconds);
  if (seconds > 3600) return `${Math.floor(s / 3600)}:${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
  if (seconds > 60) return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
  return `${s}s`;
}

export class Progbar {
  /** Total steps, or null when unknown, in which case the bar shows `12/Unknown` and no bar. */
  private readonly target: number | null;
  private readonly verbose: number;
  private readonly output: TextOutput;
  private readonly dynamic: boolean;
  private readonly start = performance.now() / 1000;
  private timeAfterFirstStep: number | null = null;
  private lastRedraw = 0;
  private previousWidth = 0;

  constructor(target: number | null, options: { verbose?: number; output?: TextOutput } = {}) {
    this.target = target;
    this.verbose = options.verbose ?? 1;
    this.output = options.output ?? defaultOutput;
    this.dynamic = this.output.isTTY === true;
  }

  private stepDuration(current: number, now: number): number {
    if (current === 0) return 0;
    const perStep =
      this.timeAfterFirstStep !== null && current > 1
        ? (now - this.timeAfterFirstStep) / (current - 1)
        : (now - this.start) / current;
    if (current === 1) this.timeAfterFirstStep = now;
    return perStep;
  }

  /** Shows progress at step `current` with the given values; `finalize` ends the line. */
  update(current: number, values: Logs, finalize = this.target !== null && current >= this.target): void {
    const now = performance.now() / 1000;
    const perStep = this.stepDuration(current, now);
    const target = this.target;
    const count = target === null ? `${String(current).padStart(7)}/Unknown` : `${String(current).padStart(String(target).length)}/${target}`;
    const metrics = Object.entries(values)
      .map(([key, value]) => ` - ${key}: ${formatValue(value, this.verbose)}`)
      .join("");
    if (this.verbose === 2) {
      if (finalize) {
        this.output.write(`${count} - ${(now - this.start).toFixed(0)}s - ${formatTimePerStep(perStep)}${metrics}\n`);
      }
      return;
    }
    if (this.verbose !== 1) return;
    if (!this.dynamic && !finalize) return;
    if (this.dynamic && !finalize && now - this.lastRedraw < REDRAW_INTERVAL_SECONDS) return;
    this.lastRedraw = now;
    const time =
      finalize || target === null ? `${(now - this.start).toFixed(0)}s` : formatEta(perStep * (target - current));
    const color = (code: string, text: string): string => (this.dynamic ? `\x1b[${code}m${text}\x1b[0m` : text);
    let bar = color("1", count);
    if (target !== null) {
      const done = Math.min(BAR_WIDTH, Math.floor((BAR_WIDTH * current) / target));
      bar += " ";
      if (done > 0) bar += color("32", "━".repeat(done));
      if (done < BAR_WIDTH) bar += color("37", "━".repeat(BAR_WIDTH - done));
    }
    let line = `${bar} ${color("1", time)} ${formatTimePerStep(perStep)}${metrics}`;
    const visibleWidth = line.replace(/\x1b\[[0-9;]*m/g, "").length;
    if (this.previousWidth > visibleWidth) line += " ".repeat(this.previousWidth - visibleWidth);
    this.previousWidth = visibleWidth;
    this.output.write((this.dynamic ? "\r" : "") + line + (finalize ? "\n" : ""));
  }
}

/** Prints the progress bar during `fit`, `evaluate` and `predict`; added automatically when verbose is not 0. */
export class ProgbarLogger extends Callback {
  private progbar: Progbar | null = null;
  private verbose = 1;
  private epochs = 1;
  private inFit = false;
  /** Steps seen so far in the current loop, the total when `params.steps` is unknown. */
  private seen = 0;

  override onTrainBegin(): void {
    this.verbose = this.params.verbose;
    this.epochs = this.params.epochs;
    this.inFit = true;
  }

  override onEpochBegin(epoch: number): void {
    this.progbar = new Progbar(this.params.steps, { verbose: this.verbose });
    this.seen = 0;
    if (this.epochs > 1 && this.verbose !== 0) getOutput().write(`Epoch ${epoch + 1}/${this.epochs}\n`);
  }

  override onTrainBatchEnd(batch: number, logs: Logs = {}): void {
    this.seen = batch + 1;
    this.progbar?.update(batch + 1, logs, false);
  }

  override onEpochEnd(_epoch: number, logs: Logs = {}): void {
    this.progbar?.update(this.params.steps ?? this.seen, logs, true);
  }

  override onTrainEnd(): void {
    this.inFit = false;
  }

  override onTestBegin(): void {
    if (this.inFit) return;
    this.progbar = new Progbar(this.params.steps, { verbose: this.params.verbose });
    this.seen = 0;
  }

  override onTestBatchEnd(batch: number, logs: Logs = {}): void {
    if (this.inFit) return;
    this.seen = batch + 1;
    this.progbar?.update(batch + 1, logs, false);
  }

  override onTestEnd(logs: Logs = {}): void {
    if (!this.inFit) this.progbar?.update(this.params.steps ?? this.seen, logs, true);
  }

  override onPredictBegin(): void {
    this.progbar = new Progbar(this.params.steps, { verbose: this.params.verbose });
    this.seen = 0;
  }

  override onPredictBatchEnd(batch: number): void {
    this.seen = batch + 1;
    this.progbar?.update(batch + 1, {}, false);
  }

  override onPredictEnd(): void {
    this.progbar?.update(this.params.steps ?? this.seen, {}, true);
  }
}
