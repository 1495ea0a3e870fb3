import { appendFileSync, closeSync, existsSync, openSync, readFileSync, writeSync } from "node:fs";
import { ValueError } from "../errors.js";
import { Callback, type Logs } from "./callback.js";
import { checkOptionKeys } from "../utils/suggest.js";

/**
 * Formats a number as Python's `repr` of a float does (which is what Keras's
 * CSV files and messages contain): the shortest digits that read back to the
 * same double, in exponent form below 1e-4 and from 1e16 on, and with ".0"
 * on whole numbers.
 */
export function formatPythonFloat(value: number): string {
  if (Number.isNaN(value)) return "nan";
  if (!Number.isFinite(value)) return value > 0 ? "inf" : "-inf";
  if (value === 0) return Object.is(value, -0) ? "-0.0" : "0.0";
  const [mantissa, exponentText] = value.toExponential().split("e") as [string, string];
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 16) {
    const sign = exponent < 0 ? "-" : "+";
    return `${mantissa}e${sign}${String(Math.abs(exponent)).padStart(2, "0")}`;
  }
  const negative = mantissa.startsWith("-");
  const digits = mantissa.replace("-", "").replace(".", "");
  let text: string;
  if (exponent >= 0) {
    const whole = digits.slice(0, exponent + 1).padEnd(exponent + 1, "0");
    const fraction = digits.slice(exponent + 1);
    text = `${whole}.${fraction === "" ? "0" : fraction}`;
  } else {
    text = `0.${"0".repeat(-exponent - 1)}${digits}`;
  }
  return negative ? `-${text}` : text;
}

export interface CSVLoggerOptions {
  /** Column separator. Default ",". */
  separator?: string;
  /** Add to an existing file instead of replacing it. Default false. */
  append?: boolean;
}

/**
 * Writes one CSV row per epoch: the epoch number and every log value, with
 * columns in sorted key order, as Keras's CSVLogger does. When the first
 * epoch has no validation keys, matching `val_` columns are added and filled
 * with NA until validation runs.
 */
export class CSVLogger extends Callback {
  readonly filename: string;
  readonly separator: string;
  readonly append: boolean;
  private keys: string[] | null = null;
  private file: number | null = null;
  private writeHeader = true;

  constructor(filename: string, options: CSVLoggerOptions = {}) {
    super();
    if (typeof filename !== "string" || filename === "") {
      throw new ValueError(`CSVLogger needs a file name, received ${JSON.stringify(filename)}.`);
    }
    checkOptionKeys(options, ["separator", "append"], "CSVLogger", (m) => new ValueError(m));
    this.filename = filename;
    this.separator = options.separator ?? ",";
    this.append = options.append ?? false;
  }

  override onTrainBegin(): void {
    this.keys = null;
    this.writeHeader = !(this.append && existsSync(this.filename) && readFileSync(this.filename, "utf8").length > 0);
    this.file = openSync(this.filename, this.append ? "a" : "w");
  }

  private quote(text: string): string {
    return /["\r\n]/.test(text) || text.includes(this.separator) ? `"${text.replaceAll('"', '""')}"` : text;
  }

  override onEpochEnd(epoch: number, logs: Logs = {}): void {
    if (this.keys === null) {
      this.keys = Object.keys(logs).sort((a, b) => (a === b ? 0 : a < b ? -1 : 1));
      if (!this.keys.some((k) => k.startsWith("val_"))) this.keys.push(...this.keys.map((k) => `val_${k}`));
    }
    const lines: string[] = [];
    if (this.writeHeader) {
      lines.push(["epoch", ...this.keys].map((k) => this.quote(k)).join(this.separator));
      this.writeHeader = false;
    }
    const values = this.keys.map((key) => (key in logs ? formatPythonFloat(logs[key]!) : "NA"));
    lines.push([String(epoch), ...values].join(this.separator));
    const text = lines.map((line) => line + "\r\n").join("");
    if (this.file !== null) writeSync(this.file, text);
    else appendFileSync(this.filename, text);
  }

  override onTrainEnd(): void {
    if (this.file !== null) closeSync(this.file);
    this.file = null;
  }
}
