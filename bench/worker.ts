/**
 * A benchmark worker: a child process of run.ts that runs one Node.js
 * framework. Each framework gets its own process, so one framework's heap,
 * JIT state and leftover garbage cannot slow another, and each process's
 * peak resident memory belongs to one framework. The driver sends one
 * request at a time, so only one worker computes at any moment.
 *
 * Usage (by run.ts only): node --expose-gc worker.ts FRAMEWORK DATA_FOLDER
 * The driver sets STRATUM_BACKEND for the two Stratum frameworks.
 */

import { createRunner, type PreparedWorkload, type Runner } from "./runners.js";
import { readMnistFiles, readSequenceFiles, type BenchData } from "./data.js";
import { FRAMEWORKS, gemmFlops, type DriverMessage, type FrameworkId, type GemmShape, type WorkerMessage } from "./workloads.js";

// Every file the benchmark uses is on disk, so any network request is a bug.
// Failing loudly keeps a run from downloading, for example, a .wasm file.
globalThis.fetch = (input: string | URL | Request): Promise<Response> => {
  const url = input instanceof Request ? input.url : String(input);
  return Promise.reject(new Error(`Network access is disabled in the benchmark, but a request was made for ${url}.`));
};

function send(message: WorkerMessage): void {
  if (!process.send) throw new Error("bench/worker.ts must be started by bench/run.ts, which opens an IPC channel.");
  process.send(message);
}

/** Peak resident set size of this process so far, in bytes (Node.js reports kilobytes). */
function maxRssBytes(): number {
  return process.resourceUsage().maxRSS * 1024;
}

/** Runs a full garbage collection when Node.js was started with --expose-gc, so each workload starts from a clean heap. */
function collectGarbage(): void {
  globalThis.gc?.();
}

/**
 * Measures `runs` runs of a product, each repeating it often enough to last
 * at least `minRunSeconds`, after one untimed call. Returns GFLOP/s per run.
 */
function measureGemm(runner: Runner, shape: GemmShape, runs: number, minRunSeconds: number): number[] {
  const call = runner.createGemmCall(shape);
  if (!call) throw new Error(`This framework has no matrix-multiply measurement for ${shape.label}.`);
  call();
  const probeStarted = performance.now();
  call();
  const probeSeconds = Math.max((performance.now() - probeStarted) / 1000, 1e-7);
  const repetitions = Math.max(1, Math.ceil(minRunSeconds / probeSeconds));
  const gflops: number[] = [];
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    for (let repetition = 0; repetition < repetitions; repetition++) call();
    const seconds = (performance.now() - started) / 1000;
    gflops.push((gemmFlops(shape) * repetitions) / seconds / 1e9);
  }
  return gflops;
}

async function main(): Promise<void> {
  const [framework, dataFolder] = process.argv.slice(2);
  if (!FRAMEWORKS.includes(framework as FrameworkId)) {
    throw new Error(`Invalid framework "${framework}": expected one of ${FRAMEWORKS.join(", ")}.`);
  }
  if (!dataFolder) throw new Error("Missing the data folder argument: bench/worker.ts must be started by bench/run.ts.");
  const runner = await createRunner(framework as FrameworkId);
  const data: BenchData = { digits: readMnistFiles(dataFolder), sequences: readSequenceFiles(dataFolder) };
  let prepared: PreparedWorkload | null = null;

  const handle = async (message: DriverMessage): Promise<void> => {
    switch (message.type) {
      case "prepare": {
        prepared?.release();
        prepared = runner.prepare(message.workload, data);
        // The warm-up passes compile the hot code paths and are not reported.
        collectGarbage();
        const warmupStarted = performance.now();
        let warmupPasses = 0;
        let warmupSeconds = 0;
        do {
          await prepared.run();
          warmupPasses++;
          warmupSeconds = (performance.now() - warmupStarted) / 1000;
        } while (warmupSeconds < message.warmupSeconds && warmupPasses < message.maxWarmupPasses);
        send({ type: "prepared", warmupSeconds, warmupPasses });
        break;
      }
      case "measure": {
        if (!prepared) throw new Error("Received a measure request before any prepare request.");
        // No collection here: a forced full collection in V8 made the next one-epoch pass of the
        // batch-32 main job about 19% slower (median of 15 passes, 201,000 against 248,000 samples/s).
        send({ type: "measured", seconds: await prepared.run() });
        break;
      }
      case "evaluate": {
        if (!prepared) throw new Error("Received an evaluate request before any prepare request.");
        send({ type: "evaluated", accuracy: await prepared.evaluate() });
        break;
      }
      case "release": {
        prepared?.release();
        prepared = null;
        send({ type: "released", maxRssBytes: maxRssBytes() });
        break;
      }
      case "gemm": {
        collectGarbage();
        send({ type: "gemm-result", gflops: measureGemm(runner, message.shape, message.runs, message.minRunSeconds) });
        break;
      }
      case "exit":
        process.disconnect();
        break;
    }
  };

  process.on("message", (message: DriverMessage) => {
    handle(message).catch((error: unknown) => {
      send({ type: "error", message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    });
  });
  send({ type: "hello", description: runner.description, maxRssBytes: maxRssBytes() });
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  if (process.send) send({ type: "error", message });
  else console.error(message);
  process.exitCode = 1;
});
