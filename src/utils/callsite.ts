import { fileURLToPath } from "node:url";
import { dirname } from "node:path";

// The library's own root (src/ when run from sources, dist/ when built).
const libraryRoot = dirname(dirname(fileURLToPath(import.meta.url)));

/**
 * Returns "file:line:column" of the first stack frame outside the library,
 * so a warning can be shown once per place in user code, as Python's
 * default warning filter does.
 */
export function userCallSite(): string {
  const stack = new Error().stack ?? "";
  for (const line of stack.split("\n").slice(1)) {
    const match = /\(?((?:file:\/\/)?[^()\s]+:\d+:\d+)\)?\s*$/.exec(line.trim());
    if (!match) continue;
    const location = match[1]!;
    const path = location.startsWith("file://") ? fileURLToPath(location.replace(/:\d+:\d+$/, "")) : location;
    if (!path.startsWith(libraryRoot) && !path.startsWith("node:")) return location;
  }
  return "unknown";
}
