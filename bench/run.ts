/**
 * Training and predict speed of Stratum (native and TypeScript backends)
 * beside TensorFlow.js (cpu and wasm), PyTorch and Keras 3 on JAX, on the
 * same MNIST digits in one run, plus matrix-multiply rates and peak memory.
 *
 * Each framework runs in its own worker process: worker.ts for the Node.js
 * frameworks, peers/torch_worker.py and peers/keras_worker.py for the
 * Python ones. A Python peer that is missing is skipped, with the reason in
 * the report. For every workload, each worker builds the model and runs
 * warm-up passes that are not reported, for the same time in every framework
 * (see DEFAULT_WARMUP_SECONDS). Then the driver requests one timed pass
 * from each worker, round after round, rotating which framework goes first,
 * so slow drift of the machine spreads over all frameworks alike. Only one
 * worker computes at a time.
 *
 * Usage: npm run bench [-- --quick] [--repeats N] [--workloads IDS] [--frameworks IDS] ...
 * The Markdown report goes to stdout; progress lines go to stderr.
 */

import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createSequences, loadMnistDigits, writeMnistFiles, writeSequenceFiles } from "./data.js";
import { measureFmaPeak } from "./fma-peak.js";
import { formatLoad, loadBetween, sampleCpu } from "./load.js";
import { describeMachine, formatReport, machinePeak, summarize, type FrameworkResult, type RunResults } from "./report.js";
import { WorkerHandle, type WorkerCommand } from "./workers.js";
import {
  FRAMEWORKS,
  FRAMEWORK_LABELS,
  GEMM_FRAMEWORKS,
  GEMM_SHAPES,
  WORKLOADS,
  type FrameworkId,
  type Workload,
} from "./workloads.js";

const DEFAULT_TORCH_PYTHON = "/usr/bin/python3";
const DEFAULT_KERAS_PYTHON = "/tmp/ref/bin/python";

/** Maximum wait in seconds for one reply of a worker. The slowest pass of a default run takes about 10 s. */
const REQUEST_TIMEOUT_SECONDS = 600;

/**
 * Warm-up before the timed passes of each workload: passes until this many
 * seconds have passed, at least one and at most MAX_WARMUP_PASSES. Keras on
 * JAX compiles its training step in the first pass, but V8 optimizes
 * Stratum's and TF.js's code over many calls. In 15 one-epoch fits of the
 * batch-32 main job, Stratum native's rate rose from 136,000 samples/s in
 * the first to about 230,000 from the tenth on (Intel Xeon, 2 cores). The
 * targets are for steady epochs, so every framework gets the same time to
 * reach them.
 */
const DEFAULT_WARMUP_SECONDS = 2;
const MAX_WARMUP_PASSES = 50;

/**
 * Idle time before each timed request. Thread pools such as OpenBLAS's (in
 * the PyTorch worker) and Stratum's own spin for a while after a computation
 * before they sleep. On a 2-core machine a spinning thread of the previous
 * worker would take a core from the next worker's pass, which lasts only
 * about 50 ms in the main job.
 */
const PAUSE_BEFORE_PASS_MS = 200;

function pause(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, PAUSE_BEFORE_PASS_MS));
}

const HELP = `Usage: npm run bench -- [options]

Measures training and predict speed of Stratum (native and js backends),
TF.js cpu and wasm, PyTorch and Keras 3 on JAX on the same MNIST digits,
matrix-multiply GFLOP/s and peak memory, and prints a Markdown report.

Options:
  --repeats N          timed passes per workload and framework (default 7;
                       3 with --quick). Slow frameworks run fewer passes on
                       the large MLP.
  --warmup-seconds S   untimed passes before the timed ones, until S seconds
                       have passed: at least 1 pass, at most ${MAX_WARMUP_PASSES}
                       (default ${DEFAULT_WARMUP_SECONDS}; 0.5 with --quick)
  --quick              3 repeats, a quarter of the samples per pass, 200
                       one-sample predict calls per pass and shorter
                       matrix-multiply runs, for a smoke run
  --workloads IDS      comma-separated workload ids (default: all):
                       ${WORKLOADS.map((workload) => workload.id).join(", ")}
  --frameworks IDS     comma-separated frameworks (default: all):
                       ${FRAMEWORKS.join(", ")}
  --skip-gemm          skip the matrix-multiply table
  --torch-python PATH  Python interpreter with PyTorch
                       (default ${DEFAULT_TORCH_PYTHON}, Debian's python3-torch)
  --keras-python PATH  Python interpreter with Keras 3 and JAX
                       (default ${DEFAULT_KERAS_PYTHON})
  --verbose            print each timed pass and the workers' own output
  --help               print this help
`;

interface Options {
  repeats: number;
  warmupSeconds: number;
  quick: boolean;
  workloads: Workload[];
  frameworks: FrameworkId[];
  skipGemm: boolean;
  torchPython: string;
  kerasPython: string;
  verbose: boolean;
}

function fail(message: string): never {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(2);
}

function progress(text: string): void {
  process.stderr.write(`${text}\n`);
}

function pickByIds<T>(text: string | undefined, all: readonly T[], idOf: (item: T) => string, what: string): T[] {
  if (text === undefined) return [...all];
  return text.split(",").map((id) => {
    const item = all.find((candidate) => idOf(candidate) === id.trim());
    if (item === undefined) fail(`Invalid ${what} "${id}": expected one of ${all.map(idOf).join(", ")}.`);
    return item;
  });
}

/** Returns a quarter of `samples`, but at least two batches and at most the original count. */
function quarterSamples(samples: number, batchSize: number): number {
  return Math.min(samples, Math.max(batchSize * 2, Math.round(samples / 4)));
}

/** Shrinks a workload for --quick: fewer samples per pass, or fewer one-sample calls. */
function shrinkForQuick(workload: Workload): Workload {
  if (workload.kind === "predict-one") return { ...workload, calls: Math.min(workload.calls ?? 200, 200) };
  const overrides = Object.fromEntries(
    Object.entries(workload.overrides ?? {}).map(([framework, override]) => [
      framework,
      { ...override, samples: override.samples === undefined ? undefined : quarterSamples(override.samples, workload.batchSize) },
    ]),
  );
  return { ...workload, samples: quarterSamples(workload.samples, workload.batchSize), overrides };
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      repeats: { type: "string" },
      "warmup-seconds": { type: "string" },
      quick: { type: "boolean", default: false },
      workloads: { type: "string" },
      frameworks: { type: "string" },
      "skip-gemm": { type: "boolean", default: false },
      "torch-python": { type: "string", default: DEFAULT_TORCH_PYTHON },
      "keras-python": { type: "string", default: DEFAULT_KERAS_PYTHON },
      verbose: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }

  const quick = values.quick ?? false;
  const defaultRepeats = quick ? 3 : 7;
  const repeats = values.repeats === undefined ? defaultRepeats : Number(values.repeats);
  if (!Number.isInteger(repeats) || repeats < 1) fail(`Invalid --repeats "${values.repeats}": expected a positive integer.`);
  const warmupText = values["warmup-seconds"];
  let warmupSeconds = quick ? 0.5 : DEFAULT_WARMUP_SECONDS;
  if (warmupText !== undefined) warmupSeconds = Number(warmupText);
  if (!Number.isFinite(warmupSeconds) || warmupSeconds < 0) {
    fail(`Invalid --warmup-seconds "${warmupText}": expected a number of seconds, 0 or more.`);
  }

  let workloads = pickByIds(values.workloads, WORKLOADS, (workload) => workload.id, "workload");
  if (quick) workloads = workloads.map(shrinkForQuick);
  return {
    repeats,
    warmupSeconds,
    quick,
    workloads,
    frameworks: pickByIds(values.frameworks, FRAMEWORKS, (framework) => framework, "framework"),
    skipGemm: values["skip-gemm"] ?? false,
    torchPython: values["torch-python"] ?? DEFAULT_TORCH_PYTHON,
    kerasPython: values["keras-python"] ?? DEFAULT_KERAS_PYTHON,
    verbose: values.verbose ?? false,
  };
}

function workerCommand(framework: FrameworkId, options: Options): WorkerCommand {
  const peers = fileURLToPath(new URL("./peers/", import.meta.url));
  switch (framework) {
    case "stratum-native":
      return { kind: "node", env: { STRATUM_BACKEND: "native" } };
    case "stratum-js":
      return { kind: "node", env: { STRATUM_BACKEND: "js" } };
    case "tfjs-cpu":
    case "tfjs-wasm":
      return { kind: "node", env: {} };
    case "torch":
      return { kind: "python", python: options.torchPython, script: path.join(peers, "torch_worker.py"), env: {} };
    case "keras-jax":
      return { kind: "python", python: options.kerasPython, script: path.join(peers, "keras_worker.py"), env: { KERAS_BACKEND: "jax" } };
  }
}

/** Returns the samples that one pass of a "fit" or "predict" workload processes. */
function samplesPerPass(workload: Workload): number {
  return workload.kind === "predict" ? workload.samples * (workload.calls ?? 1) : workload.samples;
}

/** Returns the most telling line of a worker's error: the last line of a Python traceback, else the first line. */
function errorSummary(error: unknown): string {
  const text = (error instanceof Error ? error.message : String(error)).trim();
  const lines = text.split("\n").map((line) => line.trim()).filter((line) => line !== "");
  if (lines.length === 0) return "unknown error";
  return lines[0]!.startsWith("Traceback") ? lines[lines.length - 1]! : lines[0]!;
}

/** The state of one run: live workers and everything measured so far. */
class Benchmark {
  readonly workers: WorkerHandle[] = [];
  readonly results: RunResults;

  constructor(
    readonly options: Options,
    command: string,
  ) {
    this.results = {
      command,
      frameworks: [],
      descriptions: new Map(),
      skipped: new Map(),
      failures: [],
      workloads: [],
      gemm: new Map(),
      peak: machinePeak(),
      measuredPeak: null,
      rssAtStart: new Map(),
      rssAfterWorkload: new Map(),
      repeats: options.repeats,
      settings: [],
    };
  }

  /** Starts every requested worker at once; a worker that fails to start is skipped with its reason. */
  async startWorkers(dataFolder: string): Promise<void> {
    const started = await Promise.allSettled(
      this.options.frameworks.map((framework) =>
        WorkerHandle.start(framework, workerCommand(framework, this.options), dataFolder, this.options.verbose, REQUEST_TIMEOUT_SECONDS),
      ),
    );
    started.forEach((outcome, index) => {
      const framework = this.options.frameworks[index]!;
      if (outcome.status === "fulfilled") {
        this.workers.push(outcome.value.handle);
        this.results.frameworks.push(framework);
        this.results.descriptions.set(framework, outcome.value.description);
        this.results.rssAtStart.set(framework, outcome.value.maxRssBytes);
        this.results.rssAfterWorkload.set(framework, new Map());
      } else {
        const reason = errorSummary(outcome.reason);
        this.results.skipped.set(framework, reason);
        progress(`${FRAMEWORK_LABELS[framework]} skipped: ${reason}`);
      }
    });
  }

  /** Records a worker's failure, prints its output and stops it; the run goes on without it. */
  private dropWorker(worker: WorkerHandle, context: string, error: unknown): void {
    const summary = `${FRAMEWORK_LABELS[worker.framework]} failed in ${context}: ${errorSummary(error)}`;
    this.results.failures.push(summary);
    progress(summary);
    progress(error instanceof Error ? error.message : String(error));
    const output = worker.capturedOutput().trim();
    if (output !== "") progress(`Output of the ${worker.framework} worker:\n${output.slice(-4000)}`);
    worker.stop();
    this.workers.splice(this.workers.indexOf(worker), 1);
  }

  /** Returns the workload as `framework` runs it, and its timed passes, after the framework's override. */
  private planFor(workload: Workload, framework: FrameworkId): { workload: Workload; repeats: number } {
    const override = workload.overrides?.[framework];
    return {
      workload: { ...workload, samples: override?.samples ?? workload.samples, calls: override?.calls ?? workload.calls },
      repeats: Math.min(this.options.repeats, override?.repeats ?? this.options.repeats),
    };
  }

  /** Process ids of the live workers, for the CPU-time counters. */
  workerPids(): number[] {
    return this.workers.map((worker) => worker.pid).filter((pid): pid is number => pid !== undefined);
  }

  /** Runs the warm-up, the timed rounds, the accuracy check and the release of one workload on every live worker. */
  async measureWorkload(workload: Workload): Promise<void> {
    const byFramework = new Map<FrameworkId, FrameworkResult>();
    const cpuAtStart = sampleCpu(this.workerPids());
    const plans = new Map<WorkerHandle, { workload: Workload; repeats: number }>();
    for (const worker of [...this.workers]) {
      // The report lists the reason under the throughput table, and the worker stays for the next workload.
      if (workload.unsupported?.[worker.framework] !== undefined) continue;
      const plan = this.planFor(workload, worker.framework);
      try {
        const request = { type: "prepare", workload: plan.workload, warmupSeconds: this.options.warmupSeconds, maxWarmupPasses: MAX_WARMUP_PASSES } as const;
        const prepared = await worker.request(request, "prepared", REQUEST_TIMEOUT_SECONDS);
        if (this.options.verbose) progress(`  ${worker.framework} warm-up: ${prepared.warmupPasses} passes, ${prepared.warmupSeconds.toFixed(2)} s`);
        plans.set(worker, plan);
        byFramework.set(worker.framework, {
          values: [],
          samples: plan.workload.samples,
          calls: plan.workload.calls,
          repeats: plan.repeats,
          warmupPasses: prepared.warmupPasses,
        });
      } catch (error) {
        this.dropWorker(worker, `${workload.id} (warm-up)`, error);
      }
    }

    const rounds = Math.max(0, ...[...plans.values()].map((plan) => plan.repeats));
    for (let round = 0; round < rounds; round++) {
      const rotation = round % Math.max(1, this.workers.length);
      const order = [...this.workers.slice(rotation), ...this.workers.slice(0, rotation)];
      for (const worker of order) {
        const plan = plans.get(worker);
        if (!plan || round >= plan.repeats) continue;
        try {
          await pause();
          const { seconds } = await worker.request({ type: "measure" }, "measured", REQUEST_TIMEOUT_SECONDS);
          const value = workload.kind === "predict-one" ? seconds * 1e6 : samplesPerPass(plan.workload) / seconds;
          byFramework.get(worker.framework)!.values.push(value);
          if (this.options.verbose) progress(`  ${worker.framework} pass ${round + 1}: ${seconds.toFixed(6)} s`);
        } catch (error) {
          plans.delete(worker);
          this.dropWorker(worker, `${workload.id} (pass ${round + 1})`, error);
        }
      }
    }

    for (const worker of [...this.workers]) {
      if (!plans.has(worker)) continue;
      try {
        if (workload.measureAccuracy) {
          const { accuracy } = await worker.request({ type: "evaluate" }, "evaluated", REQUEST_TIMEOUT_SECONDS);
          byFramework.get(worker.framework)!.accuracy = accuracy;
        }
        const { maxRssBytes } = await worker.request({ type: "release" }, "released", REQUEST_TIMEOUT_SECONDS);
        this.results.rssAfterWorkload.get(worker.framework)!.set(workload.id, maxRssBytes);
      } catch (error) {
        this.dropWorker(worker, `${workload.id} (accuracy or release)`, error);
      }
    }
    const cpuAtEnd = sampleCpu(this.workerPids());
    const load = cpuAtStart && cpuAtEnd ? loadBetween(cpuAtStart, cpuAtEnd) : null;
    this.results.workloads.push({ workload, byFramework, load });
  }

  /** Measures the matrix-multiply shapes on the workers of the frameworks that GEMM_FRAMEWORKS lists. */
  async measureGemm(): Promise<void> {
    const runs = this.options.quick ? 3 : 5;
    const minRunSeconds = this.options.quick ? 0.05 : 0.2;
    for (const shape of GEMM_SHAPES) {
      const byFramework = new Map<FrameworkId, number[]>();
      for (const worker of [...this.workers]) {
        if (!GEMM_FRAMEWORKS[worker.framework]?.includes(shape.id)) continue;
        try {
          await pause();
          const { gflops } = await worker.request({ type: "gemm", shape, runs, minRunSeconds }, "gemm-result", REQUEST_TIMEOUT_SECONDS);
          byFramework.set(worker.framework, gflops);
        } catch (error) {
          this.dropWorker(worker, `matrix multiply ${shape.label}`, error);
        }
      }
      if (byFramework.size > 0) this.results.gemm.set(shape.id, byFramework);
      const medians = [...byFramework].map(([framework, values]) => `${FRAMEWORK_LABELS[framework]} ${summarize(values).median.toFixed(1)}`);
      progress(`  ${shape.label}: ${medians.join(", ")} GFLOP/s`);
    }
  }

  stopWorkers(): void {
    for (const worker of this.workers) worker.stop();
  }
}

/** Returns the output of `uptime`, or null where the command is missing. */
function uptimeText(): string | null {
  try {
    return execFileSync("uptime", [], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return null;
  }
}

function formatMedians(benchmark: Benchmark): string {
  const latest = benchmark.results.workloads[benchmark.results.workloads.length - 1]!;
  return [...latest.byFramework]
    .filter(([, result]) => result.values.length > 0)
    .map(([framework, result]) => `${FRAMEWORK_LABELS[framework]} ${summarize(result.values).median.toFixed(1)}`)
    .join(", ");
}

async function main(): Promise<void> {
  const options = parseOptions();
  const started = performance.now();
  const argumentsText = process.argv.slice(2).join(" ");
  const benchmark = new Benchmark(options, `npm run bench${argumentsText ? ` -- ${argumentsText}` : ""}`);
  // The report states the load because other processes on the machine slow every framework.
  const uptimeAtStart = uptimeText();
  const loadAtStart = os.loadavg()[0]!;
  const dataFolder = mkdtempSync(path.join(os.tmpdir(), "stratum-bench-"));
  let cpuAtStart = sampleCpu([]);
  let cpuAtEnd = cpuAtStart;

  try {
    writeMnistFiles(loadMnistDigits(), dataFolder);
    writeSequenceFiles(createSequences(), dataFolder);
    progress(`Starting ${options.frameworks.length} workers`);
    await benchmark.startWorkers(dataFolder);
    // The whole-run load starts after the workers have loaded their frameworks.
    cpuAtStart = sampleCpu(benchmark.workerPids());
    for (const [index, workload] of options.workloads.entries()) {
      const count = workload.kind === "predict-one" ? `${workload.calls} calls` : `${samplesPerPass(workload)} samples`;
      progress(`[${index + 1}/${options.workloads.length}] ${workload.label}, ${count} per pass`);
      const workloadStarted = performance.now();
      await benchmark.measureWorkload(workload);
      const unit = workload.kind === "predict-one" ? "µs per call" : "samples/s";
      progress(`      medians (${unit}): ${formatMedians(benchmark)}; ${((performance.now() - workloadStarted) / 1000).toFixed(0)} s`);
    }
    if (!options.skipGemm) {
      progress("Matrix multiply");
      await benchmark.measureGemm();
      // The workers are idle by now, so every core is free for the probe.
      await pause();
      const measured = await measureFmaPeak(dataFolder, os.availableParallelism());
      benchmark.results.measuredPeak = measured;
      if ("gflops" in measured) {
        progress(`  measured peak: ${measured.gflops.toFixed(1)} GFLOP/s`);
      } else {
        progress(`  measured peak: not measured, because ${measured.reason}`);
      }
    }
    cpuAtEnd = sampleCpu(benchmark.workerPids());
  } finally {
    benchmark.stopWorkers();
    rmSync(dataFolder, { recursive: true, force: true });
  }

  const totalSeconds = (performance.now() - started) / 1000;
  benchmark.results.settings.push(
    `Settings: ${options.repeats} timed passes per workload after warm-up passes for ${options.warmupSeconds} s ` +
      `(at least 1, at most ${MAX_WARMUP_PASSES})` +
      `${options.quick ? ", --quick (a quarter of the samples, 200 one-sample calls, shorter matrix-multiply runs)" : ""}; ` +
      `whole run ${totalSeconds.toFixed(0)} s`,
    `Load: 1-minute load average ${loadAtStart.toFixed(2)} at the start and ${os.loadavg()[0]!.toFixed(2)} at the end` +
      `${uptimeAtStart ? `; \`uptime\` at the start: ${uptimeAtStart}` : ""}`,
  );
  if (cpuAtStart && cpuAtEnd) {
    benchmark.results.settings.push(`CPU time taken from the benchmark over the measured part of the run: ${formatLoad(loadBetween(cpuAtStart, cpuAtEnd))} of the machine`);
  }
  process.stdout.write(formatReport(benchmark.results, describeMachine()));
}

main().catch((error: unknown) => {
  progress(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
});
