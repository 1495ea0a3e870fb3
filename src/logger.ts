/**
 * The one place Stratum writes warnings and notices. They go to stderr so
 * that stdout carries only the progress bar, `summary()` and verbose output.
 */

export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";

const levelOrder: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3, silent: 4 };

let currentLevel: LogLevel = "info";
const warnedKeys = new Set<string>();
let sink: (line: string) => void = (line) => {
  process.stderr.write(line + "\n");
};

/** Sets the lowest level that is printed; `"silent"` prints nothing. */
export function setLogLevel(level: LogLevel): void {
  currentLevel = level;
}

export function getLogLevel(): LogLevel {
  return currentLevel;
}

/** Replaces the output function (tests capture warnings this way); returns the previous one. */
export function setLogSink(next: (line: string) => void): (line: string) => void {
  const previous = sink;
  sink = next;
  return previous;
}

function emit(level: LogLevel, message: string): void {
  if (levelOrder[level] >= levelOrder[currentLevel] && currentLevel !== "silent") {
    sink(`stratum ${level}: ${message}`);
  }
}

export function info(message: string): void {
  emit("info", message);
}

export function warn(message: string): void {
  emit("warn", message);
}

/** Warns once per `key` for the life of the process. */
export function warnOnce(key: string, message: string): void {
  if (warnedKeys.has(key)) return;
  warnedKeys.add(key);
  emit("warn", message);
}
