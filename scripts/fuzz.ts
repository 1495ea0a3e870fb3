/**
 * `npm run fuzz`: a coverage-guided mutation fuzzer over every model-file
 * entry point (`loadModel` on `.keras` and legacy `.h5` bytes,
 * `loadWeights` on `.weights.h5` bytes, the config.json inside a `.keras`
 * archive, `Model.fromConfig` and `deserialize`).
 *
 * Seeds are the real Keras files in test/fixtures/keras-real/ and models
 * Stratum writes. Each input must load or be rejected with a StratumError
 * within FUZZ_TIMEOUT_MS, and may not grow the process's resident memory by
 * more than FUZZ_MEMORY_MB while it runs. Any other outcome is a finding:
 * the input is saved under test/fixtures/fuzz/, where a regression test
 * runs it in every `npm test`. A mutant joins the corpus when it reaches a
 * V8 code block under src/ that no input reached before, or ends in an
 * error message not seen before.
 *
 * Environment variables (all optional):
 *   FUZZ_SECONDS       time budget in seconds (default 180)
 *   FUZZ_ITERATIONS    stop after this many executions (default: no limit)
 *   FUZZ_SEED          seed of the mutation sequence (default 1)
 *   FUZZ_TARGETS       comma-separated subset of the targets
 *   FUZZ_TIMEOUT_MS    time bound per input in milliseconds (default 20000)
 *   FUZZ_HDF5_TIMEOUT_MS  limit given to the HDF5 parser per file (default 5000)
 *   FUZZ_MEMORY_MB     resident-memory growth bound per input in MiB (default 1024)
 *   FUZZ_COVERAGE      0 to turn coverage guidance off (default 1)
 *   FUZZ_SAVE          0 to report findings without saving them (default 1)
 */

import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { strFromU8, unzipSync, zipSync } from "fflate";
import { Random, classNamesIn, mutateBytes, mutateHdf5, mutateJson, mutateZip, splice } from "./fuzz/mutate.js";
import { type FuzzInput, buildSeeds } from "./fuzz/seeds.js";
import { TARGETS, type TargetName, withConfig } from "./fuzz/targets.js";
import type { ExecReply, ExecRequest } from "./fuzz/worker.js";

function numberFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number, received ${JSON.stringify(raw)}.`);
  return value;
}

const settings = {
  seconds: numberFromEnv("FUZZ_SECONDS", 180),
  iterations: numberFromEnv("FUZZ_ITERATIONS", Infinity),
  seed: numberFromEnv("FUZZ_SEED", 1),
  timeoutMs: numberFromEnv("FUZZ_TIMEOUT_MS", 20_000),
  hdf5TimeoutMs: numberFromEnv("FUZZ_HDF5_TIMEOUT_MS", 5_000),
  memoryMb: numberFromEnv("FUZZ_MEMORY_MB", 1024),
  coverage: process.env["FUZZ_COVERAGE"] !== "0",
  save: process.env["FUZZ_SAVE"] !== "0",
  targets: (process.env["FUZZ_TARGETS"] ?? TARGETS.join(",")).split(",").map((t) => t.trim()) as TargetName[],
};
for (const target of settings.targets) {
  if (!TARGETS.includes(target)) throw new Error(`Unknown fuzz target "${target}"; valid targets: ${TARGETS.join(", ")}.`);
}

const root = new URL("..", import.meta.url).pathname;
const findingsDirectory = join(root, "test/fixtures/fuzz");
const sourceRoot = new URL("../src/", import.meta.url).href;

/** Corpus entries larger than this are not kept (the seeds are at most 2.3 MB). */
const MAX_CORPUS_INPUT_BYTES = 8 * 1024 * 1024;
const MAX_CORPUS_BYTES = 256 * 1024 * 1024;

type Failure = { kind: "error"; errorName: string; message: string; stack: string } | { kind: "hang" | "crash" | "memory"; message: string };

class Executor {
  private worker: Worker | null = null;
  private nextId = 0;
  restarts = 0;

  constructor(private readonly bases: Map<string, Uint8Array>) {}

  private async start(): Promise<Worker> {
    // Node 20 does not run `--import tsx` in worker threads, so the thread registers tsx itself before loading the TypeScript module.
    const workerUrl = new URL("./fuzz/worker.ts", import.meta.url).href;
    const bootstrap = `import("tsx/esm/api").then(({ register }) => { register(); return import(${JSON.stringify(workerUrl)}); })`;
    const worker = new Worker(bootstrap, {
      eval: true,
      workerData: { bases: this.bases, hdf5TimeoutMs: settings.hdf5TimeoutMs, coverage: settings.coverage, sourceRoot },
      resourceLimits: { maxOldGenerationSizeMb: settings.memoryMb },
      stderr: true,
    });
    await new Promise<void>((resolve, reject) => {
      worker.once("message", () => resolve());
      worker.once("error", reject);
    });
    this.worker = worker;
    return worker;
  }

  private async stop(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    this.restarts++;
    if (worker) await worker.terminate();
  }

  /** Runs one input; a hang, a crash of the thread or memory past the bound ends the thread, and the next input gets a fresh one. */
  async run(input: FuzzInput): Promise<ExecReply | Failure> {
    const worker = this.worker ?? (await this.start());
    const id = ++this.nextId;
    const startRss = process.memoryUsage.rss();
    const result = await new Promise<ExecReply | Failure>((resolve) => {
      const finish = (value: ExecReply | Failure) => {
        clearTimeout(timer);
        clearInterval(sampler);
        worker.off("message", onMessage);
        worker.off("error", onError);
        worker.off("exit", onExit);
        resolve(value);
      };
      const timer = setTimeout(() => finish({ kind: "hang", message: `no result after ${settings.timeoutMs} ms` }), settings.timeoutMs);
      const sampler = setInterval(() => {
        const growth = (process.memoryUsage.rss() - startRss) / 1024 ** 2;
        if (growth > settings.memoryMb) finish({ kind: "memory", message: `resident memory grew by ${growth.toFixed(0)} MiB` });
      }, 50);
      const onMessage = (reply: ExecReply) => {
        if (reply.id === id) finish(reply);
      };
      const onError = (error: Error) => {
        const memory = (error as NodeJS.ErrnoException).code === "ERR_WORKER_OUT_OF_MEMORY";
        finish({ kind: memory ? "memory" : "crash", message: `${error.name}: ${error.message}` });
      };
      const onExit = (code: number) => finish({ kind: "crash", message: `the execution thread exited with code ${code}` });
      worker.on("message", onMessage);
      worker.once("error", onError);
      worker.once("exit", onExit);
      const request: ExecRequest = { id, target: input.target, bytes: input.bytes, base: input.base };
      worker.postMessage(request);
    });
    if (!("id" in result)) await this.stop();
    return result;
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    if (worker) await worker.terminate();
  }
}

function isZip(bytes: Uint8Array): boolean {
  return bytes[0] === 0x50 && bytes[1] === 0x4b;
}

/** Applies a member-level edit to the HDF5 weights inside a `.keras` archive, so mutants get past the zip layer. */
function mutateWeightsMember(random: Random, bytes: Uint8Array): Uint8Array {
  let members: Record<string, Uint8Array>;
  try {
    members = unzipSync(bytes);
  } catch {
    return mutateZip(random, bytes);
  }
  const weights = members["model.weights.h5"];
  if (!weights) return mutateZip(random, bytes);
  members["model.weights.h5"] = random.chance(0.6) ? mutateHdf5(random, weights) : mutateBytes(random, weights);
  return zipSync(members, { level: 0 });
}

function mutateConfigText(random: Random, bytes: Uint8Array, knownClassNames: readonly string[]): Uint8Array {
  const mutated = random.chance(0.9) ? mutateJson(random, strFromU8(bytes), knownClassNames) : null;
  return mutated === null ? mutateBytes(random, bytes) : new TextEncoder().encode(mutated);
}

/** Derives one mutant from `parent`; `others` supplies splice partners of the same target. */
function mutate(random: Random, parent: FuzzInput, others: readonly FuzzInput[], knownClassNames: readonly string[]): FuzzInput {
  let bytes = parent.bytes;
  const rounds = random.chance(0.25) ? 2 + random.below(3) : 1;
  for (let round = 0; round < rounds; round++) {
    const roll = random.next();
    if (roll < 0.08 && others.length > 1) {
      bytes = splice(random, bytes, random.pick(others).bytes);
      continue;
    }
    switch (parent.target) {
      case "loadModel":
        if (isZip(bytes)) bytes = roll < 0.4 ? mutateZip(random, bytes) : roll < 0.7 ? mutateWeightsMember(random, bytes) : mutateBytes(random, bytes);
        else bytes = roll < 0.55 ? mutateHdf5(random, bytes) : mutateBytes(random, bytes);
        break;
      case "loadWeights":
        bytes = roll < 0.55 ? mutateHdf5(random, bytes) : mutateBytes(random, bytes);
        break;
      default:
        bytes = mutateConfigText(random, bytes, knownClassNames);
    }
  }
  return { target: parent.target, bytes, base: parent.base, origin: parent.origin };
}

/** Error messages with numbers and quoted names blanked, so that one check reached with other values counts once. */
function messageSignature(target: string, errorName: string, message: string): string {
  const shape = message.replace(/"[^"]*"/g, '""').replace(/\d+(\.\d+)?(e[+-]?\d+)?/g, "N").slice(0, 160);
  return `${target}|${errorName}|${shape}`;
}

/** The first stack frame inside src/, which separates findings of one bug from findings of another. */
function firstSourceFrame(stack: string): string {
  const frame = stack.split("\n").find((line) => line.includes("/src/"));
  return frame ? frame.trim().replace(/:\d+\)?$/, "") : "";
}

function describeFailure(failure: Failure): string {
  return failure.kind === "error" ? `${failure.errorName}: ${failure.message}` : `${failure.kind}: ${failure.message}`;
}

/** Saves a finding as a self-contained regression case: the input, its base model when it needs one, and a description. */
function saveFinding(input: FuzzInput, failure: Failure, bases: Map<string, Uint8Array>): string {
  let target = input.target;
  let bytes = input.bytes;
  if (target === "config.json") {
    target = "loadModel";
    bytes = withConfig(bases.get(input.base!)!, input.bytes);
  }
  const id = `${target.replace(/\W/g, "-")}-${createHash("sha256").update(bytes).digest("hex").slice(0, 12)}`;
  mkdirSync(findingsDirectory, { recursive: true });
  writeFileSync(join(findingsDirectory, `${id}.bin`), bytes);
  let model: string | undefined;
  if (target === "loadWeights") {
    model = input.base!.startsWith("keras-real/") ? `../${input.base}` : `${id}.model.keras`;
    if (!input.base!.startsWith("keras-real/")) writeFileSync(join(findingsDirectory, model), bases.get(input.base!)!);
  }
  const stack = failure.kind === "error" ? failure.stack.split("\n").slice(1, 6).map((line) => line.trim().replace(`file://${root}`, "")) : [];
  if (existsSync(join(findingsDirectory, `${id}.json`))) return id;
  const record = { target, input: `${id}.bin`, ...(model ? { model } : {}), origin: input.origin, found: describeFailure(failure).slice(0, 500), stack };
  writeFileSync(join(findingsDirectory, `${id}.json`), `${JSON.stringify(record, null, 2)}\n`);
  return id;
}

interface Finding {
  id: string | null;
  count: number;
  description: string;
  target: TargetName;
  /** Why a saved finding is still open (the `todo` of its record), so repeats are counted but not saved again. */
  todo?: string;
}

/** Open findings saved by earlier runs, keyed as `consider` keys findings. */
function openFindings(): Map<string, Finding> {
  const open = new Map<string, Finding>();
  if (!existsSync(findingsDirectory)) return open;
  for (const name of readdirSync(findingsDirectory).filter((n) => n.endsWith(".json"))) {
    const record = JSON.parse(readFileSync(join(findingsDirectory, name), "utf8")) as { target: TargetName; found: string; stack?: string[]; todo?: string };
    if (record.todo === undefined) continue;
    const errorName = record.found.slice(0, record.found.indexOf(":"));
    const key = `${record.target}|${errorName}|${firstSourceFrame((record.stack ?? []).join("\n"))}`;
    open.set(key, { id: name.slice(0, -".json".length), count: 0, description: record.found, target: record.target, todo: record.todo });
  }
  return open;
}

async function main(): Promise<void> {
  const random = new Random(settings.seed);
  const { seeds, bases } = await buildSeeds(join(root, "test/fixtures/keras-real"));
  const corpus = new Map<TargetName, FuzzInput[]>();
  for (const seed of seeds) {
    if (settings.targets.includes(seed.target)) corpus.set(seed.target, [...(corpus.get(seed.target) ?? []), seed]);
  }
  const knownClassNames = [...new Set(seeds.flatMap((s) => (s.target === "Model.fromConfig" ? classNamesIn(strFromU8(s.bytes)) : [])))];
  let corpusBytes = seeds.reduce((total, s) => total + s.bytes.length, 0);

  const executor = new Executor(bases);
  const blocks = new Set<string>();
  const messages = new Set<string>();
  const findings = openFindings();
  const counts = { executions: 0, loaded: 0, rejected: 0, findings: 0 };
  const perTarget = new Map<TargetName, number>();

  const consider = (input: FuzzInput, reply: ExecReply | Failure, isSeed: boolean): void => {
    counts.executions++;
    perTarget.set(input.target, (perTarget.get(input.target) ?? 0) + 1);
    let failure: Failure | null = null;
    let interesting = false;
    if ("id" in reply) {
      for (const block of reply.newBlocks) {
        if (!blocks.has(block)) {
          blocks.add(block);
          interesting = true;
        }
      }
      const outcome = reply.outcome;
      if (outcome.kind === "loaded") counts.loaded++;
      else if (outcome.kind === "rejected") counts.rejected++;
      else failure = { kind: "error", errorName: outcome.errorName, message: outcome.message, stack: outcome.stack };
      if (outcome.kind !== "loaded") {
        const signature = messageSignature(input.target, outcome.errorName, outcome.message);
        if (!messages.has(signature)) {
          messages.add(signature);
          interesting = true;
        }
      }
    } else {
      failure = reply;
    }
    if (failure) {
      counts.findings++;
      const key = failure.kind === "error" ? `${input.target}|${failure.errorName}|${firstSourceFrame(failure.stack)}` : `${input.target}|${failure.kind}`;
      const known = findings.get(key);
      if (known) {
        known.count++;
      } else {
        const id = settings.save ? saveFinding(input, failure, bases) : null;
        findings.set(key, { id, count: 1, description: describeFailure(failure).slice(0, 300), target: input.target });
        console.log(`finding (${input.target}, from ${input.origin}): ${describeFailure(failure).slice(0, 300)}${id ? ` -> test/fixtures/fuzz/${id}.bin` : ""}`);
      }
    }
    if (interesting && !isSeed && input.bytes.length <= MAX_CORPUS_INPUT_BYTES && corpusBytes + input.bytes.length <= MAX_CORPUS_BYTES) {
      corpus.get(input.target)!.push(input);
      corpusBytes += input.bytes.length;
    }
  };

  const started = Date.now();
  for (const seed of seeds) {
    if (settings.targets.includes(seed.target)) consider(seed, await executor.run(seed), true);
  }
  const targets = settings.targets.filter((t) => (corpus.get(t)?.length ?? 0) > 0);
  let lastReport = Date.now();
  while (counts.executions < settings.iterations && Date.now() - started < settings.seconds * 1000) {
    const target = targets[counts.executions % targets.length]!;
    const pool = corpus.get(target)!;
    const input = mutate(random, random.pick(pool), pool, knownClassNames);
    consider(input, await executor.run(input), false);
    if (Date.now() - lastReport > 15_000) {
      lastReport = Date.now();
      const elapsed = (Date.now() - started) / 1000;
      console.log(
        `${elapsed.toFixed(0)} s: ${counts.executions} executions (${(counts.executions / elapsed).toFixed(1)}/s), ` +
          `${counts.loaded} loaded, ${counts.rejected} rejected, ${counts.findings} findings, ` +
          `corpus ${[...corpus.values()].reduce((n, c) => n + c.length, 0)}, blocks ${blocks.size}, messages ${messages.size}`,
      );
    }
  }
  await executor.close();

  const elapsed = (Date.now() - started) / 1000;
  console.log(`\nFuzzed for ${elapsed.toFixed(0)} s with seed ${settings.seed}, coverage guidance ${settings.coverage ? "on" : "off"}.`);
  console.log(`Executions: ${counts.executions} (${[...perTarget].map(([t, n]) => `${t} ${n}`).join(", ")}).`);
  const found = [...findings.values()].filter((f) => f.count > 0);
  const fresh = found.filter((f) => f.todo === undefined);
  console.log(
    `Outcomes: ${counts.loaded} loaded, ${counts.rejected} rejected cleanly, ${counts.findings} findings in ${found.length} distinct kinds ` +
      `(${found.length - fresh.length} of them open from earlier runs).`,
  );
  console.log(`Corpus: ${seeds.length} seeds, ${[...corpus.values()].reduce((n, c) => n + c.length, 0)} inputs kept; ${blocks.size} code blocks, ${messages.size} distinct error messages.`);
  console.log(`Execution thread restarts (after hangs, crashes or memory): ${executor.restarts}. Resident memory at the end: ${(process.memoryUsage.rss() / 1024 ** 2).toFixed(0)} MiB.`);
  for (const finding of found) {
    const open = finding.todo === undefined ? "" : ` [open: ${finding.todo}]`;
    console.log(`  ${finding.count}x ${finding.target}: ${finding.description}${finding.id ? ` (test/fixtures/fuzz/${finding.id}.bin)` : ""}${open}`);
  }
  process.exitCode = fresh.length > 0 ? 1 : 0;
}

await main();
