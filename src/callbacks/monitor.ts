import { ValueError, formatChoices } from "../errors.js";
import { warn } from "../logger.js";
import type { Model } from "../models/model.js";
import type { Logs } from "./callback.js";

export type MonitorMode = "auto" | "min" | "max";

const MODES: readonly MonitorMode[] = ["auto", "min", "max"];

/** Checks a callback's `mode` option. */
export function checkMode(mode: unknown, owner: string): MonitorMode {
  if (!MODES.includes(mode as MonitorMode)) {
    throw new ValueError(`Invalid \`mode\` for ${owner}: expected one of ${formatChoices(MODES)}, received ${JSON.stringify(mode)}.`);
  }
  return mode as MonitorMode;
}

/**
 * Resolves "auto" as Keras 3 does for EarlyStopping and ModelCheckpoint: a
 * key that ends in "loss" is minimized, and any other key takes the
 * direction of the compiled metric that reports under it.
 */
export function resolveMode(mode: MonitorMode, monitor: string, model: Model | null, owner: string): "min" | "max" {
  if (mode !== "auto") return mode;
  if (monitor.endsWith("loss")) return "min";
  const direction = model?.metricDirection(monitor) ?? null;
  if (direction !== null) return direction;
  throw new ValueError(
    `${owner} cannot tell whether "${monitor}" should go up or down, because no compiled metric reports under that name. Pass mode: "max" or mode: "min".`,
  );
}

/** Reads the monitored value from `logs`, warning once per call when it is missing. */
export function monitorValue(logs: Logs | undefined, monitor: string, owner: string): number | null {
  const value = logs?.[monitor];
  if (value === undefined) {
    const available = Object.keys(logs ?? {});
    warn(`${owner} monitors "${monitor}", which is not in the logs. Available keys: ${available.length > 0 ? formatChoices(available) : "none"}.`);
    return null;
  }
  return value;
}
