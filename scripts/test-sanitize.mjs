// Builds the native addon and the C check programs with AddressSanitizer and
// UndefinedBehaviorSanitizer, runs `make -C native check` on the sanitized
// build, then runs the native test files under Node with the sanitized addon.
//
//   npm run test:sanitize                  parity, guard, thread and window tests
//   npm run test:sanitize -- layers/ ops/  the test files whose paths contain these fragments
//
// The sanitized addon goes to build-sanitize/ and the check programs to
// native/build/sanitize/, so the normal build in build/Release is never
// replaced. CC selects the compiler (gcc by default; clang works too).
//
// Node itself is not built with ASan, so the ASan runtime is loaded first
// with LD_PRELOAD. LeakSanitizer is off for the Node runs (detect_leaks=0),
// because Node and V8 keep allocations alive until exit and LeakSanitizer
// reports them; it stays on for the C check programs. Every sanitizer
// report aborts the run, so a report fails the script.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, realpathSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const compiler = process.env.CC || "gcc";
const isClang = /clang/.test(compiler);
const sanitizeFlags = ["-O1", "-g", "-fno-omit-frame-pointer", "-fsanitize=address,undefined", "-fno-sanitize-recover=undefined"];
const defaultTests = ["backend/parity", "backend/native-guards", "backend/native-threads", "backend/window-kernels"];

function fail(message) {
  console.error(`test:sanitize: ${message}`);
  process.exit(1);
}

function run(command, args, options = {}) {
  console.log(`$ ${command} ${args.join(" ")}`);
  const result = spawnSync(command, args, { cwd: root, stdio: "inherit", ...options });
  if (result.error) fail(`${command} could not be started: ${result.error.message}`);
  return result.status ?? 1;
}

function output(command, args) {
  const result = spawnSync(command, args, { encoding: "utf8" });
  return result.status === 0 ? result.stdout.trim() : null;
}

const installHint = isClang
  ? "On Debian, install clang (apt-get install clang) or run with CC=gcc."
  : "On Debian, install gcc, whose package brings libasan and libubsan (apt-get install gcc).";

if (output(compiler, ["--version"]) === null) fail(`the C compiler \`${compiler}\` was not found. ${installHint}`);
if (output("make", ["--version"]) === null) fail("`make` was not found. On Debian, install it with apt-get install make.");

/** Returns the path of the ASan runtime that LD_PRELOAD loads into Node, as the compiler reports it, or null. */
function asanRuntime() {
  const names = isClang ? ["libclang_rt.asan-x86_64.so", "libclang_rt.asan.so"] : ["libasan.so"];
  for (const name of names) {
    const path = output(compiler, [`-print-file-name=${name}`]);
    // The compiler prints the bare name back when it has no such file.
    if (path && path !== name && existsSync(path)) return realpathSync(path);
  }
  return null;
}

const runtime = asanRuntime();
if (runtime === null) fail(`\`${compiler}\` has no AddressSanitizer runtime. ${installHint}`);

/** Returns the directory that contains node_api.h for the running Node version, or null. */
function nodeHeaders() {
  const version = process.version.slice(1);
  const candidates = [
    process.env.npm_config_nodedir && join(process.env.npm_config_nodedir, "include", "node"),
    join(dirname(dirname(process.execPath)), "include", "node"),
    join(homedir(), ".cache", "node-gyp", version, "include", "node"),
    "/usr/include/node",
  ];
  return candidates.find((dir) => dir && existsSync(join(dir, "node_api.h"))) ?? null;
}

const headers = nodeHeaders();
if (headers === null) {
  fail("Node's headers (node_api.h) were not found. Download them with `npx node-gyp install`, or on Debian apt-get install libnode-dev.");
}

/** Drops optimization levels from a flag list, because the sanitized builds use -O1. */
const withoutOptimization = (flags) => flags.filter((flag) => !/^-O/.test(flag));

// The sources and flags come from binding.gyp and native/Makefile, so the sanitized builds compile what the normal ones do.
// binding.gyp is JSON with "#" comment lines, which are dropped before parsing.
const bindingText = readFileSync(join(root, "binding.gyp"), "utf8").replace(/^\s*#.*$/gm, "");
const binding = JSON.parse(bindingText);
const sources = binding.targets[0].sources;
const bindingFlags = withoutOptimization(binding.targets[0].cflags);
const makefileFlags = readFileSync(join(root, "native", "Makefile"), "utf8").match(/^CFLAGS\s*:?=\s*(.*)$/m);
if (makefileFlags === null) fail("native/Makefile has no CFLAGS line to extend with the sanitizer flags.");
const outDir = join(root, "build-sanitize");
const addon = join(outDir, "stratum_native.node");
mkdirSync(outDir, { recursive: true });

console.log(`Building the sanitized addon with ${compiler} into ${addon}`);
if (run(compiler, [...sanitizeFlags, ...bindingFlags, "-shared", "-fPIC", `-I${headers}`, ...sources, "-o", addon, "-lm"]) !== 0) {
  fail(`compiling the sanitized addon failed. ${installHint}`);
}

console.log("Running the C checks sanitized (make -C native check)");
const makeFlags = [...withoutOptimization(makefileFlags[1].trim().split(/\s+/)), ...sanitizeFlags].join(" ");
const checkStatus = run("make", ["-C", "native", "check", `CC=${compiler}`, "BUILD=build/sanitize", `CFLAGS=${makeFlags}`], {
  env: { ...process.env, ASAN_OPTIONS: "detect_leaks=1", UBSAN_OPTIONS: "print_stacktrace=1" },
});
if (checkStatus !== 0) fail("the sanitized C checks failed (see the report above).");

const sanitizedEnv = {
  ...process.env,
  LD_PRELOAD: [runtime, process.env.LD_PRELOAD].filter(Boolean).join(":"),
  ASAN_OPTIONS: "detect_leaks=0",
  UBSAN_OPTIONS: "print_stacktrace=1",
  STRATUM_NATIVE_ADDON: addon,
};

// Tests skip the native backend when it does not load, so a load failure must stop the run here.
const probe = `require(${JSON.stringify(addon)}).info()`;
if (run(process.execPath, ["-e", probe], { env: sanitizedEnv, stdio: ["ignore", "ignore", "inherit"] }) !== 0) {
  fail(`Node could not load ${addon} with ${runtime} preloaded.`);
}

const fragments = process.argv.slice(2);
const tests = fragments.length > 0 ? fragments : defaultTests;
console.log(`Running ${tests.join(", ")} with the sanitized addon`);
const testStatus = run(process.execPath, [join(root, "scripts", "run-tests.mjs"), ...tests], { env: sanitizedEnv });
if (testStatus !== 0) fail("the native tests failed under the sanitizers (see the report above).");
console.log("test:sanitize: the C checks and the native tests passed under AddressSanitizer and UndefinedBehaviorSanitizer.");
