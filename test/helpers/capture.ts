import assert from "node:assert/strict";
import { setLogSink } from "../../src/logger.js";

/** Runs `body` and returns the lines the logger wrote meanwhile. */
export function captureLog(body: () => void): string[] {
  const lines: string[] = [];
  const previous = setLogSink((line) => lines.push(line));
  try {
    body();
  } finally {
    setLogSink(previous);
  }
  return lines;
}

/** Runs `fn`, which must throw, and returns the error's message. */
export function errorMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    return (error as Error).message;
  }
  assert.fail("expected an error");
}
