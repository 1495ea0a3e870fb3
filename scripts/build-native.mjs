// Builds the native backend with node-gyp during `npm install` and `npm ci`.
// A failed build does not fail the install (the script exits 0 on every path):
// it prints one line and Stratum uses its TypeScript backend instead.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(dirname(fileURLToPath(import.meta.url)));

if (process.env.STRATUM_SKIP_NATIVE === "1") {
  console.log("stratum: STRATUM_SKIP_NATIVE=1, so the native backend was not built; the TypeScript backend will be used.");
  process.exit(0);
}

// npm points npm_config_node_gyp at the node-gyp it bundles; otherwise try one on the PATH.
const gypScript = process.env.npm_config_node_gyp;
const [command, args] =
  gypScript && existsSync(gypScript) ? [process.execPath, [gypScript, "rebuild"]] : ["node-gyp", ["rebuild"]];

const result = spawnSync(command, args, { cwd: root, encoding: "utf8", shell: false });
const built = existsSync(join(root, "build", "Release", "stratum_native.node"));
if (result.status === 0 && built) process.exit(0);

/** Picks the line of the build output that explains the failure: a compiler or node-gyp error if there is one. */
function failureReason() {
  if (result.error) return result.error.message;
  const lines = `${result.stderr ?? ""}\n${result.stdout ?? ""}`.split("\n").map((line) => line.trim());
  const specific = lines.find((line) => /error/i.test(line) && !/^gyp ERR! (not ok|stack|System|command|cwd|node)/.test(line));
  return specific ?? `node-gyp exited with code ${result.status}`;
}

const reason = failureReason();
console.log(
  `stratum: the native backend could not be built (${reason}); the TypeScript backend will be used. ` +
    "Rebuild with `npm rebuild stratum-ml` once a C compiler and Node's headers are installed.",
);
process.exit(0);
